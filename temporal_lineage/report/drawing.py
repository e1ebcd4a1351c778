"""The provenance graph as one inline SVG element (boxes for snapshots, arrows for links;
a table's tags, when it has any, written in its boxes under the commit time)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from temporal_lineage.report.evidence import (
    NONE,
    display_value,
    kinds_of,
    normalize_evidence,
)
from temporal_lineage.report.graph_layout import (
    GraphLayout,
    NodeBox,
    Point,
    Spacing,
    layout_graph,
)


@dataclass(frozen=True)
class EdgeStyle:
    """How links of one evidence kind are stroked, in the drawing and its legend."""

    kind: str
    colour: str
    dash: str
    line: str
    width: float
    meaning: str


EDGE_STYLES: tuple[EdgeStyle, ...] = (
    EdgeStyle(
        "commit_property", "#1b7837", "", "solid", 2.0, "run id written in the commit itself"
    ),
    EdgeStyle(
        "dataset_version",
        "#2166ac",
        "",
        "solid",
        2.0,
        "a version facet or commit/scan report names it",
    ),
    EdgeStyle("openlineage_event", "#762a83", "2 3", "dotted", 2.0, "seen in an OpenLineage event"),
    EdgeStyle("inferred", "#d95f02", "7 4", "dashed", 2.0, "inferred from a time window only"),
    EdgeStyle("other", "#555555", "1 3", "dotted", 1.5, "another kind of evidence"),
    EdgeStyle(NONE, "#999999", "1 3", "dotted", 1.5, "no evidence recorded"),
)
"""Strongest first; a link is drawn in the style of the strongest kind it carries."""

_STYLE = {style.kind: style for style in EDGE_STYLES}
_NAME_CHAR = 7.3
_LINE_CHAR = 6.7
_PAD = 10.0
_MIN_WIDTH = 150.0
_MAX_WIDTH = 300.0
_TAG_LINE = 14.0
"""Extra height of a box with a tag line."""
TAG_COLOUR = "#b2182b"
"""The colour of tags, in the drawing and on the page."""


def style_of(kinds: Sequence[str]) -> EdgeStyle:
    """The style for a link whose evidence kinds are given strongest first."""
    return _STYLE.get(kinds[0] if kinds else NONE, _STYLE["other"])


def _num(value: float) -> str:
    """A coordinate as short, exact-enough SVG text (one decimal at most, never exponents).

    >>> _num(12.0), _num(1234567.25), _num(-0.04)
    ('12', '1234567.2', '0')
    """
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _text(value: Any) -> str:
    return escape(display_value(value), quote=True)


def _fit(text: str, chars: int) -> str:
    """Text cut with an ellipsis to at most ``chars`` characters."""
    return text if len(text) <= chars else text[: max(chars - 1, 1)] + "\u2026"


@dataclass(frozen=True)
class SnapshotNode:
    """One box of the drawing: a snapshot, with the provenance row it came from."""

    table: str
    snapshot: str
    committed_at: str
    row: Mapping[str, Any]
    tags: tuple[str, ...] = ()
    """The table's tags as of the time drawn (none: no tag line)."""


def _lines(node: SnapshotNode) -> tuple[str, str, str]:
    return (node.table, f"@ {node.snapshot}", node.committed_at or "committed at unknown")


def _tag_line(node: SnapshotNode) -> str:
    """``tags: a, b`` (empty for an untagged table)."""
    return f"tags: {', '.join(node.tags)}" if node.tags else ""


def _width(node: SnapshotNode) -> float:
    name, snapshot, when = _lines(node)
    line = max(len(snapshot), len(when), len(_tag_line(node)))
    wanted = max(len(name) * _NAME_CHAR, line * _LINE_CHAR) + 2 * _PAD
    return min(max(wanted, _MIN_WIDTH), _MAX_WIDTH)


