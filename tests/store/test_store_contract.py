"""The store contract, on SQLite and on PostgreSQL: what is written is answered, exactly."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from temporal_lineage.model import (
    ChangeKind,
    DatedBy,
    Field,
    Format,
    HeadChange,
    Schema,
    SchemaTransition,
    Snapshot,
    TableRef,
    TableState,
)
from temporal_lineage.store import Store, reads
from temporal_lineage.store import tables as t
from temporal_lineage.store.database import HEAD_REVISION, head_revision
from temporal_lineage.store.writes import apply_table_state, ensure_source, mark_dropped
from temporal_lineage.times import from_millis

REF = TableRef("lake", "raw.events")
BIG = 2**63 - 1  # the largest Iceberg snapshot id
T0 = 1_700_000_000_000

S0 = Schema((Field(1, ("id",), "long", False), Field(2, ("amount",), "double", True)))
S1 = Schema((Field(1, ("id",), "long", False), Field(2, ("total",), "double", True)))


def snap(snapshot_id: int, ms: int, parent: int | None = None, schema_id: int = 0) -> Snapshot:
    return Snapshot(snapshot_id, parent, from_millis(ms), "append", schema_id, None, {"k": "v"})


def iceberg_state(**changes: object) -> TableState:
    """Three snapshots, a rollback to the first, a rename at T0+1500."""
    base = TableState(
        ref=REF,
        format=Format.ICEBERG,
        incarnation="uuid-1",
        location="file:///wh/raw/events",
        cursor="c1",
        snapshots=(snap(1, T0), snap(BIG, T0 + 1000, 1), snap(3, T0 + 2000, BIG, 1)),
        heads=(
            HeadChange(1, from_millis(T0)),
            HeadChange(BIG, from_millis(T0 + 1000)),
            HeadChange(3, from_millis(T0 + 2000)),
            HeadChange(1, from_millis(T0 + 3000)),  # rollback
        ),
        transitions=(
            SchemaTransition(S0, from_millis(T0 - 10), DatedBy.METADATA_LOG, 0),
            SchemaTransition(S1, from_millis(T0 + 1500), DatedBy.METADATA_LOG, 1),
        ),
        schemas={0: S0, 1: S1},
        snapshots_complete=True,
        format_version=2,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def write(store: Store, state: TableState, at_ms: int, *, numbered: bool = True) -> None:
    with store.begin() as conn:
        source_id = ensure_source(conn, state.ref.source, state.format, from_millis(at_ms))
        apply_table_state(conn, source_id, state, from_millis(at_ms), numbered=numbered)


def head(store: Store, ms: int, known_ms: int | None = None) -> int | None:
    with store.connect() as conn:
        table = reads.get_table(conn, REF)
        known = from_millis(known_ms) if known_ms is not None else None
        found = reads.head_as_of(conn, table, from_millis(ms), known)
    return found.snapshot.snapshot_id if found else None


def count(store: Store, table: object) -> int:
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_migrated_schema_matches_the_table_definitions(store: Store) -> None:
    assert store.current_revision() == head_revision() == HEAD_REVISION
    with store.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), t.metadata)
    assert diff == []
    assert store.migrate() is False  # idempotent


def test_head_as_of_is_inclusive_and_follows_the_snapshot_log(store: Store) -> None:
    write(store, iceberg_state(), T0 + 5000)
    assert head(store, T0 - 1) is None  # before the first commit there is none
    assert head(store, T0) == 1  # exactly at the commit: inclusive
    assert head(store, T0 + 999) == 1
    assert head(store, T0 + 1000) == BIG  # 64-bit ids survive both databases
    assert head(store, T0 + 2999) == 3
    assert head(store, T0 + 3000) == 1  # the rollback, not "newest by time"
    assert head(store, T0 + 10**9) == 1


def test_rewriting_the_same_facts_adds_nothing(store: Store) -> None:
    write(store, iceberg_state(), T0 + 5000)
    before = [count(store, x) for x in (t.snapshots, t.heads, t.schema_versions, t.schema_heads)]
    write(store, iceberg_state(), T0 + 6000)
    after = [count(store, x) for x in (t.snapshots, t.heads, t.schema_versions, t.schema_heads)]
    assert before == after == [3, 4, 2, 2]


def test_schema_as_of_and_history_by_field_identity(store: Store) -> None:
    write(store, iceberg_state(), T0 + 5000)
    with store.connect() as conn:
        table = reads.get_table(conn, REF)
        assert reads.schema_as_of(conn, table, from_millis(T0 - 11)) is None
        early = reads.schema_as_of(conn, table, from_millis(T0 + 1499))
        late = reads.schema_as_of(conn, table, from_millis(T0 + 1500))
        history = reads.schema_history(conn, table)
    assert early is not None and early.schema_id == 0
    assert late is not None and late.schema_id == 1
    assert [f.name for f in late.schema.fields] == ["id", "total"]
    assert [h.schema_id for h in history] == [0, 1]
    assert history[0].changes == ()
    (change,) = history[1].changes
    assert (change.kind, change.field_id, change.old_path, change.path) == (
        ChangeKind.RENAMED,
        2,
        ("amount",),
        ("total",),
    )


def test_vanished_snapshots_stay_and_are_marked_expired(store: Store) -> None:
    write(store, iceberg_state(), T0 + 5000)
    expired = iceberg_state(snapshots=iceberg_state().snapshots[1:], heads=())
    write(store, expired, T0 + 6000)
    with store.connect() as conn:
        listed = reads.list_snapshots(conn, reads.get_table(conn, REF))
        early = reads.list_snapshots(conn, reads.get_table(conn, REF), from_millis(T0 + 5500))
    marks = {s.snapshot.snapshot_id: s.expired_in_source for s in listed}
    assert marks == {1: from_millis(T0 + 6000), BIG: None, 3: None}
    # As known before it was noticed, the snapshot was not expired.
    assert all(s.expired_in_source is None for s in early)
    assert head(store, T0) == 1  # history answered after the source forgot it


def test_known_at_ignores_later_facts_and_stays_stable(store: Store) -> None:
    first = iceberg_state(snapshots=iceberg_state().snapshots[:2], heads=iceberg_state().heads[:2])
    write(store, first, T0 + 1500)
    known = T0 + 1600
    before = [head(store, ms, known) for ms in (T0, T0 + 2500, T0 + 3500)]
    write(store, iceberg_state(), T0 + 5000)
    after = [head(store, ms, known) for ms in (T0, T0 + 2500, T0 + 3500)]
    assert before == after == [1, BIG, BIG]
    assert head(store, T0 + 3500) == 1  # as known now


def test_drop_and_recreate_starts_a_new_incarnation(store: Store) -> None:
    write(store, iceberg_state(), T0 + 5000)
    with store.begin() as conn:
        mark_dropped(conn, reads.get_table(conn, REF).table_id, from_millis(T0 + 6000))
    assert head(store, T0 + 5999) == 1
    assert head(store, T0 + 6000) is None
    reborn = iceberg_state(
        incarnation="uuid-2",
        snapshots=(snap(1, T0 + 7000),),
        heads=(HeadChange(1, from_millis(T0 + 7000)),),
        transitions=(SchemaTransition(S0, from_millis(T0 + 6500), DatedBy.METADATA_LOG, 0),),
        schemas={0: S0},
    )
    write(store, reborn, T0 + 8000)
    assert head(store, T0 + 6999) is None
    assert head(store, T0 + 7000) == 1
    with store.connect() as conn:
        snaps = reads.list_snapshots(conn, reads.get_table(conn, REF))
        history = reads.schema_history(conn, reads.get_table(conn, REF))
    assert [(s.incarnation, s.snapshot.snapshot_id) for s in snaps] == [
        ("uuid-1", 1),
        ("uuid-1", BIG),
        ("uuid-1", 3),
        ("uuid-2", 1),
    ]
    assert [(h.incarnation, h.schema_id, h.changes) for h in history][-1] == ("uuid-2", 0, ())


def test_unnumbered_schemas_are_numbered_by_content(store: Store) -> None:
    """Delta: schemas numbered in order of first appearance; a re-emitted one is no change."""
    ref = TableRef("deltas", "users")
    d0 = Schema((Field(None, ("id",), "long", True),))
    d1 = Schema((Field(None, ("id",), "long", True), Field(None, ("name",), "string", True)))
    versions = tuple(
        Snapshot(v, v - 1 if v else None, from_millis(T0 + v), "WRITE", None, v) for v in range(4)
    )
    state = TableState(
        ref=ref,
        format=Format.DELTA,
        incarnation="delta-id",
        location="/d/users",
        cursor="3",
        snapshots=versions,
        heads=tuple(HeadChange(s.snapshot_id, s.committed_at) for s in versions),
        transitions=(
            SchemaTransition(d0, from_millis(T0), DatedBy.COMMIT, None, 0),
            SchemaTransition(d0, from_millis(T0 + 1), DatedBy.COMMIT, None, 1),  # re-emitted
            SchemaTransition(d1, from_millis(T0 + 2), DatedBy.COMMIT, None, 2),
        ),
    )
    write(store, state, T0 + 10, numbered=False)
    with store.connect() as conn:
        table = reads.get_table(conn, ref)
        snaps = reads.list_snapshots(conn, table)
        history = reads.schema_history(conn, table)
    assert [s.snapshot.schema_id for s in snaps] == [0, 0, 1, 1]
    assert [(h.schema_id, h.snapshot_id) for h in history] == [(0, 0), (1, 2)]
    assert [(c.kind, c.path, c.field_id) for c in history[1].changes] == [
        (ChangeKind.ADDED, ("name",), None)
    ]


def test_times_must_be_aware(store: Store) -> None:
    naive = from_millis(T0).replace(tzinfo=None)
    with pytest.raises(Exception, match="naive datetime"):
        with store.begin() as conn:
            ensure_source(conn, "x", Format.DELTA, naive)
    assert count(store, t.sources) == 0  # nothing half-written


def test_unknown_table_is_a_clear_error(store: Store) -> None:
    from temporal_lineage.errors import TableNotFound

    with store.connect() as conn, pytest.raises(TableNotFound, match="unknown table lake.nope"):
        reads.get_table(conn, TableRef("lake", "nope"))


def test_recorded_at_is_on_every_row(store: Store) -> None:
    write(store, iceberg_state(), T0 + 5000)
    with store.connect() as conn:
        for table in t.metadata.sorted_tables:
            assert "recorded_at" in table.c, table.name
            nulls = conn.execute(
                select(func.count()).select_from(table).where(table.c.recorded_at.is_(None))
            ).scalar_one()
            assert nulls == 0


def test_one_table_write_is_one_transaction(store: Store) -> None:
    """A failure half-way through a table's write leaves nothing of it behind."""
    broken = iceberg_state(heads=(HeadChange(1, from_millis(T0)),), cursor=None)
    with pytest.raises(Exception):  # noqa: B017 - any database error
        with store.begin() as conn:
            source_id = ensure_source(conn, "lake", Format.ICEBERG, from_millis(T0))
            apply_table_state(conn, source_id, broken, from_millis(T0), numbered=True)
            raise RuntimeError("crash after the writes, before commit")
    assert [count(store, x) for x in (t.sources, t.tables, t.snapshots, t.heads)] == [0, 0, 0, 0]


