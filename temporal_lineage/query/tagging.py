"""``tag add|remove``: manual tag facts on a table or a column (by field id), from a time on.
Removing ends the tag's validity; nothing is deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from temporal_lineage.errors import ColumnNotFound, ConfigError, TableNotFound
from temporal_lineage.governance_config import check_tag
from temporal_lineage.model import TableRef, TagAction, TagOrigin
from temporal_lineage.query.impact import field_named
from temporal_lineage.store import Store, StoredTable, StoreReader
from temporal_lineage.store.governance_writes import ManualTag
from temporal_lineage.times import format_time, now


@dataclass(frozen=True)
class TagWritten:
    """What ``tag add|remove`` recorded."""

    fact_id: int
    table: TableRef
    column: str | None
    field_id: int | None
    tag: str
    action: TagAction
    effective_at: datetime
    recorded_at: datetime


def resolve_target(reader: StoreReader, target: str) -> tuple[StoredTable, str | None]:
    """``TABLE`` or ``TABLE.COLUMN``: the longest leading part that names a stored table.

    Raises:
        TableNotFound: no leading part of ``target`` is a stored table.
    """
    parts = target.strip().split(".")
    for cut in range(len(parts), 1, -1):
        try:
            ref = TableRef(parts[0], ".".join(parts[1:cut]))
        except ValueError:
            continue
        found = reader.find_table(ref)
        if found is not None:
            return found, ".".join(parts[cut:]) or None
    raise TableNotFound(f"no stored table is named by {target!r} (TABLE or TABLE.COLUMN)")


def write_tag(
    store: Store,
    target: str,
    tag: str,
    action: TagAction,
    *,
    effective_at: datetime | None = None,
    reason: str | None = None,
    source: str | None = None,
) -> TagWritten:
    """Record a manual tag fact on ``target`` from ``effective_at`` (default now).

    Raises:
        ConfigError: not a tag name, or removing a tag the target does not carry manually.
        TableNotFound, ColumnNotFound: the target is unknown (the column as of that time).
    """
    check_tag(tag, "tag")
    recorded = now()
    when = effective_at or recorded
    with store.reader() as reader:
        table, column = resolve_target(reader, target)
        field = None
        if column is not None:
            schema = reader.schema_as_of(table, when)
            field = field_named(schema.schema if schema else None, column)
            if field is None:
                raise ColumnNotFound(
                    f"{table.ref} has no column {column!r} as of {format_time(when)}"
                )
        if action is TagAction.REMOVE:
            _check_carried(reader, table, field.id if field else None, column, tag, when)
    fact = ManualTag(
        table=table,
        field=field.dotted_path if field else None,
        field_id=field.id if field else None,
        tag=tag,
        action=action,
        effective_at=when,
        source=source,
        reason=reason,
    )
    fact_id = store.write_tag(fact, recorded)
    return TagWritten(fact_id, table.ref, fact.field, fact.field_id, tag, action, when, recorded)


def _check_carried(
    reader: StoreReader,
    table: StoredTable,
    field_id: int | None,
    column: str | None,
    tag: str,
    when: datetime,
) -> None:
    """A removal must end a tag a fact (OpenLineage or manual) gave the target by then."""
    for fact in reversed(reader.tag_facts([table], when, None)):
        if fact.tag != tag or (fact.field is None) != (column is None):
            continue
        same = (
            fact.field_id == field_id
            if fact.field_id is not None and field_id
            else (column is None or (fact.field or "").lower() == column.lower())
        )
        if same:
            if fact.action is TagAction.ADD:
                return
            break
    where = f"{table.ref}.{column}" if column else str(table.ref)
    raise ConfigError(
        f"{where} carries no tag {tag!r} from a fact as of {format_time(when)} "
        f"(tags given by classify rules end when the rule changes; {TagOrigin.RULE.value}s are "
        "not removed by tag remove)"
    )
