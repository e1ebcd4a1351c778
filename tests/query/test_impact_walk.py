"""The column impact walk on hand-built levels: no store, only the walk's rules.

The same cases run through both databases in tests/query/test_impact.py and the impact
property test; here each rule is isolated on a graph built by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from temporal_lineage.model import (
    Field,
    Format,
    JobKey,
    NodeRef,
    RunInfo,
    RunState,
    Schema,
    TableRef,
)
from temporal_lineage.query.impact import ImpactLevel, downstream
from temporal_lineage.store import ColumnEdgeRow, StoredTable

T0 = datetime(2026, 3, 3, tzinfo=UTC)
AS_OF = T0 + timedelta(days=1)


def table(table_id: int, name: str) -> StoredTable:
    return StoredTable(table_id, TableRef("s", name), Format.ICEBERG, f"/w/{name}", None)


def field(field_id: int, name: str) -> Field:
    return Field(field_id, (name,), "long", True)


def run(run_id: str, job: str, started: datetime = T0) -> RunInfo:
    return RunInfo(
        run_id, JobKey("j", job), RunState.COMPLETE, started, started, None, None, None, {}, None
    )


def edge(
    run_id: str, source: StoredTable, name: str, target: StoredTable, out: str
) -> ColumnEdgeRow:
    return ColumnEdgeRow(
        run_id, "facet", "DIRECT", "IDENTITY", source, name, NodeRef(target.ref), target, out
    )


A, B, C = table(1, "a"), table(2, "b"), table(3, "c")
SCHEMAS = {
    1: Schema((field(1, "id"), field(2, "amount"))),
    2: Schema((field(1, "user_id"), field(2, "total"))),
    3: Schema((field(1, "uid"),)),
}


class Graph:
    """Hand-built edges and runs; ``current`` is the run in force of each job."""

    def __init__(self, edges: list[ColumnEdgeRow], runs: list[RunInfo], current: set[str]):
        self.edges, self.runs, self.current = edges, {r.run_id: r for r in runs}, current
        self.loads: list[list[str]] = []

    def load(self, items: Sequence[tuple[StoredTable, Field]]) -> ImpactLevel:
        self.loads.append([f"{t.ref}.{f.dotted_path}" for t, f in items])
        tables = {t.table_id for t, _ in items}
        found = tuple(e for e in self.edges if e.input_table and e.input_table.table_id in tables)
        return ImpactLevel(found, self.runs, frozenset(self.current))


def schema_at(stored: StoredTable, _at: datetime) -> Schema | None:
    return SCHEMAS.get(stored.table_id)


def walk(graph: Graph, depth: int = 10) -> list[tuple[str, str, int]]:
    found = downstream(A, field(1, "id"), AS_OF, depth, graph.load, schema_at)
    return [(str(a.node), a.column, a.depth) for a in found]


def test_a_column_is_followed_level_by_level_with_one_load_per_level() -> None:
    graph = Graph(
        [edge("r1", A, "id", B, "user_id"), edge("r2", B, "user_id", C, "uid")],
        [run("r1", "ab"), run("r2", "bc")],
        {"r1", "r2"},
    )
    assert walk(graph) == [("s.b", "user_id", 1), ("s.c", "uid", 2)]
    assert graph.loads == [["s.a.id"], ["s.b.user_id"], ["s.c.uid"]]


def test_only_edges_of_the_runs_in_force_count() -> None:
    graph = Graph(
        [edge("old", A, "id", B, "user_id"), edge("new", A, "amount", B, "total")],
        [run("old", "ab"), run("new", "ab", T0 + timedelta(hours=1))],
        {"new"},
    )
    assert walk(graph) == []  # the job's current run no longer reads a.id


def test_edges_of_other_columns_do_not_count() -> None:
    graph = Graph([edge("r1", A, "amount", B, "total")], [run("r1", "ab")], {"r1"})
    assert walk(graph) == []


def test_depth_bounds_the_walk_and_a_column_is_reached_once() -> None:
    graph = Graph(
        [
            edge("r1", A, "id", B, "user_id"),
            edge("r1", A, "id", B, "user_id"),  # the same column twice
            edge("r2", B, "user_id", C, "uid"),
        ],
        [run("r1", "ab"), run("r2", "bc")],
        {"r1", "r2"},
    )
    assert walk(graph, depth=1) == [("s.b", "user_id", 1)]
    assert len(graph.loads) == 1


def test_an_unstored_output_is_a_leaf_named_as_the_run_said() -> None:
    outside = ColumnEdgeRow(
        "r1", "sql", "DIRECT", None, A, "id", NodeRef(None, "kafka", "users"), None, "user"
    )
    graph = Graph([outside], [run("r1", "ab")], {"r1"})
    assert walk(graph) == [("kafka/users", "user", 1)]
    assert len(graph.loads) == 1
