"""One poll pass: list each source, read what changed, persist it table by table.

No scheduling here (see ``scheduler/``). Tables are written several to a transaction, each
table all or nothing (a savepoint), so a crash loses at most the tables of the transaction
under way, which the next pass reads again from their unchanged cursors; a table that fails
is reported and the others go on.

Tables are claimed through leases (``store/leases.py``) so that several passes (scheduled
workers, a manual ``sync``, the API) never sync one table at the same time:

* a scheduled worker (``worker`` given) syncs only the tables that are *due*: a table synced
  at ``t`` is due again from ``t + 3/4 poll_interval`` (early enough that a timer firing a
  little late never skips a period; with several workers, a table is synced at most once
  per 3/4 of its source's interval);
* a manual pass (``worker`` None: the CLI ``sync``, the API's sync) takes every table no live
  lease holds, due or not, and reports the tables another worker holds under ``skipped``
  with a reason naming it.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from temporal_lineage.collector import collector_paused
from temporal_lineage.config import Settings, SourceConfig
from temporal_lineage.errors import UNEXPECTED, LineageError, StoreError, one_line
from temporal_lineage.model import (
    Skipped,
    SyncReport,
    TableError,
    TableRef,
    TableRepair,
    TableState,
    TableSyncResult,
    TextRepair,
)
from temporal_lineage.sources.base import Source, TableEntry
from temporal_lineage.sources.factory import build_source
from temporal_lineage.store import Store, leases
from temporal_lineage.store.matching import rematch, rematch_columns
from temporal_lineage.store.writes import (
    KnownTable,
    apply_table_state,
    ensure_source,
    finish_sync_run,
    known_tables,
    mark_dropped,
    start_sync_run,
)
from temporal_lineage.times import format_time, now

if TYPE_CHECKING:
    from sqlalchemy import Connection

_LOG = logging.getLogger(__name__)


DUE_FRACTION = 0.75
"""A synced table is due again after this fraction of its source's ``poll_interval``."""


class SyncProgress(Protocol):
    """Receives progress of a sync pass (the CLI draws a bar from it)."""

    def source_started(self, source: str, tables: int) -> None:
        """A source was listed and has ``tables`` tables to check."""

    def table_done(self, ref: TableRef, result: TableSyncResult | None, error: str | None) -> None:
        """One table was checked (``result`` None when it failed or was unchanged)."""


class _Silent:
    def source_started(self, source: str, tables: int) -> None:
        pass

    def table_done(self, ref: TableRef, result: TableSyncResult | None, error: str | None) -> None:
        pass


@dataclass(frozen=True)
class Claims:
    """How a pass claims the tables of one source."""

    holder: str
    """The lease holder: the worker id, or ``manual:<host>:<pid>`` for a manual pass."""
    next_due: datetime
    """When the tables this pass syncs are due again."""
    scheduled: bool
    """Only due tables (a scheduled worker), else every table no live lease holds."""
    term: timedelta = leases.LEASE_TERM
    batch: int = leases.CLAIM_BATCH


def manual_holder() -> str:
    """The lease holder name of a manual pass run by this process."""
    return local_holder("manual")


def local_holder(kind: str) -> str:
    """``<kind>:<host>:<pid>``: a holder name whose liveness this host can check."""
    return f"{kind}:{socket.gethostname()}:{os.getpid()}"


