"""The built warehouse agrees with what pyiceberg and deltalake report about it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from deltalake import DeltaTable
from pyiceberg.catalog import Catalog
from pyiceberg.table import Table

from warehouse_fixtures import Timeline, WarehouseDirectoryError, build_warehouse, load_timeline
from warehouse_fixtures.__main__ import main
from warehouse_fixtures.build import prepare_directory
from warehouse_fixtures.delta_log import delta_fields
from warehouse_fixtures.delta_tables import query_table
from warehouse_fixtures.iceberg_tables import (
    catalog_properties,
    close_catalog,
    iceberg_fields,
    open_catalog,
)
from warehouse_fixtures.story import EVENTS, TABLE_NAMES, TRAINING_SET, USER_FEATURES, USERS
from warehouse_fixtures.synthetic_data import user_name
from warehouse_fixtures.timeline import FieldRecord, TableTimeline, iso_ms, parse_iso_ms

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@pytest.fixture(scope="module")
def timeline(tmp_path_factory: pytest.TempPathFactory) -> Timeline:
    return build_warehouse(tmp_path_factory.mktemp("warehouse"))


@pytest.fixture(scope="module")
def catalog(timeline: Timeline) -> Iterator[Catalog]:
    cat = open_catalog(timeline.root)
    yield cat
    close_catalog(cat)


def _iceberg(catalog: Catalog, name: str) -> Table:
    return catalog.load_table(name.split(".", 1)[1])


def _delta_path(timeline: Timeline, name: str) -> Path:
    return timeline.root / "delta" / name.split(".", 1)[1]


def _live(table: TableTimeline) -> list[Any]:
    return [s for s in table.snapshots if not s.expired]


def _rename_version(timeline: Timeline) -> int:
    (rename,) = timeline.events_for(USERS, "rename_column")
    assert rename.snapshot is not None
    return rename.snapshot


def _metadata_files(tbl: Table) -> list[dict[str, Any]]:
    """Every metadata.json of the table in commit order, parsed."""
    locations = [entry.metadata_file for entry in tbl.metadata.metadata_log]
    locations.append(tbl.metadata_location)
    return [json.loads(Path(urlparse(loc).path).read_text()) for loc in locations]


# --- layout, config, CLI -----------------------------------------------------------------------


def test_layout_and_lineage_config(timeline: Timeline) -> None:
    root = timeline.root
    assert (root / "iceberg" / "catalog.db").is_file()
    assert (root / "delta" / "users" / "_delta_log").is_dir()
    assert (root / "delta" / "training_set" / "_delta_log").is_dir()
    config = yaml.safe_load((root / "lineage.yaml").read_text())
    assert config["store"] == "sqlite:///lineage.db"
    lake, deltas = config["sources"]
    assert lake == {
        "name": "lake",
        "format": "iceberg",
        "catalog": catalog_properties(root),
        "poll_interval": "60s",
    }
    assert lake["catalog"]["uri"] == f"sqlite:///{root}/iceberg/catalog.db"
    assert lake["catalog"]["warehouse"] == f"file://{root}/iceberg"
    assert deltas == {"name": "deltas", "format": "delta", "root": "delta", "poll_interval": "60s"}
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    assert size < 5_000_000


def test_timeline_json_round_trips(timeline: Timeline) -> None:
    assert load_timeline(timeline.root) == timeline
    data = json.loads((timeline.root / "timeline.json").read_text())
    assert set(data) == {
        "built_at",
        "events_file",
        "tables",
        "events",
        "runs",
        "propagation",
        "governance",
    }
    assert data["events_file"] == "openlineage/events.ndjson"
    assert set(data["tables"]) == set(TABLE_NAMES)
    for name, table in data["tables"].items():
        expected_keys = {"format", "snapshots", "heads", "current_snapshot", "schemas"}
        if table["format"] == "iceberg":
            expected_keys.add("partition_specs")
        assert set(table) == expected_keys, name
        assert set(table["snapshots"][0]) == {
            "snapshot",
            "parent",
            "committed_at",
            "operation",
            "schema_id",
            "run_id",
            "expired",
            "produced_by",
            "evidence",
        }
        assert set(table["schemas"][0]["fields"][0]) == {"id", "path", "type", "nullable"}


def test_all_times_are_iso_ms_utc_and_ordered(timeline: Timeline) -> None:
    stamps = [timeline.built_at] + [e.at for e in timeline.events]
    for table in timeline.tables.values():
        stamps += [s.committed_at for s in table.snapshots]
        stamps += [h.start for h in table.heads] + [s.effective_at for s in table.schemas]
        starts = [parse_iso_ms(h.start) for h in table.heads]
        assert starts == sorted(starts) and len(set(starts)) == len(starts), table.name
    assert all(ISO_MS.match(s) for s in stamps)
    event_times = [parse_iso_ms(e.at) for e in timeline.events]
    assert event_times == sorted(event_times)
    assert [e.day for e in timeline.events] == sorted(e.day for e in timeline.events)
    assert {e.day for e in timeline.events} == set(range(1, 9))


def test_cli_refuses_non_empty_dir_and_bad_usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "keep.txt").write_text("x")
    assert main(["build", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not empty" in err and "--force" in err
    assert (tmp_path / "keep.txt").exists()
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1
    with pytest.raises(WarehouseDirectoryError):
        prepare_directory(tmp_path / "keep.txt", force=True)


def test_force_wipes_only_the_target(tmp_path: Path) -> None:
    target = tmp_path / "wh"
    (target / "old" / "deep").mkdir(parents=True)
    (target / "stale.json").write_text("{}")
    assert prepare_directory(target, force=True) == target.resolve()
    assert list(target.iterdir()) == []
    assert tmp_path.exists()


def test_cli_build_with_force(tmp_path: Path) -> None:
    (tmp_path / "stale.txt").write_text("x")
    proc = subprocess.run(
        [sys.executable, "-m", "warehouse_fixtures", "build", str(tmp_path), "--force"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("built ") and proc.stdout.count("\n") == 1
    assert not (tmp_path / "stale.txt").exists()
    assert set(load_timeline(tmp_path).tables) == set(TABLE_NAMES)


# --- Iceberg ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [EVENTS, USER_FEATURES])
def test_iceberg_snapshots_agree_with_metadata(
    timeline: Timeline, catalog: Catalog, name: str
) -> None:
    table = timeline.table(name)
    md = _iceberg(catalog, name).metadata
    live = _live(table)
    assert [s.snapshot for s in live] == [s.snapshot_id for s in md.snapshots]
    expired_ids = {s.snapshot for s in table.snapshots if s.expired}
    for rec, snap in zip(live, md.snapshots, strict=True):
        assert snap.summary is not None
        assert rec.committed_at == iso_ms(snap.timestamp_ms)
        assert rec.operation == snap.summary.operation.value
        assert rec.schema_id == snap.schema_id
        assert rec.run_id == snap.summary.additional_properties.get("lineage.run-id")
        if rec.parent in expired_ids:
            assert snap.parent_snapshot_id is None  # pyiceberg drops dangling parents
        else:
            assert rec.parent == snap.parent_snapshot_id
    assert table.current_snapshot == md.current_snapshot_id
    log = [(e.snapshot_id, iso_ms(e.timestamp_ms)) for e in md.snapshot_log]
    assert log == [(h.snapshot, h.start) for h in table.heads if h.snapshot not in expired_ids]


@pytest.mark.parametrize("name", [EVENTS, USER_FEATURES])
def test_iceberg_schemas_and_specs_agree_with_metadata_files(
    timeline: Timeline, catalog: Catalog, name: str
) -> None:
    table = timeline.table(name)
    tbl = _iceberg(catalog, name)
    by_id = {s.schema_id: s for s in tbl.metadata.schemas}
    assert [s.schema_id for s in table.schemas] == sorted(by_id)
    for rec in table.schemas:
        assert rec.fields == iceberg_fields(by_id[rec.schema_id])
    assert table.schemas[-1].schema_id == tbl.metadata.current_schema_id
    files = _metadata_files(tbl)
    schema_changes: list[tuple[int, str]] = []
    spec_changes: list[tuple[int, str]] = []
    for f in files:
        if not schema_changes or schema_changes[-1][0] != f["current-schema-id"]:
            schema_changes.append((f["current-schema-id"], iso_ms(f["last-updated-ms"])))
        if not spec_changes or spec_changes[-1][0] != f["default-spec-id"]:
            spec_changes.append((f["default-spec-id"], iso_ms(f["last-updated-ms"])))
    assert schema_changes == [(s.schema_id, s.effective_at) for s in table.schemas]
    assert spec_changes == [(s.spec_id, s.effective_at) for s in table.partition_specs]


def test_events_run_ids_and_partition_spec_change(timeline: Timeline, catalog: Catalog) -> None:
    table = timeline.table(EVENTS)
    producers = [s.produced_by for s in table.snapshots]
    assert len(producers) == 7 and len(set(producers)) == 7
    assert all(uuid.UUID(str(r)).version == 7 for r in producers)  # openlineage-python ids
    # ingest-events v1 (day 1) did not tag its commit yet; v2 does.
    assert [s.run_id for s in table.snapshots] == [None, *producers[1:]]
    assert all(s.operation == "append" for s in table.snapshots)
    specs = [[(f.transform, f.name) for f in s.fields] for s in table.partition_specs]
    assert specs == [[("day", "ts_day")], [("day", "ts_day"), ("identity", "country")]]
    (change,) = timeline.events_for(EVENTS, "partition_spec_change")
    assert change.day == 3 and change.details["new_spec_id"] == 1
    tbl = _iceberg(catalog, EVENTS)
    snapshot = tbl.current_snapshot()
    assert snapshot is not None
    assert {m.partition_spec_id for m in snapshot.manifests(tbl.io)} == {0, 1}
    assert tbl.scan().to_arrow().num_rows == 7 * 120  # day 7's, staged on audit, published
    (published,) = timeline.events_for(EVENTS, "publish")
    staged = table.snapshots[-1].snapshot
    assert published.day == 7 and published.details["snapshot"] == staged
    assert tbl.metadata.refs["audit"].snapshot_id == staged == snapshot.snapshot_id


def test_features_schema_evolution(timeline: Timeline, catalog: Catalog) -> None:
    table = timeline.table(USER_FEATURES)
    first, current = table.schemas[0], table.schemas[-1]
    current_live = _iceberg(catalog, USER_FEATURES).schema()
    # rename keeps field id 2
    assert first.field_by_path("amount_sum") == FieldRecord(2, "amount_sum", "double", True)
    assert current.field_by_path("total_amount") == FieldRecord(2, "total_amount", "double", True)
    assert current_live.find_field(2).name == "total_amount"
    assert current_live.find_field("total_amount").field_id == 2
    # int -> long promotion of field 3
    assert first.field_by_path("event_count") == FieldRecord(3, "event_count", "int", True)
    assert current.field_by_path("event_count") == FieldRecord(3, "event_count", "long", True)
    assert str(current_live.find_field(3).field_type) == "long"
    # drop of legacy_score (field 4)
    assert first.field_by_path("legacy_score") is not None
    assert current.field_by_path("legacy_score") is None
    assert 4 not in {f.field_id for f in current_live.fields}
    # added decimal column and nested struct paths
    avg = current.field_by_path("avg_amount")
    assert avg is not None and avg.type == "decimal(10,2)" and avg.id == 8
    assert current.field_by_path("stats.first_ts") is not None
    actions = [e.action for e in timeline.events_for(USER_FEATURES)]
    for action in ("rename_column", "add_column", "promote_type", "drop_column"):
        assert actions.count(action) == 1
    (rename,) = timeline.events_for(USER_FEATURES, "rename_column")
    assert rename.details == {
        "old": "amount_sum",
        "new": "total_amount",
        "field_id": 2,
        "schema_id": 1,
    }


def test_features_overwrite_records_delete_and_append(timeline: Timeline) -> None:
    table = timeline.table(USER_FEATURES)
    overwrites = timeline.events_for(USER_FEATURES, "overwrite")
    assert len(overwrites) == 3
    for event in overwrites:
        delete_id, append_id = event.details["snapshots"]
        delete, append = table.snapshot(delete_id), table.snapshot(append_id)
        assert (delete.operation, append.operation) == ("delete", "append")
        assert delete.run_id == append.run_id == event.details["run_id"]
        assert append.parent == delete_id and event.snapshot == append_id


def test_features_rollback_in_snapshot_log(timeline: Timeline, catalog: Catalog) -> None:
    table = timeline.table(USER_FEATURES)
    (rollback,) = timeline.events_for(USER_FEATURES, "rollback")
    target, rolled_away = rollback.details["to"], rollback.details["from"]
    log = _iceberg(catalog, USER_FEATURES).metadata.snapshot_log
    ids = [e.snapshot_id for e in log]
    assert ids.count(target) == 2
    first, second = (i for i, sid in enumerate(ids) if sid == target)
    assert ids[second - 1] == rolled_away and first < second - 1
    assert iso_ms(log[second].timestamp_ms) == rollback.at
    assert table.snapshot(target).committed_at < rollback.at
    story = timeline.events_for(USER_FEATURES)
    after = story[story.index(rollback) + 1]
    assert after.action == "append" and after.snapshot is not None
    assert table.snapshot(after.snapshot).parent == target


def test_features_expired_snapshot(timeline: Timeline, catalog: Catalog) -> None:
    table = timeline.table(USER_FEATURES)
    (expire,) = timeline.events_for(USER_FEATURES, "expire_snapshots")
    (expired_id,) = expire.details["expired"]
    rec = table.snapshot(expired_id)
    assert rec.expired and rec.run_id is not None and rec.operation == "delete"
    assert [s.snapshot for s in table.snapshots if s.expired] == [expired_id]
    # the empty delete snapshot of day 2's overwrite, which no run read
    (day2,) = [e for e in timeline.events_for(USER_FEATURES, "overwrite") if e.day == 2]
    assert day2.details["snapshots"][0] == expired_id
    assert all(i.snapshot != expired_id for r in timeline.runs for i in r.inputs)
    md = _iceberg(catalog, USER_FEATURES).metadata
    assert md.snapshot_by_id(expired_id) is None
    assert expired_id not in {e.snapshot_id for e in md.snapshot_log}
    assert expired_id in {h.snapshot for h in table.heads}
    assert rec.parent == table.heads[0].snapshot
    assert any(s.parent == expired_id for s in table.snapshots)


# --- Delta --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [USERS, TRAINING_SET])
def test_delta_history_and_schema_agree(timeline: Timeline, name: str) -> None:
    table = timeline.table(name)
    path = _delta_path(timeline, name)
    dt = DeltaTable(str(path))
    history = sorted(dt.history(), key=lambda h: h["version"])
    assert [h["version"] for h in history] == [s.snapshot for s in table.snapshots]
    for h, rec in zip(history, table.snapshots, strict=True):
        assert rec.committed_at == iso_ms(h["timestamp"])
        assert rec.operation == h["operation"]
        assert rec.run_id == h.get("lineage.run-id")
        assert rec.parent == (rec.snapshot - 1 if rec.snapshot else None)
        assert not rec.expired
    assert [(h.snapshot, h.start) for h in table.heads] == [
        (s.snapshot, s.committed_at) for s in table.snapshots
    ]
    assert table.current_snapshot == dt.version()
    assert table.schemas[-1].fields == delta_fields(dt.schema().to_json())
    for rec in table.snapshots:
        at_version = DeltaTable(str(path), version=rec.snapshot).schema().to_json()
        assert rec.schema_id is not None
        assert table.schema(rec.schema_id).fields == delta_fields(at_version)
    for schema in table.schemas:
        first = next(s for s in table.snapshots if s.schema_id == schema.schema_id)
        assert schema.effective_at == first.committed_at


def test_users_column_mapping_and_rename(timeline: Timeline) -> None:
    table = timeline.table(USERS)
    path = _delta_path(timeline, USERS)
    dt = DeltaTable(str(path))
    assert dt.metadata().configuration["delta.columnMapping.mode"] == "name"
    assert (dt.protocol().min_reader_version, dt.protocol().min_writer_version) >= (2, 5)
    rename_version = _rename_version(timeline)
    (rename,) = timeline.events_for(USERS, "rename_column")
    assert rename.details["old"] == "name" and rename.details["new"] == "full_name"
    before = json.loads(DeltaTable(str(path), version=rename_version - 1).schema().to_json())
    after = json.loads(dt.schema().to_json())
    old = next(f for f in before["fields"] if f["name"] == "name")
    new = next(f for f in after["fields"] if f["name"] == "full_name")
    assert old["metadata"] == new["metadata"]
    assert new["metadata"]["delta.columnMapping.id"] == rename.details["field_id"] == 2
    assert table.schemas[0].field_by_path("name") is not None
    assert table.schemas[-1].field_by_path("full_name") is not None
    tier = table.schemas[-1].field_by_path("tier")
    assert tier is not None and tier.id == 8
    ops = [s.operation for s in table.snapshots]
    assert ops[rename_version] == "RENAME COLUMN"
    later = [s for s in table.snapshots if s.snapshot > rename_version]
    assert {"MERGE", "WRITE", "ADD COLUMNS"} <= {s.operation for s in later}


def test_users_renamed_column_reads_back_through_query_builder(timeline: Timeline) -> None:
    path = _delta_path(timeline, USERS)
    rows = query_table(path, "SELECT * FROM t ORDER BY user_id").to_pylist()
    assert [r["user_id"] for r in rows] == list(range(1, 39))
    assert all(r["full_name"] == user_name(r["user_id"]) for r in rows)
    assert all(r["tier"] is not None and r["address"]["city"] for r in rows)
    assert "name" not in rows[0]
    old_rows = query_table(
        path, "SELECT user_id, name FROM t", version=_rename_version(timeline) - 1
    )
    assert old_rows.num_rows == 32  # users signed up on days 1-3
    assert all(r["name"] == user_name(r["user_id"]) for r in old_rows.to_pylist())


def test_training_set_schema_changes(timeline: Timeline) -> None:
    table = timeline.table(TRAINING_SET)
    assert all(f.id is None for s in table.schemas for f in s.fields)
    types = {f.path: f.type for f in table.schemas[-1].fields}
    assert types == {
        "user_id": "long",
        "country": "string",
        "total_amount": "double",
        "event_count": "long",
        "label": "integer",
        "as_of": "timestamp",
        "avg_amount": "double",
        "weight": "double",
    }
    merge_write = [e for e in timeline.events_for(TRAINING_SET) if "schema_mode" in e.details]
    assert [e.details["added_columns"] for e in merge_write] == [["avg_amount"]]
    (added,) = timeline.events_for(TRAINING_SET, "add_column")
    assert added.details["name"] == "weight" and added.details["written_by"] == "delta-rs"
    assert [s.operation for s in table.snapshots].count("ADD COLUMN") == 1
    dt = DeltaTable(str(_delta_path(timeline, TRAINING_SET)))
    assert "delta.columnMapping.mode" not in dt.metadata().configuration
    writes = [s for s in table.snapshots if s.operation == "WRITE"]
    assert len(writes) == 7 and all(s.run_id for s in writes)  # created on day 1, then daily
    (compacted,) = [s for s in table.snapshots if s.operation == "OPTIMIZE"]
    assert compacted.run_id and compacted.snapshot == writes[-1].snapshot + 1


# --- runs ---------------------------------------------------------------------------------------


def test_runs_link_snapshots_to_jobs(timeline: Timeline) -> None:
    runs = {r.run_id: r for r in timeline.runs}
    assert len(runs) == len(timeline.runs)
    for table in timeline.tables.values():
        for snap in table.snapshots:
            if snap.run_id is not None:
                assert snap.produced_by == snap.run_id
            if snap.produced_by is not None:
                run = runs[snap.produced_by]
                assert table.name in run.output_tables
                (output,) = [
                    o for o in run.outputs if (o.table, o.snapshot) == (table.name, snap.snapshot)
                ]
                assert output.table == table.name and output.evidence == snap.evidence
    for run in timeline.runs:
        for source in run.inputs:
            if source.table is not None:
                known = {s.snapshot for s in timeline.table(source.table).snapshots}
                assert source.snapshot in known