def test_time_precision_is_kept(store: Store) -> None:
    write(store, iceberg_state(), T0 + 5000)
    with store.connect() as conn:
        snaps = reads.list_snapshots(conn, reads.get_table(conn, REF))
    assert snaps[0].snapshot.committed_at == from_millis(T0)
    assert snaps[0].recorded_at == from_millis(T0 + 5000)
    assert snaps[0].snapshot.committed_at + timedelta(seconds=1) == snaps[1].snapshot.committed_at


def test_head_as_of_is_an_index_seek(store: Store) -> None:
    """The planner answers "head of T as of A" from ix_heads_table_started, not a scan."""
    write(store, iceberg_state(), T0 + 5000)
    instant = "1700000002500000" if store.dialect == "sqlite" else "now()"
    query = (
        "SELECT snapshot_id FROM heads WHERE table_id = 1 AND started_at <= "
        f"{instant} ORDER BY started_at DESC, id DESC LIMIT 1"
    )
    with store.connect() as conn:
        if store.dialect == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + query).all()
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")  # a tiny table would be scanned
            rows = conn.exec_driver_sql("EXPLAIN " + query).all()
    plan = " ".join(str(row[-1]) for row in rows)
    assert "ix_heads_table_started" in plan, plan


def test_the_same_table_listed_again_after_a_drop_is_current_again(store: Store) -> None:
    write(store, iceberg_state(), T0 + 5000)
    with store.begin() as conn:
        mark_dropped(conn, reads.get_table(conn, REF).table_id, from_millis(T0 + 6000))
    write(store, iceberg_state(), T0 + 7000)  # a catalog outage, not a re-create
    assert head(store, T0 + 6500) is None
    assert head(store, T0 + 7000) == 1
    with store.connect() as conn:
        table = reads.get_table(conn, REF)
        assert reads.schema_as_of(conn, table, from_millis(T0 + 6500)) is None
        again = reads.schema_as_of(conn, table, from_millis(T0 + 7000))
    assert again is not None and again.schema_id == 1
