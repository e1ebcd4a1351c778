"""Root-cause triage: what changed upstream of a table in the window before a time, ranked.

"The dashboard broke at 09:00: what changed upstream before it?" The upstream of T is the
table lineage in force at ``at`` (``lineage.level_hops``), each table with its distance in
hops (0: T itself); its producing jobs are the jobs whose runs wrote those tables. Within
``[at - window, at]`` (as known at K) every candidate is a cause:

- ``new_snapshot``: the commits of an upstream table by one run (one cause per table,
  producing run and kind of commit), with that run and the links' evidence;
- ``schema_change``: a schema version that took effect (its changes listed);
- ``code_change`` / ``parameter_change``: a run of a producing job whose code version or SQL
  / parameters differ from the job's previous run;
- ``failed_run``: a run of a producing job that ended FAIL or ABORT;
- ``late``: an upstream table past its freshness SLA at ``at`` (``freshness.freshness``);
- ``quality_failure``: a failed data-quality result about an upstream table.

Ranking: ``score = weight(kind) x 1 / (1 + distance) x nearness``, highest first, where
``nearness = 1 - 0.5 x (at - time) / window`` (1 at ``at``, 0.5 at the window's start). The
weights say how often a kind breaks a consumer (``WEIGHTS``): a breaking schema change
(dropped, renamed, type changed, moved) 1.0, or 1.5 when column lineage shows a job on the
way to the table reading a changed column, a quality failure 0.9, a failed run 0.85 (0.5
for the table's own job: its failure is most often the breakage being triaged, not its
cause), a code change 0.8, a parameter change 0.7, a late table 0.6, a non-breaking schema change
(added, doc or nullability) 0.5, a new snapshot 0.3, a data-preserving commit (compaction,
restore) 0.1. Ties go to the later cause, then the nearer table. Each cause's ``detail``
spells out its score.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from temporal_lineage.commit_effects import commit_effect
from temporal_lineage.model import (
    ChangeKind,
    Evidence,
    JobKey,
    RunInfo,
    RunState,
    SchemaHistoryEntry,
    StoredSnapshot,
    TableRef,
)
from temporal_lineage.operations_config import FreshnessRule
from temporal_lineage.query.freshness import freshness
from temporal_lineage.query.lineage import level_hops
from temporal_lineage.query.links import Producer, producers_of
from temporal_lineage.store import Store, StoredTable, StoreReader
from temporal_lineage.store.quality_reads import QualityFact
from temporal_lineage.times import format_time

MAX_DEPTH = 20
"""Lineage hops followed upstream."""


class CauseKind(StrEnum):
    """What kind of change a cause is."""

    NEW_SNAPSHOT = "new_snapshot"
    SCHEMA_CHANGE = "schema_change"
    CODE_CHANGE = "code_change"
    PARAMETER_CHANGE = "parameter_change"
    FAILED_RUN = "failed_run"
    LATE = "late"
    QUALITY_FAILURE = "quality_failure"


WEIGHTS: Mapping[str, float] = {
    "schema_change.consumed": 1.5,
    "schema_change": 1.0,
    "quality_failure": 0.9,
    "failed_run": 0.85,
    "failed_run.own": 0.5,
    "code_change": 0.8,
    "parameter_change": 0.7,
    "late": 0.6,
    "schema_change.additive": 0.5,
    "new_snapshot": 0.3,
    "new_snapshot.data_preserving": 0.1,
}
"""The weight of each kind (and of the milder variants of two of them)."""

_BREAKING = {ChangeKind.DROPPED, ChangeKind.RENAMED, ChangeKind.TYPE_CHANGED, ChangeKind.MOVED}


@dataclass(frozen=True)
class Clue:
    """One piece of evidence of a cause: where the fact comes from and what it says."""

    kind: str
    detail: str


@dataclass(frozen=True)
class Cause:
    """One candidate cause, scored."""

    kind: CauseKind
    table: TableRef | None
    snapshot: int | None
    run_id: str | None
    job: JobKey | None
    at: datetime
    distance: int
    score: float
    detail: str
    evidence: tuple[Clue, ...]


@dataclass(frozen=True)
class Triage:
    """The answer of ``triage TABLE --at A``: causes ranked, best first."""

    table: TableRef
    at: datetime
    window: timedelta
    known_at: datetime | None
    causes: tuple[Cause, ...]
    upstream: tuple[tuple[TableRef, int], ...]
    """Every table looked at, with its distance (0: the table itself)."""
    late_checked: bool = True
    """Whether freshness rules were given (without them no table can be late)."""


def triage(
    store: Store,
    table: TableRef,
    *,
    at: datetime,
    window: timedelta = timedelta(hours=24),
    known_at: datetime | None = None,
    rules: Sequence[FreshnessRule] = (),
) -> Triage:
    """What changed upstream of ``table`` in ``[at - window, at]``, ranked (module docstring).

    Raises:
        TableNotFound: the store has never seen ``table``.
    """
    start = at - window
    with store.reader() as reader:
        root = reader.get_table(table)
        reach = _upstream(reader, root, at, known_at)
        tables = {i: tb for i, (tb, _) in reach.items()}
        distance = {i: d for i, (_, d) in reach.items()}
        touching = reader.runs_touching(set(tables), "output", known_at)
        jobs = reader.jobs_of_runs({r for runs in touching.values() for r in runs}, known_at)
        job_runs = reader.runs_of_jobs(jobs, known_at) if jobs else {}
        job_distance = _job_distances(touching, job_runs, distance)
        scorer = _Scorer(at, window)
        causes = [
            *_new_snapshots(reader, tables, distance, start, at, known_at, scorer),
            *_schema_changes(reader, tables, distance, start, at, known_at, scorer),
            *_run_changes(job_runs, job_distance, start, at, scorer),
            *_quality_failures(reader, tables, distance, touching, start, at, known_at, scorer),
        ]
    if rules:
        causes.extend(_late(store, table, tables, distance, at, known_at, rules, scorer))
    ranked = sorted(
        causes, key=lambda c: (-c.score, -c.at.timestamp(), c.distance, str(c.table), c.kind)
    )
    upstream = sorted(
        ((tb.ref, distance[i]) for i, tb in tables.items()), key=lambda p: (p[1], str(p[0]))
    )
    return Triage(table, at, window, known_at, tuple(ranked), tuple(upstream), bool(rules))


def _upstream(
    reader: StoreReader, root: StoredTable, at: datetime, known_at: datetime | None
) -> dict[int, tuple[StoredTable, int]]:
    """``root`` and every stored table upstream of it at ``at``, with the distance in hops."""
    found = {root.table_id: (root, 0)}
    frontier = {root.table_id}
    for depth in range(1, MAX_DEPTH + 1):
        following: set[int] = set()
        for hop in level_hops(reader, frontier, True, at, known_at):
            source = hop.source.table
            if source is not None and source.table_id not in found:
                found[source.table_id] = (source, depth)
                following.add(source.table_id)
        if not following:
            break
        frontier = following
    return found


def _job_distances(
    touching: Mapping[int, set[str]],
    job_runs: Mapping[JobKey, Sequence[RunInfo]],
    distance: Mapping[int, int],
) -> dict[JobKey, tuple[int, int]]:
    """Each producing job's (distance, table id): the nearest table it wrote."""
    job_of = {run.run_id: job for job, runs in job_runs.items() for run in runs}
    found: dict[JobKey, tuple[int, int]] = {}
    for table_id, runs in touching.items():
        for run in runs:
            job = job_of.get(run)
            if job is None:
                continue
            here = (distance[table_id], table_id)
            if job not in found or here < found[job]:
                found[job] = here
    return found


