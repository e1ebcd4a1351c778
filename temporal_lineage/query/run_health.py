"""Run health as of a time: a table's commits and lag over a window with the runs that
produced it, and a job's runs with their durations, failures and retries.

A run's state and end are taken as of A (a run that ended after A was still running then).
Its attempt is the ``try_number`` Airflow puts in the ``airflow`` run facet
(``taskInstance.try_number``); without one, the run's rank among the runs of its job with
the same parent run (or, with no parent, the same ``nominalTime``), by start time.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from temporal_lineage.errors import RunNotFound
from temporal_lineage.model import JobKey, RunInfo, RunState, StoredSnapshot, TableRef, run_duration
from temporal_lineage.operations_config import FreshnessRule
from temporal_lineage.query.freshness import Freshness, freshness
from temporal_lineage.query.links import producers
from temporal_lineage.store import Store, StoreReader

DEFAULT_WINDOW = timedelta(days=30)
_FAILED = {RunState.FAIL, RunState.ABORT}
_ENDED = {RunState.COMPLETE, RunState.FAIL, RunState.ABORT}
_RETRY_SPAN = timedelta(days=2)
"""Tries of one nominal time are looked for among the runs started this close to it."""


@dataclass(frozen=True)
class RunHealth:
    """One run as of A: its state then, its window, how long it took, which attempt it was."""

    run_id: str
    job: JobKey
    state: RunState
    started_at: datetime | None
    ended_at: datetime | None
    attempt: int

    @property
    def duration(self) -> timedelta | None:
        """``run_duration`` of its window as of A."""
        return run_duration(self.started_at, self.ended_at)


@dataclass(frozen=True)
class JobStats:
    """A job's runs in a window: how many, how many failed, retries and durations."""

    job: JobKey
    runs: int
    failed: int
    failure_rate: float | None
    """Failed over ended runs (None: none ended)."""
    retries: int
    """Runs that were a second or later attempt."""
    duration_p50: timedelta | None
    duration_p95: timedelta | None


@dataclass(frozen=True)
class Commit:
    """A snapshot committed in the window, with the run that produced it when one is known."""

    snapshot: StoredSnapshot
    run_id: str | None


@dataclass(frozen=True)
class LagPoint:
    """The lag of the table at an instant (the saw-tooth plotted against the SLA)."""

    at: datetime
    lag: timedelta


@dataclass(frozen=True)
class TableHealth:
    """The answer of ``/tables/{table}/health``."""

    table: TableRef
    as_of: datetime
    window: timedelta
    commits: tuple[Commit, ...]
    freshness: Freshness
    lag_series: tuple[LagPoint, ...]
    runs: tuple[RunHealth, ...]
    jobs: tuple[JobStats, ...]


@dataclass(frozen=True)
class JobHealth:
    """The answer of ``job``: a job's runs in the window and their statistics."""

    job: JobKey
    as_of: datetime
    window: timedelta
    runs: tuple[RunHealth, ...]
    stats: JobStats


def table_health(
    store: Store,
    table: TableRef,
    *,
    as_of: datetime,
    known_at: datetime | None = None,
    window: timedelta = DEFAULT_WINDOW,
    rules: Sequence[FreshnessRule] = (),
) -> TableHealth:
    """Commits, lag and producing runs of ``table`` in the ``window`` before ``as_of``.

    Raises:
        TableNotFound: the store has never seen ``table``.
    """
    (fresh,) = freshness(store, [table], as_of=as_of, known_at=known_at, rules=rules)
    start = as_of - window
    with store.reader() as reader:
        stored = reader.get_table(table)
        snaps = [
            s for s in reader.list_snapshots(stored, known_at) if s.snapshot.committed_at <= as_of
        ]
        recent = [s for s in snaps if s.snapshot.committed_at > start]
        made: dict[tuple[str, int], str] = {}
        for incarnation in {s.incarnation for s in recent}:
            mine = [s for s in recent if s.incarnation == incarnation]
            for snapshot_id, producer in producers(reader, stored, mine, known_at).items():
                made[(incarnation, snapshot_id)] = producer.run_id
        writers = reader.runs_touching([stored.table_id], "output", known_at)
        producing = set(made.values())
        infos = reader.run_infos(producing | writers.get(stored.table_id, set()), known_at)
        in_window = [
            info
            for info in infos.values()
            if _overlaps(info, start, as_of)
            or (info.run_id in producing and (info.started_at or as_of) <= as_of)
        ]
        runs = _health(reader, in_window, as_of, known_at)
    commits = tuple(
        Commit(s, made.get((s.incarnation, s.snapshot.snapshot_id)))
        for s in sorted(recent, key=lambda s: s.snapshot.committed_at)
    )
    return TableHealth(
        table,
        as_of,
        window,
        commits,
        fresh,
        _lag_series(snaps, start, as_of, fresh),
        runs,
        _stats_by_job(runs),
    )


