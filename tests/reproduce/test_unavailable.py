"""Data gone at the source: one line naming table, snapshot and cause; the rest still work."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from temporal_lineage.errors import DataUnavailable
from temporal_lineage.model import Format
from temporal_lineage.query.reproduce import (
    PinnedTable,
    build_manifest,
    load,
    read_pinned,
    verify_manifest,
)
from tests.reproduce.conftest import DeltaTables, IcebergEvents, data_files, delta_pin

AS_OF = datetime(2026, 3, 3, tzinfo=UTC)


def _manifest(pinned: list[PinnedTable]) -> dict[str, Any]:
    return build_manifest(pinned, root=pinned[0].table, as_of=AS_OF, known_at=AS_OF, store="x")


def _one_line(message: str) -> str:
    assert "\n" not in message
    return message


def test_expired_iceberg_snapshot(iceberg_events: IcebergEvents, delta_tables: DeltaTables) -> None:
    first = iceberg_events.first.pinned.snapshot_id
    iceberg_events.table.maintenance.expire_snapshots().by_ids([first]).commit()
    expired = iceberg_events.pin(iceberg_events.first)
    current = iceberg_events.pin(iceberg_events.second)

    with pytest.raises(DataUnavailable) as raised:
        read_pinned(expired)
    assert _one_line(str(raised.value)) == (
        f"lake.raw.events snapshot {first}: snapshot expired: no longer in the table metadata "
        f"{expired.location}"
    )

    manifest = _manifest([expired, current, delta_tables.users_v1.pinned])
    broken, *rest = manifest["tables"]
    assert broken["error"] == str(raised.value)
    assert broken["row_count"] is None and broken["fingerprint"] is None
    assert broken["read"]["spark_sql"].endswith(f"VERSION AS OF {first}")
    assert [t["row_count"] for t in rest] == [5, 3]
    assert all(t["error"] is None for t in rest)

    report = verify_manifest(manifest)
    assert not report["ok"]
    assert [t["ok"] for t in report["tables"]] == [False, True, True]
    assert report["tables"][0]["error"] == str(raised.value)


def test_deleted_iceberg_data_file(iceberg_events: IcebergEvents) -> None:
    pinned = iceberg_events.pin(iceberg_events.second)
    manifest = _manifest([pinned])
    first_file = data_files(iceberg_events.table.location().removeprefix("file://"))[0]
    os.remove(first_file)

    report = verify_manifest(manifest)
    error = _one_line(report["tables"][0]["error"])
    assert (
        error == f"lake.raw.events snapshot {pinned.snapshot_id}: data file vanished: {first_file}"
    )
    with pytest.raises(DataUnavailable, match="data file vanished"):
        load(manifest)


def test_vanished_iceberg_metadata_file(iceberg_events: IcebergEvents) -> None:
    pinned = iceberg_events.pin(iceberg_events.first, iceberg_events.current_location() + ".gone")
    with pytest.raises(DataUnavailable) as raised:
        read_pinned(pinned)
    assert _one_line(str(raised.value)).startswith(
        f"lake.raw.events snapshot {pinned.snapshot_id}: metadata file vanished: "
    )


def test_delta_commit_removed_by_log_cleanup(delta_tables: DeltaTables) -> None:
    table = DeltaTable(str(delta_tables.users))
    table.alter.set_table_properties({"delta.logRetentionDuration": "interval 0 seconds"})
    table = DeltaTable(str(delta_tables.users))
    table.create_checkpoint()
    table.cleanup_metadata()
    latest = table.version()

    with pytest.raises(DataUnavailable) as raised:
        read_pinned(delta_tables.users_v0.pinned)
    assert _one_line(str(raised.value)) == (
        "deltas.users version 0: commit file removed by log cleanup "
        f"(oldest readable version: {latest})"
    )
    manifest = _manifest([delta_tables.users_v0.pinned, delta_tables.mapped_v3.pinned])
    assert manifest["tables"][0]["error"] == str(raised.value)
    assert manifest["tables"][1]["row_count"] == 4


def test_vacuumed_delta_data_file(delta_tables: DeltaTables) -> None:
    path = delta_tables.users
    before = delta_tables.users_v1
    manifest = _manifest([before.pinned])
    write_deltalake(
        str(path), pa.table({"id": [9], "name": ["new"], "ok": [True]}), mode="overwrite"
    )
    removed = DeltaTable(str(path)).vacuum(
        retention_hours=0, enforce_retention_duration=False, dry_run=False
    )
    assert removed

    report = verify_manifest(manifest)
    error = _one_line(report["tables"][0]["error"])
    assert error.startswith("deltas.users version 1: data file vanished: ")
    assert any(error.endswith(os.path.basename(name)) for name in removed)
    assert read_pinned(delta_pin("deltas.users", path, 2, []).pinned).num_rows == 1


def test_delta_version_not_in_the_log_and_table_gone(delta_tables: DeltaTables) -> None:
    ahead = delta_pin("deltas.users", delta_tables.users, 1, []).pinned
    ahead = PinnedTable(
        ahead.table, Format.DELTA, ahead.location, 7, ahead.committed_at, None, ahead.fields
    )
    with pytest.raises(DataUnavailable, match=r"^deltas.users version 7: version not in the log"):
        read_pinned(ahead)
    gone = PinnedTable(
        "deltas.gone", Format.DELTA, str(delta_tables.users) + "-gone", 0, AS_OF, None, ()
    )
    with pytest.raises(DataUnavailable, match=r"^deltas.gone version 0: table no longer exists"):
        read_pinned(gone)