def _dead_local_holder(holder: str) -> bool:
    """Whether ``holder`` names a process of this host that is gone (killed mid-pass).

    Its leases are freed at once rather than after they run out. Holders named otherwise
    (``--worker-id``) are only ever freed by their leases running out.
    """
    kind, _, rest = holder.partition(":")
    host, _, pid_text = rest.rpartition(":")
    if not kind or host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists (another user's), or this platform cannot tell
        return False
    return False


def sync(
    store: Store,
    settings: Settings,
    *,
    source: str | None = None,
    progress: SyncProgress | None = None,
    worker: str | None = None,
) -> SyncReport:
    """Poll every configured source (or only ``source``) once and persist what is new.

    Args:
        worker: the id of the scheduled worker running this pass: it syncs only the tables
            that are due. None for a manual pass, which syncs every table not leased by
            another worker.

    Raises:
        ConfigError: ``source`` names no configured source.
    """
    configs: Sequence[SourceConfig] = (
        [settings.source(source)] if source is not None else settings.sources
    )
    holder = worker if worker is not None else manual_holder()
    report = SyncReport()
    started = now()
    with store.begin() as conn:
        run_id = start_sync_run(conn, source, started, worker=holder)
    current = 0
    try:
        for index, config in enumerate(configs):
            current = index
            claims = Claims(
                holder,
                next_due=started + config.poll_interval * DUE_FRACTION,
                scheduled=worker is not None,
                batch=leases.CLAIM_BATCH if worker is not None else leases.MANUAL_CLAIM_BATCH,
            )
            built = build_source(config)
            try:
                sync_source(store, built, report, progress or _Silent(), claims)
            finally:
                built.close()
        if report.new_snapshots:
            with store.begin() as conn:
                # Events may have named these tables before they were first seen.
                rematch(conn, now())
                rematch_columns(conn, now())
    except Exception as exc:  # recorded as the pass's error, then raised on unchanged
        stopped_at = configs[current].name if configs else "*"
        report.errors.append(TableError(stopped_at, str(exc).strip() or type(exc).__name__))
        report.errors.extend(
            TableError(c.name, f"not synced: the pass stopped at source {stopped_at}")
            for c in configs[current + 1 :]
        )
        with suppress(StoreError):  # the store itself may be what failed
            with store.begin() as conn:
                finish_sync_run(conn, run_id, now(), report, failed=True)
        raise
    with store.begin() as conn:
        finish_sync_run(conn, run_id, now(), report, failed=bool(report.failed_sources))
    return report


def sync_source(
    store: Store, source: Source, report: SyncReport, progress: SyncProgress, claims: Claims
) -> None:
    """Poll one source into ``report``; a source that cannot be listed is one error."""
    try:
        discovery = source.discover()
    except LineageError as exc:
        report.errors.append(TableError(source.name, str(exc)))
        report.failed_sources.append(source.name)
        return
    report.skipped.extend(discovery.skipped)
    with store.begin() as conn:
        source_id = ensure_source(conn, source.name, source.format, now())
        known = known_tables(conn, source_id)
        leases.offer(conn, source.name, [e.ref.identifier for e in discovery.tables], now())
        for holder in leases.live_holders(conn, source.name, now()):
            if _dead_local_holder(holder):
                leases.break_leases(conn, source.name, holder)
    progress.source_started(source.name, len(discovery.tables))
    _TablePass(store, source, source_id, known, report, progress, claims).run(discovery.tables)
    if not claims.scheduled:
        _report_held_elsewhere(store, source.name, discovery.tables, report, claims)
    listed = {entry.ref.identifier for entry in discovery.tables}
    for identifier, table in known.items():
        if identifier not in listed and table.dropped_at is None:
            with store.begin() as conn:
                mark_dropped(conn, table.table_id, now())


TABLES_PER_WRITE = 50
"""Tables written in one transaction at most (each all or nothing, by a savepoint)."""
ROWS_PER_WRITE = 20_000
"""Rows (snapshots and head changes) per transaction, beyond which the batch is written."""


@dataclass
class _Outcome:
    """One claimed table of a batch: read, then written with the others (or not at all)."""

    lease_id: int
    entry: TableEntry
    state: TableState | None = None
    """What was read, to write; None when unchanged or failed."""
    result: TableSyncResult | None = None
    repairs: tuple[TextRepair, ...] = ()
    error: str | None = None

    @property
    def rows(self) -> int:
        state = self.state
        return 0 if state is None else 1 + len(state.snapshots) + len(state.heads)


class _TablePass:
    """Claims the listed tables of one source batch by batch, syncs and releases them.

    Tables are read one by one outside any transaction; what they read is written several
    tables to a transaction (``TABLES_PER_WRITE``, ``ROWS_PER_WRITE``), each table in a
    savepoint of its own, with the release of their leases. A table that fails to read or
    to write is left out of the transaction; a crash loses the tables of the transaction
    under way, whose cursors did not move: the next pass reads them again.
    """

    def __init__(
        self,
        store: Store,
        source: Source,
        source_id: int,
        known: dict[str, KnownTable],
        report: SyncReport,
        progress: SyncProgress,
        claims: Claims,
    ) -> None:
        self.store = store
        self.source = source
        self.source_id = source_id
        self.known = known
        self.report = report
        self.progress = progress
        self.claims = claims
        self.synced: list[int] = []
        self.failed: list[int] = []
        self._batch: list[int] = []
        self._claimed_at = now()
        self._pending: list[_Outcome] = []

    def run(self, entries: Sequence[TableEntry]) -> None:
        listed = {e.ref.identifier: e for e in entries}
        position = {e.ref.identifier: i for i, e in enumerate(entries)}
        finished = False
        try:
            while True:
                batch = self._release_and_claim()
                for lease in sorted(batch, key=lambda x: position.get(x.identifier, -1)):
                    entry = listed.get(lease.identifier)
                    if entry is None:  # offered by a worker whose listing still has it
                        self.failed.append(lease.lease_id)
                        continue
                    self._table(lease.lease_id, entry)
                    self._renew(batch)
                self._write()
                if len(batch) < self.claims.batch:
                    break
            finished = True
        finally:
            if not finished:  # give back the rest of the batch too, as not synced
                self._pending = []  # never written: their tables are read again next time
                done = set(self.synced) | set(self.failed)
                self.failed.extend(i for i in self._batch if i not in done)
            if self.synced or self.failed:
                if finished:
                    self._release()
                else:
                    with suppress(LineageError):  # else the leases run out on their own
                        self._release()

    def _release_and_claim(self) -> list[leases.Lease]:
        with self.store.begin() as conn:
            at = now()
            self._release_in(conn, at)
            batch = leases.claim(
                conn,
                self.source.name,
                self.claims.holder,
                at,
                next_due=self.claims.next_due,
                term=self.claims.term,
                limit=self.claims.batch,
                due_only=self.claims.scheduled,
            )
        self._claimed_at = at
        self._batch = [lease.lease_id for lease in batch]
        return batch

    def _release(self) -> None:
        with self.store.begin() as conn:
            self._release_in(conn, now())

    def _release_in(self, conn: Connection, at: datetime) -> None:
        if self.synced or self.failed:
            leases.release(conn, self.claims.holder, at, synced=self.synced, failed=self.failed)
        self.synced, self.failed = [], []

    def _renew(self, batch: Sequence[leases.Lease]) -> None:
        """Keep the rest of a long batch leased (another worker would take it over)."""
        at = now()
        if at - self._claimed_at < self.claims.term / 2:
            return
        done = set(self.synced) | set(self.failed)
        rest = [lease.lease_id for lease in batch if lease.lease_id not in done]
        with self.store.begin() as conn:
            leases.extend(conn, self.claims.holder, rest, at + self.claims.term)
        self._claimed_at = at

    def _table(self, lease_id: int, entry: TableEntry) -> None:
        """Read one table; what it read waits for the batch's transaction."""
        self.report.tables += 1
        outcome = _Outcome(lease_id, entry)
        try:
            outcome.state = _read_table(self.source, entry, self.known.get(entry.ref.identifier))
        except LineageError as exc:
            outcome.error = one_line(exc)
        except Exception as exc:  # the last line of defence: one table never stops the pass
            outcome.error = _unexpected(entry, exc)
        if outcome.state is not None and self._pending:
            if sum(o.rows for o in self._pending) + outcome.rows > ROWS_PER_WRITE:
                self._write()
        self._pending.append(outcome)
        if outcome.state is not None and (
            len(self._pending) >= TABLES_PER_WRITE
            or sum(o.rows for o in self._pending) >= ROWS_PER_WRITE
        ):
            self._write()

    def _write(self) -> None:
        """Write the pending tables in one transaction (each in a savepoint), release their
        leases in it, then report them in the order they were read."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        released = False
        if any(o.state is not None for o in pending):
            try:
                with collector_paused(), self.store.begin() as conn:
                    at = now()
                    for outcome in pending:
                        if outcome.state is not None:
                            self._apply(conn, outcome, at)
                    synced = [o.lease_id for o in pending if o.error is None]
                    failed = [o.lease_id for o in pending if o.error is not None]
                    leases.release(conn, self.claims.holder, now(), synced=synced, failed=failed)
                released = True
            except LineageError as exc:  # the commit failed: none of the batch was written
                for outcome in pending:
                    if outcome.state is not None:
                        outcome.result, outcome.error = None, one_line(exc)
        for outcome in pending:
            if not released:
                (self.failed if outcome.error is not None else self.synced).append(outcome.lease_id)
            self._report(outcome)

    def _apply(self, conn: Connection, outcome: _Outcome, at: datetime) -> None:
        state = outcome.state
        assert state is not None
        known = self.known.get(outcome.entry.ref.identifier)
        try:
            with self.store.savepoint(conn):
                outcome.result = apply_table_state(
                    conn,
                    self.source_id,
                    state,
                    at,
                    numbered=self.source.capabilities.has_schema_ids,
                    run_id_keys=self.source.run_id_keys,
                    new_table=known is None,
                )
            outcome.repairs = state.repairs
        except LineageError as exc:
            outcome.error = one_line(exc)
        except Exception as exc:  # the last line of defence: one table never stops the pass
            outcome.error = _unexpected(outcome.entry, exc)

    def _report(self, outcome: _Outcome) -> None:
        ref = outcome.entry.ref
        if outcome.error is not None:
            self.report.errors.append(TableError(str(ref), outcome.error))
            self.progress.table_done(ref, None, outcome.error)
            return
        self.report.repairs.extend(
            TableRepair(str(ref), r.field, r.detail) for r in outcome.repairs
        )
        result = outcome.result
        if result is not None:
            self.report.new_snapshots += result.new_snapshots
            self.report.new_schema_versions += result.new_schema_versions
            self.report.schema_changes.extend(result.schema_changes)
        self.progress.table_done(ref, result, None)


def _unexpected(entry: TableEntry, exc: Exception) -> str:
    _LOG.debug("unexpected error syncing %s", entry.ref, exc_info=True)
    return f"{entry.ref}: {UNEXPECTED}: {one_line(exc)}"


def _report_held_elsewhere(
    store: Store,
    source: str,
    entries: Sequence[TableEntry],
    report: SyncReport,
    claims: Claims,
) -> None:
    """A manual pass names the listed tables another worker held (or synced meanwhile)."""
    with store.connect() as conn:
        others = leases.unclaimed_in_pass(conn, source, claims.next_due)
    if not others:
        return
    listed = {e.ref.identifier: e.ref for e in entries}
    for state in others:
        ref = listed.get(state.identifier)
        if ref is None:
            continue
        if state.holder is not None and state.holder != claims.holder:
            until = format_time(state.leased_until) if state.leased_until else "?"
            reason = f"leased by worker {state.holder} until {until}"
        elif state.last_holder is not None and state.last_holder != claims.holder:
            reason = f"synced by worker {state.last_holder} during this pass"
        else:
            continue
        report.skipped.append(Skipped(source, str(ref), reason))


def _read_table(source: Source, entry: TableEntry, known: KnownTable | None) -> TableState | None:
    """What one table's sync has to write (None when unchanged since the stored cursor)."""
    if known is not None and known.dropped_at is not None:
        cursor = None  # listed again after it was seen gone: it may be a new table
    else:
        cursor = known.cursor if known is not None else None
        if known is not None and not source.has_changed(entry, cursor):
            return None
    with collector_paused():
        return source.read(entry, cursor)
