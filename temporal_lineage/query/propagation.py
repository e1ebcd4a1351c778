"""Has a schema change reached its consumers? adopted, pending or broken, with the runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from temporal_lineage.errors import ColumnNotFound
from temporal_lineage.model import (
    ChangeKind,
    RunInfo,
    RunState,
    SchemaChange,
    TableRef,
    TableSchemaChange,
)
from temporal_lineage.query import history
from temporal_lineage.query.impact import Affected, impact
from temporal_lineage.query.whatif import sql_names
from temporal_lineage.store import Store
from temporal_lineage.times import now

ADOPTED = "adopted"
PENDING = "pending"
BROKEN = "broken"
_BEFORE = timedelta(microseconds=1)


@dataclass(frozen=True)
class Downstream:
    """One downstream column of a change, and whether the change has reached it."""

    affected: Affected
    status: str
    runs: tuple[RunInfo, ...]
    reason: str


@dataclass(frozen=True)
class ChangePropagation:
    """A schema change of the table and its downstream columns."""

    change: SchemaChange
    effective_at: datetime
    downstream: tuple[Downstream, ...]


def propagation(
    store: Store,
    ref: TableRef,
    *,
    since: datetime | None = None,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
) -> list[ChangePropagation]:
    """For every schema change of ``ref`` since ``since``: its consumers' status at ``as_of``.

    ``adopted``: a successful downstream run after the change (whose SQL does not still name a
    renamed or dropped column); ``pending``: no downstream run since the change; ``broken``:
    the latest downstream run after the change failed, or its SQL still names the old column.

    Raises:
        TableNotFound: the store has never seen ``ref``.
    """
    instant = as_of or now()
    found: list[ChangePropagation] = []
    for entry in history.schema_history(store, ref, known_at=known_at):
        if (since is not None and entry.effective_at < since) or entry.effective_at > instant:
            continue
        for change in entry.changes:
            if change.kind is ChangeKind.ADDED or change.old_path is None:
                continue
            before = entry.effective_at - _BEFORE
            try:
                consumers = impact(
                    store, ref, ".".join(change.old_path), as_of=before, known_at=known_at
                )
            except ColumnNotFound:
                continue
            downstream = _statuses(
                store, consumers.affected, change, entry.effective_at, instant, known_at
            )
            found.append(ChangePropagation(change, entry.effective_at, tuple(downstream)))
    return found


def _statuses(
    store: Store,
    affected: tuple[Affected, ...],
    change: SchemaChange,
    effective_at: datetime,
    as_of: datetime,
    known_at: datetime | None,
) -> list[Downstream]:
    with store.reader() as reader:
        by_job = reader.runs_of_jobs({a.job for a in affected}, known_at)
    old_name = change.old_path[-1] if change.old_path else ""
    gone = change.kind in (ChangeKind.RENAMED, ChangeKind.DROPPED)
    out: list[Downstream] = []
    for item in affected:
        after = sorted(
            (
                r
                for r in by_job.get(item.job, [])
                if r.started_at is not None and effective_at <= r.started_at <= as_of
            ),
            key=lambda r: (r.started_at, r.run_id),
        )
        if not after:
            out.append(Downstream(item, PENDING, (), "no run of the consumer since the change"))
            continue
        latest = after[-1]
        failed = tuple(r for r in after if r.state in (RunState.FAIL, RunState.ABORT))
        if latest.state in (RunState.FAIL, RunState.ABORT):
            out.append(Downstream(item, BROKEN, failed, "the latest run since the change failed"))
        elif latest.state is not RunState.COMPLETE:
            out.append(Downstream(item, PENDING, (latest,), "a run since the change is running"))
        elif gone and item.depth == 1 and sql_names(latest.sql, old_name):
            out.append(Downstream(item, BROKEN, (latest,), f"its SQL still names {old_name!r}"))
        else:
            runs = (*failed, latest)
            out.append(Downstream(item, ADOPTED, runs, "a successful run since the change"))
    return out


@dataclass(frozen=True)
class ChangeConsumers:
    """How many downstream columns and tables a new schema change touches."""

    change: TableSchemaChange
    columns: int
    tables: int


def consumers_of(store: Store, changes: Sequence[TableSchemaChange]) -> list[ChangeConsumers]:
    """For each renamed, dropped or retyped field: its downstream just before the change."""
    found: list[ChangeConsumers] = []
    for item in changes:
        change = item.change
        if change.kind is ChangeKind.ADDED or change.old_path is None:
            continue
        try:
            answer = impact(
                store, item.ref, ".".join(change.old_path), as_of=item.effective_at - _BEFORE
            )
        except ColumnNotFound:
            continue
        tables = {str(a.node) for a in answer.affected}
        found.append(ChangeConsumers(item, len(answer.affected), len(tables)))
    return found