def _collect(
    provenance: Mapping[str, Any],
    tags: Mapping[str, Sequence[str]],
) -> tuple[dict[str, SnapshotNode], dict[tuple[str, str], list[Mapping[str, Any]]]]:
    """Nodes by key (``n0``, ``n1``, ...) and the links grouped by (source key, target key);
    ``tags``: table -> its tags."""
    nodes: dict[str, SnapshotNode] = {}
    identity: dict[tuple[str, str], str] = {}

    def key_of(table: Any, snapshot: Any, committed_at: Any, row: Mapping[str, Any]) -> str:
        ident = (display_value(table), display_value(snapshot))
        if ident not in identity:
            key = f"n{len(identity)}"
            identity[ident] = key
            held = tuple(tags.get(ident[0], ()))
            nodes[key] = SnapshotNode(ident[0], ident[1], display_value(committed_at), row, held)
        return identity[ident]

    for row in provenance.get("nodes") or ():
        if isinstance(row, Mapping):
            key_of(row.get("table"), row.get("snapshot"), row.get("committed_at"), row)
    links: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for row in provenance.get("edges") or ():
        if not isinstance(row, Mapping):
            continue
        source = key_of(row.get("from_table"), row.get("from_snapshot"), None, {})
        target = key_of(row.get("to_table"), row.get("to_snapshot"), None, {})
        links.setdefault((source, target), []).append(row)
    return nodes, links


def _path(points: Sequence[Point]) -> str:
    """SVG path data: straight through dummy columns, smooth S-curves between layers."""
    (x0, y0), rest = points[0], points[1:]
    parts = [f"M{_num(x0)},{_num(y0)}"]
    px, py = x0, y0
    for x, y in rest:
        if y == py:
            parts.append(f"L{_num(x)},{_num(y)}")
        else:
            bend = (x - px) / 2
            parts.append(
                f"C{_num(px + bend)},{_num(py)} {_num(x - bend)},{_num(y)} {_num(x)},{_num(y)}"
            )
        px, py = x, y
    return " ".join(parts)


def _markers() -> str:
    return "".join(
        f'<marker id="arrow-{style.kind}" viewBox="0 0 10 10" refX="9" refY="5" '
        f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{style.colour}"/></marker>'
        for style in EDGE_STYLES
    )


def _node_svg(node: SnapshotNode, box: NodeBox, is_root: bool) -> str:
    row = node.row
    produced = row.get("run") not in (None, "")
    css = "node root" if is_root else ("node" if produced else "node unproduced")
    fill, stroke, dash, stroke_width = "#ffffff", "#333333", "", 1.2
    if is_root:
        fill, stroke, stroke_width = "#fff4cc", "#9a6b00", 2.2
    elif not produced:
        fill, dash = "#f2f2f2", ' stroke-dasharray="4 3"'
    title = "\n".join(
        f"{label}: {display_value(row.get(field)) or '-'}"
        for label, field in (("run", "run"), ("job", "job"), ("code version", "code_version"))
    )
    name, snapshot, when = _lines(node)
    room = box.width - 2 * _PAD
    x = box.x + _PAD
    tagged = _tag_line(node)
    tag_text = (
        f'<text class="tags" x="{_num(x)}" y="{_num(box.y + 61)}" font-size="10" '
        f'fill="{TAG_COLOUR}">{_text(_fit(tagged, int(room / _LINE_CHAR)))}</text>'
        if tagged
        else ""
    )
    return (
        f'<g class="{css}"><title>{_text(node.table)} @ {_text(node.snapshot)}\n'
        f"committed at: {_text(node.committed_at or '-')}\n{_text(title)}"
        f"{_text(chr(10) + tagged) if tagged else ''}</title>"
        f'<rect x="{_num(box.x)}" y="{_num(box.y)}" width="{_num(box.width)}" '
        f'height="{_num(box.height)}" '
        f'rx="4" fill="{fill}" stroke="{stroke}" stroke-width="{_num(stroke_width)}"{dash}/>'
        f'<text x="{_num(x)}" y="{_num(box.y + 18)}" font-size="12" font-weight="bold">'
        f"{_text(_fit(name, int(room / _NAME_CHAR)))}</text>"
        f'<text x="{_num(x)}" y="{_num(box.y + 33)}" font-size="11">'
        f"{_text(_fit(snapshot, int(room / _LINE_CHAR)))}</text>"
        f'<text x="{_num(x)}" y="{_num(box.y + 47)}" font-size="11" fill="#555555">'
        f"{_text(_fit(when, int(room / _LINE_CHAR)))}</text>{tag_text}</g>"
    )


