"""Reading runs, their datasets and the keys that tie commits to runs, as known at a time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from temporal_lineage.model import Format, JobKey, RunInfo, RunState, TableRef
from temporal_lineage.store import tables as t
from temporal_lineage.store.reads import StoredTable, known

_RANK = {"START": 0, "RUNNING": 1, "OTHER": 1, "COMPLETE": 2, "FAIL": 2, "ABORT": 2}


@dataclass(frozen=True)
class RunDataset:
    """A dataset a run said it read or wrote, matched to a table when one is known."""

    run_id: str
    direction: str
    namespace: str
    name: str
    table: StoredTable | None
    version: str | None
    snapshot_id: int | None

    @property
    def pinned_snapshot(self) -> int | None:
        """The snapshot the event names: an Iceberg report, else a numeric version facet."""
        if self.snapshot_id is not None:
            return self.snapshot_id
        if self.version is not None and self.version.strip().lstrip("-").isdigit():
            return int(self.version)
        return None


def _chunks(values: Collection[Any], size: int = 500) -> Iterable[list[Any]]:
    items = list(values)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def run_window(
    events: Collection[tuple[datetime, str]],
) -> tuple[RunState, datetime | None, datetime | None]:
    """A run's state, start and end from its (event time, state) pairs: the state of the
    latest event by event time (a terminal state wins a tie), the first event's time, the
    latest terminal event's time."""
    ordered = sorted(events, key=lambda e: (e[0], _RANK[e[1]]))
    terminal = [e for e in ordered if _RANK[e[1]] == 2]
    latest = terminal[-1] if terminal else (ordered[-1] if ordered else None)
    return (
        RunState(latest[1]) if latest else RunState.OTHER,
        ordered[0][0] if ordered else None,
        terminal[-1][0] if terminal else None,
    )


def run_infos(
    conn: Connection, run_ids: Collection[str], known_at: datetime | None
) -> dict[str, RunInfo]:
    """Each run's job, state, window and code identity from the events known at ``known_at``.

    A run's state is that of its latest event by event time (a terminal state wins a tie), so
    events arriving out of order or twice give the same answer.
    """
    base: dict[str, Any] = {}
    states: dict[str, list[Any]] = defaultdict(list)
    for chunk in _chunks(run_ids):
        for row in conn.execute(
            select(t.runs.c.run_id, t.runs.c.parent_run_id, t.jobs.c.namespace, t.jobs.c.name)
            .join(t.jobs, t.jobs.c.id == t.runs.c.job_id)
            .where(t.runs.c.run_id.in_(chunk), known(t.runs.c.recorded_at, known_at))
        ):
            base[row.run_id] = row
        for row in conn.execute(
            select(
                t.run_states.c.run_id,
                t.run_states.c.state,
                t.run_states.c.event_time,
                t.run_states.c.job_version_id,
            ).where(t.run_states.c.run_id.in_(chunk), known(t.run_states.c.recorded_at, known_at))
        ):
            states[row.run_id].append(row)
    version_ids = {s.job_version_id for rows in states.values() for s in rows if s.job_version_id}
    versions = {}
    if version_ids:
        versions = {
            r.id: r
            for r in conn.execute(
                select(t.job_versions).where(t.job_versions.c.id.in_(version_ids))
            )
        }
    infos: dict[str, RunInfo] = {}
    for run_id, row in base.items():
        events = sorted(states.get(run_id, []), key=lambda s: (s.event_time, _RANK[s.state]))
        state, started_at, ended_at = run_window([(e.event_time, e.state) for e in events])
        version_id = next((s.job_version_id for s in reversed(events) if s.job_version_id), None)
        version = versions.get(version_id) if version_id else None
        infos[run_id] = RunInfo(
            run_id=run_id,
            job=JobKey(row.namespace, row.name),
            state=state,
            started_at=started_at,
            ended_at=ended_at,
            parent_run_id=row.parent_run_id,
            code_version=version.code_version if version else None,
            sql=version.sql if version else None,
            parameters=dict(version.parameters or {}) if version else {},
            job_version=version.fingerprint[:12] if version else None,
        )
    return infos


def stored_tables(conn: Connection, table_ids: Collection[int]) -> dict[int, StoredTable]:
    """Table rows by id."""
    found: dict[int, StoredTable] = {}
    for chunk in _chunks(table_ids):
        for row in conn.execute(
            select(t.tables, t.sources.c.name.label("source_name"))
            .join(t.sources, t.sources.c.id == t.tables.c.source_id)
            .where(t.tables.c.id.in_(chunk))
        ):
            found[row.id] = StoredTable(
                row.id,
                TableRef(row.source_name, row.identifier),
                Format(row.format),
                row.location,
                row.dropped_at,
            )
    return found


def run_datasets(
    conn: Connection,
    run_ids: Collection[str],
    known_at: datetime | None,
    direction: str | None = None,
) -> list[RunDataset]:
    """The datasets these runs read and wrote (a table only once its match was known)."""
    rows: list[Any] = []
    for chunk in _chunks(run_ids):
        query = select(t.run_datasets).where(
            t.run_datasets.c.run_id.in_(chunk), known(t.run_datasets.c.recorded_at, known_at)
        )
        if direction is not None:
            query = query.where(t.run_datasets.c.direction == direction)
        rows.extend(conn.execute(query.order_by(t.run_datasets.c.id)))
    matched = {
        r.table_id
        for r in rows
        if r.table_id is not None and (known_at is None or r.matched_at <= known_at)
    }
    tables = stored_tables(conn, matched)
    return [
        RunDataset(
            run_id=r.run_id,
            direction=r.direction,
            namespace=r.namespace,
            name=r.name,
            table=tables.get(r.table_id) if r.table_id in matched else None,
            version=r.version,
            snapshot_id=r.snapshot_id,
        )
        for r in rows
    ]


