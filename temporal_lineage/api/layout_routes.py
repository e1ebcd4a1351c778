"""Drawing coordinates of a graph for the web UI: ``POST /api/v1/layout``.

The report's layered layout (``report.graph_layout``) with the UI's spacing, so the
browser only draws; the nodes' sizes come from the client, which knows its fonts.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from temporal_lineage.api.auth import READ
from temporal_lineage.api.responses import problems
from temporal_lineage.api.responses.common import Wire
from temporal_lineage.report.graph_layout import (
    EdgeRoute,
    Method,
    NodeBox,
    Spacing,
    bend_points,
    layout_graph,
)

router = APIRouter(prefix="/api/v1", dependencies=[READ], tags=["layout"])

MAX_NODES = 2_000
"""The most nodes a request may carry."""
MAX_EDGES = 10_000
MAX_BENDS = 20_000
"""The most bend points the long edges may need: it bounds the layout's work (a graph at
all three limits takes about 2 s on one core; 200 tables about 0.2 s)."""
MAX_SIZE = 10_000.0
"""The largest width or height of one box."""

UI_SPACING = Spacing(
    node_height=56.0,
    default_width=200.0,
    layer_gap=72.0,
    node_gap=18.0,
    dummy_gap=8.0,
    margin=24.0,
    dummy_height=2.0,
    min_column_width=40.0,
)
"""The distances of the UI's drawing (a node without a size is 200 x 56)."""
UI_METHOD = Method(
    sources_first=True,
    order_sweeps=24,
    score_every_sweep=True,
    stale_scores=None,
    place_passes=8,
    final_pass_both_ways=True,
    dummy_weight=2.0,
    own_width=True,
)
"""The UI's search: more sweeps than the report's, and boxes keep their own width."""

Size = Annotated[
    float | None, Field(gt=0, le=MAX_SIZE, allow_inf_nan=False, description="In SVG user units")
]


class LayoutNode(BaseModel):
    """One node to place, with the size of its box (defaults: 200 x 56)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(max_length=4096)
    width: Size = None
    height: Size = None


class LayoutEdge(BaseModel):
    """A directed edge between two nodes of the request (loops and repeats are ignored)."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(validation_alias="from", max_length=4096)
    target: str = Field(validation_alias="to", max_length=4096)


class LayoutRequest(BaseModel):
    """The graph to lay out; every edge joins two of its nodes, node ids are distinct."""

    model_config = ConfigDict(extra="forbid")

    nodes: list[LayoutNode] = Field(max_length=MAX_NODES)
    edges: list[LayoutEdge] = Field(default_factory=list, max_length=MAX_EDGES)

    @field_validator("nodes")
    @classmethod
    def _distinct(cls, nodes: list[LayoutNode]) -> list[LayoutNode]:
        first: dict[str, int] = {}
        for number, node in enumerate(nodes):
            if node.id in first:
                raise PydanticCustomError(
                    "duplicate_node",
                    "node id {id} is given twice (nodes {first} and {number})",
                    {"id": repr(node.id), "first": first[node.id], "number": number},
                )
            first[node.id] = number
        return nodes

    @field_validator("edges")
    @classmethod
    def _joined(cls, edges: list[LayoutEdge], info: ValidationInfo) -> list[LayoutEdge]:
        nodes = info.data.get("nodes")
        if nodes is None:  # the nodes are invalid: that error is reported
            return edges
        ids = {node.id for node in nodes}
        for number, edge in enumerate(edges):
            for end in (edge.source, edge.target):
                if end not in ids:
                    raise PydanticCustomError(
                        "unknown_node",
                        "edge {number} names {end}, which is not one of the nodes",
                        {"number": number, "end": repr(end)},
                    )
        return edges


class LayoutBox(Wire):
    """Where a node's box is drawn: top-left corner, size, layer and rank in the layer."""

    id: str
    x: float
    y: float
    width: float
    height: float
    layer: int
    order: int


class LayoutRoute(Wire):
    """One distinct edge as a polyline from the source's right side to the target's left.

    ``reversed``: the edge closed a cycle and runs right to left (its points still start
    at ``from``).
    """

    source: str = Field(serialization_alias="from")
    target: str = Field(serialization_alias="to")
    points: list[tuple[float, float]]
    reversed: bool


class LayoutAnswer(Wire):
    """The layout: one box per node (in the request's order), one route per distinct edge
    (in the order first given), the canvas size, the layer count and the crossings left."""

    boxes: list[LayoutBox]
    routes: list[LayoutRoute]
    width: float
    height: float
    layers: int
    crossings: int


@router.post(
    "/layout",
    summary="Drawing coordinates of a graph: layers left to right, few crossings",
    responses=problems(401, 403, 422),
)
def layout(graph: LayoutRequest) -> LayoutAnswer:
    """The layered layout the web UI draws (the audit report's algorithm, UI spacing)."""
    keys = [node.id for node in graph.nodes]
    edges = [(edge.source, edge.target) for edge in graph.edges]
    bends = bend_points(keys, edges, method=UI_METHOD)
    if bends > MAX_BENDS:
        raise HTTPException(
            422, f"edges: the graph's long edges need {bends} bend points, at most {MAX_BENDS}"
        )
    done = layout_graph(
        keys,
        edges,
        widths={node.id: node.width for node in graph.nodes if node.width is not None},
        heights={node.id: node.height for node in graph.nodes if node.height is not None},
        spacing=UI_SPACING,
        method=UI_METHOD,
    )
    return LayoutAnswer(
        boxes=[_box(key, done.boxes[key]) for key in keys],
        routes=[_route(route) for route in done.routes],
        width=done.width,
        height=done.height,
        layers=done.layer_count,
        crossings=done.crossings,
    )


def _box(key: str, box: NodeBox) -> LayoutBox:
    return LayoutBox(
        id=key,
        x=box.x,
        y=box.y,
        width=box.width,
        height=box.height,
        layer=box.layer,
        order=box.order,
    )


def _route(route: EdgeRoute) -> LayoutRoute:
    return LayoutRoute(
        source=route.source,
        target=route.target,
        points=list(route.points),
        reversed=route.reversed,
    )
