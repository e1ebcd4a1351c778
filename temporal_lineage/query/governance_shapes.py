"""Governance answers as JSON-ready values (classification, policy check, erasure): the CLI
prints these and the HTTP API returns them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from temporal_lineage.predicate import text
from temporal_lineage.times import format_time

if TYPE_CHECKING:
    # The answers' types only: shaping a policy answer does not import the erasure probe
    # (pyarrow) nor shaping an erasure the classification's SQL parser.
    from temporal_lineage.query.classification import Classification, ColumnClassification
    from temporal_lineage.query.erasure import Erasure, SnapshotCheck, TableErasure
    from temporal_lineage.query.policy import PolicyReport, PolicyResult, Violation
    from temporal_lineage.query.tag_flow import CarriedTag, Hop, Stop


def hop_json(hop: Hop) -> dict[str, Any]:
    """One edge of a tag's path: ``from``/``to`` as ``table`` or ``table.column``."""

    def end(node: object, column: str | None) -> str:
        return f"{node}.{column}" if column else str(node)

    return {
        "from": end(hop.from_node, hop.from_column),
        "to": end(hop.to_node, hop.to_column),
        "job": str(hop.job),
        "run": hop.run,
        "kind": hop.kind,
    }


def carried_json(carried: CarriedTag) -> dict[str, Any]:
    """One tag of a column or table, with how, origin and path."""
    return {
        "tag": carried.tag,
        "how": carried.how.value,
        "source": carried.source.value,
        "detail": carried.detail,
        "since": format_time(carried.since),
        "origin": {"table": str(carried.origin_table), "column": carried.origin_column},
        "path": [hop_json(h) for h in carried.path],
    }


def stop_json(stop: Stop) -> dict[str, Any]:
    """Where a tag stopped, and the rule."""
    return {
        "tag": stop.tag.tag,
        "at": {"table": str(stop.hop.to_node), "column": stop.hop.to_column},
        "from": {"table": str(stop.hop.from_node), "column": stop.hop.from_column},
        "rule": stop.rule,
        "job": str(stop.hop.job),
        "run": stop.hop.run,
        "origin": {"table": str(stop.tag.origin_table), "column": stop.tag.origin_column},
        "path": [hop_json(h) for h in (*stop.tag.path, stop.hop)],
    }


def _column_json(column: ColumnClassification) -> dict[str, Any]:
    return {
        "column": column.column,
        "field_id": column.field_id,
        "tags": [carried_json(c) for c in column.tags],
        "stopped": [stop_json(s) for s in column.stopped],
    }


def classification_json(answer: Classification) -> dict[str, Any]:
    """``classification TABLE``."""
    return {
        "table": str(answer.table),
        "as_of": format_time(answer.as_of),
        "known_at": format_time(answer.known_at),
        "columns": [_column_json(c) for c in answer.columns],
        "table_tags": [carried_json(c) for c in answer.table_tags],
    }


_STRENGTH = {"direct": 0, "propagated": 1, "may_contain": 2}


def graph_tags_json(answers: list[Classification]) -> list[dict[str, Any]]:
    """The tags of many tables in brief, for drawing them on a graph: per table and tag the
    strongest way it is held (direct, then propagated, then may_contain) and the columns."""
    out = []
    for answer in answers:
        held: dict[str, dict[str, Any]] = {}
        carried: list[tuple[str | None, CarriedTag]] = [
            (c.column, t) for c in answer.columns for t in c.tags
        ]
        carried += [(None, t) for t in answer.table_tags]
        for column, tag in carried:
            entry = held.setdefault(tag.tag, {"tag": tag.tag, "how": tag.how.value, "columns": []})
            if _STRENGTH[tag.how.value] < _STRENGTH[entry["how"]]:
                entry["how"] = tag.how.value
            if column is not None and column not in entry["columns"]:
                entry["columns"].append(column)
        out.append({"table": str(answer.table), "tags": [held[k] for k in sorted(held)]})
    return out


def _violation_json(violation: Violation) -> dict[str, Any]:
    return {
        "table": str(violation.table),
        "column": violation.column,
        "detail": violation.detail,
        "path": [hop_json(h) for h in violation.path],
    }


def _policy_json(result: PolicyResult) -> dict[str, Any]:
    return {
        "policy": result.policy.name,
        "kind": result.policy.kind.value,
        "tag": result.policy.tag,
        "ok": result.ok,
        "violations": [_violation_json(v) for v in result.violations],
    }


def policy_json(report: PolicyReport) -> dict[str, Any]:
    """``policy check``."""
    return {
        "as_of": format_time(report.as_of),
        "known_at": format_time(report.known_at),
        "ok": report.ok,
        "policies": [_policy_json(r) for r in report.results],
    }


def _check_json(check: SnapshotCheck) -> dict[str, Any]:
    return {
        "snapshot": check.snapshot_id,
        "committed_at": format_time(check.committed_at),
        "readable": check.readable,
        "unreadable_because": check.unreadable_because,
        "rows": check.rows,
        "counted_by": check.counted_by,
        "engine_sql": dict(check.engine_sql),
    }


def _erased_table_json(part: TableErasure) -> dict[str, Any]:
    return {
        "table": str(part.table),
        "status": part.status.value,
        "reason": part.reason,
        "where": text(part.predicate) if part.predicate is not None else None,
        "carried_by": [
            {
                "column": c.column,
                "from_column": c.from_column,
                "path": [hop_json(h) for h in c.path],
            }
            for c in part.carried_by
        ],
        "head": (
            {"snapshot": part.head.snapshot_id, "rows": part.head.rows} if part.head else None
        ),
        "snapshots": [_check_json(c) for c in part.snapshots],
    }


def erasure_json(answer: Erasure) -> dict[str, Any]:
    """``erasure TABLE --where P``."""
    return {
        "table": str(answer.table),
        "where": text(answer.predicate),
        "since": format_time(answer.since),
        "checked_at": format_time(answer.checked_at),
        "probed": answer.probed,
        "complete": answer.complete,
        "tables": [_erased_table_json(t) for t in answer.tables],
    }
