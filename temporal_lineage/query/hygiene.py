"""``hygiene``: what costs storage and nobody reads, as of A (known at K), over a window W
before A.

- **unused**: tables alive at A with no read in the window (no run input, no Iceberg scan
  report) and no downstream (no run that wrote another dataset in the window read them),
  largest first. Bytes are the head's size at A (Iceberg ``total-files-size``; Delta: the
  sizes of every file added minus removed since the first commit, None when a commit of
  the table was stored without them).
- **redundant**: jobs whose last run in the window read the same tables and has the same
  column lineage (the same output fields from the same input fields, by the same kind of
  transformation) as another job writing different tables: two jobs computing one thing.
- **small_commits**: tables whose data commits in the window number at least
  ``small_commits_min`` and added a median of fewer than ``small_commit_bytes``
  (compaction candidates); maintenance commits (compaction itself) do not count.
- **retained**: per table, the snapshots committed before A minus ``retain`` still readable
  in the source at A (not expired), besides the head and what a branch or tag points at.

Every part is a few whole-store statements (``store/hygiene_reads.py``); reads come from
``query/access.py`` (run inputs and scan reports, one grouped statement each).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporal_lineage.commit_effects import commit_effect
from temporal_lineage.hygiene_config import HygieneConfig
from temporal_lineage.model import JobKey, TableRef
from temporal_lineage.query.access import reads_in_window
from temporal_lineage.store import Store, StoreReader
from temporal_lineage.store.hygiene_reads import (
    DatasetFact,
    EdgeFact,
    HeadFact,
    HygieneReads,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_Key = tuple[str, int | str, str]
"""A dataset: ("table", table id, "") or ("dataset", namespace, name)."""


@dataclass(frozen=True)
class UnusedTable:
    """A table nobody read or built on in the window."""

    table: TableRef
    bytes: int | None
    """Its size at A (None: the summaries do not say)."""
    last_read: datetime | None
    """Its last read at or before A (before the window; None: never)."""
    last_write: datetime | None
    """Its last commit at or before A."""


@dataclass(frozen=True)
class RedundantJobs:
    """Jobs computing the same thing: same inputs, same column lineage, other outputs."""

    jobs: tuple[JobKey, ...]
    inputs: tuple[str, ...]
    """The tables (or datasets, ``namespace/name``) every one of them read."""
    outputs: tuple[str, ...]
    """What they wrote, all of them together."""


@dataclass(frozen=True)
class SmallCommits:
    """A compaction candidate: many data commits in the window, each adding little."""

    table: TableRef
    commits: int
    """Data commits in the window (those adding files)."""
    median_bytes: int
    """The median bytes of data files one of them added."""


@dataclass(frozen=True)
class RetainedSnapshots:
    """Snapshots the source still keeps readable past the retention age."""

    table: TableRef
    snapshots: int
    oldest: datetime
    """The commit time of the oldest of them."""
    max_age: timedelta


@dataclass(frozen=True)
class Hygiene:
    """The answer of ``hygiene``: each list ranked, worst first."""

    as_of: datetime
    window: timedelta
    known_at: datetime | None
    unused: tuple[UnusedTable, ...]
    redundant: tuple[RedundantJobs, ...]
    small_commits: tuple[SmallCommits, ...]
    retained: tuple[RetainedSnapshots, ...]


def hygiene(
    store: Store,
    *,
    as_of: datetime,
    window: timedelta | None = None,
    known_at: datetime | None = None,
    settings: HygieneConfig | None = None,
) -> Hygiene:
    """Unused tables, redundant jobs, small commits and retained snapshots as of A.

    Args:
        window: how far before A reads, runs and commits count (default: the config's).
        settings: the ``hygiene:`` thresholds (default: the built-in ones).
    """
    config = settings or HygieneConfig()
    span = window if window is not None else config.window
    start = as_of - span
    last_read = reads_in_window(store, start=_EPOCH, end=as_of, known_at=known_at)
    with store.reader() as reader:
        reads = reader.hygiene()
        heads = reads.live_heads(as_of, known_at)
        refs = {h.table.table_id: h.table.ref for h in heads}
        runs = _Runs(reads.datasets_of_runs(reads.last_runs(start, as_of, known_at), known_at))
        downstream = reads.downstream_tables(start, as_of, known_at)
        unused = _unused(reads, heads, last_read, downstream, start, as_of, known_at)
        redundant = _redundant(reader, runs, known_at)
        small = _small_commits(reads, refs, start, as_of, known_at, config)
        retained = tuple(
            RetainedSnapshots(refs[r.table_id], r.snapshots, r.oldest, config.retain)
            for r in sorted(
                reads.retained_snapshots(heads, as_of - config.retain, as_of, known_at),
                key=lambda r: (-r.snapshots, r.oldest, str(refs[r.table_id])),
            )
        )
    return Hygiene(as_of, span, known_at, unused, redundant, small, retained)


def _unused(
    reads: HygieneReads,
    heads: Sequence[HeadFact],
    last_read: dict[int, datetime],
    downstream: set[int],
    start: datetime,
    as_of: datetime,
    known_at: datetime | None,
) -> tuple[UnusedTable, ...]:
    idle = [
        h
        for h in heads
        if h.table.table_id not in downstream
        and (h.table.table_id not in last_read or last_read[h.table.table_id] < start)
    ]
    summed = reads.summed_bytes([h for h in idle if h.total_bytes is None], known_at)
    writes = reads.last_commits(as_of, known_at) if idle else {}
    found = [
        UnusedTable(
            h.table.ref,
            h.total_bytes if h.total_bytes is not None else summed.get(h.table.table_id),
            last_read.get(h.table.table_id),
            writes.get(h.table.table_id, h.committed_at),
        )
        for h in idle
    ]
    found.sort(key=lambda u: (u.bytes is None, -(u.bytes or 0), str(u.table)))
    return tuple(found)


def _key(table_id: int | None, namespace: str, name: str) -> _Key:
    return ("table", table_id, "") if table_id is not None else ("dataset", namespace, name)


class _Runs:
    """The runs of the window: what each read and wrote, and each job's last run."""

    def __init__(self, datasets: Iterable[DatasetFact]) -> None:
        self.inputs: dict[str, set[_Key]] = defaultdict(set)
        self.outputs: dict[str, set[_Key]] = defaultdict(set)
        self.jobs: dict[str, JobKey] = {}
        self.last_event: dict[str, datetime] = {}
        for d in datasets:
            side = self.inputs if d.direction == "input" else self.outputs
            side[d.run_id].add(_key(d.table_id, d.namespace, d.name))
            self.jobs[d.run_id] = d.job
            seen = self.last_event.get(d.run_id)
            self.last_event[d.run_id] = d.event_time if seen is None else max(seen, d.event_time)

    def last_run_of_each_job(self) -> dict[JobKey, str]:
        """Each job's last run in the window that wrote something."""
        last: dict[JobKey, str] = {}
        for run in self.outputs:
            job = self.jobs[run]
            best = last.get(job)
            if best is None or (self.last_event[best], best) < (self.last_event[run], run):
                last[job] = run
        return last


def _signature(edges: Iterable[EdgeFact]) -> frozenset[tuple[object, ...]]:
    return frozenset(
        (
            e.output_field,
            _key(e.input_table_id, e.input_namespace, e.input_name),
            e.input_field,
            e.kind,
            e.subtype,
        )
        for e in edges
    )


def _redundant(
    reader: StoreReader, runs: _Runs, known_at: datetime | None
) -> tuple[RedundantJobs, ...]:
    reads = reader.hygiene()
    last = runs.last_run_of_each_job()
    edges: dict[str, list[EdgeFact]] = defaultdict(list)
    for edge in reads.edges_of_runs(set(last.values()), known_at):
        edges[edge.run_id].append(edge)
    groups: dict[tuple[frozenset[_Key], frozenset[tuple[object, ...]]], list[JobKey]] = defaultdict(
        list
    )
    for job, run in last.items():
        signature = _signature(edges.get(run, ()))
        inputs = frozenset(runs.inputs.get(run, ()))
        if signature and inputs:
            groups[(inputs, signature)].append(job)
    alike = [
        (inputs, jobs)
        for (inputs, _), jobs in groups.items()
        if len(jobs) > 1 and len({frozenset(runs.outputs[last[j]]) for j in jobs}) > 1
    ]
    if not alike:
        return ()
    names = _Names(reader, alike, runs, last)
    found = [
        RedundantJobs(
            tuple(sorted(jobs, key=str)),
            tuple(sorted(names.of(k) for k in inputs)),
            tuple(sorted({names.of(k) for j in jobs for k in runs.outputs[last[j]]})),
        )
        for inputs, jobs in alike
    ]
    found.sort(key=lambda r: (-len(r.jobs), r.inputs, [str(j) for j in r.jobs]))
    return tuple(found)


class _Names:
    """How answers name the jobs and datasets of the redundant groups."""

    def __init__(
        self,
        reader: StoreReader,
        alike: Sequence[tuple[frozenset[_Key], list[JobKey]]],
        runs: _Runs,
        last: dict[JobKey, str],
    ) -> None:
        keys = {k for inputs, _ in alike for k in inputs} | {
            k for _, jobs in alike for j in jobs for k in runs.outputs[last[j]]
        }
        ids = {k[1] for k in keys if k[0] == "table" and isinstance(k[1], int)}
        found = reader.stored_tables(ids)
        self.tables = {table_id: str(table.ref) for table_id, table in found.items()}

    def of(self, key: _Key) -> str:
        if key[0] == "table":
            return self.tables.get(int(key[1]), f"table #{key[1]}")
        return f"{key[1]}/{key[2]}"


def _small_commits(
    reads: HygieneReads,
    refs: dict[int, TableRef],
    start: datetime,
    as_of: datetime,
    known_at: datetime | None,
    config: HygieneConfig,
) -> tuple[SmallCommits, ...]:
    skip = {
        operation
        for operation in reads.operations_in(start, as_of, known_at)
        if operation is not None and not commit_effect(operation, {}).data_change
    }  # compaction itself
    found = [
        SmallCommits(refs[row.table_id], row.commits, row.median_bytes)
        for row in reads.small_commits(
            start,
            as_of,
            known_at,
            skip=skip,
            at_least=config.small_commits_min,
            below=config.small_commit_bytes,
        )
        if row.table_id in refs
    ]
    found.sort(key=lambda s: (-s.commits, s.median_bytes, str(s.table)))
    return tuple(found)