def nearness(age: timedelta, window: timedelta) -> float:
    """1 for a cause at ``at``, falling linearly to 0.5 at the window's start.

    >>> day = timedelta(hours=24)
    >>> nearness(timedelta(0), day), nearness(timedelta(hours=12), day)
    (1.0, 0.75)
    """
    span = window.total_seconds() or 1.0
    seconds = min(max(age.total_seconds(), 0.0), span)
    return 1.0 - 0.5 * seconds / span


def score(weight_key: str, distance: int, age: timedelta, window: timedelta) -> float:
    """``WEIGHTS[weight_key] x 1 / (1 + distance) x nearness(age, window)``.

    A column dropped one hop up 2 h before beats a fresh routine commit of the table itself:

    >>> day = timedelta(hours=24)
    >>> drop = score("schema_change", 1, timedelta(hours=2), day)
    >>> drop > score("new_snapshot", 0, timedelta(0), day), round(drop, 3)
    (True, 0.479)
    """
    return WEIGHTS[weight_key] * nearness(age, window) / (1 + distance)


class _Scorer:
    """The documented score, and the sentence that explains it."""

    def __init__(self, at: datetime, window: timedelta) -> None:
        self.at = at
        self.window = window

    def __call__(self, weight_key: str, distance: int, when: datetime) -> tuple[float, str]:
        age = self.at - when
        value = score(weight_key, distance, age, self.window)
        why = (
            f"score {value:.3f} = weight {WEIGHTS[weight_key]} ({weight_key}) x 1/(1+{distance}"
            f" hops) x nearness {nearness(age, self.window):.2f} ({_ago(age)} before at)"
        )
        return round(value, 6), why


