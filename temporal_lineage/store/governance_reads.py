"""Stored governance facts: tags and owners over time, every field a table's schemas ever
had, and erasure verifications."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from temporal_lineage.model import JobKey, TagAction, TagOrigin
from temporal_lineage.store import tables as t
from temporal_lineage.store.reads import StoredTable, known
from temporal_lineage.store.run_reads import stored_tables

_CHUNK = 400


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


@dataclass(frozen=True)
class TagFact:
    """One stored tag fact on a table (``field`` None) or one of its columns."""

    fact_id: int
    table: StoredTable
    field: str | None
    """The column's path as the fact named it."""
    field_id: int | None
    """The column's field id, when resolved as the fact was written (manual tags)."""
    tag: str
    value: str | None
    action: TagAction
    origin: TagOrigin
    source: str | None
    reason: str | None
    effective_at: datetime
    recorded_at: datetime


@dataclass(frozen=True)
class FieldSighting:
    """A field in one schema version of a table, and when that version became current."""

    table_id: int
    incarnation_id: int
    field_id: int | None
    path: tuple[str, ...]
    type: str
    effective_at: datetime


@dataclass(frozen=True)
class OwnerFact:
    """An ``ownership`` facet: the owners of a dataset or job from ``effective_at`` on."""

    table_id: int | None
    job: JobKey | None
    owners: tuple[str, ...]
    effective_at: datetime


@dataclass(frozen=True)
class ErasureCheck:
    """A recorded erasure verification."""

    check_id: int
    predicate: str
    complete: bool
    method: str
    report: Any
    checked_at: datetime
    recorded_at: datetime


def tag_facts(
    conn: Connection, table_ids: Collection[int] | None, until: datetime, known_at: datetime | None
) -> list[TagFact]:
    """Dataset tag facts valid from ``until`` or earlier, of these tables (None: of every
    matched table), in the order they take effect."""
    c = t.tag_facts.c
    condition = [
        c.target == "dataset",
        c.table_id.is_not(None),
        c.effective_at <= until,
        known(c.recorded_at, known_at),
    ]
    if known_at is not None:
        condition.append(c.matched_at <= known_at)
    query = select(t.tag_facts).where(*condition).order_by(c.effective_at, c.id)
    rows = []
    if table_ids is None:
        rows = list(conn.execute(query).all())
    else:
        for chunk in _chunks(table_ids):
            rows.extend(conn.execute(query.where(c.table_id.in_(chunk))).all())
        rows.sort(key=lambda r: (r.effective_at, r.id))
    tables = stored_tables(conn, {r.table_id for r in rows})
    return [
        TagFact(
            fact_id=r.id,
            table=tables[r.table_id],
            field=r.field,
            field_id=r.field_id,
            tag=r.tag,
            value=r.value,
            action=TagAction(r.action),
            origin=TagOrigin(r.origin),
            source=r.source,
            reason=r.reason,
            effective_at=r.effective_at,
            recorded_at=r.recorded_at,
        )
        for r in rows
    ]


def field_sightings(
    conn: Connection, table_ids: Collection[int], until: datetime, known_at: datetime | None
) -> list[FieldSighting]:
    """Every field of every schema these tables had current at ``until`` or before."""
    heads, fields = t.schema_heads.c, t.schema_fields.c
    query = (
        select(
            heads.table_id,
            heads.incarnation_id,
            heads.effective_at,
            fields.field_id,
            fields.path,
            fields.type,
        )
        .join(t.schema_fields, fields.schema_version_pk == heads.schema_version_pk)
        .where(heads.effective_at <= until, known(heads.recorded_at, known_at))
        .order_by(heads.table_id, heads.effective_at, heads.id, fields.position)
    )
    found: list[FieldSighting] = []
    for chunk in _chunks(table_ids):
        found.extend(
            FieldSighting(
                r.table_id, r.incarnation_id, r.field_id, tuple(r.path), r.type, r.effective_at
            )
            for r in conn.execute(query.where(heads.table_id.in_(chunk)))
        )
    return found


def owner_facts(
    conn: Connection,
    table_ids: Collection[int],
    jobs: Collection[JobKey],
    until: datetime,
    known_at: datetime | None,
) -> list[OwnerFact]:
    """The ownership facets of these tables and jobs stated by ``until``, oldest first."""
    c = t.owner_facts.c
    base = select(t.owner_facts).where(c.effective_at <= until, known(c.recorded_at, known_at))
    rows: list[Any] = []
    for chunk in _chunks(table_ids):
        rows.extend(conn.execute(base.where(c.target == "dataset", c.table_id.in_(chunk))))
    wanted = {(j.namespace, j.name) for j in jobs}
    if wanted:
        names = sorted({name for _, name in wanted})
        for start in range(0, len(names), _CHUNK):
            query = base.where(c.target == "job", c.name.in_(names[start : start + _CHUNK]))
            rows.extend(r for r in conn.execute(query) if (r.namespace, r.name) in wanted)
    rows.sort(key=lambda r: (r.effective_at, r.id))
    return [
        OwnerFact(
            table_id=r.table_id if r.target == "dataset" else None,
            job=JobKey(r.namespace, r.name) if r.target == "job" else None,
            owners=tuple(str(item[0]) for item in r.owners),
            effective_at=r.effective_at,
        )
        for r in rows
    ]


def erasure_checks(
    conn: Connection, table: StoredTable, known_at: datetime | None
) -> list[ErasureCheck]:
    """The erasure verifications recorded for ``table``, oldest first."""
    c = t.erasure_checks.c
    rows = conn.execute(
        select(t.erasure_checks)
        .where(c.table_id == table.table_id, known(c.recorded_at, known_at))
        .order_by(c.checked_at, c.id)
    )
    return [
        ErasureCheck(r.id, r.predicate, r.complete, r.method, r.report, r.checked_at, r.recorded_at)
        for r in rows
    ]


def all_tables(conn: Connection) -> list[StoredTable]:
    """Every stored table, by id."""
    return list(stored_tables(conn, list(conn.execute(select(t.tables.c.id)).scalars())).values())
