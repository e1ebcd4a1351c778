"""Derive the propagation ground truth of schema changes from the story's recorded runs.

The consumers of a changed column are found through the column lineage the runs declared:
for each job, its run in force just before the change (its latest run completed before
it), and among that run's edges those whose input column, resolved with the table's
schema at the run's start, is the changed field. Each consumer column then gets its status
just after the change and just after every later run of its job, up to the first run that
adopts the change (see ``warehouse_fixtures.propagation_records`` for the rules).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from warehouse_fixtures.propagation_records import (
    ADOPTED,
    BROKEN,
    DROPPED,
    PENDING,
    RENAMED,
    DownstreamRecord,
    PropagationRecord,
    StatusRecord,
)
from warehouse_fixtures.run_records import COMPLETE, FAIL, RunRecord
from warehouse_fixtures.timeline import (
    EventRecord,
    SchemaRecord,
    TableTimeline,
    Timeline,
    iso_ms,
    parse_iso_ms,
)

CHANGE_ACTIONS = {"rename_column": RENAMED, "drop_column": DROPPED}
"""The story events that are tracked changes, and the kind of change each is."""


def derive_propagation(
    timeline: Timeline, changes: Sequence[EventRecord]
) -> tuple[PropagationRecord, ...]:
    """The propagation of each change (a ``rename_column`` or ``drop_column`` event).

    Raises:
        ValueError: an event that is neither a rename nor a drop.
    """
    return tuple(_propagation(timeline, event) for event in changes)


def _propagation(timeline: Timeline, event: EventRecord) -> PropagationRecord:
    kind = CHANGE_ACTIONS.get(event.action)
    if kind is None:
        raise ValueError(f"not a tracked schema change: {event.action}")
    old = str(event.details["old"] if kind == RENAMED else event.details["name"])
    new = str(event.details["new"]) if kind == RENAMED else old
    field_id = event.details.get("field_id")
    table = timeline.table(event.table)
    effective = parse_iso_ms(event.at)
    if not any(s.effective_at == event.at for s in table.schemas):
        raise RuntimeError(f"{event.table}: no schema became current at {event.at}")
    downstream: list[DownstreamRecord] = []
    seen: set[tuple[str | None, str]] = set()
    for run in _in_force(timeline.runs, effective):
        for edge in run.column_lineage:
            if edge.input_table != event.table or (edge.table, edge.column) in seen:
                continue
            schema = _schema_at(table, parse_iso_ms(run.started_at or ""))
            field = None if schema is None else schema.field_by_path(edge.input_column)
            if field is None or (
                field.id != field_id if field.id is not None else field.path != old
            ):
                continue
            seen.add((edge.table, edge.column))
            statuses = _statuses(timeline.runs_of(run.job), effective, old)
            downstream.append(DownstreamRecord(edge.table, edge.column, run.job, statuses))
    return PropagationRecord(
        table=event.table,
        change=kind,
        field_id=field_id,
        old_path=old,
        path=new,
        effective_at=event.at,
        downstream=tuple(downstream),
    )


def _in_force(runs: Sequence[RunRecord], before_ms: int) -> list[RunRecord]:
    """Each job's latest run completed before a moment, in start order."""
    latest: dict[str, RunRecord] = {}
    for run in runs:
        if run.state != COMPLETE or run.started_at is None or run.ended_at is None:
            continue
        if parse_iso_ms(run.ended_at) >= before_ms:
            continue
        old = latest.get(run.job)
        if old is None or (old.started_at or "") < run.started_at:
            latest[run.job] = run
    return sorted(latest.values(), key=lambda r: r.started_at or "")


def _schema_at(table: TableTimeline, at_ms: int) -> SchemaRecord | None:
    """The table's schema current at a moment."""
    found = None
    for schema in table.schemas:
        if parse_iso_ms(schema.effective_at) <= at_ms:
            found = schema
    return found


def _statuses(
    job_runs: Sequence[RunRecord], effective_ms: int, old: str
) -> tuple[StatusRecord, ...]:
    """The status just after the change and after each later run, up to the first adoption."""
    since = sorted(
        (r for r in job_runs if parse_iso_ms(r.started_at or "") >= effective_ms),
        key=lambda r: r.started_at or "",
    )
    instants = [effective_ms]
    found = [_status_at(since, effective_ms, old)]
    for run in since:
        instant = parse_iso_ms(run.ended_at or "")
        status = _status_at(since, instant, old)
        instants.append(instant)
        found.append(status)
        if status.status == ADOPTED:
            break
    return tuple(found)


def _status_at(since: Sequence[RunRecord], at_ms: int, old: str) -> StatusRecord:
    """The product's rule: pending, broken or adopted at a moment."""
    as_of = iso_ms(at_ms)
    after = [r for r in since if parse_iso_ms(r.started_at or "") <= at_ms]
    if not after:
        return StatusRecord(as_of, PENDING, ())
    latest = after[-1]
    if latest.ended_at is None or parse_iso_ms(latest.ended_at) > at_ms:
        return StatusRecord(as_of, PENDING, (latest.run_id,))
    failed = tuple(r.run_id for r in after if r.state == FAIL)
    if latest.state == FAIL:
        return StatusRecord(as_of, BROKEN, failed)
    if sql_names(latest.sql, old):
        return StatusRecord(as_of, BROKEN, (latest.run_id,))
    return StatusRecord(as_of, ADOPTED, (*failed, latest.run_id))


def sql_names(sql: str | None, column: str) -> bool:
    """Whether SQL text names a column (as a whole word, case-insensitively).

    >>> sql_names("SELECT f.amount_sum AS total_amount FROM f", "amount_sum")
    True
    >>> sql_names("SELECT f.total_amount FROM f", "amount")
    False
    """
    if not sql:
        return False
    return re.search(rf"(?<![\w]){re.escape(column)}(?![\w])", sql, re.IGNORECASE) is not None
