"""What changed upstream of a table between two times: "why did my training set change?"."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from temporal_lineage.model import TableRef
from temporal_lineage.query import history
from temporal_lineage.query.provenance import Provenance, ProvenanceNode, provenance
from temporal_lineage.query.shapes import change_json
from temporal_lineage.store import Store
from temporal_lineage.times import format_time


def _by_table(graph: Provenance) -> dict[str, ProvenanceNode]:
    """One node per table: the newest snapshot of it in the closure."""
    found: dict[str, ProvenanceNode] = {}
    for node in graph.nodes:
        name = str(node.node)
        kept = found.get(name)
        newer = node.snapshot is not None and (
            kept is None
            or kept.snapshot is None
            or node.snapshot.snapshot.committed_at > kept.snapshot.snapshot.committed_at
        )
        if kept is None or newer:
            found[name] = node
    return found


def _snapshot(node: ProvenanceNode | None) -> int | None:
    return node.snapshot.snapshot.snapshot_id if node and node.snapshot else None


def diff(
    store: Store,
    ref: TableRef,
    start: datetime,
    end: datetime,
    *,
    known_at: datetime | None = None,
) -> dict[str, Any]:
    """Upstream snapshots, schema changes, code versions and parameters that differ at B vs A.

    Raises:
        TableNotFound: the store has never seen ``ref``.
    """
    before = _by_table(provenance(store, ref, start, known_at=known_at))
    after = _by_table(provenance(store, ref, end, known_at=known_at))
    tables = sorted(set(before) | set(after))
    upstream = []
    schema_changes = []
    for name in tables:
        old, new = before.get(name), after.get(name)
        upstream.append(
            {
                "table": name,
                "from_snapshot": _snapshot(old),
                "to_snapshot": _snapshot(new),
                "changed": _snapshot(old) != _snapshot(new),
                "in": "both" if old and new else ("from" if old else "to"),
            }
        )
        either = new or old
        table_ref = either.node.table if either is not None else None
        if table_ref is not None and _snapshot(old) != _snapshot(new):
            schema_changes.extend(_schema_changes(store, table_ref, old, new, known_at))
    return {
        "table": str(ref),
        "from": format_time(start),
        "to": format_time(end),
        "known_at": format_time(known_at),
        "root": next((u for u in upstream if u["table"] == str(ref)), None),
        "upstream": [u for u in upstream if u["table"] != str(ref)],
        "schema_changes": schema_changes,
        "code": _code_changes(before, after),
    }


def _schema_changes(
    store: Store,
    ref: TableRef,
    old: ProvenanceNode | None,
    new: ProvenanceNode | None,
    known_at: datetime | None,
) -> list[dict[str, Any]]:
    low = old.snapshot.snapshot.committed_at if old and old.snapshot else None
    high = new.snapshot.snapshot.committed_at if new and new.snapshot else None
    if high is None:
        return []
    found = []
    for entry in history.schema_history(store, ref, known_at=known_at):
        if (low is None or entry.effective_at > low) and entry.effective_at <= high:
            for change in entry.changes:
                found.append(
                    {
                        "table": str(ref),
                        "schema_id": entry.schema_id,
                        "effective_at": format_time(entry.effective_at),
                        **change_json(change),
                    }
                )
    return found


def _code_changes(
    before: Mapping[str, ProvenanceNode], after: Mapping[str, ProvenanceNode]
) -> list[dict[str, Any]]:
    found = []
    for name in sorted(set(before) | set(after)):
        old_run = before[name].run if name in before else None
        new_run = after[name].run if name in after else None
        if old_run is None and new_run is None:
            continue
        old_identity = (old_run.job_version, dict(old_run.parameters)) if old_run else None
        new_identity = (new_run.job_version, dict(new_run.parameters)) if new_run else None
        found.append(
            {
                "table": name,
                "job": str((new_run or old_run).job),  # type: ignore[union-attr]
                "from_run": old_run.run_id if old_run else None,
                "to_run": new_run.run_id if new_run else None,
                "from_code_version": old_run.code_version if old_run else None,
                "to_code_version": new_run.code_version if new_run else None,
                "from_job_version": old_run.job_version if old_run else None,
                "to_job_version": new_run.job_version if new_run else None,
                "sql_changed": (old_run.sql if old_run else None)
                != (new_run.sql if new_run else None),
                "from_parameters": dict(old_run.parameters) if old_run else None,
                "to_parameters": dict(new_run.parameters) if new_run else None,
                "changed": old_identity != new_identity,
            }
        )
    return found
