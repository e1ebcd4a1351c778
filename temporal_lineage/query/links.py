"""Links between snapshots and runs, derived from the facts known at a time.

Links are never stored: they are a function of the facts (commits, events) recorded up to
``known_at``, so they are re-derived whatever order those facts arrive in, and an answer
"as known at K" does not change once K is past. Strongest evidence first:
``commit_property`` > ``dataset_version`` > ``inferred``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from temporal_lineage.commit_keys import RUN_ID
from temporal_lineage.model import (
    Evidence,
    EvidenceKind,
    JobKey,
    NodeRef,
    RunInfo,
    RunState,
    StoredSnapshot,
)
from temporal_lineage.store import RunDataset, StoredTable, StoreReader
from temporal_lineage.times import format_time


@dataclass(frozen=True)
class Producer:
    """The run that produced a snapshot, and why we believe it."""

    run_id: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class InputLink:
    """A run read ``snapshot`` of ``node`` (None when the input is no stored table)."""

    node: NodeRef
    table: StoredTable | None
    snapshot: StoredSnapshot | None
    evidence: tuple[Evidence, ...]


def _window_contains(run: RunInfo, instant: datetime) -> bool:
    if run.started_at is None or instant < run.started_at:
        return False
    return run.ended_at is None or instant <= run.ended_at


def producers(
    reader: StoreReader,
    table: StoredTable,
    snapshots: Sequence[StoredSnapshot],
    known_at: datetime | None,
) -> dict[int, Producer]:
    """The producing run of each snapshot of one table that has one."""
    found = producers_of(reader, [(table, snapshots)], known_at)
    return {snapshot_id: p for (_, snapshot_id), p in found.items()}


def producers_of(
    reader: StoreReader,
    wanted: Sequence[tuple[StoredTable, Sequence[StoredSnapshot]]],
    known_at: datetime | None,
) -> dict[tuple[int, int], Producer]:
    """The producing run of each snapshot that has one, by (table id, snapshot id), for
    many tables at once (a fixed number of statements, whatever the number of tables)."""
    by_incarnation: dict[tuple[int, str], list[int]] = {}
    for table, snaps in wanted:
        for snap in snaps:
            key = (table.table_id, snap.incarnation)
            by_incarnation.setdefault(key, []).append(snap.snapshot.snapshot_id)
    keys = reader.snapshot_keys_of(by_incarnation, known_at)
    pairs = {pair for found_keys in keys.values() for pair in found_keys}
    runs_by_key = reader.runs_with_keys(pairs, known_at) if pairs else {}
    candidates = {run for runs in runs_by_key.values() for run in runs}
    infos = reader.run_infos(candidates, known_at) if candidates else {}
    found: dict[tuple[int, int], Producer] = {}
    missing: list[tuple[StoredTable, list[StoredSnapshot]]] = []
    for table, snaps in wanted:
        unlinked = []
        for snap in snaps:
            commit_keys = keys.get((table.table_id, snap.incarnation, snap.snapshot.snapshot_id))
            link = _by_commit(snap, commit_keys or [], runs_by_key, infos)
            if link is not None:
                found[(table.table_id, snap.snapshot.snapshot_id)] = link
            else:
                unlinked.append(snap)
        if unlinked:
            missing.append((table, unlinked))
    if missing:
        found.update(_by_events(reader, missing, known_at))
    return found


def _by_commit(
    snap: StoredSnapshot,
    keys: Sequence[tuple[str, str]],
    runs_by_key: Mapping[tuple[str, str], set[str]],
    infos: Mapping[str, RunInfo],
) -> Producer | None:
    for key, value in keys:
        if key == RUN_ID:
            # The commit names the run itself: a link even before its events arrive.
            return Producer(value, (Evidence(EvidenceKind.COMMIT_PROPERTY, f"run id {value}"),))
        runs = runs_by_key.get((key, value), set())
        if len(runs) > 1:
            runs = {
                r
                for r in runs
                if r in infos and _window_contains(infos[r], snap.snapshot.committed_at)
            }
        if len(runs) == 1:
            (run,) = runs
            detail = f"{key}={value} in the commit and in the run's events"
            return Producer(run, (Evidence(EvidenceKind.COMMIT_PROPERTY, detail),))
    return None


def _by_events(
    reader: StoreReader,
    wanted: Sequence[tuple[StoredTable, Sequence[StoredSnapshot]]],
    known_at: datetime | None,
) -> dict[tuple[int, int], Producer]:
    """Version facets naming the snapshot, else the one run whose window holds the commit."""
    writers = reader.runs_touching([table.table_id for table, _ in wanted], "output", known_at)
    every_writer = {run for runs in writers.values() for run in runs}
    if not every_writer:
        return {}
    outputs = reader.run_datasets(every_writer, known_at, "output")
    infos = reader.run_infos(every_writer, known_at)
    jobs_of = {
        table_id: {infos[r].job for r in runs if r in infos} for table_id, runs in writers.items()
    }
    job_runs = reader.runs_of_jobs({j for jobs in jobs_of.values() for j in jobs}, known_at)
    found: dict[tuple[int, int], Producer] = {}
    for table, snapshots in wanted:
        table_writers = writers.get(table.table_id, set())
        if not table_writers:
            continue
        named: dict[int, str] = {}
        for dataset in outputs:
            if dataset.table is None or dataset.table.table_id != table.table_id:
                continue
            if dataset.run_id in table_writers and dataset.pinned_snapshot is not None:
                named.setdefault(dataset.pinned_snapshot, dataset.run_id)
        candidates = [
            run
            for job in jobs_of.get(table.table_id, set())
            for run in job_runs.get(job, [])
            if run.state is not RunState.FAIL and run.state is not RunState.ABORT
        ]
        for snap in snapshots:
            link = _by_event_facts(table, snap, named, candidates)
            if link is not None:
                found[(table.table_id, snap.snapshot.snapshot_id)] = link
    return found


def _by_event_facts(
    table: StoredTable,
    snap: StoredSnapshot,
    named: Mapping[int, str],
    candidates: Sequence[RunInfo],
) -> Producer | None:
    snapshot_id = snap.snapshot.snapshot_id
    if snapshot_id in named:
        detail = f"version facet of the run's output names snapshot {snapshot_id}"
        return Producer(named[snapshot_id], (Evidence(EvidenceKind.DATASET_VERSION, detail),))
    window = [r for r in candidates if _window_contains(r, snap.snapshot.committed_at)]
    if len(window) != 1:
        return None
    run = window[0]
    detail = (
        f"the only run of a job writing {table.ref} ({run.job}) whose "
        "start..end holds the commit time"
    )
    return Producer(run.run_id, (Evidence(EvidenceKind.INFERRED, detail),))


_InputKey = tuple[str, str, str]
"""(run id, dataset namespace, dataset name): one input of one run."""


def run_inputs(
    reader: StoreReader, runs: Mapping[str, RunInfo], known_at: datetime | None
) -> dict[str, list[InputLink]]:
    """What each run read: a pinned snapshot, else the input's head when the run started."""
    datasets = reader.run_datasets(list(runs), known_at, "input")
    merged: dict[_InputKey, RunDataset] = {}
    for dataset in datasets:
        key = (dataset.run_id, dataset.namespace, dataset.name)
        kept = merged.get(key)
        if kept is None or (kept.pinned_snapshot is None and dataset.pinned_snapshot is not None):
            merged[key] = dataset
    found: dict[str, list[InputLink]] = {run: [] for run in runs}
    # Every pinned snapshot, then every head at run start, in one batched read each.
    pinned: dict[_InputKey, tuple[StoredTable, int, datetime | None]] = {}
    at_start: dict[_InputKey, tuple[StoredTable, datetime]] = {}
    for key, d in merged.items():
        started = runs[d.run_id].started_at
        if d.table is not None and d.pinned_snapshot is not None:
            pinned[key] = (d.table, d.pinned_snapshot, started)
        elif d.table is not None and started is not None:
            at_start[key] = (d.table, started)
    resolved: dict[_InputKey, StoredSnapshot | None] = {
        **dict(zip(pinned, reader.snapshots_before(list(pinned.values()), known_at), strict=True)),
        **dict(zip(at_start, reader.heads_as_of(list(at_start.values()), known_at), strict=True)),
    }
    for key, dataset in merged.items():
        found[dataset.run_id].append(_input_link(dataset, runs[dataset.run_id], resolved.get(key)))
    return found


