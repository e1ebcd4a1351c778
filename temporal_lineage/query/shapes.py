"""Answers as JSON-ready values: the one place the public JSON shapes are defined.

The CLI prints these and the HTTP API returns them, so both always agree.
"""

from __future__ import annotations

from typing import Any

from temporal_lineage.model import (
    SchemaAsOf,
    SchemaChange,
    SchemaHistoryEntry,
    StoredSnapshot,
    SyncReport,
    TableInfo,
)
from temporal_lineage.times import format_time


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


def snapshot_json(stored: StoredSnapshot) -> dict[str, Any]:
    """One row of ``snapshots`` (``run`` and ``evidence`` come with run links)."""
    snap = stored.snapshot
    return {
        "snapshot": snap.snapshot_id,
        "parent": snap.parent_id,
        "committed_at": format_time(snap.committed_at),
        "operation": snap.operation,
        "schema_id": snap.schema_id,
        "run": None,
        "evidence": None,
        "expired_in_source": format_time(stored.expired_in_source),
        "incarnation": stored.incarnation,
        "summary": dict(snap.summary),
    }


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
    }
