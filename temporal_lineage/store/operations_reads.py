"""Reads for freshness and run health: the last commit of many tables as of a time in one
statement, the runs and matched tables the whole store's table graph is made of (without
facets or code identities), and the run facets of a few runs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select

from temporal_lineage.model import JobKey, RunInfo
from temporal_lineage.store import tables as t
from temporal_lineage.store.reads import known
from temporal_lineage.store.run_reads import _chunks, run_window


def last_commits(
    conn: Connection,
    as_of: datetime,
    known_at: datetime | None,
    table_ids: Collection[int] | None = None,
) -> dict[int, datetime | None]:
    """The commit time of each table's head as of ``as_of``, by table id, in one statement
    (per 500 ids when ``table_ids`` is given; None: every table).

    Tables with no head by then are absent; a table dropped by then maps to None. The head
    is the one ``head_as_of`` picks: the latest ``started_at`` <= A, then the latest row.
    """
    if table_ids is not None and not table_ids:
        return {}
    groups = [None] if table_ids is None else list(_chunks(table_ids))
    found: dict[int, datetime | None] = {}
    for chunk in groups:
        found.update(_last_commits(conn, as_of, known_at, chunk))
    return found


def _last_commits(
    conn: Connection, as_of: datetime, known_at: datetime | None, ids: list[int] | None
) -> dict[int, datetime | None]:
    h = t.heads
    condition = [h.c.started_at <= as_of, known(h.c.recorded_at, known_at)]
    if ids is not None:
        condition.append(h.c.table_id.in_(ids))
    latest = (
        select(h.c.table_id, func.max(h.c.started_at).label("started_at"))
        .where(*condition)
        .group_by(h.c.table_id)
        .subquery("latest")
    )
    picked = (
        select(h.c.table_id, func.max(h.c.id).label("head_pk"))
        .join(
            latest,
            and_(h.c.table_id == latest.c.table_id, h.c.started_at == latest.c.started_at),
        )
        .where(known(h.c.recorded_at, known_at))
        .group_by(h.c.table_id)
        .subquery("picked")
    )
    head = h.alias("head")
    s = t.snapshots
    query = select(picked.c.table_id, s.c.committed_at).select_from(
        picked.join(head, head.c.id == picked.c.head_pk).outerjoin(
            s,
            and_(
                s.c.incarnation_id == head.c.incarnation_id,
                s.c.snapshot_id == head.c.snapshot_id,
            ),
        )
    )
    return {row.table_id: row.committed_at for row in conn.execute(query)}


def run_facets(
    conn: Connection, run_ids: Collection[str], known_at: datetime | None
) -> dict[str, list[Mapping[str, Any]]]:
    """The ``run.facets`` of every event of these runs, oldest event first."""
    found: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for chunk in _chunks(run_ids):
        for row in conn.execute(
            select(t.events.c.run_id, t.events.c.raw)
            .where(t.events.c.run_id.in_(chunk), known(t.events.c.recorded_at, known_at))
            .order_by(t.events.c.run_id, t.events.c.event_time, t.events.c.id)
        ):
            run = row.raw.get("run") if isinstance(row.raw, Mapping) else None
            facets = run.get("facets") if isinstance(run, Mapping) else None
            if isinstance(facets, Mapping):
                found[row.run_id].append(facets)
    return found


def run_windows(conn: Connection, known_at: datetime | None) -> dict[JobKey, list[RunInfo]]:
    """Every run of every job with its state and window, without its code identity: what
    ``jobs_current_run`` needs for the whole store, in three light statements.

    State and window follow ``run_infos``: the latest event by event time (a terminal
    state wins a tie), the end is the latest terminal event.
    """
    jobs = {
        row.id: JobKey(row.namespace, row.name)
        for row in conn.execute(select(t.jobs.c.id, t.jobs.c.namespace, t.jobs.c.name))
    }
    runs = {
        row.run_id: row
        for row in conn.execute(
            select(t.runs.c.run_id, t.runs.c.job_id, t.runs.c.parent_run_id).where(
                known(t.runs.c.recorded_at, known_at)
            )
        )
    }
    events: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for row in conn.execute(
        select(t.run_states.c.run_id, t.run_states.c.state, t.run_states.c.event_time).where(
            known(t.run_states.c.recorded_at, known_at)
        )
    ):
        events[row.run_id].append((row.event_time, row.state))
    found: dict[JobKey, list[RunInfo]] = defaultdict(list)
    for run_id, row in runs.items():
        state, started_at, ended_at = run_window(events.get(run_id, ()))
        job = jobs[row.job_id]
        found[job].append(
            RunInfo(
                run_id=run_id,
                job=job,
                state=state,
                started_at=started_at,
                ended_at=ended_at,
                parent_run_id=row.parent_run_id,
                code_version=None,
                sql=None,
                parameters={},
                job_version=None,
            )
        )
    return found


def run_tables(
    conn: Connection, run_ids: Collection[str], known_at: datetime | None
) -> list[tuple[str, str, int]]:
    """(run id, direction, table id) of every dataset of these runs matched to a table
    (as known at ``known_at``), without the datasets' facets."""
    d = t.run_datasets
    found: list[tuple[str, str, int]] = []
    for chunk in _chunks(run_ids):
        condition: list[Any] = [
            d.c.run_id.in_(chunk),
            d.c.table_id.is_not(None),
            known(d.c.recorded_at, known_at),
        ]
        if known_at is not None:
            condition.append(d.c.matched_at <= known_at)
        for row in conn.execute(
            select(d.c.run_id, d.c.direction, d.c.table_id).where(*condition).distinct()
        ):
            found.append((row.run_id, row.direction, row.table_id))
    return found