def _edge_svg(points: Sequence[Point], rows: Sequence[Mapping[str, Any]]) -> str:
    items = tuple(item for row in rows for item in normalize_evidence(row.get("evidence")))
    kinds = kinds_of(items)
    style = style_of(kinds)
    first = rows[0]
    source = snapshot_label(first.get("from_table"), first.get("from_snapshot"))
    target = snapshot_label(first.get("to_table"), first.get("to_snapshot"))
    runs = ", ".join(dict.fromkeys(display_value(row.get("run")) or "-" for row in rows))
    dash = f' stroke-dasharray="{style.dash}"' if style.dash else ""
    return (
        f'<path class="link {style.kind}" d="{_path(points)}" fill="none" '
        f'stroke="{style.colour}" stroke-width="{_num(style.width)}"{dash} '
        f'marker-end="url(#arrow-{style.kind})"><title>{_text(source)} -&gt; {_text(target)}\n'
        f"run: {_text(runs)}\nevidence: {_text(', '.join(kinds))}</title></path>"
    )


def snapshot_label(table: Any, snapshot: Any) -> str:
    """``table@snapshot`` as the report writes a snapshot."""
    return f"{display_value(table)}@{display_value(snapshot)}"


def _layout(nodes: Mapping[str, SnapshotNode], links: Mapping[tuple[str, str], Any]) -> GraphLayout:
    tall = Spacing().node_height + _TAG_LINE
    return layout_graph(
        list(nodes),
        list(links),
        widths={key: _width(node) for key, node in nodes.items()},
        heights={key: tall for key, node in nodes.items() if node.tags},
    )


def provenance_layout(
    provenance: Mapping[str, Any], tags: Mapping[str, Sequence[str]] | None = None
) -> tuple[dict[str, SnapshotNode], GraphLayout]:
    """The layout the drawing uses, keyed ``n0``, ``n1``... in the order snapshots appear
    (``tags``: table -> its tags, which make its boxes a line taller)."""
    nodes, links = _collect(provenance, tags or {})
    return nodes, _layout(nodes, links)


def provenance_svg(
    provenance: Mapping[str, Any],
    *,
    root: str,
    caption: str,
    tags: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """One ``<svg>`` element drawing the provenance graph, sources left and the root right;
    ``tags`` (table -> its tags) are written in the boxes of their tables."""
    nodes, links = _collect(provenance, tags or {})
    if not nodes:
        return (
            f'<svg class="provenance" width="480" height="60" viewBox="0 0 480 60" role="img">'
            f"<title>{_text(caption)}</title>"
            f'<text x="16" y="34" font-size="13">No snapshot of {_text(root)} at that time.'
            "</text></svg>"
        )
    layout = _layout(nodes, links)
    feeding = {route.source for route in layout.routes}
    edges = "".join(
        _edge_svg(route.points, links[(route.source, route.target)]) for route in layout.routes
    )
    boxes = "".join(
        _node_svg(node, layout.boxes[key], node.table == root and key not in feeding)
        for key, node in nodes.items()
    )
    width, height = f"{_num(layout.width)}", f"{_num(layout.height)}"
    return (
        f'<svg class="provenance" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace">'
        f"<title>{_text(caption)}</title><defs>{_markers()}</defs>"
        f'<g class="links">{edges}</g><g class="snapshots">{boxes}</g></svg>'
    )