def _ago(delta: timedelta) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s"


def _new_snapshots(
    reader: StoreReader,
    tables: Mapping[int, StoredTable],
    distance: Mapping[int, int],
    start: datetime,
    at: datetime,
    known_at: datetime | None,
    scorer: _Scorer,
) -> Iterable[Cause]:
    """One cause per table, producing run and kind of commit (a run's ten commits are one
    change): the latest of them dates it and is its ``snapshot``."""
    found = reader.snapshots_between(list(tables.values()), start, at, known_at)
    wanted = [(tables[i], snaps) for i, snaps in found.items() if snaps]
    links = producers_of(reader, wanted, known_at) if wanted else {}
    for table, snaps in wanted:
        groups: dict[tuple[str | None, bool], list[tuple[StoredSnapshot, Producer | None]]] = {}
        for snap in snaps:
            commit = snap.snapshot
            producer = links.get((table.table_id, commit.snapshot_id))
            keeps = commit_effect(commit.operation, commit.summary).preserves_data
            run_id = producer.run_id if producer is not None else None
            groups.setdefault((run_id, keeps), []).append((snap, producer))
        for (run_id, keeps), members in groups.items():
            yield _new_snapshot(table, run_id, keeps, members, distance[table.table_id], scorer)


def _new_snapshot(
    table: StoredTable,
    run_id: str | None,
    keeps: bool,
    members: Sequence[tuple[StoredSnapshot, Producer | None]],
    distance: int,
    scorer: _Scorer,
) -> Cause:
    latest = max(members, key=lambda m: m[0].snapshot.committed_at)[0].snapshot
    key = "new_snapshot.data_preserving" if keeps else "new_snapshot"
    score, why = scorer(key, distance, latest.committed_at)
    clues: dict[tuple[str, str], Clue] = {}
    for snap, producer in members:
        commit = snap.snapshot
        clue = Clue(
            "snapshot",
            f"{table.ref} snapshot {commit.snapshot_id} committed at "
            f"{format_time(commit.committed_at)} ({commit.operation or 'no operation'})",
        )
        clues[(clue.kind, clue.detail)] = clue
        for evidence in producer.evidence if producer is not None else ():
            clues.setdefault((evidence.kind.value, evidence.detail), Clue(*_pair(evidence)))
    what = "data-preserving commit" if keeps else "new snapshot"
    ids = [m[0].snapshot.snapshot_id for m in members]
    named = f"{what} {ids[0]}" if len(ids) == 1 else f"{len(ids)} {what}s ({ids[0]}..{ids[-1]})"
    by = f" by run {run_id}" if run_id else " (no producing run known)"
    return Cause(
        CauseKind.NEW_SNAPSHOT,
        table.ref,
        latest.snapshot_id,
        run_id,
        None,
        latest.committed_at,
        distance,
        score,
        f"{named} of {table.ref}{by}; {why}",
        tuple(clues.values()),
    )


def _pair(evidence: Evidence) -> tuple[str, str]:
    return evidence.kind.value, evidence.detail


def _schema_changes(
    reader: StoreReader,
    tables: Mapping[int, StoredTable],
    distance: Mapping[int, int],
    start: datetime,
    at: datetime,
    known_at: datetime | None,
    scorer: _Scorer,
) -> Iterable[Cause]:
    found = reader.schema_changes_between(list(tables.values()), start, at, known_at)
    changed = {table_id for table_id, entries in found.items() if entries}
    readers = _column_readers(reader, changed, tables, distance, known_at)
    for table_id, entries in found.items():
        for entry in entries:
            if entry.changes:
                yield _schema_cause(
                    tables[table_id], entry, distance[table_id], scorer, readers.get(table_id, {})
                )


