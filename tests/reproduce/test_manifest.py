"""Manifests of real tables: build, verify, load back the exact rows, recipes that work."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest

from temporal_lineage.errors import DataMismatch, InvalidManifest
from temporal_lineage.model import Format
from temporal_lineage.query.reproduce import (
    PinnedTable,
    build_manifest,
    fingerprint,
    load,
    read_pinned,
    recipes,
    verify_manifest,
)
from tests.reproduce.conftest import DeltaTables, IcebergEvents, Pin, sorted_rows

AS_OF = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _pins(iceberg: IcebergEvents, delta: DeltaTables) -> list[Pin]:
    return [
        Pin(iceberg.pin(iceberg.second), iceberg.second.rows),
        Pin(iceberg.pin(iceberg.first), iceberg.first.rows),
        delta.users_v1,
        delta.users_v0,
        delta.mapped_v3,
        delta.mapped_v1,
    ]


def _manifest(pins: list[Pin]) -> dict[str, Any]:
    return build_manifest(
        [p.pinned for p in pins],
        root="lake.raw.events",
        as_of=AS_OF,
        known_at=None,
        store="postgresql+psycopg://lineage:s3cret@db.example/lineage",
    )


def _frame_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return sorted_rows(frame.to_arrow().to_pylist())


def test_manifest_pins_every_table_and_verifies(
    iceberg_events: IcebergEvents, delta_tables: DeltaTables, tmp_path: Path
) -> None:
    pins = _pins(iceberg_events, delta_tables)
    manifest = _manifest(pins)

    assert manifest["manifest_version"] == 1
    assert manifest["root"] == "lake.raw.events"
    assert manifest["as_of"] == "2026-03-03T12:00:00.000Z"
    assert manifest["known_at"] is None
    assert ISO_MS.match(manifest["generated_at"])
    assert "s3cret" not in manifest["store"]
    assert len(manifest["tables"]) == len(pins)
    for entry, pin in zip(manifest["tables"], pins, strict=True):
        assert entry["error"] is None, entry["error"]
        assert entry["table"] == pin.pinned.table
        assert entry["format"] == pin.pinned.format.value
        assert entry["snapshot"] == pin.pinned.snapshot_id
        assert ISO_MS.match(entry["committed_at"])
        assert entry["row_count"] == len(pin.rows)
        assert entry["fingerprint"].startswith("rowsum-blake2b128-v1:")
        names = [f["name"] for f in entry["schema"]["fields"] if "." not in f["path"]]
        assert names == [f.name for f in pin.pinned.fields if len(f.path) == 1]
        own = "pyiceberg" if pin.pinned.format is Format.ICEBERG else "deltalake"
        assert set(entry["read"]) == {"polars", own, "spark_sql", "trino_sql"}
    # Two snapshots of the same table differ; the manifest is plain JSON.
    assert manifest["tables"][0]["fingerprint"] != manifest["tables"][1]["fingerprint"]
    assert manifest["tables"][1]["schema"]["schema_id"] == 0
    assert manifest["tables"][0]["schema"]["schema_id"] == 1
    json.dumps(manifest)

    report = verify_manifest(json.loads(json.dumps(manifest)))
    assert report == {
        "ok": True,
        "tables": [
            {"table": p.pinned.table, "snapshot": p.pinned.snapshot_id, "ok": True, "error": None}
            for p in pins
        ],
    }


def test_load_gives_back_the_rows_of_each_snapshot(
    iceberg_events: IcebergEvents, delta_tables: DeltaTables, tmp_path: Path
) -> None:
    pins = [Pin(iceberg_events.pin(iceberg_events.first), iceberg_events.first.rows)]
    pins += [delta_tables.users_v0, delta_tables.mapped_v3]
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(_manifest(pins)), encoding="utf-8")

    frames = load(path)

    assert set(frames) == {"lake.raw.events", "deltas.users", "deltas.mapped"}
    for pin in pins:
        frame = frames[pin.pinned.table]
        assert frame.columns == [f.name for f in pin.pinned.fields if len(f.path) == 1]
        assert _frame_rows(frame) == sorted_rows(pin.rows)


def test_column_mapped_delta_values_are_read_through_the_mapping(
    delta_tables: DeltaTables,
) -> None:
    # Before the rename and after it: the values, not only the counts.
    old = read_pinned(delta_tables.mapped_v1.pinned)
    assert old.column_names == ["id", "name", "v"]
    assert sorted_rows(old.to_pylist()) == delta_tables.mapped_v1.rows
    new = read_pinned(delta_tables.mapped_v3.pinned)
    assert new.column_names == ["id", "full_name", "v"]
    assert sorted_rows(new.to_pylist()) == delta_tables.mapped_v3.rows
    assert new.column("full_name").null_count == 1
    assert any(f.physical_name for f in delta_tables.mapped_v3.pinned.fields)


def test_a_table_pinned_twice_is_keyed_by_snapshot(
    iceberg_events: IcebergEvents, delta_tables: DeltaTables
) -> None:
    pins = [delta_tables.users_v1, delta_tables.users_v0]
    frames = load(_manifest(pins))
    assert set(frames) == {"deltas.users@1", "deltas.users@0"}
    assert _frame_rows(frames["deltas.users@0"]) == delta_tables.users_v0.rows


def test_verify_detects_a_tampered_manifest(
    iceberg_events: IcebergEvents, delta_tables: DeltaTables
) -> None:
    pins = [Pin(iceberg_events.pin(iceberg_events.second), []), delta_tables.mapped_v3]
    manifest = _manifest(pins)
    counted = json.loads(json.dumps(manifest))
    counted["tables"][0]["row_count"] += 1
    fingerprinted = json.loads(json.dumps(manifest))
    other = manifest["tables"][0]["fingerprint"]
    fingerprinted["tables"][1]["fingerprint"] = other

    report = verify_manifest(counted)
    assert not report["ok"]
    assert [t["ok"] for t in report["tables"]] == [False, True]
    error = report["tables"][0]["error"]
    assert error.startswith(f"lake.raw.events snapshot {pins[0].pinned.snapshot_id}: row count")
    assert "\n" not in error

    report = verify_manifest(fingerprinted)
    assert [t["ok"] for t in report["tables"]] == [True, False]
    assert report["tables"][1]["error"].startswith("deltas.mapped version 3: content fingerprint")

    with pytest.raises(DataMismatch, match="deltas.mapped version 3: content fingerprint"):
        load(fingerprinted)
    assert set(load(fingerprinted, verify=False)) == {"lake.raw.events", "deltas.mapped"}


def test_malformed_manifests_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(InvalidManifest, match="manifest_version"):
        verify_manifest({"manifest_version": 99, "tables": []})
    with pytest.raises(InvalidManifest, match="#0"):
        verify_manifest({"manifest_version": 1, "tables": [{"table": "x.y"}]})
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidManifest, match="cannot read manifest"):
        load(broken)


def _run(code: str) -> pa.Table:
    """Execute a recipe; it leaves a polars ``df`` or a pyarrow ``table``."""
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # noqa: S102 - the recipes are ours, that is the point
    if "df" in namespace:
        frame = namespace["df"]
        assert isinstance(frame, pl.DataFrame)
        return frame.to_arrow()
    table = namespace["table"]
    assert isinstance(table, pa.Table)
    return table


def test_python_recipes_read_the_same_content(
    iceberg_events: IcebergEvents, delta_tables: DeltaTables, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLARS_ICEBERG_PLANNER", "pyiceberg")
    pinned = [
        iceberg_events.pin(iceberg_events.first),
        iceberg_events.pin(iceberg_events.second),
        delta_tables.users_v0.pinned,
        delta_tables.mapped_v1.pinned,
    ]
    for p in pinned:
        expected = fingerprint(read_pinned(p))
        for library, code in recipes(p).items():
            if library.endswith("_sql"):
                continue
            assert fingerprint(_run(code)) == expected, (p.table, p.snapshot_id, library)


def test_recipes_name_the_snapshot_for_each_engine(delta_tables: DeltaTables) -> None:
    iceberg = PinnedTable(
        "lake.raw.events",
        Format.ICEBERG,
        "s3://bucket/wh/raw/events/metadata/00003-x.metadata.json",
        42,
        AS_OF,
        1,
        (),
        {"s3.secret-access-key": "do-not-print", "s3.region": "eu-west-1"},
    )
    read = recipes(iceberg)
    assert read["spark_sql"] == "SELECT * FROM `lake`.`raw`.`events` VERSION AS OF 42"
    assert read["trino_sql"] == 'SELECT * FROM "lake"."raw"."events" FOR VERSION AS OF 42'
    assert "snapshot_id=42" in read["polars"] and "POLARS_ICEBERG_PLANNER" in read["polars"]
    assert "StaticTable.from_metadata(" in read["pyiceberg"]
    assert '"s3.secret-access-key": "..."' in read["pyiceberg"]
    assert "do-not-print" not in json.dumps(read)

    plain = recipes(delta_tables.users_v0.pinned)
    root = str(delta_tables.users)
    assert plain["spark_sql"] == f"SELECT * FROM delta.`{root}` VERSION AS OF 0"
    assert plain["trino_sql"].endswith('FROM "deltas"."default"."users" FOR VERSION AS OF 0')
    assert "register_table" in plain["trino_sql"]
    assert "pl.read_delta(" in plain["polars"]
    assert "QueryBuilder" in plain["deltalake"]

    mapped = recipes(delta_tables.mapped_v1.pinned)
    assert "pl.read_delta(" not in mapped["polars"]
    assert "QueryBuilder" in mapped["polars"] and "column-mapped" in mapped["polars"]
