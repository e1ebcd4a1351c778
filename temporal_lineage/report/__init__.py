"""Audit reports: lineage and provenance as of a time, as JSON or one self-contained HTML page."""

from __future__ import annotations

from temporal_lineage.report.audit import audit_document, summarize
from temporal_lineage.report.build import audit_of
from temporal_lineage.report.graph_layout import GraphLayout, assign_layers, layout_graph
from temporal_lineage.report.page import render_html

__all__ = [
    "GraphLayout",
    "assign_layers",
    "audit_document",
    "audit_of",
    "layout_graph",
    "render_html",
    "summarize",
]