def _input_link(dataset: RunDataset, run: RunInfo, snap: StoredSnapshot | None) -> InputLink:
    """The link of one input, given the snapshot it resolved to (pinned, or head at start)."""
    table = dataset.table
    if table is None:
        node = NodeRef(None, dataset.namespace, dataset.name)
        return InputLink(node, None, None, ())
    node = NodeRef(table.ref)
    pinned = dataset.pinned_snapshot
    if pinned is not None:
        detail = f"the run's input names snapshot {pinned}"
        return InputLink(node, table, snap, (Evidence(EvidenceKind.DATASET_VERSION, detail),))
    if run.started_at is None:
        return InputLink(node, table, None, ())
    detail = f"no version reported: the input's head at run start {format_time(run.started_at)}"
    return InputLink(node, table, snap, (Evidence(EvidenceKind.INFERRED, detail),))


def jobs_current_run(
    job_runs: Mapping[JobKey, Collection[RunInfo]], as_of: datetime
) -> dict[JobKey, RunInfo]:
    """Each job's definition in force at ``as_of``: its latest run completed by then.

    A job whose latest run failed keeps the definition of its last successful run; a job
    with no completed run yet is defined by its latest started run.
    """
    current: dict[JobKey, RunInfo] = {}
    for job, runs in job_runs.items():
        started = [r for r in runs if r.started_at is not None and r.started_at <= as_of]
        done = [
            r
            for r in started
            if r.state is RunState.COMPLETE and r.ended_at is not None and r.ended_at <= as_of
        ]
        pool = done or started
        if pool:
            current[job] = max(pool, key=lambda r: (r.started_at, r.run_id))
    return current
