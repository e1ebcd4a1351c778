"""Table-level lineage as of a time: the edges valid then, reached in one direction or both.

An edge input -> job -> output is valid from the first run that showed it until a later run
of the same job no longer shows it: at a time A, each job is defined by its latest run
completed by A (see ``jobs_current_run``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from temporal_lineage.model import (
    MAIN,
    Evidence,
    EvidenceKind,
    JobKey,
    NodeRef,
    RunInfo,
    StoredSnapshot,
    TableRef,
)
from temporal_lineage.query.links import jobs_current_run
from temporal_lineage.query.refs import snapshot_of_ref
from temporal_lineage.store import RunDataset, Store, StoredTable, StoreReader


class Direction(StrEnum):
    """Which way lineage is followed from the root."""

    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"
    BOTH = "both"


@dataclass(frozen=True)
class LineageNode:
    """A table (with its snapshot at ``as_of``) or a dataset no table matched."""

    node: NodeRef
    snapshot: StoredSnapshot | None


@dataclass(frozen=True)
class LineageEdge:
    """``source`` -> ``job`` -> ``target``, as shown by ``run_id``."""

    source: NodeRef
    target: NodeRef
    job: JobKey
    run_id: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Lineage:
    """The lineage graph of ``root`` as of ``as_of``."""

    root: TableRef
    as_of: datetime
    known_at: datetime | None
    direction: Direction
    depth: int
    nodes: tuple[LineageNode, ...]
    edges: tuple[LineageEdge, ...]
    ref: str = MAIN
    """The branch or tag of the root whose snapshot its node shows."""


def lineage(
    store: Store,
    ref: TableRef,
    as_of: datetime,
    *,
    direction: Direction = Direction.UPSTREAM,
    depth: int = 5,
    known_at: datetime | None = None,
    ref_name: str = MAIN,
) -> Lineage:
    """The lineage of ``ref`` as of ``as_of``, ``depth`` hops in ``direction``.

    ``ref_name``: the root's node shows what that branch or tag pointed at (the other nodes
    their heads).

    Raises:
        TableNotFound: the store has never seen ``ref``.
        RefNotFound: the table never had a ref ``ref_name``.
    """
    with store.reader() as reader:
        root = reader.get_table(ref)
        edges: dict[tuple[str, str, str], LineageEdge] = {}
        tables: dict[int, StoredTable] = {root.table_id: root}
        others: dict[str, NodeRef] = {}
        ways = (
            [Direction.UPSTREAM, Direction.DOWNSTREAM]
            if direction is Direction.BOTH
            else [direction]
        )
        for way in ways:
            _walk(reader, root, way, depth, as_of, known_at, edges, tables, others)
        nodes = [
            LineageNode(
                NodeRef(t.ref),
                snapshot_of_ref(reader, t, ref_name, as_of, known_at)
                if t.table_id == root.table_id
                else reader.head_as_of(t, as_of, known_at),
            )
            for t in sorted(tables.values(), key=lambda t: str(t.ref))
        ]
        nodes += [LineageNode(n, None) for _, n in sorted(others.items())]
    ordered = sorted(edges.values(), key=lambda e: (str(e.source), str(e.target), str(e.job)))
    return Lineage(ref, as_of, known_at, direction, depth, tuple(nodes), tuple(ordered), ref_name)


def _walk(
    reader: StoreReader,
    root: StoredTable,
    way: Direction,
    depth: int,
    as_of: datetime,
    known_at: datetime | None,
    edges: dict[tuple[str, str, str], LineageEdge],
    tables: dict[int, StoredTable],
    others: dict[str, NodeRef],
) -> None:
    upstream = way is Direction.UPSTREAM
    frontier = {root.table_id}
    seen = {root.table_id}
    for _ in range(depth):
        if not frontier:
            return
        following: set[int] = set()
        for hop in level_hops(reader, frontier, upstream, as_of, known_at):
            there = hop.source if upstream else hop.target
            edge = _edge(hop.source, hop.target, hop.run)
            edges.setdefault((str(edge.source), str(edge.target), str(edge.job)), edge)
            if there.table is not None:
                tables.setdefault(there.table.table_id, there.table)
                if there.table.table_id not in seen:
                    following.add(there.table.table_id)
            else:
                node = NodeRef(None, there.namespace, there.name)
                others.setdefault(str(node), node)
        seen |= following
        frontier = following


@dataclass(frozen=True)
class TableHop:
    """One table-level edge in force at a time: ``run`` read ``source`` and wrote ``target``."""

    source: RunDataset
    target: RunDataset
    run: RunInfo


def level_hops(
    reader: StoreReader,
    frontier: Collection[int],
    upstream: bool,
    as_of: datetime,
    known_at: datetime | None,
) -> Iterator[TableHop]:
    """The table-level edges in force at ``as_of`` that end (upstream) or start (downstream)
    at these tables: one level of a lineage walk, read in a fixed number of statements."""
    near = "output" if upstream else "input"
    touching = reader.runs_touching(frontier, near, known_at)
    runs = {r for found in touching.values() for r in found}
    current = _current_runs(reader, runs, as_of, known_at)
    datasets = reader.run_datasets([r.run_id for r in current], known_at)
    for run in current:
        mine = [d for d in datasets if d.run_id == run.run_id]
        near_side = [
            d for d in mine if d.direction == near and d.table and d.table.table_id in frontier
        ]
        far_side = _unique([d for d in mine if d.direction != near])
        for here in near_side:
            for there in far_side:
                if _node(here) == _node(there):
                    continue  # maintenance (compaction) reads and writes one table
                source, target = (there, here) if upstream else (here, there)
                yield TableHop(source, target, run)


def _current_runs(
    reader: StoreReader, runs: Collection[str], as_of: datetime, known_at: datetime | None
) -> list[RunInfo]:
    """The runs that define, at ``as_of``, the jobs these runs belong to."""
    if not runs:
        return []
    jobs = reader.jobs_of_runs(runs, known_at)
    by_job = reader.runs_of_jobs(jobs, known_at)
    current = jobs_current_run(by_job, as_of)
    return sorted(current.values(), key=lambda r: r.run_id)


def _unique(datasets: list[RunDataset]) -> list[RunDataset]:
    kept: dict[tuple[str, str], RunDataset] = {}
    for dataset in datasets:
        kept.setdefault((dataset.namespace, dataset.name), dataset)
    return list(kept.values())


def _node(dataset: RunDataset) -> NodeRef:
    if dataset.table is not None:
        return NodeRef(dataset.table.ref)
    return NodeRef(None, dataset.namespace, dataset.name)


def _edge(source: RunDataset, target: RunDataset, run: RunInfo) -> LineageEdge:
    detail = f"run {run.run_id} of {run.job} read {_node(source)} and wrote {_node(target)}"
    return LineageEdge(
        _node(source),
        _node(target),
        run.job,
        run.run_id,
        (Evidence(EvidenceKind.RUN_EVENT, detail),),
    )


@dataclass(frozen=True)
class Reach:
    """The tables a walk found (by id) and every table-level edge it read on the way."""

    tables: dict[int, StoredTable]
    hops: tuple[TableHop, ...]


def reach(
    reader: StoreReader,
    root: StoredTable,
    upstream: bool,
    as_of: datetime,
    known_at: datetime | None,
    depth: int = 20,
) -> Reach:
    """``root`` and every stored table up- or downstream of it through the table lineage in
    force at ``as_of`` (at most ``depth`` hops), with the edges read: walking upstream, every
    edge into a table found short of ``depth`` hops."""
    found = {root.table_id: root}
    hops: list[TableHop] = []
    frontier = {root.table_id}
    for _ in range(depth):
        following: set[int] = set()
        for hop in level_hops(reader, frontier, upstream, as_of, known_at):
            hops.append(hop)
            table = (hop.source if upstream else hop.target).table
            if table is not None and table.table_id not in found:
                found[table.table_id] = table
                following.add(table.table_id)
        if not following:
            break
        frontier = following
    return Reach(found, tuple(hops))


def reachable(
    reader: StoreReader,
    root: StoredTable,
    upstream: bool,
    as_of: datetime,
    known_at: datetime | None,
    depth: int = 20,
) -> dict[int, StoredTable]:
    """``root`` and every stored table up- or downstream of it through the table lineage in
    force at ``as_of``, by id (at most ``depth`` hops)."""
    return reach(reader, root, upstream, as_of, known_at, depth).tables