def job_health(
    store: Store,
    job: JobKey | str,
    *,
    as_of: datetime,
    known_at: datetime | None = None,
    window: timedelta = DEFAULT_WINDOW,
) -> JobHealth:
    """The runs of ``job`` (``namespace/name``) in the ``window`` before ``as_of``.

    Raises:
        RunNotFound: no run of this job is known (at ``known_at``).
    """
    start = as_of - window
    with store.reader() as reader:
        key, known = _resolve_job(reader, job, known_at)
        runs = _health(reader, [r for r in known if _overlaps(r, start, as_of)], as_of, known_at)
    return JobHealth(key, as_of, window, runs, _stats(key, runs))


def attempts(
    reader: StoreReader, runs: Collection[RunInfo], known_at: datetime | None
) -> dict[str, int]:
    """The attempt number of each run (1 for a first try), by run id."""
    facets = reader.run_facets([r.run_id for r in runs], known_at)
    found: dict[str, int] = {}
    for run in runs:
        tried = _try_number(facets.get(run.run_id, ()))
        if tried is not None:
            found[run.run_id] = tried
    rest = [r for r in runs if r.run_id not in found]
    keys = {r.run_id: _group_key(r, facets.get(r.run_id, ())) for r in rest}
    grouped = [r for r in rest if keys[r.run_id] is not None]
    found.update({r.run_id: 1 for r in rest if keys[r.run_id] is None})
    if not grouped:
        return found
    siblings = reader.runs_of_jobs({r.job for r in grouped}, known_at)
    others = dict(facets)
    nominal = [r for r in grouped if (keys[r.run_id] or ("",))[0] == "nominal"]
    starts = [r.started_at for r in nominal if r.started_at is not None]
    if starts:
        low, high = min(starts) - _RETRY_SPAN, max(starts) + _RETRY_SPAN
        wanted = {
            s.run_id
            for job in {r.job for r in nominal}
            for s in siblings.get(job, ())
            if s.parent_run_id is None and s.started_at is not None and low <= s.started_at <= high
        }
        others.update(reader.run_facets(wanted - set(others), known_at))
    for run in grouped:
        group = [
            s
            for s in siblings.get(run.job, ())
            if s.started_at is not None
            and _group_key(s, others.get(s.run_id, ())) == keys[run.run_id]
        ]
        ids = [s.run_id for s in sorted(group, key=lambda s: (s.started_at, s.run_id))]
        found[run.run_id] = ids.index(run.run_id) + 1 if run.run_id in ids else 1
    return found


def _try_number(facets: Sequence[Mapping[str, Any]]) -> int | None:
    for facet in reversed(facets):
        airflow = facet.get("airflow")
        instance = airflow.get("taskInstance") if isinstance(airflow, Mapping) else None
        value = instance.get("try_number") if isinstance(instance, Mapping) else None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
    return None


def _group_key(run: RunInfo, facets: Sequence[Mapping[str, Any]]) -> tuple[str, str] | None:
    """The runs that are tries of one piece of work share this key: their parent run, else
    their nominal start time."""
    if run.parent_run_id is not None:
        return ("parent", run.parent_run_id)
    for facet in facets:
        nominal = facet.get("nominalTime")
        start = nominal.get("nominalStartTime") if isinstance(nominal, Mapping) else None
        if isinstance(start, str) and start:
            return ("nominal", start)
    return None


