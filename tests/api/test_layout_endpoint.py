"""``POST /api/v1/layout``: the web UI's graph layout, computed by the report's algorithm.

The expected coordinates of ``GRAPH`` are those the browser's own layout (``layout.js``,
since removed) drew, to 0.1: moving the layout to the server kept the UI's look.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from temporal_lineage.api import create_app
from temporal_lineage.api.layout_routes import MAX_BENDS, MAX_NODES
from temporal_lineage.config import Settings
from temporal_lineage.store.tokens import Scope
from tests.api.conftest import make_token

URL = "/api/v1/layout"
SCORES, EVENTS, USERS = "lake.out.scores", "lake.raw.events", "lake.raw.users"
SESSIONS, CLEAN, FEEDBACK = "lake.stage.sessions", "lake.stage.clean", "s3://bucket/feedback"
GRAPH: dict[str, Any] = {
    "nodes": [
        {"id": SCORES, "width": 226.0, "height": 60},
        {"id": EVENTS, "width": 190.0, "height": 60},
        {"id": USERS, "width": 240.0, "height": 60},
        {"id": SESSIONS, "width": 204.4, "height": 60},
        {"id": CLEAN, "width": 190.0, "height": 60},
        {"id": FEEDBACK},  # no size: the UI's default box
    ],
    "edges": [
        {"from": EVENTS, "to": CLEAN},
        {"from": CLEAN, "to": SESSIONS},
        {"from": SESSIONS, "to": SCORES},
        {"from": EVENTS, "to": SCORES},
        {"from": USERS, "to": SCORES},
        {"from": USERS, "to": SESSIONS},
        {"from": SCORES, "to": FEEDBACK},
        {"from": FEEDBACK, "to": CLEAN},  # closes a cycle
        {"from": USERS, "to": USERS},  # a loop: no route
        {"from": EVENTS, "to": CLEAN},  # a repeat: one route
    ],
}
BOXES: dict[str, tuple[float, float, float, float, int]] = {  # x, y, width, height, layer
    SCORES: (874.4, 74.8, 226, 60, 3),
    EVENTS: (24, 120.7, 190, 60, 0),
    USERS: (286, 24, 240, 60, 1),
    SESSIONS: (598, 73.6, 204.4, 60, 2),
    CLEAN: (286, 102, 190, 60, 1),
    FEEDBACK: (1172.4, 96.3, 200, 56, 4),
}
ROUTES: list[tuple[str, str, list[tuple[float, float]], bool]] = [  # from, to, points, reversed
    (EVENTS, CLEAN, [(214, 150.7), (286, 132)], False),
    (CLEAN, SESSIONS, [(476, 132), (598, 103.6)], False),
    (SESSIONS, SCORES, [(802.4, 103.6), (874.4, 104.8)], False),
    (
        EVENTS,
        SCORES,
        [(214, 150.7), (286, 171), (526, 171), (598, 152.6), (802.4, 152.6), (874.4, 104.8)],
        False,
    ),
    (USERS, SCORES, [(526, 54), (598, 64.6), (802.4, 64.6), (874.4, 104.8)], False),
    (USERS, SESSIONS, [(526, 54), (598, 103.6)], False),
    (SCORES, FEEDBACK, [(1100.4, 104.8), (1172.4, 124.3)], False),
    (
        FEEDBACK,
        CLEAN,
        [
            (1172.4, 124.3),
            (1100.4, 143.8),
            (874.4, 143.8),
            (802.4, 142.6),
            (598, 142.6),
            (476, 132),
        ],
        True,
    ),
]
NEAR = 0.051  # both sides round to 0.1


def _app(tmp_path: Path, *, read_open: bool) -> FastAPI:
    return create_app(
        Settings(store_url=f"sqlite:///{tmp_path / 'lineage.db'}"), read_open=read_open
    )


@pytest.fixture
def open_client(tmp_path: Path) -> Iterator[TestClient]:
    """A client of an app over an empty store, reads open."""
    with TestClient(_app(tmp_path, read_open=True)) as client:
        yield client


def test_the_ui_graph_is_laid_out_as_the_browser_did(open_client: TestClient) -> None:
    answer = open_client.post(URL, json=GRAPH)
    assert answer.status_code == 200, answer.text
    layout = answer.json()
    assert [box["id"] for box in layout["boxes"]] == [node["id"] for node in GRAPH["nodes"]]
    for box in layout["boxes"]:
        x, y, width, height, layer = BOXES[box["id"]]
        assert box["layer"] == layer, box
        got = (box["x"], box["y"], box["width"], box["height"])
        assert got == pytest.approx((x, y, width, height), abs=NEAR), box
    assert [(r["from"], r["to"], r["reversed"]) for r in layout["routes"]] == [
        (source, target, flipped) for source, target, _, flipped in ROUTES
    ]
    for route, (_, _, points, _) in zip(layout["routes"], ROUTES, strict=True):
        assert len(route["points"]) == len(points)
        for got_point, point in zip(route["points"], points, strict=True):
            assert got_point == pytest.approx(point, abs=NEAR), route
    assert (layout["width"], layout["height"]) == pytest.approx((1396.4, 204.7), abs=NEAR)
    assert (layout["layers"], layout["crossings"]) == (5, 1)


def test_an_empty_graph_has_an_empty_layout(open_client: TestClient) -> None:
    answer = open_client.post(URL, json={"nodes": []})
    assert answer.status_code == 200
    assert answer.json() == {
        "boxes": [],
        "routes": [],
        "width": 48.0,
        "height": 48.0,
        "layers": 0,
        "crossings": 0,
    }


def _chain(count: int) -> dict[str, Any]:
    nodes = [{"id": f"n{i}"} for i in range(count)]
    edges = [{"from": f"n{i}", "to": f"n{i + 1}"} for i in range(count - 1)]
    return {"nodes": nodes, "edges": edges}


def _long_edges() -> dict[str, Any]:
    """A chain of 1,000 nodes and 100 edges across most of it: ~99,000 bend points."""
    graph = _chain(1000)
    graph["edges"] += [{"from": f"n{a}", "to": f"n{990 + b}"} for a in range(10) for b in range(10)]
    return graph


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            {"nodes": [{"id": "a"}], "edges": [{"from": "a", "to": "b{0}"}]},
            "edges: edge 0 names 'b{0}', which is not one of the nodes",
        ),
        (
            {"nodes": [{"id": "a"}, {"id": "b"}, {"id": "a"}]},
            "nodes: node id 'a' is given twice (nodes 0 and 2)",
        ),
        (
            _chain(MAX_NODES + 1),
            f"nodes: List should have at most {MAX_NODES} items after validation",
        ),
        (_long_edges(), f"bend points, at most {MAX_BENDS}"),
        ({"nodes": [{"id": "a", "width": 0}]}, "nodes.0.width: Input should be greater than 0"),
        ({"nodes": [{"id": "a", "height": "tall"}]}, "nodes.0.height: Input should be a valid"),
        ({"nodes": [{"id": "a", "label": "A"}]}, "nodes.0.label: Extra inputs are not permitted"),
        ({"nodes": [{"id": "a"}], "edges": [{"from": "a"}]}, "edges.0.to: Field required"),
        ({"edges": []}, "nodes: Field required"),
        ([{"id": "a"}], "Input should be a valid dictionary"),
    ],
    ids=[
        "unknown-node",
        "duplicate-node",
        "too-many-nodes",
        "too-many-bends",
        "zero-width",
        "text-height",
        "extra-field",
        "edge-without-target",
        "no-nodes",
        "not-an-object",
    ],
)
def test_bad_graphs_are_a_422_saying_why(open_client: TestClient, body: Any, detail: str) -> None:
    answer = open_client.post(URL, json=body)
    assert answer.status_code == 422, answer.text
    assert detail in answer.json()["detail"]


def test_non_finite_sizes_are_refused(open_client: TestClient) -> None:
    answer = open_client.post(
        URL,
        content=b'{"nodes": [{"id": "a", "width": NaN}]}',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert "nodes.0.width" in answer.json()["detail"]


def test_layout_is_a_read_needing_a_token_unless_reads_are_open(tmp_path: Path) -> None:
    app = _app(tmp_path, read_open=False)
    with TestClient(app) as client:
        store = app.state.lineage.store
        missing = client.post(URL, json=GRAPH)
        assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
        forged = client.post(URL, json=GRAPH, headers={"Authorization": "Bearer tl_0_forged"})
        assert forged.status_code == 401
        for scope in Scope:
            token = make_token(store, scope)
            allowed = client.post(URL, json=GRAPH, headers={"Authorization": f"Bearer {token}"})
            assert allowed.status_code == 200, scope


def test_openapi_documents_the_request_and_the_answer(open_client: TestClient) -> None:
    spec = open_client.get("/openapi.json").json()
    operation = spec["paths"][URL]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/LayoutRequest"}
    assert answer == {"$ref": "#/components/schemas/LayoutAnswer"}
    assert operation["security"] == [{"HTTPBearer": []}]
    schemas = spec["components"]["schemas"]
    assert schemas["LayoutRequest"]["properties"]["nodes"]["maxItems"] == MAX_NODES
    assert set(schemas["LayoutEdge"]["properties"]) == {"from", "to"}
    assert set(schemas["LayoutRoute"]["properties"]) == {"from", "to", "points", "reversed"}
    assert set(schemas["LayoutAnswer"]["required"]) == {
        "boxes",
        "routes",
        "width",
        "height",
        "layers",
        "crossings",
    }
