"""Reading who read what: run inputs matched to tables, Iceberg scan reports, the principals
of runs and the columns their column lineage took, as known at a time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from temporal_lineage.model import JobKey
from temporal_lineage.store import tables as t
from temporal_lineage.store.reads import known

ICEBERG_SCAN_REPORT = "icebergScanReport"
VERSION_FACET = "version"


@dataclass(frozen=True)
class InputRead:
    """A run that named a table among its inputs (its events merged)."""

    table_id: int
    run_id: str
    job: JobKey
    at: datetime
    """When the run started (its earliest state event), else the earliest of its events
    naming the input."""
    snapshot_id: int | None
    pinned_by: str | None
    """``icebergScanReport`` or ``version`` (the facet pinning the snapshot), else None."""
    projected_names: tuple[str, ...] | None
    projected_ids: tuple[int, ...] | None


@dataclass(frozen=True)
class ScanRead:
    """An Iceberg scan report received through the REST metrics endpoint."""

    report_id: int
    table_id: int
    at: datetime
    snapshot_id: int | None
    principal: str | None
    field_ids: tuple[int, ...]
    field_names: tuple[str, ...]


@dataclass(frozen=True)
class RunPrincipal:
    """One principal a run's facets name (kind user, engine or owner)."""

    run_id: str
    kind: str
    principal: str
    source: str


def _chunks(values: Iterable[Any], size: int = 500) -> Iterable[list[Any]]:
    items = list(values)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _matched(column: Any, known_at: datetime | None) -> Any:
    return column <= known_at if known_at is not None else column.is_not(None)


def input_reads(
    conn: Connection,
    table_ids: Collection[int],
    start: datetime | None,
    until: datetime | None,
    known_at: datetime | None,
) -> list[InputRead]:
    """Each run that read one of these tables in [start, until]: dated by its start, named
    as an input by an event by ``until``.

    An event naming the input before ``start`` dates the run before it (a run's start is at
    or before each of its events), so only the events from ``start`` on are read."""
    rd, ev = t.run_datasets.c, t.events.c
    query = (
        select(
            rd.table_id,
            rd.run_id,
            rd.snapshot_id,
            rd.version,
            rd.facets,
            ev.event_time,
            t.jobs.c.namespace,
            t.jobs.c.name,
        )
        .join(t.events, ev.id == rd.event_pk)
        .join(t.runs, t.runs.c.run_id == rd.run_id)
        .join(t.jobs, t.jobs.c.id == t.runs.c.job_id)
        .where(
            rd.direction == "input",
            known(rd.recorded_at, known_at),
            _matched(rd.matched_at, known_at),
        )
    )
    if start is not None:
        query = query.where(ev.event_time >= start)
    if until is not None:
        query = query.where(ev.event_time <= until)
    grouped: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for chunk in _chunks(table_ids):
        for row in conn.execute(query.where(rd.table_id.in_(chunk))):
            grouped[(row.table_id, row.run_id)].append(row)
    starts = _run_starts(conn, {run_id for _, run_id in grouped}, known_at)
    reads = [_input_read(rows, starts) for rows in grouped.values()]
    return [r for r in reads if start is None or r.at >= start]


def _run_starts(
    conn: Connection, run_ids: Collection[str], known_at: datetime | None
) -> dict[str, datetime]:
    rs = t.run_states.c
    found: dict[str, datetime] = {}
    for chunk in _chunks(run_ids):
        for run_id, started in conn.execute(
            select(rs.run_id, func.min(rs.event_time))
            .where(rs.run_id.in_(chunk), known(rs.recorded_at, known_at))
            .group_by(rs.run_id)
        ):
            found[run_id] = started
    return found


def _input_read(rows: list[Any], starts: dict[str, datetime]) -> InputRead:
    rows.sort(key=lambda r: r.event_time)
    snapshot_id = pinned_by = None
    names: tuple[str, ...] | None = None
    ids: tuple[int, ...] | None = None
    for row in rows:
        if snapshot_id is None and row.snapshot_id is not None:
            snapshot_id, pinned_by = row.snapshot_id, ICEBERG_SCAN_REPORT
        projected = (row.facets or {}).get("projected")
        if names is None and isinstance(projected, dict) and "names" in projected:
            names = tuple(str(n) for n in projected["names"])
            ids = tuple(int(i) for i in projected["ids"]) if "ids" in projected else None
    if snapshot_id is None:
        for row in rows:
            version = (row.version or "").strip()
            if version.lstrip("-").isdigit():
                snapshot_id, pinned_by = int(version), VERSION_FACET
                break
    first = rows[0]
    started = starts.get(first.run_id)
    return InputRead(
        table_id=first.table_id,
        run_id=first.run_id,
        job=JobKey(first.namespace, first.name),
        at=min(started, first.event_time) if started is not None else first.event_time,
        snapshot_id=snapshot_id,
        pinned_by=pinned_by,
        projected_names=names,
        projected_ids=ids,
    )


