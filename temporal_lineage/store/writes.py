"""Persisting what a source read: one table's facts, all or nothing, append-only.

The statements a sync repeats for every table are driver SQL built once per dialect
(``write_statements.py``) and run on the driver's cursor with driver-ready values, long
runs of rows as multi-row inserts or ``COPY`` (``bulk.py``). A table the store did not know
(or a new incarnation of one) skips the reads that could only find nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    and_,
    func,
    insert,
    select,
    update,
)

from temporal_lineage import jsontext
from temporal_lineage.commit_keys import DEFAULT_RUN_ID_KEYS, commit_keys
from temporal_lineage.evolution import diff_schemas
from temporal_lineage.model import (
    DatedBy,
    Format,
    Schema,
    SchemaChange,
    SchemaTransition,
    Snapshot,
    SyncReport,
    TableSchemaChange,
    TableState,
    TableSyncResult,
)
from temporal_lineage.store import tables as t
from temporal_lineage.store.bulk import Driver, bulk_insert
from temporal_lineage.store.codec import fields_to_rows, schema_from_rows
from temporal_lineage.store.columns import check_widths, time_parameter
from temporal_lineage.store.ref_writes import write_refs
from temporal_lineage.store.upsert import insert_new
from temporal_lineage.store.write_statements import FIELD_COLUMNS, statements


def ensure_source(conn: Connection, name: str, fmt: Format, now: datetime) -> int:
    """The id of the source row called ``name``, created on first sight.

    Several workers may see a new source at once: the insert then does nothing for all
    but one of them, and every one reads the same row.
    """
    by_name = select(t.sources.c.id).where(t.sources.c.name == name)
    found = conn.execute(by_name).scalar()
    if found is not None:
        return int(found)
    row = {"name": name, "format": fmt.value, "recorded_at": now}
    conn.execute(insert_new(conn, t.sources, ("name",)).values(row))
    return int(conn.execute(by_name).scalar_one())


@dataclass(frozen=True)
class KnownTable:
    """What the store knows of a table before a sync touches it."""

    table_id: int
    cursor: str | None
    dropped_at: datetime | None


def known_tables(conn: Connection, source_id: int) -> dict[str, KnownTable]:
    """Every table of a source with its cursor, by identifier."""
    rows = conn.execute(
        select(
            t.tables.c.identifier, t.tables.c.id, t.tables.c.cursor, t.tables.c.dropped_at
        ).where(t.tables.c.source_id == source_id)
    )
    return {r.identifier: KnownTable(r.id, r.cursor, r.dropped_at) for r in rows}


def mark_dropped(conn: Connection, table_id: int, now: datetime) -> None:
    """The table is gone from its source: from ``now`` on it has no head and no schema."""
    done = conn.execute(
        update(t.tables)
        .where(t.tables.c.id == table_id, t.tables.c.dropped_at.is_(None))
        .values(dropped_at=now, current_incarnation_id=None)
    ).rowcount
    if done:
        conn.execute(insert(t.heads).values(table_id=table_id, started_at=now, recorded_at=now))
        conn.execute(
            insert(t.schema_heads).values(
                table_id=table_id, effective_at=now, dated_by="noticed", recorded_at=now
            )
        )


def start_sync_run(
    conn: Connection, source: str | None, started_at: datetime, *, worker: str | None = None
) -> int:
    """Open the record of a sync pass by ``worker`` (closed by ``finish_sync_run``).

    ``source`` None: the pass covers every configured source.
    """
    return int(
        conn.execute(
            insert(t.sync_runs)
            .values(
                source=source,
                started_at=started_at,
                errors=[],
                worker=worker,
                recorded_at=started_at,
            )
            .returning(t.sync_runs.c.id)
        ).scalar_one()
    )


def finish_sync_run(
    conn: Connection, run_id: int, ended_at: datetime, report: SyncReport, *, failed: bool = False
) -> None:
    """Close the record of a sync pass with what it did.

    ``failed``: the pass raised, or a source could not be listed (``report.failed_sources``).
    """
    conn.execute(
        update(t.sync_runs)
        .where(t.sync_runs.c.id == run_id)
        .values(
            ended_at=ended_at,
            tables_checked=report.tables,
            snapshots_added=report.new_snapshots,
            schema_versions_added=report.new_schema_versions,
            errors=[{"table": e.table, "error": e.error} for e in report.errors],
            failed=failed,
        )
    )


class _TableWriter:
    """Applies one ``TableState`` to the store; every row written carries ``recorded_at=now``."""

    def __init__(
        self,
        conn: Connection,
        source_id: int,
        state: TableState,
        now: datetime,
        numbered: bool,
        run_id_keys: Sequence[str],
        new_table: bool = False,
    ) -> None:
        self.conn = conn
        self.run_id_keys = run_id_keys
        self.source_id = source_id
        self.state = state
        self.now = now
        self.numbered = numbered  # the format numbers its schemas (Iceberg)
        self.new_table = new_table  # the caller saw no such table: try the insert first
        self.sql = statements(conn.dialect.name)
        self.db = Driver(conn)
        self._times: dict[datetime, Any] = {}
        self.new_changes: list[TableSchemaChange] = []
        self.fresh_table = False
        """The table row was created by this write: nothing of it is stored yet."""
        self.fresh_incarnation = False
        """The incarnation row was created by this write: no schema, snapshot or head of it."""

    def apply(self) -> TableSyncResult:
        table_id, was_dropped = self._table()
        incarnation_id = self._incarnation(table_id)
        new_versions = self._schema_versions(incarnation_id)
        snapshot_schema = self._schema_heads(table_id, incarnation_id, was_dropped)
        inserted = self._snapshots(incarnation_id, snapshot_schema)
        expired = self._expire(incarnation_id)
        self._heads(table_id, incarnation_id, inserted, was_dropped)
        write_refs(
            self.conn,
            table_id,
            incarnation_id,
            self.state.ref_states,
            self.now,
            fresh=self.fresh_incarnation,
        )
        self.db.run(
            self.sql.finish_table,
            (self.state.cursor, self.state.location, incarnation_id, table_id),
        )
        return TableSyncResult(
            self.state.ref,
            len(inserted),
            new_versions,
            expired,
            changed=True,
            schema_changes=tuple(self.new_changes),
        )

    def _table(self) -> tuple[int, bool]:
        values = {
            "source_id": self.source_id,
            "identifier": self.state.ref.identifier,
            "format": self.state.format.value,
            "location": self.state.location,
            "recorded_at": self.now,
        }
        row_values = (
            self.source_id,
            self.state.ref.identifier,
            self.state.format.value,
            self.state.location,
            self._time(self.now),
        )
        if self.new_table:
            check_widths(t.tables, [values])
            # Another worker may have created it since the caller looked: then it is read.
            created = self.db.first(self.sql.insert_new_table, row_values)
            if created is not None:
                self.fresh_table = True
                return int(created), False
        row = self.conn.execute(
            select(t.tables.c.id, t.tables.c.dropped_at).where(
                t.tables.c.source_id == self.source_id,
                t.tables.c.identifier == self.state.ref.identifier,
            )
        ).first()
        if row is not None:
            return int(row.id), row.dropped_at is not None
        check_widths(t.tables, [values])
        created = self.db.one(self.sql.insert_table, row_values)
        self.fresh_table = True
        return int(created), False

    def _incarnation(self, table_id: int) -> int:
        if not self.fresh_table:
            found = self.conn.execute(
                select(t.incarnations.c.id).where(
                    t.incarnations.c.table_id == table_id,
                    t.incarnations.c.uuid == self.state.incarnation,
                )
            ).scalar()
            if found is not None:
                return int(found)
        values = {
            "table_id": table_id,
            "uuid": self.state.incarnation,
            "location": self.state.location,
            "format_version": self.state.format_version,
            "recorded_at": self.now,
        }
        check_widths(t.incarnations, [values])
        self.fresh_incarnation = True
        return int(
            self.db.one(
                self.sql.insert_incarnation,
                (
                    table_id,
                    self.state.incarnation,
                    self.state.location,
                    self.state.format_version,
                    self._time(self.now),
                ),
            )
        )

    # -- schemas -------------------------------------------------------------------------

    def _stored_versions(self, incarnation_id: int) -> dict[int, tuple[int, str]]:
        if self.fresh_incarnation:
            self._versions: dict[int, tuple[int, str]] = {}
            return self._versions
        rows = self.conn.execute(
            select(
                t.schema_versions.c.schema_id,
                t.schema_versions.c.id,
                t.schema_versions.c.fingerprint,
            ).where(t.schema_versions.c.incarnation_id == incarnation_id)
        )
        self._versions = {r.schema_id: (r.id, r.fingerprint) for r in rows}
        return self._versions

    def _insert_version(self, incarnation_id: int, schema_id: int, schema: Schema) -> int:
        fingerprint = schema.fingerprint()
        recorded = self._time(self.now)
        pk = int(
            self.db.one(self.sql.insert_version, (incarnation_id, schema_id, fingerprint, recorded))
        )
        rows = fields_to_rows(schema)
        if rows:
            bulk_insert(
                self.db,
                t.schema_fields,
                FIELD_COLUMNS,
                [
                    (
                        pk,
                        r["position"],
                        r["field_id"],
                        jsontext.dumps(r["path"]),
                        r["type"],
                        r["nullable"],
                        r["doc"],
                        r["physical_name"],
                        recorded,
                    )
                    for r in rows
                ],
                check=False,  # as before: a too-wide field is refused by PostgreSQL alone
            )
        self._versions[schema_id] = (pk, fingerprint)
        return pk

    def _schema_versions(self, incarnation_id: int) -> int:
        """Store every schema not seen before; returns how many were new."""
        versions = self._stored_versions(incarnation_id)
        added = 0
        if self.numbered:
            for schema_id, schema in self.state.schemas.items():
                if schema_id not in versions:
                    self._insert_version(incarnation_id, schema_id, schema)
                    added += 1
            return added
        by_fingerprint = {fp: sid for sid, (_pk, fp) in versions.items()}
        self._numbering: dict[int, int] = {}
        for index, transition in enumerate(self.state.transitions):
            fingerprint = transition.schema.fingerprint()
            if fingerprint not in by_fingerprint:
                schema_id = max(self._versions, default=-1) + 1
                self._insert_version(incarnation_id, schema_id, transition.schema)
                by_fingerprint[fingerprint] = schema_id
                added += 1
            self._numbering[index] = by_fingerprint[fingerprint]
        return added

    def _schema_id(self, index: int, transition: SchemaTransition) -> int | None:
        if self.numbered:
            return transition.schema_id
        return self._numbering[index]

    def _latest_schema_head(self, table_id: int) -> Row[Any, Any, Any] | None:
        if self.fresh_table:
            return None
        return self.conn.execute(
            select(
                t.schema_heads.c.schema_version_pk,
                t.schema_heads.c.effective_at,
                t.schema_heads.c.incarnation_id,
            )
            .where(t.schema_heads.c.table_id == table_id)
            .order_by(t.schema_heads.c.effective_at.desc(), t.schema_heads.c.id.desc())
            .limit(1)
        ).first()

    def _schema_heads(
        self, table_id: int, incarnation_id: int, was_dropped: bool
    ) -> dict[int, int]:
        """Append the schema changes after the latest stored one; Delta: schema of each version."""
        latest = self._latest_schema_head(table_id)
        current_pk = latest.schema_version_pk if latest is not None else None
        latest_at = latest.effective_at if latest is not None else None
        if latest is not None and latest.incarnation_id != incarnation_id:
            current_pk = None  # a new incarnation starts its own history
        schema_at_version: dict[int, int] = {}
        pk_to_id = {pk: sid for sid, (pk, _fp) in self._versions.items()}
        for index, transition in enumerate(self.state.transitions):
            schema_id = self._schema_id(index, transition)
            if schema_id is None or schema_id not in self._versions:
                continue
            pk = self._versions[schema_id][0]
            if transition.snapshot_id is not None:
                schema_at_version[transition.snapshot_id] = schema_id
            if pk == current_pk:
                continue
            if self.numbered and latest_at is not None and transition.effective_at < latest_at:
                continue  # re-observed from an older metadata file: already recorded
            previous = self._load_schema(current_pk) if current_pk is not None else None
            changes = diff_schemas(previous, transition.schema) if previous is not None else ()
            self._insert_schema_head(table_id, incarnation_id, pk, transition, changes)
            self.new_changes.extend(
                TableSchemaChange(self.state.ref, transition.effective_at, c) for c in changes
            )
            current_pk, latest_at = pk, transition.effective_at
        if was_dropped and current_pk is None and self.state.transitions:
            # The same incarnation is listed again after it was seen gone: its schema is
            # current again from now (the time the poller noticed).
            last = self.state.transitions[-1]
            schema_id = self._schema_id(len(self.state.transitions) - 1, last)
            if schema_id is not None and schema_id in self._versions:
                noticed = replace(last, effective_at=self.now, dated_by=DatedBy.NOTICED)
                self._insert_schema_head(
                    table_id, incarnation_id, self._versions[schema_id][0], noticed, ()
                )
        if self.numbered:
            return {}
        # Delta: every version reads back in the schema in force at it.
        numbering: dict[int, int] = {}
        running = self._schema_before(latest, incarnation_id, pk_to_id)
        for snap in sorted(self.state.snapshots, key=lambda s: s.snapshot_id):
            running = schema_at_version.get(snap.snapshot_id, running)
            if running is not None:
                numbering[snap.snapshot_id] = running
        return numbering

    def _schema_before(
        self, latest: Row[Any, Any, Any] | None, incarnation_id: int, pk_to_id: Mapping[int, int]
    ) -> int | None:
        if latest is None or latest.incarnation_id != incarnation_id:
            return None
        return pk_to_id.get(latest.schema_version_pk)

    def _load_schema(self, schema_version_pk: int) -> Schema:
        rows = self.conn.execute(
            select(t.schema_fields)
            .where(t.schema_fields.c.schema_version_pk == schema_version_pk)
            .order_by(t.schema_fields.c.position)
        ).all()
        return schema_from_rows(rows)

    def _insert_schema_head(
        self,
        table_id: int,
        incarnation_id: int,
        schema_version_pk: int,
        transition: SchemaTransition,
        changes: Sequence[SchemaChange],
    ) -> None:
        values = (
            table_id,
            incarnation_id,
            schema_version_pk,
            self._time(transition.effective_at),
            transition.dated_by.value,
            transition.snapshot_id,
            self._time(self.now),
        )
        if not changes:
            self.db.run(self.sql.insert_schema_head, values)
            return
        head_pk = self.db.one(self.sql.insert_schema_head + " RETURNING id", values)
        self.conn.execute(
            insert(t.schema_changes),
            [
                {
                    "schema_head_pk": head_pk,
                    "kind": c.kind.value,
                    "field_id": c.field_id,
                    "path": list(c.path),
                    "old_path": list(c.old_path) if c.old_path is not None else None,
                    "old_type": c.old_type,
                    "new_type": c.new_type,
                    "hint": c.hint,
                    "recorded_at": self.now,
                }
                for c in changes
            ],
        )

    # -- snapshots and heads -------------------------------------------------------------

    def _snapshots(self, incarnation_id: int, numbering: Mapping[int, int]) -> list[Snapshot]:
        stored: set[int] = set()
        if not self.fresh_incarnation:
            stored.update(
                self.conn.execute(
                    select(t.snapshots.c.snapshot_id).where(
                        t.snapshots.c.incarnation_id == incarnation_id
                    )
                ).scalars()
            )
        self._stored_snapshot_ids = stored
        new = (
            [s for s in self.state.snapshots if s.snapshot_id not in stored]
            if stored
            else list(self.state.snapshots)
        )
        when = self._time
        recorded = when(self.now)
        dumps = jsontext.dumps
        bulk_insert(
            self.db,
            t.snapshots,
            (
                "incarnation_id",
                "snapshot_id",
                "parent_id",
                "sequence_number",
                "committed_at",
                "operation",
                "schema_id",
                "summary",
                "recorded_at",
                "branch",
            ),
            [
                (
                    incarnation_id,
                    s.snapshot_id,
                    s.parent_id,
                    s.sequence_number,
                    when(s.committed_at),
                    s.operation,
                    s.schema_id if s.schema_id is not None else numbering.get(s.snapshot_id),
                    dumps(s.summary),
                    recorded,
                    s.branch,
                )
                for s in new
            ],
        )
        bulk_insert(
            self.db,
            t.snapshot_keys,
            ("incarnation_id", "snapshot_id", "key", "value", "recorded_at"),
            [
                (incarnation_id, s.snapshot_id, key, value, recorded)
                for s in new
                for key, value in commit_keys(s.summary, self.run_id_keys)
            ],
        )
        return new

    def _expire(self, incarnation_id: int) -> int:
        """Mark snapshots the source no longer has; they stay in the store."""
        condition: ColumnElement[bool] | None = None
        if self.state.snapshots_complete:
            present = {s.snapshot_id for s in self.state.snapshots}
            gone = self._stored_snapshot_ids - present
            if gone:
                condition = t.snapshots.c.snapshot_id.in_(sorted(gone))
        elif self.state.retained_from is not None:
            condition = t.snapshots.c.snapshot_id < self.state.retained_from
        if condition is None:
            return 0
        return int(
            self.conn.execute(
                update(t.snapshots)
                .where(
                    t.snapshots.c.incarnation_id == incarnation_id,
                    t.snapshots.c.expired_in_source.is_(None),
                    condition,
                )
                .values(expired_in_source=self.now)
            ).rowcount
        )

    def _heads(
        self, table_id: int, incarnation_id: int, inserted: Sequence[Snapshot], was_dropped: bool
    ) -> None:
        """Append the head changes not stored yet (a head log is append-only in time)."""
        new_ids = {s.snapshot_id for s in inserted}
        known = self._stored_snapshot_ids | new_ids
        latest = None
        if not self.fresh_incarnation:  # else nothing of it is stored: no statement built
            mine = and_(t.heads.c.table_id == table_id, t.heads.c.incarnation_id == incarnation_id)
            latest = self.conn.execute(select(func.max(t.heads.c.started_at)).where(mine)).scalar()
        if latest is None:
            candidates = list(self.state.heads)
        else:
            recent = {
                (r.snapshot_id, r.started_at)
                for r in self.conn.execute(
                    select(t.heads.c.snapshot_id, t.heads.c.started_at).where(
                        mine, t.heads.c.started_at >= latest
                    )
                )
            }
            candidates = [
                h
                for h in self.state.heads
                if (h.started_at >= latest or h.snapshot_id in new_ids)
                and (h.snapshot_id, h.started_at) not in recent
            ]
        when = self._time
        recorded = when(self.now)
        rows = [
            (table_id, incarnation_id, h.snapshot_id, when(h.started_at), recorded)
            for h in candidates
            if h.snapshot_id in known
        ]
        if was_dropped and not rows and self.state.heads:
            # The same incarnation is listed again after it was seen gone.
            current = self.state.heads[-1]
            if current.snapshot_id in known:
                rows.append((table_id, incarnation_id, current.snapshot_id, recorded, recorded))
        bulk_insert(
            self.db,
            t.heads,
            ("table_id", "incarnation_id", "snapshot_id", "started_at", "recorded_at"),
            rows,
        )

    def _time(self, value: datetime) -> Any:
        # Heads repeat their snapshots' times (the very same objects): convert each once.
        found = self._times.get(value)
        if found is None:
            found = self._times[value] = time_parameter(value, self.conn.dialect.name)
        return found


def apply_table_state(
    conn: Connection,
    source_id: int,
    state: TableState,
    now: datetime,
    *,
    numbered: bool,
    run_id_keys: Sequence[str] = DEFAULT_RUN_ID_KEYS,
    new_table: bool = False,
) -> TableSyncResult:
    """Persist everything new in ``state`` (inside a transaction or savepoint of its own).

    ``run_id_keys`` are the commit properties that may hold a run id (the source's config).
    ``new_table``: the caller's view of the store has no such table (it is then inserted
    first, and read only if another writer created it meanwhile).
    """
    writer = _TableWriter(conn, source_id, state, now, numbered, run_id_keys, new_table)
    try:
        return writer.apply()
    finally:
        writer.db.close()
