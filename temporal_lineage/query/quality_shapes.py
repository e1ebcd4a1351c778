"""Data-quality answers as JSON-ready values (the ``quality`` CLI json and HTTP answer)."""

from __future__ import annotations

from typing import Any

from temporal_lineage.query.quality import PathStep, QualityCheck, QualityReport, Suspicion
from temporal_lineage.query.shapes import evidence_json
from temporal_lineage.times import format_time


def check_json(check: QualityCheck) -> dict[str, Any]:
    """One result with the snapshot it describes and why."""
    return {
        "check": check.check,
        "kind": check.kind,
        "column": check.column,
        "success": check.success,
        "value": check.value,
        "run": check.run_id,
        "table": str(check.table),
        "snapshot": check.snapshot,
        "direction": check.direction,
        "at": format_time(check.at),
        "evidence": evidence_json(check.evidence),
    }


def step_json(step: PathStep) -> dict[str, Any]:
    """One provenance edge of a suspicion's path."""
    return {
        "from_table": str(step.from_table),
        "from_snapshot": step.from_snapshot,
        "to_table": str(step.to_table),
        "to_snapshot": step.to_snapshot,
        "run": step.run_id,
    }


def suspicion_json(suspicion: Suspicion) -> dict[str, Any]:
    """A failed upstream result and the path from its snapshot down to the asked one."""
    check = suspicion.check
    return {
        "table": str(check.table),
        "snapshot": check.snapshot,
        "assertion": check.check,
        "kind": check.kind,
        "column": check.column,
        "run": check.run_id,
        "at": format_time(check.at),
        "path": [step_json(s) for s in suspicion.path],
    }


def quality_json(report: QualityReport) -> dict[str, Any]:
    """``quality TABLE``: the head at A, its results, and whether (and why) it is suspect."""
    return {
        "table": str(report.table),
        "as_of": format_time(report.as_of),
        "known_at": format_time(report.known_at),
        "snapshot": report.snapshot.snapshot.snapshot_id if report.snapshot else None,
        "results": [check_json(c) for c in report.results],
        "failed": report.failed,
        "suspect": report.suspect,
        "because": [suspicion_json(s) for s in report.because],
    }
