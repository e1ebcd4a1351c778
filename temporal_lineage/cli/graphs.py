"""Lineage graphs as Graphviz DOT and Mermaid text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(document: Mapping[str, Any]) -> str:
    """A ``lineage`` answer as a DOT digraph (tables as boxes, jobs on the edges)."""
    lines = [f"digraph {_quote('lineage of ' + document['root'])} {{", "  rankdir=LR;"]
    lines.append('  node [shape=box, fontname="Helvetica"];')
    for node in document["nodes"]:
        label = (
            node["table"] if node["snapshot"] is None else f"{node['table']}\\n@{node['snapshot']}"
        )
        style = "" if node.get("matched", True) else ", style=dashed"
        lines.append(f"  {_quote(node['table'])} [label={_quote(label)}{style}];")
    for edge in document["edges"]:
        lines.append(
            f"  {_quote(edge['from'])} -> {_quote(edge['to'])} [label={_quote(edge['job'])}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(document: Mapping[str, Any]) -> str:
    """A ``lineage`` answer as a Mermaid flowchart."""
    ids = {node["table"]: f"n{index}" for index, node in enumerate(document["nodes"])}
    lines = ["flowchart LR"]
    for node in document["nodes"]:
        label = (
            node["table"]
            if node["snapshot"] is None
            else f"{node['table']}<br/>@{node['snapshot']}"
        )
        lines.append(f'  {ids[node["table"]]}["{_mermaid(label)}"]')
    for edge in document["edges"]:
        source = ids.get(edge["from"])
        target = ids.get(edge["to"])
        if source and target:
            lines.append(f'  {source} -->|"{_mermaid(edge["job"])}"| {target}')
    return "\n".join(lines) + "\n"


def _mermaid(text: str) -> str:
    return text.replace('"', "#quot;")