def _column_readers(
    reader: StoreReader,
    table_ids: set[int],
    tables: Mapping[int, StoredTable],
    distance: Mapping[int, int],
    known_at: datetime | None,
) -> dict[int, dict[str, str]]:
    """Per changed table, its columns that column lineage shows being read into a table
    nearer the root (``column -> "table.column"`` of one such reader)."""
    readers: dict[int, dict[str, str]] = {}
    if not table_ids:
        return readers
    for edge in reader.column_edges_from(table_ids, known_at):
        source, target = edge.input_table, edge.output_table
        if source is None or target is None or target.table_id not in tables:
            continue
        if distance[target.table_id] >= distance[source.table_id]:
            continue
        readers.setdefault(source.table_id, {}).setdefault(
            edge.input_field, f"{target.ref}.{edge.output_field}"
        )
    return readers


def _schema_cause(
    table: StoredTable,
    entry: SchemaHistoryEntry,
    distance: int,
    scorer: _Scorer,
    readers: Mapping[str, str],
) -> Cause:
    breaking = [c for c in entry.changes if c.kind in _BREAKING]
    read = next(
        (
            (".".join(c.old_path or c.path), readers[".".join(c.old_path or c.path)])
            for c in breaking
            if ".".join(c.old_path or c.path) in readers
        ),
        None,
    )
    key = (
        "schema_change.consumed"
        if read
        else "schema_change"
        if breaking
        else ("schema_change.additive")
    )
    score, why = scorer(key, distance, entry.effective_at)
    said = [
        f"{c.kind.value} {'.'.join(c.path)}"
        + (f" (was {'.'.join(c.old_path)})" if c.old_path and c.old_path != c.path else "")
        + (f" ({c.old_type} -> {c.new_type})" if c.kind is ChangeKind.TYPE_CHANGED else "")
        for c in entry.changes
    ]
    clues = [
        Clue(
            "schema_history",
            f"schema {entry.schema_id} of {table.ref} effective {format_time(entry.effective_at)}"
            f" (dated by {entry.dated_by.value}): {', '.join(said)}",
        )
    ]
    consumed = ""
    if read:
        consumed = f"; {read[0]} is read into {read[1]} (column lineage)"
        clues.append(Clue("column_lineage", f"{table.ref}.{read[0]} -> {read[1]}"))
    return Cause(
        CauseKind.SCHEMA_CHANGE,
        table.ref,
        entry.snapshot_id,
        None,
        None,
        entry.effective_at,
        distance,
        score,
        f"schema of {table.ref} changed: {', '.join(said)}{consumed}; {why}",
        tuple(clues),
    )


def _run_changes(
    job_runs: Mapping[JobKey, Sequence[RunInfo]],
    job_distance: Mapping[JobKey, tuple[int, int]],
    start: datetime,
    at: datetime,
    scorer: _Scorer,
) -> Iterable[Cause]:
    for job, runs in job_runs.items():
        if job not in job_distance:
            continue
        hops = job_distance[job][0]
        ordered = sorted(
            (r for r in runs if r.started_at is not None and r.started_at <= at),
            key=lambda r: (r.started_at, r.run_id),
        )
        previous: RunInfo | None = None
        for run in ordered:
            assert run.started_at is not None
            if run.started_at >= start:
                yield from _run_causes(job, run, previous, hops, at, scorer)
            if run.job_version is not None:
                previous = run


def _run_causes(
    job: JobKey,
    run: RunInfo,
    previous: RunInfo | None,
    distance: int,
    at: datetime,
    scorer: _Scorer,
) -> Iterable[Cause]:
    assert run.started_at is not None
    if run.state in (RunState.FAIL, RunState.ABORT) and (run.ended_at or run.started_at) <= at:
        when = run.ended_at or run.started_at
        score, why = scorer("failed_run.own" if distance == 0 else "failed_run", distance, when)
        yield Cause(
            CauseKind.FAILED_RUN,
            None,
            None,
            run.run_id,
            job,
            when,
            distance,
            score,
            f"run {run.run_id} of {job} ended {run.state.value}; {why}",
            (Clue("run_event", f"{run.state.value} event at {format_time(when)}"),),
        )
    if previous is None or run.job_version is None:
        return
    code = (run.code_version, run.sql) != (previous.code_version, previous.sql)
    if code:
        score, why = scorer("code_change", distance, run.started_at)
        was = f"code version {previous.code_version} -> {run.code_version}"
        if run.sql != previous.sql:
            was += " (SQL changed)"
        yield Cause(
            CauseKind.CODE_CHANGE,
            None,
            None,
            run.run_id,
            job,
            run.started_at,
            distance,
            score,
            f"{job} ran new code: {was}; {why}",
            _version_clues(run, previous),
        )
    if dict(run.parameters) != dict(previous.parameters):
        changed = sorted(
            k
            for k in set(run.parameters) | set(previous.parameters)
            if run.parameters.get(k) != previous.parameters.get(k)
        )
        said = ", ".join(
            f"{k}: {previous.parameters.get(k)!r} -> {run.parameters.get(k)!r}" for k in changed
        )
        score, why = scorer("parameter_change", distance, run.started_at)
        yield Cause(
            CauseKind.PARAMETER_CHANGE,
            None,
            None,
            run.run_id,
            job,
            run.started_at,
            distance,
            score,
            f"{job} ran with new parameters: {said}; {why}",
            _version_clues(run, previous),
        )


