"""``classification TABLE``: every column's tags as of A (known at K), how each got there,
and where tags that came near it were stopped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from temporal_lineage.governance_config import Governance
from temporal_lineage.model import TableRef
from temporal_lineage.query.lineage import Direction, lineage, reach, reachable
from temporal_lineage.query.tag_flow import MAX_DEPTH, CarriedTag, Stop, TagMap, flow
from temporal_lineage.store import Store, StoredTable, StoreReader


@dataclass(frozen=True)
class ColumnClassification:
    """One column of the table as of A: its tags and the stops on its way in."""

    column: str
    field_id: int | None
    tags: tuple[CarriedTag, ...]
    stopped: tuple[Stop, ...]


@dataclass(frozen=True)
class Classification:
    """The answer of ``classification TABLE``."""

    table: TableRef
    as_of: datetime
    known_at: datetime | None
    columns: tuple[ColumnClassification, ...]
    table_tags: tuple[CarriedTag, ...]


def upstream_of(
    reader: StoreReader, root: StoredTable, as_of: datetime, known_at: datetime | None
) -> list[StoredTable]:
    """``root`` and every stored table upstream of it through the lineage in force at A."""
    return list(reachable(reader, root, True, as_of, known_at, MAX_DEPTH).values())


def classification(
    store: Store,
    governance: Governance,
    ref: TableRef,
    as_of: datetime,
    known_at: datetime | None = None,
) -> Classification:
    """The tags of ``ref``'s columns and of the table itself as of ``as_of``.

    Raises:
        TableNotFound: the store has never seen ``ref``.
    """
    with store.reader() as reader:
        root = reader.get_table(ref)
        found = reach(reader, root, True, as_of, known_at, MAX_DEPTH)
        tags = flow(reader, governance, as_of, known_at, found.tables.values(), found.hops)
    return of_table(tags, root, known_at)


def classify_tables(
    reader: StoreReader,
    governance: Governance,
    tables: Sequence[StoredTable],
    as_of: datetime,
    known_at: datetime | None,
    reached: dict[int, StoredTable] | None = None,
) -> list[Classification]:
    """The classification of each of ``tables``, in that order, from one tag map over them
    and everything upstream of them.

    ``reached``: tables known already to hold their whole upstream (a walk done before);
    they are not walked again.
    """
    found = dict(reached or {})
    for table in tables:
        if table.table_id not in found:
            found.update((t.table_id, t) for t in upstream_of(reader, table, as_of, known_at))
    tags = flow(reader, governance, as_of, known_at, within=list(found.values()))
    return [of_table(tags, table, known_at) for table in tables]


def lineage_tags(
    store: Store,
    governance: Governance,
    ref: TableRef,
    as_of: datetime,
    known_at: datetime | None = None,
    direction: Direction = Direction.UPSTREAM,
    depth: int = 5,
) -> list[Classification]:
    """The classification of every stored table of ``ref``'s lineage graph as of A (the
    graph ``lineage`` answers with the same arguments), in the graph's node order.

    Raises:
        TableNotFound: the store has never seen ``ref``.
    """
    graph = lineage(store, ref, as_of, direction=direction, depth=depth, known_at=known_at)
    with store.reader() as reader:
        tables = [
            table
            for node in graph.nodes
            if node.node.table is not None
            and (table := reader.find_table(node.node.table)) is not None
        ]
        return classify_tables(reader, governance, tables, as_of, known_at)


def of_table(tags: TagMap, table: StoredTable, known_at: datetime | None) -> Classification:
    """One table's classification out of a computed tag map."""
    schema = tags.schemas.get(table.table_id)
    columns = []
    for field in schema.fields if schema else ():
        held = tags.columns.get((table.table_id, field.dotted_path), {})
        stopped = tuple(
            s
            for s in tags.stops
            if s.hop.to_node.table == table.ref and s.hop.to_column == field.dotted_path
        )
        columns.append(
            ColumnClassification(
                field.dotted_path,
                field.id,
                tuple(c for tag in sorted(held) for c in held[tag]),
                stopped,
            )
        )
    table_tags = tuple(
        sorted(tags.table_tags.get(table.table_id, {}).values(), key=lambda c: c.tag)
    )
    return Classification(table.ref, tags.as_of, known_at, tuple(columns), table_tags)
