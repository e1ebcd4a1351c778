"""The erasure report as one self-contained HTML page, fit to hand to a data-protection
officer: the verdict, every table the subject's rows were carried into, each snapshot's
readability and matching rows, and the engine queries that re-count them."""

from __future__ import annotations

from html import escape
from typing import Any

from temporal_lineage import __version__
from temporal_lineage.redaction import redact

_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1a1a1a; }
h1 { font-size: 22px; word-break: break-all; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; margin: 8px 0; } td, th { border: 1px solid #dddddd;
  padding: 3px 8px; text-align: left; vertical-align: top; } th { background: #f4f4f4; }
.verdict { padding: 8px 12px; border-radius: 6px; font-weight: 600; }
.complete { background: #eef7ee; border-left: 4px solid #1b7837; }
.incomplete { background: #fff4e5; border-left: 4px solid #d95f02; }
.status-holds, .status-untraceable { color: #b35806; font-weight: 600; }
.status-clean, .status-not_carried { color: #1b7837; }
code, .mono { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
details pre { white-space: pre-wrap; background: #fafafa; padding: 6px; }
"""


def _e(value: object) -> str:
    return escape(redact(str(value)) if value is not None else "\u2014")


def _path(hops: list[dict[str, Any]]) -> str:
    if not hops:
        return "\u2014"
    steps = [hops[0]["from"], *(h["to"] for h in hops)]
    return " &rarr; ".join(f"<code>{_e(s)}</code>" for s in steps)


def _snapshots(part: dict[str, Any]) -> str:
    if not part["snapshots"]:
        return ""
    rows = []
    for snap in part["snapshots"]:
        readable = "yes" if snap["readable"] else f"no: {_e(snap['unreadable_because'])}"
        queries = "".join(
            f"<details><summary>{_e(k)}</summary><pre>{_e(v)}</pre></details>"
            for k, v in snap["engine_sql"].items()
        )
        rows.append(
            f"<tr><td class=mono>{_e(snap['snapshot'])}</td><td>{_e(snap['committed_at'])}</td>"
            f"<td>{readable}</td><td>{_e(snap['rows'])}</td><td>{_e(snap['counted_by'])}</td>"
            f"<td>{queries}</td></tr>"
        )
    return (
        "<table><tr><th>snapshot</th><th>committed</th><th>readable in source</th>"
        "<th>matching rows</th><th>counted by</th><th>engine queries</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _table(part: dict[str, Any]) -> str:
    carried = "".join(
        f"<li><code>{_e(c['column'])}</code> carries <code>{_e(c['from_column'])}</code>: "
        f"{_path(c['path'])}</li>"
        for c in part["carried_by"]
    )
    head = part["head"]
    head_text = f"snapshot {_e(head['snapshot'])}: {_e(head['rows'])} row(s)" if head else "\u2014"
    return (
        f"<h2>{_e(part['table'])}: <span class='status-{_e(part['status'])}'>"
        f"{_e(part['status'])}</span></h2>"
        f"<p>{_e(part['reason']) if part['reason'] else ''}</p>"
        f"<p>Predicate here: <code>{_e(part['where'])}</code>; head: {head_text}</p>"
        + (f"<ul>{carried}</ul>" if carried else "")
        + _snapshots(part)
    )


def erasure_page(document: dict[str, Any]) -> str:
    """The HTML of an ``erasure_json`` document."""
    verdict = "complete" if document["complete"] else "incomplete"
    holding = [t["table"] for t in document["tables"] if t["status"] == "holds"]
    review = [t["table"] for t in document["tables"] if t["status"] == "untraceable"]
    summary = (
        f"Erasure of <code>{_e(document['where'])}</code> from <code>{_e(document['table'])}"
        f"</code> is <b>{verdict}</b> as checked at {_e(document['checked_at'])}."
    )
    if holding:
        summary += " Rows remain in: " + ", ".join(f"<code>{_e(t)}</code>" for t in holding) + "."
    if review:
        summary += " Review by hand: " + ", ".join(f"<code>{_e(t)}</code>" for t in review) + "."
    if not document["probed"]:
        summary += " Snapshots were not probed: readable ones may hold rows."
    body = "".join(_table(t) for t in document["tables"])
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>Erasure report: {_e(document['table'])}</title><style>{_CSS}</style></head>"
        f"<body><h1>Erasure report: {_e(document['table'])}</h1>"
        f"<p class='verdict {'complete' if document['complete'] else 'incomplete'}'>{summary}</p>"
        f"<p>Since: {_e(document['since'])}</p>{body}"
        f"<footer><p>temporal-lineage {escape(__version__)}</p></footer></body></html>"
    )
