"""Model values <-> store rows for the few shapes stored in more than one place."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from temporal_lineage.model import ChangeKind, Field, Schema, SchemaChange


def fields_to_rows(schema: Schema) -> list[dict[str, Any]]:
    """One row per field, in schema order."""
    return [
        {
            "position": position,
            "field_id": f.id,
            "path": list(f.path),
            "type": f.type,
            "nullable": f.nullable,
            "doc": f.doc,
            "physical_name": f.physical_name,
        }
        for position, f in enumerate(schema.fields)
    ]


def schema_from_rows(rows: Iterable[Any]) -> Schema:
    """A ``Schema`` from ``schema_fields`` rows ordered by position."""
    return Schema(
        tuple(
            Field(
                id=r.field_id,
                path=tuple(r.path),
                type=r.type,
                nullable=bool(r.nullable),
                doc=r.doc,
                physical_name=r.physical_name,
            )
            for r in rows
        )
    )


def change_from_row(row: Any) -> SchemaChange:
    """A ``SchemaChange`` from a ``schema_changes`` row."""
    return SchemaChange(
        kind=ChangeKind(row.kind),
        field_id=row.field_id,
        path=tuple(row.path),
        old_path=tuple(row.old_path) if row.old_path is not None else None,
        old_type=row.old_type,
        new_type=row.new_type,
        hint=row.hint,
    )
