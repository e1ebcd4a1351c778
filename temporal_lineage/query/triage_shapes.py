"""Root-cause triage as JSON-ready values (the ``triage`` CLI json and HTTP answer)."""

from __future__ import annotations

from typing import Any

from temporal_lineage.query.triage import Cause, Triage
from temporal_lineage.times import format_time


def cause_json(rank: int, cause: Cause) -> dict[str, Any]:
    """One ranked cause with its evidence."""
    return {
        "rank": rank,
        "kind": cause.kind.value,
        "table": str(cause.table) if cause.table else None,
        "snapshot": cause.snapshot,
        "run": cause.run_id,
        "job": str(cause.job) if cause.job else None,
        "at": format_time(cause.at),
        "detail": cause.detail,
        "distance": cause.distance,
        "score": cause.score,
        "evidence": [{"kind": c.kind, "detail": c.detail} for c in cause.evidence],
    }


def triage_json(answer: Triage) -> dict[str, Any]:
    """``triage TABLE --at A``: what changed upstream in the window, best cause first."""
    return {
        "table": str(answer.table),
        "at": format_time(answer.at),
        "known_at": format_time(answer.known_at),
        "window_seconds": int(answer.window.total_seconds()),
        "causes": [cause_json(rank, c) for rank, c in enumerate(answer.causes, start=1)],
        "upstream": [{"table": str(ref), "distance": d} for ref, d in answer.upstream],
        "late_checked": answer.late_checked,
    }