def _version_clues(run: RunInfo, previous: RunInfo) -> tuple[Clue, ...]:
    return (
        Clue("job_version", f"run {run.run_id}: job version {run.job_version}"),
        Clue("job_version", f"previous run {previous.run_id}: job version {previous.job_version}"),
    )


def _quality_failures(
    reader: StoreReader,
    tables: Mapping[int, StoredTable],
    distance: Mapping[int, int],
    touching: Mapping[int, Collection[str]],
    start: datetime,
    at: datetime,
    known_at: datetime | None,
    scorer: _Scorer,
) -> Iterable[Cause]:
    facts = reader.quality_facts(
        list(tables.values()), since=start, until=at, known_at=known_at, failed_only=True
    )
    wrote = {run: table_id for table_id, runs in touching.items() for run in runs}
    unplaced = {f.run_id for f in facts if f.table is None and f.run_id not in wrote}
    read: dict[str, int] = {}
    if unplaced:
        for dataset in reader.run_datasets(unplaced, known_at, "input"):
            if dataset.table is not None and dataset.table.table_id in tables:
                read.setdefault(dataset.run_id, dataset.table.table_id)
    for fact in facts:
        table_id = (
            fact.table.table_id
            if fact.table is not None
            else wrote.get(fact.run_id, read.get(fact.run_id))
        )
        if table_id is None or table_id not in tables:
            continue
        yield _quality_cause(fact, tables[table_id], distance[table_id], scorer)


def _quality_cause(fact: QualityFact, table: StoredTable, distance: int, scorer: _Scorer) -> Cause:
    score, why = scorer("quality_failure", distance, fact.event_time)
    column = f" on column {fact.column}" if fact.column else ""
    return Cause(
        CauseKind.QUALITY_FAILURE,
        table.ref,
        fact.snapshot_id,
        fact.run_id,
        None,
        fact.event_time,
        distance,
        score,
        f"{fact.kind} {fact.check}{column} failed on {table.ref} ({fact.direction} of run "
        f"{fact.run_id}); {why}",
        (
            Clue(
                "quality_fact",
                f"{fact.kind} {fact.check} success=false at "
                f"{format_time(fact.event_time)} in run {fact.run_id}",
            ),
        ),
    )


def _late(
    store: Store,
    table: TableRef,
    tables: Mapping[int, StoredTable],
    distance: Mapping[int, int],
    at: datetime,
    known_at: datetime | None,
    rules: Sequence[FreshnessRule],
    scorer: _Scorer,
) -> Iterable[Cause]:
    by_ref = {str(tb.ref): i for i, tb in tables.items()}
    (item,) = freshness(store, [table], as_of=at, known_at=known_at, rules=rules)
    for late in (item, *item.late_upstream) if item.late else item.late_upstream:
        table_id = by_ref.get(str(late.table))
        if table_id is None or late.sla is None or late.lag is None:
            continue
        since = late.last_commit + late.sla if late.last_commit is not None else at
        score, why = scorer("late", distance[table_id], since)
        last = format_time(late.last_commit) if late.last_commit else "never"
        detail = (
            f"{late.table} is late: last commit {last}, lag {_ago(late.lag)} > SLA "
            f"{_ago(late.sla)}; {why}"
        )
        yield Cause(
            CauseKind.LATE,
            late.table,
            None,
            None,
            None,
            since,
            distance[table_id],
            score,
            detail,
            (Clue("freshness", f"SLA {_ago(late.sla)} from lineage.yaml freshness"),),
        )
