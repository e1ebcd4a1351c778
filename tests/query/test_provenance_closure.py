"""The provenance walk on hand-built levels: no store, only the closure's rules.

The same cases run through both databases in tests/query/test_lineage.py and the
warehouse conformance tests; here each rule is isolated on a graph built by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from temporal_lineage.model import (
    Evidence,
    EvidenceKind,
    Format,
    JobKey,
    NodeRef,
    RunInfo,
    RunState,
    Snapshot,
    StoredSnapshot,
    TableRef,
)
from temporal_lineage.query.links import InputLink, Producer
from temporal_lineage.query.provenance import Kept, LevelReads, closure
from temporal_lineage.store import StoredTable

T0 = datetime(2026, 3, 3, tzinfo=UTC)
EVIDENCE = (Evidence(EvidenceKind.COMMIT_PROPERTY, "run id"),)


def table(table_id: int, name: str) -> StoredTable:
    return StoredTable(table_id, TableRef("s", name), Format.DELTA, f"/w/{name}", None)


def snap(snapshot_id: int, parent: int | None = None, operation: str = "WRITE") -> StoredSnapshot:
    at = T0 + timedelta(minutes=snapshot_id)
    commit = Snapshot(snapshot_id, parent, at, operation, 0)
    return StoredSnapshot(commit, None, at, "inc")


def run(run_id: str) -> RunInfo:
    return RunInfo(
        run_id, JobKey("j", run_id), RunState.COMPLETE, T0, T0, None, None, None, {}, None
    )


def link(source: StoredTable, at: StoredSnapshot) -> InputLink:
    evidence = (Evidence(EvidenceKind.DATASET_VERSION, "pinned"),)
    return InputLink(NodeRef(source.ref), source, at, evidence)


class Graph:
    """Hand-built facts: who produced which snapshot, what each run read, what is kept."""

    def __init__(
        self,
        produced: Mapping[tuple[int, int], str],
        inputs: Mapping[str, list[InputLink]],
        kept: Mapping[tuple[int, int], Kept] | None = None,
    ) -> None:
        self.produced, self.inputs, self.kept = produced, inputs, kept or {}
        self.loads: list[list[tuple[str, int]]] = []

    def load(self, level: Sequence[tuple[StoredTable, StoredSnapshot]], deeper: bool) -> LevelReads:
        self.loads.append([(str(t.ref), s.snapshot.snapshot_id) for t, s in level])
        keys = [(t.table_id, s.snapshot.snapshot_id) for t, s in level]
        producers = {k: Producer(self.produced[k], EVIDENCE) for k in keys if k in self.produced}
        kept = {
            (str(NodeRef(t.ref)), s.incarnation, s.snapshot.snapshot_id): self.kept[key]
            for (t, s), key in zip(level, keys, strict=True)
            if deeper and key in self.kept
        }
        runs = {p.run_id: run(p.run_id) for p in producers.values()}
        inputs = {r: self.inputs.get(r, []) for r in runs} if deeper else {}
        return LevelReads(producers, kept, runs, inputs)


def names(nodes: Sequence[object]) -> list[tuple[str, int | None, str | None]]:
    return [
        (str(n.node), n.snapshot.snapshot.snapshot_id if n.snapshot else None, n.run_id)  # type: ignore[attr-defined]
        for n in nodes
    ]


A, B, C = table(1, "a"), table(2, "b"), table(3, "c")


def test_a_chain_is_walked_level_by_level_breadth_first() -> None:
    graph = Graph({(1, 5): "ra", (2, 3): "rb"}, {"ra": [link(B, snap(3)), link(C, snap(7))]})
    nodes, edges = closure(A, snap(5), graph.load, max_depth=100)
    assert names(nodes) == [("s.a", 5, "ra"), ("s.b", 3, "rb"), ("s.c", 7, None)]
    assert [(str(e.source), e.source_snapshot, e.run_id) for e in edges] == [
        ("s.b", 3, "ra"),
        ("s.c", 7, "ra"),
    ]
    assert graph.loads == [[("s.a", 5)], [("s.b", 3), ("s.c", 7)]]  # one load per level


def test_a_snapshot_read_twice_is_one_node_with_two_edges() -> None:
    shared = snap(2)
    graph = Graph(
        {(1, 9): "ra", (2, 4): "rb"},
        {"ra": [link(B, snap(4)), link(C, shared)], "rb": [link(C, shared)]},
    )
    nodes, edges = closure(A, snap(9), graph.load, max_depth=100)
    assert [n for n in names(nodes) if n[0] == "s.c"] == [("s.c", 2, None)]
    assert sorted((str(e.source), str(e.target)) for e in edges) == [
        ("s.b", "s.a"),
        ("s.c", "s.a"),
        ("s.c", "s.b"),
    ]


def test_a_compaction_passes_through_to_the_snapshot_whose_data_it_keeps() -> None:
    kept: Kept = ([snap(4)], (Evidence(EvidenceKind.DATA_UNCHANGED, "no rows changed"),))
    graph = Graph(
        {(1, 5): "compact", (1, 4): "ra"},
        {"ra": [link(B, snap(1))]},
        kept={(1, 5): kept},
    )
    nodes, edges = closure(A, snap(5, parent=4, operation="OPTIMIZE"), graph.load, 100)
    compaction = nodes[0]
    assert compaction.run_id is None and compaction.maintenance_run == "compact"
    assert compaction.evidence[0].kind is EvidenceKind.DATA_UNCHANGED
    assert names(nodes) == [("s.a", 5, None), ("s.a", 4, "ra"), ("s.b", 1, None)]
    first = edges[0]
    assert (first.source_snapshot, first.target_snapshot, first.run_id) == (4, 5, "compact")


def test_max_depth_stops_following_inputs_but_keeps_the_producer() -> None:
    graph = Graph(
        {(1, 5): "ra", (2, 3): "rb"}, {"ra": [link(B, snap(3))], "rb": [link(C, snap(1))]}
    )
    nodes, _ = closure(A, snap(5), graph.load, max_depth=1)
    assert names(nodes) == [("s.a", 5, "ra"), ("s.b", 3, "rb")]


def test_an_input_that_is_no_stored_table_is_a_leaf() -> None:
    outside = InputLink(NodeRef(None, "kafka", "events"), None, None, ())
    graph = Graph({(1, 5): "ra"}, {"ra": [outside]})
    nodes, edges = closure(A, snap(5), graph.load, max_depth=100)
    assert names(nodes) == [("s.a", 5, "ra"), ("kafka/events", None, None)]
    assert edges[0].source_snapshot is None and len(graph.loads) == 1
