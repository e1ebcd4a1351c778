"""Answers as JSON-ready values: the one place the public JSON shapes are defined.

The CLI prints these and the HTTP API returns them, so both always agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from temporal_lineage.commit_effects import commit_effect
from temporal_lineage.model import (
    Evidence,
    SchemaAsOf,
    SchemaChange,
    SchemaHistoryEntry,
    StoredRef,
    StoredSnapshot,
    SyncReport,
    TableInfo,
)
from temporal_lineage.times import format_time

if TYPE_CHECKING:
    # The answers' types only: shaping the answer of one command (``tables``) does not
    # import the query modules of every other command.
    from temporal_lineage.query.diff import CodeChange, Diff, UpstreamChange
    from temporal_lineage.query.impact import Affected, Impact
    from temporal_lineage.query.lineage import Lineage
    from temporal_lineage.query.links import Producer
    from temporal_lineage.query.propagation import ChangeConsumers, ChangePropagation
    from temporal_lineage.query.provenance import Provenance
    from temporal_lineage.query.runs import RunDetail
    from temporal_lineage.query.whatif import Verdict


def _dotted(path: tuple[str, ...] | None) -> str | None:
    return ".".join(path) if path is not None else None


def table_json(info: TableInfo) -> dict[str, Any]:
    """One row of ``tables``."""
    return {
        "table": str(info.ref),
        "format": info.format.value,
        "location": info.location,
        "snapshots": info.snapshots,
        "current_snapshot": info.current_snapshot,
    }


def evidence_json(evidence: Sequence[Evidence]) -> list[dict[str, str]] | None:
    """Evidence as a list of ``{"kind", "detail"}`` (None when there is none)."""
    if not evidence:
        return None
    return [{"kind": e.kind.value, "detail": e.detail} for e in evidence]


def snapshot_json(stored: StoredSnapshot, producer: Producer | None = None) -> dict[str, Any]:
    """One row of ``snapshots``: the commit, and the run that produced it with the evidence."""
    snap = stored.snapshot
    effect = commit_effect(snap.operation, snap.summary)
    return {
        "snapshot": snap.snapshot_id,
        "parent": snap.parent_id,
        "committed_at": format_time(snap.committed_at),
        "operation": snap.operation,
        "schema_id": snap.schema_id,
        "run": producer.run_id if producer else None,
        "evidence": evidence_json(producer.evidence) if producer else None,
        "expired_in_source": format_time(stored.expired_in_source),
        "incarnation": stored.incarnation,
        "branch": snap.branch,
        "data_change": effect.data_change,
        "restores": effect.restores,
        "rows": {
            "added": effect.rows_added,
            "removed": effect.rows_removed,
            "updated": effect.rows_updated,
            "deleted": effect.rows_deleted,
            "delete_files": effect.delete_files,
        },
        "summary": dict(snap.summary),
    }


def snapshot_rows(
    found: Sequence[tuple[StoredSnapshot, Producer | None]],
    unreadable: Mapping[tuple[str, int], str | None] | None = None,
) -> list[dict[str, Any]]:
    """The rows of ``snapshots``; with ``unreadable`` (``--check-readable``) each also says
    whether it can still be read at the source, and why not."""
    rows = [snapshot_json(snap, producer) for snap, producer in found]
    if unreadable is not None:
        for row, (snap, _) in zip(rows, found, strict=True):
            why = unreadable.get((snap.incarnation, snap.snapshot.snapshot_id))
            row["readable"] = why is None
            row["unreadable_because"] = why
    return rows


def schema_json(answer: SchemaAsOf) -> dict[str, Any]:
    """The answer of ``schema``."""
    return {
        "table": str(answer.ref),
        "schema_id": answer.schema_id,
        "effective_at": format_time(answer.effective_at),
        "fields": [
            {
                "id": f.id,
                "name": f.name,
                "path": f.dotted_path,
                "type": f.type,
                "nullable": f.nullable,
                "doc": f.doc,
            }
            for f in answer.schema.fields
        ],
    }


def change_json(change: SchemaChange) -> dict[str, Any]:
    """One typed schema change."""
    return {
        "kind": change.kind.value,
        "field_id": change.field_id,
        "path": _dotted(change.path),
        "old_path": _dotted(change.old_path),
        "old_type": change.old_type,
        "new_type": change.new_type,
        "hint": change.hint,
    }


def schema_history_json(entry: SchemaHistoryEntry) -> dict[str, Any]:
    """One row of ``schema-history``."""
    return {
        "schema_id": entry.schema_id,
        "effective_at": format_time(entry.effective_at),
        "dated_by": entry.dated_by.value,
        "snapshot": entry.snapshot_id,
        "incarnation": entry.incarnation,
        "changes": [change_json(c) for c in entry.changes],
    }


def sync_report_json(report: SyncReport) -> dict[str, Any]:
    """The answer of ``sync``."""
    return {
        "tables": report.tables,
        "new_snapshots": report.new_snapshots,
        "new_schema_versions": report.new_schema_versions,
        "errors": [{"table": e.table, "error": e.error} for e in report.errors],
        "skipped": [
            {"source": s.source, "path": s.path, "reason": s.reason} for s in report.skipped
        ],
        "repaired": [
            {"table": r.table, "field": r.field, "replaced": r.detail} for r in report.repairs
        ],
    }


def _snapshot_fields(snap: StoredSnapshot | None) -> dict[str, Any]:
    return {
        "snapshot": snap.snapshot.snapshot_id if snap else None,
        "committed_at": format_time(snap.snapshot.committed_at) if snap else None,
    }


def lineage_json(graph: Lineage) -> dict[str, Any]:
    """The answer of ``lineage``."""
    return {
        "root": str(graph.root),
        "ref": graph.ref,
        "as_of": format_time(graph.as_of),
        "known_at": format_time(graph.known_at),
        "direction": graph.direction.value,
        "depth": graph.depth,
        "nodes": [
            {
                "table": str(n.node),
                "matched": n.node.table is not None,
                **_snapshot_fields(n.snapshot),
            }
            for n in graph.nodes
        ],
        "edges": [
            {
                "from": str(e.source),
                "to": str(e.target),
                "job": str(e.job),
                "run": e.run_id,
                "evidence": evidence_json(e.evidence),
            }
            for e in graph.edges
        ],
    }


def provenance_json(graph: Provenance) -> dict[str, Any]:
    """The answer of ``provenance``."""
    nodes = []
    for n in graph.nodes:
        run = n.run
        nodes.append(
            {
                "table": str(n.node),
                **_snapshot_fields(n.snapshot),
                "schema_id": n.snapshot.snapshot.schema_id if n.snapshot else None,
                "run": n.run_id,
                "job": str(run.job) if run else None,
                "code_version": run.code_version if run else None,
                "job_version": run.job_version if run else None,
                "parameters": dict(run.parameters) if run else None,
                "run_state": run.state.value if run else None,
                "started_at": format_time(run.started_at) if run else None,
                "ended_at": format_time(run.ended_at) if run else None,
                "evidence": evidence_json(n.evidence),
                "maintenance_run": n.maintenance_run,
            }
        )
    return {
        "root": str(graph.root),
        "ref": graph.ref,
        "as_of": format_time(graph.as_of),
        "known_at": format_time(graph.known_at),
        "nodes": nodes,
        "edges": [
            {
                "from_table": str(e.source),
                "from_snapshot": e.source_snapshot,
                "to_table": str(e.target),
                "to_snapshot": e.target_snapshot,
                "run": e.run_id,
                "evidence": evidence_json(e.evidence),
            }
            for e in graph.edges
        ],
    }


def impact_json(
    answer: Impact,
    verdicts: Sequence[tuple[Affected, Verdict]] | None = None,
    change: str | None = None,
) -> dict[str, Any]:
    """The answer of ``impact`` (with ``--change``, whether each consumer breaks)."""
    judged = dict(((id(a), v) for a, v in verdicts)) if verdicts else {}
    rows = []
    for item in answer.affected:
        row: dict[str, Any] = {
            "table": str(item.node),
            "column": item.column,
            "field_id": item.field_id,
            "job": str(item.job),
            "run": item.run.run_id,
            "depth": item.depth,
            "kind": item.kind,
            "subtype": item.subtype,
            "origin": item.origin,
            "via": f"{item.via[0]}.{item.via[1]}",
        }
        if verdicts is not None:
            verdict = judged.get(id(item))
            row["breaks"] = verdict.breaks if verdict else None
            row["reason"] = verdict.reason if verdict else None
        rows.append(row)
    return {
        "table": str(answer.table),
        "column": answer.column,
        "field_id": answer.field_id,
        "as_of": format_time(answer.as_of),
        "known_at": format_time(answer.known_at),
        "change": change,
        "affected": rows,
    }


def propagation_json(found: Sequence[ChangePropagation]) -> list[dict[str, Any]]:
    """The answer of ``propagation``."""
    return [
        {
            "change": {**change_json(item.change), "effective_at": format_time(item.effective_at)},
            "downstream": [
                {
                    "table": str(d.affected.node),
                    "column": d.affected.column,
                    "job": str(d.affected.job),
                    "depth": d.affected.depth,
                    "status": d.status,
                    "reason": d.reason,
                    "runs": [
                        {
                            "run": r.run_id,
                            "state": r.state.value,
                            "started_at": format_time(r.started_at),
                        }
                        for r in d.runs
                    ],
                }
                for d in item.downstream
            ],
        }
        for item in found
    ]


def change_consumers_json(found: Sequence[ChangeConsumers]) -> list[dict[str, Any]]:
    """The schema changes a sync found, with how much downstream they touch."""
    return [
        {
            "table": str(item.change.ref),
            "effective_at": format_time(item.change.effective_at),
            **change_json(item.change.change),
            "affected_columns": item.columns,
            "affected_tables": item.tables,
        }
        for item in found
    ]


def run_json(detail: RunDetail) -> dict[str, Any]:
    """The answer of ``run``."""
    run = detail.run
    return {
        "run": run.run_id,
        "job": str(run.job),
        "state": run.state.value,
        "started_at": format_time(run.started_at),
        "ended_at": format_time(run.ended_at),
        "parent_run": run.parent_run_id,
        "code_version": run.code_version,
        "job_version": run.job_version,
        "sql": run.sql,
        "parameters": dict(run.parameters),
        "known_at": format_time(detail.known_at),
        "duration_seconds": (
            duration.total_seconds() if (duration := run.duration) is not None else None
        ),
        "attempt": detail.attempt,
        "inputs": [
            {
                "table": str(link.node),
                "matched": link.node.table is not None,
                **_snapshot_fields(link.snapshot),
                "evidence": evidence_json(link.evidence),
            }
            for link in detail.inputs
        ],
        "outputs": [
            {
                "table": str(output.node),
                "matched": output.node.table is not None,
                "snapshots": [
                    {**_snapshot_fields(snap), "evidence": evidence_json(producer.evidence)}
                    for snap, producer in output.snapshots
                ],
            }
            for output in detail.outputs
        ],
    }


def ref_json(stored: StoredRef) -> dict[str, Any]:
    """One row of ``refs``: a branch or tag, what it pointed at, from when until when."""
    ref = stored.ref
    return {
        "name": ref.name,
        "kind": ref.kind.value,
        "snapshot": ref.snapshot_id,
        "from": format_time(stored.started_at),
        "until": format_time(stored.ended_at),
        "incarnation": stored.incarnation,
        "max_ref_age_ms": ref.max_ref_age_ms,
        "max_snapshot_age_ms": ref.max_snapshot_age_ms,
        "min_snapshots_to_keep": ref.min_snapshots_to_keep,
    }


def _upstream_json(u: UpstreamChange) -> dict[str, Any]:
    return {
        "table": u.table,
        "from_snapshot": u.from_snapshot,
        "to_snapshot": u.to_snapshot,
        "changed": u.changed,
        "in": u.side.value,
    }


def _code_json(c: CodeChange) -> dict[str, Any]:
    old, new = c.from_run, c.to_run
    return {
        "table": c.table,
        "job": str(c.job),
        "from_run": old.run_id if old else None,
        "to_run": new.run_id if new else None,
        "from_code_version": old.code_version if old else None,
        "to_code_version": new.code_version if new else None,
        "from_job_version": old.job_version if old else None,
        "to_job_version": new.job_version if new else None,
        "sql_changed": c.sql_changed,
        "from_parameters": dict(old.parameters) if old else None,
        "to_parameters": dict(new.parameters) if new else None,
        "changed": c.changed,
    }


def diff_json(d: Diff) -> dict[str, Any]:
    """The answer of ``diff``."""
    return {
        "table": str(d.table),
        "from": format_time(d.start),
        "to": format_time(d.end),
        "known_at": format_time(d.known_at),
        "root": _upstream_json(d.root) if d.root is not None else None,
        "upstream": [_upstream_json(u) for u in d.upstream],
        "schema_changes": [
            {
                "table": c.table,
                "schema_id": c.schema_id,
                "effective_at": format_time(c.effective_at),
                **change_json(c.change),
            }
            for c in d.schema_changes
        ],
        "code": [_code_json(c) for c in d.code],
    }