def scan_reads(
    conn: Connection,
    table_ids: Collection[int],
    start: datetime | None,
    end: datetime | None,
    known_at: datetime | None,
) -> list[ScanRead]:
    """The scan reports of these tables received in [start, end], oldest first."""
    sr = t.scan_reports.c
    query = select(
        sr.id,
        sr.table_id,
        sr.reported_at,
        sr.snapshot_id,
        sr.principal,
        sr.projected_field_ids,
        sr.projected_field_names,
    ).where(
        sr.report_kind == "scan",
        known(sr.recorded_at, known_at),
        _matched(sr.matched_at, known_at),
    )
    if start is not None:
        query = query.where(sr.reported_at >= start)
    if end is not None:
        query = query.where(sr.reported_at <= end)
    found: list[ScanRead] = []
    for chunk in _chunks(table_ids):
        found.extend(
            ScanRead(
                r.id,
                r.table_id,
                r.reported_at,
                r.snapshot_id,
                r.principal,
                tuple(int(i) for i in r.projected_field_ids or ()),
                tuple(str(n) for n in r.projected_field_names or ()),
            )
            for r in conn.execute(query.where(sr.table_id.in_(chunk)))
        )
    found.sort(key=lambda r: (r.at, r.report_id))
    return found


def run_principals(
    conn: Connection, run_ids: Collection[str], known_at: datetime | None
) -> dict[str, list[RunPrincipal]]:
    """The principals of these runs, in the order they were first stated."""
    rp = t.run_principals.c
    found: dict[str, list[RunPrincipal]] = defaultdict(list)
    for chunk in _chunks(run_ids):
        for r in conn.execute(
            select(rp.run_id, rp.kind, rp.principal, rp.source)
            .where(rp.run_id.in_(chunk), known(rp.recorded_at, known_at))
            .order_by(rp.id)
        ):
            found[r.run_id].append(RunPrincipal(r.run_id, r.kind, r.principal, r.source))
    return found


def column_inputs(
    conn: Connection, table_id: int, run_ids: Collection[str], known_at: datetime | None
) -> dict[str, set[str]]:
    """The input fields of ``table_id`` that these runs' column lineage names, per run."""
    ce = t.column_edges.c
    found: dict[str, set[str]] = defaultdict(set)
    for chunk in _chunks(run_ids):
        for run_id, input_field in conn.execute(
            select(ce.run_id, ce.input_field)
            .where(
                ce.input_table_id == table_id,
                ce.run_id.in_(chunk),
                known(ce.recorded_at, known_at),
                _matched(ce.matched_at, known_at),
            )
            .distinct()
        ):
            found[run_id].add(input_field)
    return found


def last_reads(
    conn: Connection, start: datetime, end: datetime, known_at: datetime | None
) -> dict[int, datetime]:
    """The last read of every table read in [start, end]: a run input's event or a scan
    report (two grouped statements for the whole store)."""
    rd, ev, sr = t.run_datasets.c, t.events.c, t.scan_reports.c
    found: dict[int, datetime] = {}
    inputs = (
        select(rd.table_id, func.max(ev.event_time))
        .join(t.events, ev.id == rd.event_pk)
        .where(
            rd.direction == "input",
            rd.table_id.is_not(None),
            known(rd.recorded_at, known_at),
            _matched(rd.matched_at, known_at),
            ev.event_time >= start,
            ev.event_time <= end,
        )
        .group_by(rd.table_id)
    )
    scans = (
        select(sr.table_id, func.max(sr.reported_at))
        .where(
            sr.report_kind == "scan",
            sr.table_id.is_not(None),
            known(sr.recorded_at, known_at),
            _matched(sr.matched_at, known_at),
            sr.reported_at >= start,
            sr.reported_at <= end,
        )
        .group_by(sr.table_id)
    )
    for query in (inputs, scans):
        for table_id, at in conn.execute(query):
            if table_id not in found or found[table_id] < at:
                found[table_id] = at
    return found
