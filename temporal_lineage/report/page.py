"""The audit report as one self-contained HTML page (inline CSS and SVG, no script, no URL):
header, summary, provenance graph, snapshots, links, lineage, classification, policies,
operations (freshness, commit cadence and runs of the root table)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from temporal_lineage import __version__
from temporal_lineage.redaction import redact
from temporal_lineage.report import governance_page, operations_page
from temporal_lineage.report.audit import summarize
from temporal_lineage.report.drawing import (
    EDGE_STYLES,
    TAG_COLOUR,
    provenance_svg,
    snapshot_label,
    style_of,
)
from temporal_lineage.report.evidence import (
    display_value,
    kinds_of,
    normalize_evidence,
    only_inferred,
)
from temporal_lineage.report.html_parts import (
    MISSING,
    cell,
    esc,
    plural,
    rows_of,
    table_html,
)

_CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  margin: 24px; color: #1a1a1a; background: #ffffff; }
h1 { font-size: 22px; margin: 0 0 4px; word-break: break-all; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #dddddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
nav { font-size: 13px; margin: 8px 0 16px; }
nav a { margin-right: 12px; }
code, .mono, td.id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0; }
dl.meta dt { font-weight: 600; color: #444444; }
dl.meta dd { margin: 0; word-break: break-all; }
.summary { border: 1px solid #cccccc; background: #fafafa; padding: 10px 14px; border-radius: 6px; }
.summary ul { margin: 4px 0; padding-left: 20px; }
.warning { border-left: 4px solid #d95f02; background: #fff4e5; padding: 6px 10px; margin: 8px 0; }
.ok { border-left: 4px solid #1b7837; background: #eef7ee; padding: 6px 10px; margin: 8px 0; }
.graph { overflow: auto; max-height: 85vh; border: 1px solid #dddddd; background: #ffffff; }
.graph svg { display: block; }
.legend { list-style: none; padding: 0; margin: 8px 0; font-size: 13px; }
.legend li { display: inline-block; margin: 2px 18px 2px 0; }
.swatch { display: inline-block; width: 36px; height: 0; border-top-width: 3px;
  vertical-align: middle; margin-right: 6px; }
.box { display: inline-block; width: 26px; height: 12px; border: 1px solid #333333;
  vertical-align: middle; margin-right: 6px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0 12px; }
th, td { border: 1px solid #dddddd; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.id { word-break: break-all; }
tr.root td { background: #fff4cc; }
tr.weak td { background: #fff4e5; }
.kind { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 12px;
  border: 1px solid; margin-right: 4px; white-space: nowrap; }
ul.evidence { margin: 0; padding-left: 0; list-style: none; }
ul.evidence li { margin: 1px 0; word-break: break-word; }
.missing { color: #999999; }
footer { margin-top: 32px; font-size: 12px; color: #666666; }
@media print {
  body { margin: 0; font-size: 11px; }
  nav { display: none; }
  .graph { overflow: visible; max-height: none; border: none; }
  .graph svg { max-width: 100%; height: auto; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""


def _kind_badge(kind: str) -> str:
    style = style_of((kind,))
    return (
        f'<span class="kind" style="border-color: {style.colour}; color: {style.colour}">'
        f"{esc(kind)}</span>"
    )


def _evidence_cell(value: Any) -> str:
    items = normalize_evidence(value)
    if not items:
        return f"<td>{_kind_badge('none')}</td>"
    lines = "".join(f"<li>{_kind_badge(item.kind)}{esc(item.detail)}</li>" for item in items)
    return f'<td><ul class="evidence">{lines}</ul></td>'


def _count_list(counts: Any) -> str:
    if not isinstance(counts, Mapping) or not counts:
        return ""
    items = "".join(
        f"<li>{_kind_badge(str(kind))}{esc(count)}</li>" for kind, count in counts.items()
    )
    return f"<ul>{items}</ul>"


def _header(document: Mapping[str, Any]) -> str:
    known_at = document.get("known_at")
    asked = document.get("lineage")
    lineage: Mapping[str, Any] = asked if isinstance(asked, Mapping) else {}
    facts = (
        ("Root table", esc(document.get("root"))),
        ("As of", esc(document.get("as_of"))),
        ("As known at", esc(known_at) if known_at else "latest knowledge (no known-at given)"),
        ("Generated at", esc(document.get("generated_at"))),
        ("Store", esc(redact(display_value(document.get("store"))))),
        (
            "Lineage asked",
            f"direction {esc(lineage.get('direction')) or MISSING}, "
            f"depth {esc(lineage.get('depth')) or 'unlimited'}",
        ),
    )
    rows = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in facts)
    return (
        f"<header><h1>Audit report: {esc(document.get('root'))}</h1>"
        f'<dl class="meta">{rows}</dl></header>'
        '<nav><a href="#summary">Summary</a><a href="#graph">Provenance graph</a>'
        '<a href="#snapshots">Snapshots</a><a href="#links">Links</a>'
        '<a href="#lineage">Lineage</a><a href="#classification">Classification</a>'
        '<a href="#policies">Policies</a>' + operations_page.NAV + "</nav>"
    )


def _summary(document: Mapping[str, Any], summary: Mapping[str, Any]) -> str:
    links = rows_of(document.get("provenance"), "edges")
    weak = [link for link in links if only_inferred(normalize_evidence(link.get("evidence")))]
    lines = [
        f"<li>{plural(summary.get('tables'), 'table')}, "
        f"{plural(summary.get('snapshots'), 'snapshot')}, {plural(summary.get('links'), 'link')}, "
        f"{plural(summary.get('runs'), 'run')}</li>",
        f"<li>Evidence of the links: {_count_list(summary.get('evidence'))}</li>",
        f"<li>Lineage (table level): {plural(summary.get('lineage_tables'), 'table')}, "
        f"{plural(summary.get('lineage_edges'), 'edge')}; evidence: "
        f"{_count_list(summary.get('lineage_evidence'))}</li>",
    ]
    versions = summary.get("code_versions")
    if isinstance(versions, Sequence) and not isinstance(versions, str) and versions:
        codes = "".join(f"<li><code>{esc(version)}</code></li>" for version in versions)
        lines.append(f"<li>Code versions:<ul>{codes}</ul></li>")
    notes: list[str] = []
    if weak:
        shown = ", ".join(
            f"{esc(snapshot_label(link.get('from_table'), link.get('from_snapshot')))} -&gt; "
            f"{esc(snapshot_label(link.get('to_table'), link.get('to_snapshot')))}"
            for link in weak
        )
        notes.append(
            f'<p class="warning"><strong>Warning:</strong> {len(weak)} of '
            f"{plural(len(links), 'link')} "
            f"rest only on <em>inferred</em> evidence (a time window, not a recorded id): "
            f"{shown}</p>"
        )
    no_evidence = summary.get("links_without_evidence")
    if isinstance(no_evidence, int) and no_evidence:
        notes.append(
            f'<p class="warning"><strong>Warning:</strong> links with no evidence at all: '
            f"{no_evidence}.</p>"
        )
    unproduced = summary.get("snapshots_without_run")
    if isinstance(unproduced, int) and unproduced:
        notes.append(
            f'<p class="warning">Snapshots without a known producing run: {unproduced} '
            "(a source, or a write no run was linked to).</p>"
        )
    weak_lineage = summary.get("inferred_only_lineage_edges")
    if isinstance(weak_lineage, int) and weak_lineage:
        notes.append(
            f'<p class="warning">Lineage edges resting only on inferred evidence: '
            f"{weak_lineage}.</p>"
        )
    if not notes and links:
        notes.append('<p class="ok">Every link carries recorded (not only inferred) evidence.</p>')
    governed, warnings = governance_page.governance_summary(document)
    lines += governed
    notes += warnings
    operated, late = operations_page.health_summary(document)
    lines += operated
    notes += late
    return (
        '<section id="summary"><h2>Summary</h2><div class="summary">'
        f"<ul>{''.join(lines)}</ul>{''.join(notes)}</div></section>"
    )


def _legend(tagged: bool) -> str:
    edges = "".join(
        f'<li><span class="swatch" style="border-top-style: '
        f"{style.line}; "
        f'border-top-color: {style.colour}"></span><strong>{escape(style.kind)}</strong>: '
        f"{escape(style.meaning)}</li>"
        for style in EDGE_STYLES
    )
    boxes = (
        '<li><span class="box" style="background: #fff4cc; border-color: #9a6b00"></span>'
        "the root table's snapshot</li>"
        '<li><span class="box" style="background: #f2f2f2; border-style: dashed"></span>'
        "no known producing run</li>"
    )
    if tagged:
        boxes += (
            f'<li><span style="color: {TAG_COLOUR}">tags: ...</span> the tags the table '
            "carries as of the time asked (<code>pii?</code>: it may contain pii)</li>"
        )
    return f'<ul class="legend">{edges}{boxes}</ul>'


def _graph(document: Mapping[str, Any]) -> str:
    provenance = document.get("provenance")
    root = display_value(document.get("root"))
    caption = f"Provenance of {root} as of {display_value(document.get('as_of'))}"
    tags = governance_page.tags_by_table(document)
    svg = provenance_svg(
        provenance if isinstance(provenance, Mapping) else {},
        root=root,
        caption=caption,
        tags=tags,
    )
    return (
        '<section id="graph"><h2>Provenance graph</h2>'
        "<p>Each box is a snapshot (table, snapshot id, commit time); each arrow is a link "
        "from an input snapshot to the snapshot a run wrote from it, drawn by its strongest "
        "evidence. Inputs are on the left, the root on the right. The drawing is at full "
        "size: scroll inside its frame; hovering a box or an arrow shows its run, job and "
        "code version.</p>"
        f'<div class="graph">{svg}</div>{_legend(bool(tags))}</section>'
    )


def _snapshots(document: Mapping[str, Any]) -> str:
    nodes = rows_of(document.get("provenance"), "nodes")
    root = display_value(document.get("root"))
    with_evidence = any("evidence" in node for node in nodes)
    headers = [
        "table",
        "snapshot",
        "committed at",
        "schema id",
        "run",
        "job",
        "code version",
        "run state",
        "started",
        "ended",
    ] + (["evidence of the run"] if with_evidence else [])
    body = []
    for node in nodes:
        css = ' class="root"' if display_value(node.get("table")) == root else ""
        cells = (
            cell(node.get("table"), "id")
            + cell(node.get("snapshot"), "id")
            + cell(node.get("committed_at"))
            + cell(node.get("schema_id"))
            + cell(node.get("run"), "id")
            + cell(node.get("job"), "id")
            + cell(node.get("code_version"), "id")
            + cell(node.get("run_state"))
            + cell(node.get("started_at"))
            + cell(node.get("ended_at"))
            + (_evidence_cell(node.get("evidence")) if with_evidence else "")
        )
        body.append(f"<tr{css}>{cells}</tr>")
    return (
        '<section id="snapshots"><h2>Snapshots (provenance nodes)</h2>'
        + table_html(headers, body, "No snapshot.")
        + "</section>"
    )


def _links(document: Mapping[str, Any]) -> str:
    body = []
    for link in rows_of(document.get("provenance"), "edges"):
        items = normalize_evidence(link.get("evidence"))
        css = ' class="weak"' if only_inferred(items) or not items else ""
        body.append(
            f"<tr{css}>"
            + cell(snapshot_label(link.get("from_table"), link.get("from_snapshot")), "id")
            + cell(snapshot_label(link.get("to_table"), link.get("to_snapshot")), "id")
            + cell(link.get("run"), "id")
            + f"<td>{' '.join(_kind_badge(kind) for kind in kinds_of(items))}</td>"
            + _evidence_cell(link.get("evidence"))
            + "</tr>"
        )
    return (
        '<section id="links"><h2>Links (snapshot level)</h2>'
        + table_html(["from", "to", "run", "evidence kinds", "evidence"], body, "No link.")
        + "</section>"
    )


def _lineage(document: Mapping[str, Any]) -> str:
    lineage = document.get("lineage")
    nodes = [
        f"<tr>{cell(n.get('table'), 'id')}{cell(n.get('snapshot'), 'id')}"
        f"{cell(n.get('committed_at'))}</tr>"
        for n in rows_of(lineage, "nodes")
    ]
    edges = []
    for edge in rows_of(lineage, "edges"):
        items = normalize_evidence(edge.get("evidence"))
        css = ' class="weak"' if only_inferred(items) else ""
        edges.append(
            f"<tr{css}>{cell(edge.get('from'), 'id')}{cell(edge.get('to'), 'id')}"
            f"{cell(edge.get('job'), 'id')}{cell(edge.get('run'), 'id')}"
            f"{_evidence_cell(edge.get('evidence'))}</tr>"
        )
    return (
        '<section id="lineage"><h2>Lineage (table level)</h2>'
        "<h3>Tables and their snapshot as of the time asked</h3>"
        + table_html(["table", "snapshot", "committed at"], nodes, "No table.")
        + "<h3>Edges</h3>"
        + table_html(["from", "to", "job", "run", "evidence"], edges, "No lineage edge.")
        + "</section>"
    )


def render_html(document: Mapping[str, Any]) -> str:
    """One self-contained HTML page for an audit document (see ``audit_document``).

    Every user string is escaped; the same document always gives the same page.
    """
    summary = document.get("summary")
    if not isinstance(summary, Mapping):
        lineage, provenance = document.get("lineage"), document.get("provenance")
        summary = summarize(
            lineage if isinstance(lineage, Mapping) else {},
            provenance if isinstance(provenance, Mapping) else {},
        )
    title = (
        f"Audit: {display_value(document.get('root'))} as of {display_value(document.get('as_of'))}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="temporal-lineage {escape(__version__)}">'
        f"<title>{escape(title, quote=True)}</title>"
        f"<style>{_CSS}{governance_page.CSS}{operations_page.CSS}</style></head><body>"
        + _header(document)
        + _summary(document, summary)
        + _graph(document)
        + _snapshots(document)
        + _links(document)
        + _lineage(document)
        + governance_page.classification_section(document)
        + governance_page.policies_section(document)
        + operations_page.operations_section(document)
        + f"<footer>Generated by temporal-lineage {escape(__version__)} at "
        f"{esc(document.get('generated_at'))} from the store "
        f"{esc(redact(display_value(document.get('store'))))}.</footer>"
        "</body></html>\n"
    )
