"""Long histories go through the bulk path (multi-row inserts; COPY on PostgreSQL) and read
back exactly as the per-row path wrote them, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from temporal_lineage.errors import ValueRefused
from temporal_lineage.model import (
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
from temporal_lineage.query import history
from temporal_lineage.store import Store, bulk
from temporal_lineage.store import tables as t
from temporal_lineage.store.writes import apply_table_state, ensure_source

T0 = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
SCHEMA = Schema((Field(1, ("id",), "long", False), Field(2, ("name",), "string", True)))


def _state(count: int, identifier: str = "ns.long", operation: str = "append") -> TableState:
    snapshots = tuple(
        Snapshot(
            snapshot_id=1000 + i,
            parent_id=1000 + i - 1 if i else None,
            committed_at=T0 + timedelta(minutes=i, microseconds=i),
            operation=operation,
            schema_id=0,
            sequence_number=i + 1,
            summary={"operation": operation, "lineage.run-id": f"run-{i:05d}", "n": str(i)},
        )
        for i in range(count)
    )
    return TableState(
        ref=TableRef("src", identifier),
        format=Format.ICEBERG,
        incarnation=f"uuid-{identifier}",
        location=f"/w/{identifier}",
        cursor="c1",
        snapshots=snapshots,
        heads=tuple(HeadChange(s.snapshot_id, s.committed_at) for s in snapshots),
        transitions=(SchemaTransition(SCHEMA, T0, DatedBy.METADATA_LOG, 0),),
        schemas={0: SCHEMA},
        snapshots_complete=True,
        format_version=2,
    )


def _write(store: Store, state: TableState) -> None:
    with store.begin() as conn:
        source_id = ensure_source(conn, "src", Format.ICEBERG, T0)
        apply_table_state(conn, source_id, state, T0, numbered=True, new_table=True)


@pytest.mark.parametrize("count", [3, bulk.ROWS_PER_INSERT + 7, bulk.COPY_FROM + 250])
def test_a_long_history_reads_back_exactly(store: Store, count: int) -> None:
    state = _state(count)
    _write(store, state)
    stored = history.list_snapshots(store, state.ref)
    assert [s.snapshot for s in stored] == list(state.snapshots)
    with store.connect() as conn:
        heads = conn.execute(
            select(t.heads.c.snapshot_id, t.heads.c.started_at).order_by(t.heads.c.id)
        ).all()
        keys = conn.execute(select(func.count()).select_from(t.snapshot_keys)).scalar()
    assert [(h.snapshot_id, h.started_at) for h in heads] == [
        (h.snapshot_id, h.started_at) for h in state.heads
    ]
    assert keys == count  # the run id of every commit
    last = history.snapshot_as_of(store, state.ref, T0 + timedelta(days=30))
    assert last is not None and last.snapshot.snapshot_id == 1000 + count - 1


def test_a_too_wide_value_in_a_long_history_is_refused_and_nothing_written(
    store: Store,
) -> None:
    with pytest.raises(ValueRefused, match="snapshots.operation"):
        _write(store, _state(bulk.COPY_FROM + 1, operation="o" * 201))
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.tables)).scalar() == 0


def test_a_table_created_meanwhile_by_another_writer_is_read_not_duplicated(
    store: Store,
) -> None:
    """``new_table`` is the caller's belief: a row already there is found and extended."""
    _write(store, _state(2))
    _write(store, _state(5))  # the same table again, believed new
    assert len(history.list_snapshots(store, TableRef("src", "ns.long"))) == 5
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.tables)).scalar() == 1
        assert conn.execute(select(func.count()).select_from(t.heads)).scalar() == 5
