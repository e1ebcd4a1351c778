"""One poll pass: list each source, read what changed, persist it table by table.

No scheduling here (see ``scheduler/``). Each table is one transaction, so a crash leaves the
store as it was before that table; a table that fails is reported and the others go on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from temporal_lineage.collector import collector_paused
from temporal_lineage.config import Settings, SourceConfig
from temporal_lineage.errors import LineageError
from temporal_lineage.model import SyncReport, TableError, TableRef, TableSyncResult
from temporal_lineage.sources.base import Source, TableEntry
from temporal_lineage.sources.factory import build_source
from temporal_lineage.store import Store
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
from temporal_lineage.times import now


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


def sync(
    store: Store,
    settings: Settings,
    *,
    source: str | None = None,
    progress: SyncProgress | None = None,
) -> SyncReport:
    """Poll every configured source (or only ``source``) once and persist what is new.

    Raises:
        ConfigError: ``source`` names no configured source.
    """
    configs: Sequence[SourceConfig] = (
        [settings.source(source)] if source is not None else settings.sources
    )
    report = SyncReport()
    started = now()
    with store.begin() as conn:
        run_id = start_sync_run(conn, source, started)
    for config in configs:
        built = build_source(config)
        try:
            sync_source(store, built, report, progress or _Silent())
        finally:
            built.close()
    with store.begin() as conn:
        if report.new_snapshots:
            # Events may have named these tables before they were first seen.
            rematch(conn, now())
            rematch_columns(conn, now())
        finish_sync_run(conn, run_id, now(), report)
    return report


def sync_source(store: Store, source: Source, report: SyncReport, progress: SyncProgress) -> None:
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
    progress.source_started(source.name, len(discovery.tables))
    for entry in discovery.tables:
        report.tables += 1
        try:
            result = _sync_table(store, source, source_id, entry, known.get(entry.ref.identifier))
        except LineageError as exc:
            report.errors.append(TableError(str(entry.ref), str(exc)))
            progress.table_done(entry.ref, None, str(exc))
            continue
        if result is not None:
            report.new_snapshots += result.new_snapshots
            report.new_schema_versions += result.new_schema_versions
            report.schema_changes.extend(result.schema_changes)
        progress.table_done(entry.ref, result, None)
    listed = {entry.ref.identifier for entry in discovery.tables}
    for identifier, table in known.items():
        if identifier not in listed and table.dropped_at is None:
            with store.begin() as conn:
                mark_dropped(conn, table.table_id, now())


def _sync_table(
    store: Store, source: Source, source_id: int, entry: TableEntry, known: KnownTable | None
) -> TableSyncResult | None:
    if known is not None and known.dropped_at is not None:
        cursor = None  # listed again after it was seen gone: it may be a new table
    else:
        cursor = known.cursor if known is not None else None
        if known is not None and not source.has_changed(entry, cursor):
            return None
    with collector_paused():
        state = source.read(entry, cursor)
        with store.begin() as conn:
            return apply_table_state(
                conn,
                source_id,
                state,
                now(),
                numbered=source.capabilities.has_schema_ids,
                run_id_keys=source.run_id_keys,
            )