def runs_touching(
    conn: Connection, table_ids: Collection[int], direction: str, known_at: datetime | None
) -> dict[int, set[str]]:
    """The runs that read (``input``) or wrote (``output``) each table."""
    found: dict[int, set[str]] = defaultdict(set)
    for chunk in _chunks(table_ids):
        condition = [
            t.run_datasets.c.table_id.in_(chunk),
            t.run_datasets.c.direction == direction,
            known(t.run_datasets.c.recorded_at, known_at),
        ]
        if known_at is not None:
            condition.append(t.run_datasets.c.matched_at <= known_at)
        for row in conn.execute(
            select(t.run_datasets.c.table_id, t.run_datasets.c.run_id).where(*condition).distinct()
        ):
            found[row.table_id].add(row.run_id)
    return found


def runs_of_jobs(
    conn: Connection, jobs: Collection[JobKey], known_at: datetime | None
) -> dict[JobKey, list[RunInfo]]:
    """Every run of these jobs known at ``known_at``."""
    if not jobs:
        return {}
    # Jobs first (their unique index), then runs by job id (ix_runs_job): a row-value IN
    # over (namespace, name) made SQLite scan every run.
    pairs = [(j.namespace, j.name) for j in jobs]
    job_ids = [
        pk
        for chunk in _chunks(pairs, 200)
        for (pk,) in conn.execute(
            select(t.jobs.c.id).where(
                or_(*(and_(t.jobs.c.namespace == ns, t.jobs.c.name == name) for ns, name in chunk))
            )
        )
    ]
    run_ids = [
        r.run_id
        for chunk in _chunks(job_ids)
        for r in conn.execute(
            select(t.runs.c.run_id).where(
                t.runs.c.job_id.in_(chunk), known(t.runs.c.recorded_at, known_at)
            )
        )
    ]
    grouped: dict[JobKey, list[RunInfo]] = defaultdict(list)
    for info in run_infos(conn, run_ids, known_at).values():
        grouped[info.job].append(info)
    return grouped


def snapshot_keys_of(
    conn: Connection,
    wanted: Mapping[tuple[int, str], Collection[int]],
    known_at: datetime | None,
) -> dict[tuple[int, str, int], list[tuple[str, str]]]:
    """``snapshot_keys`` of many (table id, incarnation) -> snapshot ids at once:
    (table id, incarnation, snapshot id) -> the run-naming keys of that commit."""
    found: dict[tuple[int, str, int], list[tuple[str, str]]] = defaultdict(list)
    groups = [(key, list(ids)) for key, ids in wanted.items() if ids]
    for chunk in _chunks(groups, 100):
        condition = or_(
            *(
                and_(
                    t.incarnations.c.table_id == table_id,
                    t.incarnations.c.uuid == incarnation,
                    t.snapshot_keys.c.snapshot_id.in_(ids),
                )
                for (table_id, incarnation), ids in chunk
            )
        )
        for row in conn.execute(
            select(
                t.incarnations.c.table_id,
                t.incarnations.c.uuid,
                t.snapshot_keys.c.snapshot_id,
                t.snapshot_keys.c.key,
                t.snapshot_keys.c.value,
            )
            .join(t.incarnations, t.incarnations.c.id == t.snapshot_keys.c.incarnation_id)
            .where(condition, known(t.snapshot_keys.c.recorded_at, known_at))
            .order_by(t.snapshot_keys.c.id)
        ):
            found[(row.table_id, row.uuid, row.snapshot_id)].append((row.key, row.value))
    return found


def runs_with_keys(
    conn: Connection, keys: Collection[tuple[str, str]], known_at: datetime | None
) -> dict[tuple[str, str], set[str]]:
    """The runs whose events carried these engine ids (or whose id is the value, for run_id)."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    run_id_values = [value for key, value in keys if key == "run_id"]
    for chunk in _chunks(run_id_values):
        for row in conn.execute(
            select(t.runs.c.run_id).where(
                t.runs.c.run_id.in_(chunk), known(t.runs.c.recorded_at, known_at)
            )
        ):
            found[("run_id", row.run_id)].add(row.run_id)
    engine = [(key, value) for key, value in keys if key != "run_id"]
    for chunk in _chunks(engine):
        for row in conn.execute(
            select(t.run_keys.c.key, t.run_keys.c.value, t.run_keys.c.run_id).where(
                or_(*(and_(t.run_keys.c.key == k, t.run_keys.c.value == v) for k, v in chunk)),
                known(t.run_keys.c.recorded_at, known_at),
            )
        ):
            found[(row.key, row.value)].add(row.run_id)
    return found


def jobs_of_runs(
    conn: Connection, run_ids: Collection[str], known_at: datetime | None
) -> set[JobKey]:
    """The jobs these runs belong to (one light query, no states)."""
    found: set[JobKey] = set()
    for chunk in _chunks(run_ids):
        for namespace, name in conn.execute(
            select(t.jobs.c.namespace, t.jobs.c.name)
            .join(t.runs, t.runs.c.job_id == t.jobs.c.id)
            .where(t.runs.c.run_id.in_(chunk), known(t.runs.c.recorded_at, known_at))
            .distinct()
        ):
            found.add(JobKey(namespace, name))
    return found