def _resolve_job(
    reader: StoreReader, job: JobKey | str, known_at: datetime | None
) -> tuple[JobKey, list[RunInfo]]:
    """The job named ``namespace/name`` (either part may hold a ``/``: the split that names
    a known job wins, leftmost first) and its runs."""
    text = str(job)
    candidates = (
        [job]
        if isinstance(job, JobKey)
        else [JobKey(text[:i], text[i + 1 :]) for i, c in enumerate(text) if c == "/"]
    )
    found = reader.runs_of_jobs([c for c in candidates if c.namespace and c.name], known_at)
    for candidate in candidates:
        if found.get(candidate):
            return candidate, found[candidate]
    raise RunNotFound(f"job {text}: no run of this job is known (name it as namespace/name)")


def _overlaps(run: RunInfo, start: datetime, end: datetime) -> bool:
    began = run.started_at or run.ended_at
    if began is None or began > end:
        return False
    return (run.ended_at or end) > start


def _health(
    reader: StoreReader, runs: Sequence[RunInfo], as_of: datetime, known_at: datetime | None
) -> tuple[RunHealth, ...]:
    tries = attempts(reader, runs, known_at)
    answer = [_as_of(run, as_of, tries.get(run.run_id, 1)) for run in runs]
    answer.sort(key=lambda r: (r.started_at or r.ended_at or as_of, r.run_id))
    return tuple(answer)


def _as_of(run: RunInfo, as_of: datetime, attempt: int) -> RunHealth:
    if run.ended_at is not None and run.ended_at > as_of:
        return RunHealth(run.run_id, run.job, RunState.RUNNING, run.started_at, None, attempt)
    return RunHealth(run.run_id, run.job, run.state, run.started_at, run.ended_at, attempt)


def _stats_by_job(runs: Sequence[RunHealth]) -> tuple[JobStats, ...]:
    jobs = sorted({r.job for r in runs}, key=str)
    return tuple(_stats(job, [r for r in runs if r.job == job]) for job in jobs)


def _stats(job: JobKey, runs: Sequence[RunHealth]) -> JobStats:
    ended = [r for r in runs if r.state in _ENDED]
    failed = sum(r.state in _FAILED for r in runs)
    durations = sorted(d for r in ended if (d := r.duration) is not None)
    return JobStats(
        job=job,
        runs=len(runs),
        failed=failed,
        failure_rate=failed / len(ended) if ended else None,
        retries=sum(r.attempt > 1 for r in runs),
        duration_p50=percentile(durations, 0.5),
        duration_p95=percentile(durations, 0.95),
    )


def percentile(ordered: Sequence[timedelta], q: float) -> timedelta | None:
    """The ``q`` quantile of sorted durations, linearly interpolated (None when empty).

    >>> percentile([timedelta(seconds=s) for s in (1, 2, 3, 10)], 0.5).total_seconds()
    2.5
    """
    if not ordered:
        return None
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _lag_series(
    snaps: Sequence[StoredSnapshot], start: datetime, as_of: datetime, fresh: Freshness
) -> tuple[LagPoint, ...]:
    """Lag just before and at each main-branch commit in the window, then at ``as_of``."""
    main = sorted(
        (s for s in snaps if s.snapshot.branch is None), key=lambda s: s.snapshot.committed_at
    )
    points: list[LagPoint] = []
    previous: datetime | None = None
    for snap in main:
        at = snap.snapshot.committed_at
        if at > start:
            if previous is not None:
                points.append(LagPoint(at, max(at - previous, timedelta(0))))
            points.append(LagPoint(at, timedelta(0)))
        previous = at if previous is None else max(previous, at)
    if fresh.lag is not None:
        points.append(LagPoint(as_of, fresh.lag))
    return tuple(points)
