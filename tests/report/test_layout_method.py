"""The layout's choices beyond the report's defaults: per-node sizes, boxes of their own
width, cycles broken from the sources, bend points counted before laying out."""

from __future__ import annotations

import random

import pytest

from temporal_lineage.report.graph_layout import (
    Method,
    Spacing,
    assign_layers,
    bend_points,
    layout_graph,
)


def _random_graph(count: int, seed: int) -> tuple[list[str], list[tuple[str, str]]]:
    """Nodes and edges with cycles, loops and repeats."""
    chooser = random.Random(seed)
    keys = [f"k{i}" for i in range(count)]
    edges = [
        (chooser.choice(keys), chooser.choice(keys))
        for _ in range(chooser.randint(count, 3 * count))
    ]
    return keys, edges


def test_the_default_method_is_the_report_one() -> None:
    keys, edges = _random_graph(60, 4)
    assert layout_graph(keys, edges) == layout_graph(keys, edges, method=Method())


def test_own_width_keeps_each_box_its_width() -> None:
    widths = {"a": 250.0, "b": 90.0}
    column = layout_graph(["a", "b", "c"], [("a", "c"), ("b", "c")], widths=widths)
    own = layout_graph(
        ["a", "b", "c"], [("a", "c"), ("b", "c")], widths=widths, method=Method(own_width=True)
    )
    assert column.boxes["b"].width == 250 and own.boxes["b"].width == 90
    assert own.boxes["c"].x == column.boxes["c"].x  # the column is still as wide as its widest
    start = next(route.points[0] for route in own.routes if route.source == "b")
    assert start[0] == own.boxes["b"].x + 90


def test_heights_are_per_node_and_boxes_never_overlap() -> None:
    keys = ["a", "b", "c", "d"]
    heights = {"a": 100.0, "b": 30.0}
    spacing = Spacing(node_gap=10.0)
    layout = layout_graph(
        keys, [("a", "d"), ("b", "d"), ("c", "d")], heights=heights, spacing=spacing
    )
    assert [layout.boxes[k].height for k in keys] == [100, 30, 54, 54]
    column = sorted((layout.boxes[k] for k in "abc"), key=lambda box: box.y)
    for upper, lower in zip(column, column[1:], strict=False):
        assert upper.y + upper.height + 10 == pytest.approx(lower.y, abs=0.11)


def test_sources_first_reverses_the_edge_that_closes_the_cycle() -> None:
    # given in an order that starts the search inside the cycle b -> c -> b
    keys, edges = ["c", "b", "a"], [("a", "b"), ("b", "c"), ("c", "b")]
    plain = {(r.source, r.target) for r in layout_graph(keys, edges).routes if r.reversed}
    first = Method(sources_first=True)
    ordered = {
        (r.source, r.target) for r in layout_graph(keys, edges, method=first).routes if r.reversed
    }
    assert plain == {("b", "c")} and ordered == {("c", "b")}
    assert assign_layers(keys, edges, method=first) == {"a": 0, "b": 1, "c": 2}


@pytest.mark.parametrize("method", [Method(), Method(sources_first=True)])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bend_points_are_the_inner_points_of_the_routes(method: Method, seed: int) -> None:
    keys, edges = _random_graph(80, seed)
    layout = layout_graph(keys, edges, method=method)
    inner = sum(len(route.points) // 2 - 1 for route in layout.routes)
    assert bend_points(keys, edges, method=method) == inner


def test_dummy_height_keeps_boxes_off_long_edges() -> None:
    keys = ["a", "b", "c", "d", "e"]
    edges = [("a", "b"), ("b", "c"), ("c", "d"), ("a", "d"), ("e", "c")]
    spacing = Spacing(dummy_height=20.0, dummy_gap=8.0)
    layout = layout_graph(keys, edges, spacing=spacing, method=Method(dummy_weight=2.0))
    long_route = next(r for r in layout.routes if (r.source, r.target) == ("a", "d"))
    inner = long_route.points[1:-1]
    assert len(inner) == 4
    for left, y in inner[::2]:
        column = [box for box in layout.boxes.values() if box.x == left]
        assert column
        for box in column:  # the room: half the bend's height and the gap beside a bend
            assert y + 10 + 8 <= box.y + 0.11 or box.y + box.height + 8 + 10 <= y + 0.11


def test_min_column_width() -> None:
    layout = layout_graph(
        ["a", "b"], [("a", "b")], widths={"a": 10.0}, spacing=Spacing(min_column_width=40.0)
    )
    assert layout.boxes["a"].width == 40 and layout.boxes["b"].x == 16 + 40 + 72
