"""Sync of the sample warehouse against its ground truth (timeline.json), on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from temporal_lineage.config import Settings, load_settings
from temporal_lineage.model import ChangeKind, TableRef
from temporal_lineage.query import history
from temporal_lineage.store import Store, open_store
from temporal_lineage.store import tables as t
from temporal_lineage.sync import sync
from temporal_lineage.times import parse_time
from warehouse_fixtures.timeline import Timeline

MS = timedelta(milliseconds=1)


def at(text: str) -> datetime:
    return parse_time(text.replace("Z", "+00:00"))


def norm_type(text: str) -> str:
    return text.replace(", ", ",")


@pytest.fixture
def settings(warehouse: Timeline) -> Settings:
    return load_settings(warehouse.root / "lineage.yaml")


@pytest.fixture
def synced(store: Store, settings: Settings) -> Iterator[Store]:
    report = sync(store, settings)
    assert report.errors == []
    yield store


def test_every_snapshot_seen_is_stored_exactly(synced: Store, warehouse: Timeline) -> None:
    for name, table in warehouse.tables.items():
        stored = {
            s.snapshot.snapshot_id: s
            for s in history.list_snapshots(synced, TableRef.from_user_string(name))
        }
        expired = {s.snapshot for s in table.snapshots if s.expired}
        # A snapshot expired before the first sync was never seen: it cannot be known.
        assert set(stored) == {s.snapshot for s in table.snapshots} - expired, name
        for truth in table.snapshots:
            if truth.expired:
                continue
            got = stored[truth.snapshot].snapshot
            assert got.committed_at == at(truth.committed_at), (name, truth.snapshot)
            assert got.operation == truth.operation
            assert got.schema_id == truth.schema_id, (name, truth.snapshot)
            assert got.summary.get("lineage.run-id") == truth.run_id, (name, truth.snapshot)
            if truth.parent is not None and truth.parent not in expired:
                assert got.parent_id == truth.parent


def test_head_as_of_every_head_change(synced: Store, warehouse: Timeline) -> None:
    for name, table in warehouse.tables.items():
        ref = TableRef.from_user_string(name)
        expired = {s.snapshot for s in table.snapshots if s.expired}
        heads = [h for h in table.heads if h.snapshot not in expired]
        first = at(heads[0].start)
        assert history.snapshot_as_of(synced, ref, first - MS) is None, name
        for previous, head in zip([None, *heads], heads, strict=False):
            found = history.snapshot_as_of(synced, ref, at(head.start))
            assert found is not None and found.snapshot.snapshot_id == head.snapshot, (name, head)
            if previous is not None and previous.start != head.start:
                before = history.snapshot_as_of(synced, ref, at(head.start) - MS)
                assert before is not None and before.snapshot.snapshot_id == previous.snapshot
        latest = history.snapshot_as_of(synced, ref, at(heads[-1].start) + timedelta(days=1))
        assert latest is not None and latest.snapshot.snapshot_id == table.current_snapshot


def test_the_rollback_is_answered_from_the_snapshot_log(synced: Store, warehouse: Timeline) -> None:
    (rollback,) = warehouse.events_for("lake.features.user_features", "rollback")
    ref = TableRef("lake", "features.user_features")
    found = history.snapshot_as_of(synced, ref, at(rollback.at))
    assert found is not None and found.snapshot.snapshot_id == rollback.snapshot
    # The snapshot rolled back to is older than the one it replaced.
    before = history.snapshot_as_of(synced, ref, at(rollback.at) - MS)
    assert before is not None
    assert found.snapshot.committed_at < before.snapshot.committed_at


def test_schema_as_of_every_schema(synced: Store, warehouse: Timeline) -> None:
    for name, table in warehouse.tables.items():
        ref = TableRef.from_user_string(name)
        for schema in table.schemas:
            answer = history.schema_as_of(synced, ref, at(schema.effective_at))
            assert answer is not None and answer.schema_id == schema.schema_id, (name, schema)
            got = [
                (f.id, f.dotted_path, norm_type(f.type), f.nullable) for f in answer.schema.fields
            ]
            want = [(f.id, f.path, norm_type(f.type), f.nullable) for f in schema.fields]
            assert got == want, (name, schema.schema_id)
        first = at(table.schemas[0].effective_at)
        assert history.schema_as_of(synced, ref, first - MS) is None


def test_renames_keep_field_identity(synced: Store, warehouse: Timeline) -> None:
    for event in [e for e in warehouse.events if e.action == "rename_column"]:
        entries = history.schema_history(synced, TableRef.from_user_string(event.table))
        renames = [c for e in entries for c in e.changes if c.kind is ChangeKind.RENAMED]
        assert [(c.old_path, c.path, c.field_id) for c in renames] == [
            ((event.details["old"],), (event.details["new"],), event.details["field_id"])
        ], event.table


def test_a_second_sync_with_nothing_new_adds_nothing(synced: Store, settings: Settings) -> None:
    def counts() -> list[int]:
        with synced.connect() as conn:
            return [
                conn.execute(select(func.count()).select_from(x)).scalar_one()
                for x in (t.snapshots, t.heads, t.schema_versions, t.schema_heads, t.schema_fields)
            ]

    before = counts()
    report = sync(synced, settings)
    assert (report.new_snapshots, report.new_schema_versions, report.errors) == (0, 0, [])
    assert report.tables == 7
    assert counts() == before


def test_sync_runs_are_recorded(synced: Store) -> None:
    with synced.connect() as conn:
        runs = conn.execute(select(t.sync_runs)).all()
    assert len(runs) == 1
    assert runs[0].tables_checked == 7 and runs[0].snapshots_added > 0
    assert runs[0].ended_at >= runs[0].started_at


def test_unknown_source_is_a_config_error(store: Store, settings: Settings) -> None:
    from temporal_lineage.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown source 'nope'"):
        sync(store, settings, source="nope")


def test_one_source_at_a_time(sqlite_store: Store, settings: Settings) -> None:
    report = sync(sqlite_store, settings, source="deltas")
    assert report.tables == 4
    assert {str(i.ref) for i in history.list_tables(sqlite_store)} == {
        "deltas.users",
        "deltas.training_set",
        "deltas.customer_emails_hashed",
        "deltas.marketing_contacts",
    }


def test_store_open_is_lazy_about_nothing(tmp_path: Path) -> None:
    """A brand-new SQLite path (with missing folders) is created and migrated on first use."""
    store = open_store(f"sqlite:///{tmp_path / 'a' / 'b' / 'store.db'}")
    try:
        assert history.list_tables(store) == []
    finally:
        store.close()
