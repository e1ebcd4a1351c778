"""Writing governance facts: manual tags and erasure verifications (append only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from temporal_lineage.model import TagAction, TagOrigin
from temporal_lineage.store import tables as t
from temporal_lineage.store.columns import check_widths
from temporal_lineage.store.reads import StoredTable


@dataclass(frozen=True)
class ManualTag:
    """``tag add|remove``: a tag on a table or one of its columns from ``effective_at``."""

    table: StoredTable
    field: str | None
    field_id: int | None
    tag: str
    action: TagAction
    effective_at: datetime
    source: str | None
    reason: str | None


def insert_manual_tag(conn: Connection, tag: ManualTag, now: datetime) -> int:
    """Record one manual tag fact; returns its id.

    Raises:
        ValueRefused: a value is wider than its column.
    """
    row = {
        "target": "dataset",
        "namespace": tag.table.ref.source,
        "name": tag.table.ref.identifier,
        "run_id": None,
        "table_id": tag.table.table_id,
        "field": tag.field,
        "field_id": tag.field_id,
        "tag": tag.tag,
        "value": None,
        "action": tag.action.value,
        "origin": TagOrigin.MANUAL.value,
        "source": tag.source,
        "reason": tag.reason,
        "effective_at": tag.effective_at,
        "event_pk": None,
        "matched_at": now,
        "recorded_at": now,
    }
    check_widths(t.tag_facts, [row])
    return int(conn.execute(insert(t.tag_facts).returning(t.tag_facts.c.id), row).scalar_one())


def insert_erasure_check(
    conn: Connection,
    table: StoredTable,
    predicate: str,
    complete: bool,
    method: str,
    report: Any,
    now: datetime,
) -> int:
    """Record one erasure verification (its whole report); returns its id."""
    row = {
        "table_id": table.table_id,
        "predicate": predicate,
        "complete": complete,
        "method": method,
        "report": report,
        "checked_at": now,
        "recorded_at": now,
    }
    return int(
        conn.execute(insert(t.erasure_checks).returning(t.erasure_checks.c.id), row).scalar_one()
    )
