"""The cost-hygiene answer as JSON-ready values: the CLI prints it and the HTTP API returns
it (``/api/v1/hygiene``)."""

from __future__ import annotations

from typing import Any

from temporal_lineage.query.hygiene import Hygiene
from temporal_lineage.times import format_time


def hygiene_json(answer: Hygiene) -> dict[str, Any]:
    """``hygiene``: unused, redundant, small_commits and retained, each worst first."""
    return {
        "as_of": format_time(answer.as_of),
        "known_at": format_time(answer.known_at),
        "window_seconds": answer.window.total_seconds(),
        "unused": [
            {
                "table": str(u.table),
                "bytes": u.bytes,
                "last_read": format_time(u.last_read),
                "last_write": format_time(u.last_write),
            }
            for u in answer.unused
        ],
        "redundant": [
            {
                "jobs": [str(j) for j in r.jobs],
                "inputs": list(r.inputs),
                "outputs": list(r.outputs),
            }
            for r in answer.redundant
        ],
        "small_commits": [
            {"table": str(s.table), "commits": s.commits, "median_bytes": s.median_bytes}
            for s in answer.small_commits
        ],
        "retained": [
            {
                "table": str(r.table),
                "snapshots": r.snapshots,
                "oldest": format_time(r.oldest),
                "max_age_seconds": r.max_age.total_seconds(),
            }
            for r in answer.retained
        ],
    }
