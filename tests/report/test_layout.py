"""The layered layout: edges go left to right, boxes never overlap, crossings are reduced."""

from __future__ import annotations

import random

import pytest

from temporal_lineage.report import assign_layers, layout_graph
from temporal_lineage.report.drawing import provenance_layout
from temporal_lineage.report.graph_layout import GraphLayout
from tests.report.graphs import build_provenance, random_provenance


def _random_dag(count: int, seed: int) -> tuple[list[str], list[tuple[str, str]]]:
    chooser = random.Random(seed)
    keys = [f"k{i}" for i in range(count)]
    order = keys[:]
    chooser.shuffle(order)  # node order given to the layout is not a topological order
    edges = [
        (f"k{j}", f"k{i}")
        for i in range(1, count)
        for j in chooser.sample(range(i), min(i, chooser.randint(1, 3)))
    ]
    chooser.shuffle(edges)
    return order, edges


def _assert_no_overlap(layout: GraphLayout) -> None:
    by_layer: dict[int, list[tuple[float, float]]] = {}
    for box in layout.boxes.values():
        by_layer.setdefault(box.layer, []).append((box.y, box.y + box.height))
        assert 0 <= box.x and box.x + box.width <= layout.width
        assert 0 <= box.y and box.y + box.height <= layout.height
    for spans in by_layer.values():
        spans.sort()
        for (_, bottom), (top, _) in zip(spans, spans[1:], strict=False):
            assert bottom <= top


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_edge_goes_to_a_higher_layer(seed: int) -> None:
    keys, edges = _random_dag(200, seed)
    layout = layout_graph(keys, edges)
    assert set(layout.boxes) == set(keys)
    for source, target in edges:
        assert layout.boxes[source].layer < layout.boxes[target].layer
    assert assign_layers(keys, edges) == {k: b.layer for k, b in layout.boxes.items()}
    _assert_no_overlap(layout)


def test_provenance_layout_puts_inputs_left_of_outputs() -> None:
    provenance = random_provenance(200, seed=11)
    nodes, layout = provenance_layout(provenance)
    key_of = {(node.table, node.snapshot): key for key, node in nodes.items()}
    assert len(nodes) == 200
    for link in provenance["edges"]:
        source = layout.boxes[key_of[(link["from_table"], str(link["from_snapshot"]))]]
        target = layout.boxes[key_of[(link["to_table"], str(link["to_snapshot"]))]]
        assert source.layer < target.layer
        assert source.x + source.width < target.x
    _assert_no_overlap(layout)


def test_small_graph_layers_and_root_on_the_right() -> None:
    nodes, layout = provenance_layout(build_provenance())
    layer = {node.table: layout.boxes[key].layer for key, node in nodes.items()}
    assert layer == {
        "lake.raw.events": 0,
        "lake.staging.clean_events": 1,
        "lake.staging.sessions": 1,
        "deltas.users": 1,  # a source sits next to its consumer, not at the far left
        "lake.features.training_set": 2,
    }
    assert layout.crossings == 0


def test_routes_join_the_boxes_they_link() -> None:
    keys, edges = _random_dag(40, 5)
    layout = layout_graph(keys, edges)
    assert len(layout.routes) == len(set(edges))
    for route in layout.routes:
        source, target = layout.boxes[route.source], layout.boxes[route.target]
        (x0, y0), (x1, y1) = route.points[0], route.points[-1]
        assert x0 == pytest.approx(source.x + source.width)
        assert y0 == pytest.approx(source.y + source.height / 2, abs=0.11)
        assert x1 == pytest.approx(target.x)
        assert y1 == pytest.approx(target.y + target.height / 2, abs=0.11)
        xs = [x for x, _ in route.points]
        assert xs == sorted(xs)


def test_barycentre_removes_avoidable_crossings() -> None:
    # given in an order where a->d and b->c cross; a chain keeps the layers apart
    layout = layout_graph(["a", "b", "c", "d"], [("a", "d"), ("b", "c")])
    assert layout.crossings == 0
    assert (layout.boxes["a"].y < layout.boxes["b"].y) == (
        layout.boxes["d"].y < layout.boxes["c"].y
    )
    keys = ["r1", "r2", "r3", "m1", "m2", "m3", "out"]
    edges = [("r1", "m3"), ("r2", "m2"), ("r3", "m1"), ("m1", "out"), ("m2", "out"), ("m3", "out")]
    assert layout_graph(keys, edges).crossings == 0


def test_long_edges_pass_between_boxes() -> None:
    keys = ["a", "b", "c", "d", "e"]
    edges = [("a", "b"), ("b", "c"), ("c", "d"), ("a", "d"), ("e", "c")]
    layout = layout_graph(keys, edges)
    long_route = next(r for r in layout.routes if (r.source, r.target) == ("a", "d"))
    assert len(long_route.points) == 6  # through the columns of b and c
    inner = long_route.points[1:-1]
    for (left, y), (right, same_y) in zip(inner[::2], inner[1::2], strict=True):
        assert y == same_y  # straight across the column
        column = [box for box in layout.boxes.values() if box.x == left]
        assert column and all(box.x + box.width == right for box in column)
        assert all(not box.y <= y <= box.y + box.height for box in column)


def test_cycles_loops_repeats_and_unknown_keys_are_tolerated() -> None:
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("a", "a"), ("a", "b"), ("c", "z")]
    layout = layout_graph(["a", "b", "c"], edges)
    assert set(layout.boxes) == {"a", "b", "c", "z"}
    assert len(layout.routes) == 4
    assert sum(route.reversed for route in layout.routes) == 1
    for route in layout.routes:
        assert layout.boxes[route.source] and layout.boxes[route.target]
    _assert_no_overlap(layout)


def test_empty_and_single_graphs() -> None:
    empty = layout_graph([], [])
    assert empty.boxes == {} and empty.layer_count == 0 and empty.width > 0
    single = layout_graph(["only"], [])
    assert single.boxes["only"].layer == 0 and single.routes == ()


def test_layout_is_deterministic() -> None:
    keys, edges = _random_dag(120, 9)
    assert layout_graph(keys, edges) == layout_graph(list(keys), list(edges))


def test_widths_make_columns() -> None:
    layout = layout_graph(["a", "b", "c"], [("a", "c"), ("b", "c")], widths={"a": 250, "b": 90})
    assert layout.boxes["a"].width == layout.boxes["b"].width == 250
    assert layout.boxes["c"].width == 160  # default
    assert layout.boxes["c"].x > layout.boxes["a"].x + 250
