"""The audit page's governance parts: each table's classification, the policy check, their
lines in the summary and the tags the drawing writes under its boxes.

They read the document's ``classification`` (``classification_json`` per table) and
``policies`` (``policy_json``) tolerantly: a missing or malformed part shows as absent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from temporal_lineage.report.evidence import display_value
from temporal_lineage.report.html_parts import (
    MISSING,
    cell,
    esc,
    mappings,
    plural,
    rows_of,
    table_html,
)

CSS = """
.tag { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 12px;
  border: 1px solid #b2182b; color: #b2182b; margin-right: 4px; white-space: nowrap; }
.tag.stopped { border-color: #1b7837; color: #1b7837; text-decoration: line-through; }
.how { font-weight: 600; }
ul.tags { margin: 0; padding-left: 0; list-style: none; }
ul.tags li { margin: 2px 0; word-break: break-word; }
tr.here td { background: #fff4e5; }
.result-ok { color: #1b7837; font-weight: 600; }
.result-violated { color: #b2182b; font-weight: 600; }
"""

MAY_CONTAIN = "may_contain"
"""How a table holds a tag its inputs had when its column lineage is unknown."""


def path_text(hops: Any) -> str:
    """A tag's path as ``a.b -> c.d -> e.f`` (empty for a tag stated where it is).

    >>> path_text([{"from": "a.b", "to": "c.d"}, {"from": "c.d", "to": "e.f"}])
    'a.b -> c.d -> e.f'
    """
    steps = mappings(hops)
    if not steps:
        return ""
    ends = [display_value(steps[0].get("from"))] + [display_value(h.get("to")) for h in steps]
    return " -> ".join(ends)


def _where(place: Any) -> str:
    """``table.column`` (or ``table``) of an ``{"table", "column"}`` mapping."""
    if not isinstance(place, Mapping):
        return ""
    table, column = display_value(place.get("table")), display_value(place.get("column"))
    return f"{table}.{column}" if column else table


def _carriers(table: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every carried tag of a table: its columns' and its own."""
    held = [tag for column in rows_of(table, "columns") for tag in rows_of(column, "tags")]
    return held + rows_of(table, "table_tags")


def tags_by_table(document: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Table -> the tags it carries as of A, sorted; a tag it only may contain is ``tag?``.

    >>> tags_by_table({"classification": [{"table": "a", "table_tags": [
    ...     {"tag": "pii", "how": "may_contain"}], "columns": [{"column": "k", "tags": [
    ...     {"tag": "key", "how": "direct"}]}]}]})
    {'a': ('key', 'pii?')}
    """
    found: dict[str, tuple[str, ...]] = {}
    for table in mappings(document.get("classification")):
        hows: dict[str, set[str]] = {}
        for carried in _carriers(table):
            hows.setdefault(display_value(carried.get("tag")), set()).add(
                display_value(carried.get("how"))
            )
        if hows:
            found[display_value(table.get("table"))] = tuple(
                f"{tag}?" if ways == {MAY_CONTAIN} else tag for tag, ways in sorted(hows.items())
            )
    return found


def _hops(hops: Any) -> str:
    """The runs of a path: ``by job (run r, kind); then ...``."""
    steps = [
        f"<code>{esc(h.get('job'))}</code> (run <code>{esc(h.get('run'))}</code>, "
        f"{esc(h.get('kind'))})"
        for h in mappings(hops)
    ]
    return f" by {'; then '.join(steps)}" if steps else ""


def _path_html(hops: Any) -> str:
    shown = path_text(hops)
    return f"; path <code>{esc(shown)}</code>{_hops(hops)}" if shown else ""


def _carried_html(carried: Mapping[str, Any]) -> str:
    how = display_value(carried.get("how"))
    origin = "" if how == "direct" else f" from <code>{esc(_where(carried.get('origin')))}</code>"
    stated = esc(carried.get("detail")) or esc(carried.get("source")) or MISSING
    return (
        f'<li><span class="tag">{esc(carried.get("tag"))}</span>'
        f'<span class="how">{esc(how) or MISSING}</span>{origin} '
        f"({stated}; since {esc(carried.get('since'))}){_path_html(carried.get('path'))}</li>"
    )


def _stop_html(stop: Mapping[str, Any]) -> str:
    return (
        f'<li><span class="tag stopped">{esc(stop.get("tag"))}</span>'
        f"stopped coming from <code>{esc(_where(stop.get('from')))}</code> by rule "
        f"<strong>{esc(stop.get('rule'))}</strong> (origin "
        f"<code>{esc(_where(stop.get('origin')))}</code>){_path_html(stop.get('path'))}</li>"
    )


def _list(items: Sequence[str]) -> str:
    return f'<td><ul class="tags">{"".join(items)}</ul></td>' if items else f"<td>{MISSING}</td>"


def _column_row(column: Mapping[str, Any]) -> str:
    return (
        "<tr>"
        + cell(column.get("column"), "id")
        + cell(column.get("field_id"))
        + _list([_carried_html(c) for c in rows_of(column, "tags")])
        + _list([_stop_html(s) for s in rows_of(column, "stopped")])
        + "</tr>"
    )


def _is_marked(column: Mapping[str, Any]) -> bool:
    """Whether a column carries a tag or had one stopped on its way in."""
    return bool(rows_of(column, "tags") or rows_of(column, "stopped"))


def _table_block(table: Mapping[str, Any], root: str) -> str:
    name = display_value(table.get("table"))
    columns = rows_of(table, "columns")
    marked = [c for c in columns if _is_marked(c)]
    plain = [display_value(c.get("column")) for c in columns if not _is_marked(c)]
    own = rows_of(table, "table_tags")
    parts = [f"<h3>{esc(name)}{' (the root)' if name == root else ''}</h3>"]
    if own:
        items = "".join(_carried_html(c) for c in own)
        parts.append(f'<p>Tags of the table as a whole:</p><ul class="tags">{items}</ul>')
    if not columns:
        parts.append('<p class="missing">No schema known as of this time.</p>')
    elif marked:
        headers = ["column", "field id", "tags (how, origin, path)", "stopped tags (rule)"]
        parts.append(table_html(headers, [_column_row(c) for c in marked], ""))
    if plain:
        names = ", ".join(f"<code>{esc(n)}</code>" for n in plain)
        parts.append(f"<p>Columns without a tag ({len(plain)}): {names}</p>")
    return "".join(parts)


def classification_section(document: Mapping[str, Any]) -> str:
    """``<section id="classification">``: every stored table's columns with their tags."""
    root = display_value(document.get("root"))
    tables = mappings(document.get("classification"))
    blocks = "".join(_table_block(t, root) for t in tables)
    return (
        '<section id="classification"><h2>Classification</h2>'
        "<p>The tags each table of this report carries as of the time asked: <em>direct</em> "
        "(a tag fact or a classify rule), <em>propagated</em> along the column lineage in "
        "force (from its origin, along the path shown) or <em>may_contain</em> (an input held "
        "it and the column lineage is unknown); a struck-through tag was stopped on its way "
        "in, by the rule named.</p>"
        + (blocks or '<p class="missing">No classification in this document.</p>')
        + "</section>"
    )


def _policies(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return rows_of(document.get("policies"), "policies")


def _report_tables(document: Mapping[str, Any]) -> set[str]:
    return {display_value(t.get("table")) for t in mappings(document.get("classification"))}


def _violations(document: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    return [
        (display_value(p.get("policy")), v)
        for p in _policies(document)
        for v in rows_of(p, "violations")
    ]


def _result(policy: Mapping[str, Any]) -> str:
    ok = policy.get("ok") is True
    return f'<td class="result-{"ok" if ok else "violated"}">{"ok" if ok else "violated"}</td>'


def _violation_row(policy: str, violation: Mapping[str, Any], here: set[str]) -> str:
    table = display_value(violation.get("table"))
    css = ' class="here"' if table in here else ""
    path = path_text(violation.get("path"))
    return (
        f"<tr{css}>"
        + cell(policy)
        + cell(table, "id")
        + cell(violation.get("column"), "id")
        + cell(violation.get("detail"))
        + (f"<td><code>{esc(path)}</code>{_hops(violation.get('path'))}</td>" if path else cell(""))
        + "</tr>"
    )


def policies_section(document: Mapping[str, Any]) -> str:
    """``<section id="policies">``: each policy ok or violated, and every violation."""
    check = document.get("policies")
    if not isinstance(check, Mapping):
        body = '<p class="missing">No policy check in this document.</p>'
        return f'<section id="policies"><h2>Policies</h2>{body}</section>'
    policies = _policies(document)
    known_at = check.get("known_at")
    intro = (
        f"<p>Every policy of lineage.yaml, checked over the whole store as of "
        f"{esc(check.get('as_of'))}, "
        f"{'as known at ' + esc(known_at) if known_at else 'with the latest knowledge'}; "
        "violations at tables of this report are highlighted.</p>"
    )
    results = [
        "<tr>"
        + cell(p.get("policy"), "id")
        + cell(p.get("kind"))
        + cell(p.get("tag"))
        + _result(p)
        + cell(len(rows_of(p, "violations")))
        + "</tr>"
        for p in policies
    ]
    here = _report_tables(document)
    violations = [_violation_row(name, v, here) for name, v in _violations(document)]
    return (
        '<section id="policies"><h2>Policies</h2>'
        + intro
        + table_html(
            ["policy", "kind", "tag", "result", "violations"],
            results,
            "No policy configured (policies: in lineage.yaml).",
        )
        + ("<h3>Violations</h3>" if violations else "")
        + table_html(["policy", "table", "column", "detail", "path"], violations, "")
        + "</section>"
    )


def _classification_lines(document: Mapping[str, Any]) -> list[str]:
    tables = mappings(document.get("classification"))
    if not tables:
        return []
    tagged = tags_by_table(document)
    if not tagged:
        return [
            f"<li>Classification: none of the {plural(len(tables), 'table')} carries a tag</li>"
        ]
    names = sorted({tag.rstrip("?") for tags in tagged.values() for tag in tags})
    shown = ", ".join(f'<span class="tag">{esc(n)}</span>' for n in names)
    return [f"<li>Classification: {len(tagged)} of {len(tables)} tables carry tags: {shown}</li>"]


def governance_summary(document: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The summary's ``<li>`` lines about tags and policies, and its warnings."""
    lines = _classification_lines(document)
    if not isinstance(document.get("policies"), Mapping):
        return lines, []
    policies = _policies(document)
    broken = [p for p in policies if p.get("ok") is not True]
    found = _violations(document)
    here = _report_tables(document)
    near = [(name, v) for name, v in found if display_value(v.get("table")) in here]
    lines.append(
        f"<li>Policies: {len(broken)} of {len(policies)} violated, "
        f"{len(found)} violations ({len(near)} at tables of this report)</li>"
    )
    if not near:
        return lines, []
    distinct = dict.fromkeys((name, _where(v)) for name, v in near)
    spots = ", ".join(f"{esc(name)} at <code>{esc(where)}</code>" for name, where in distinct)
    warning = f'<p class="warning"><strong>Policy violations</strong> in this report: {spots}</p>'
    return lines, [warning]
