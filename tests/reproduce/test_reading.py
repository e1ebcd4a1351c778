"""Every column type reads back at its snapshot with the content that was written."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake
from pyiceberg.catalog.sql import SqlCatalog

from temporal_lineage.model import Format
from temporal_lineage.query.reproduce import PinnedTable, fingerprint, read_pinned

WHEN = dt.datetime(2026, 3, 3, tzinfo=dt.UTC)


def _all_types() -> pa.Table:
    return pa.table(
        {
            "id": pa.array([1, 2, 3], pa.int64()),
            "region": ["eu", "us", None],
            "ts": pa.array(
                [WHEN, None, dt.datetime(1960, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC)],
                pa.timestamp("us", tz="UTC"),
            ),
            "ntz": pa.array([dt.datetime(2026, 1, 1), None, None], pa.timestamp("us")),
            "day": pa.array([dt.date(2026, 1, 1), None, dt.date(1900, 5, 5)]),
            "amount": pa.array(
                [decimal.Decimal("1.10"), None, decimal.Decimal("-2.00")], pa.decimal128(10, 2)
            ),
            "point": pa.array(
                [{"a": 1, "b": "x"}, None, {"a": None, "b": None}],
                pa.struct([("a", pa.int32()), ("b", pa.string())]),
            ),
            "values": pa.array([[1.5, None], None, []], pa.list_(pa.float64())),
            "attrs": pa.array([[("k", 1)], None, []], pa.map_(pa.string(), pa.int64())),
            "blob": pa.array([b"\x00", None, b""]),
            "flag": pa.array([True, None, False]),
        }
    )


@pytest.mark.parametrize("mapping", [None, "name"])
def test_delta_reads_every_type_as_written(tmp_path: Path, mapping: str | None) -> None:
    written = _all_types()
    path = tmp_path / "typed"
    configuration = {"delta.columnMapping.mode": mapping} if mapping else None
    write_deltalake(str(path), written, partition_by=["region"], configuration=configuration)
    pinned = PinnedTable("deltas.typed", Format.DELTA, str(path), 0, WHEN, None, ())

    read = read_pinned(pinned)

    assert read.column_names == written.column_names  # the partition column stays in place
    assert sorted(read.to_pylist(), key=lambda r: r["id"]) == written.to_pylist()
    assert fingerprint(read) == fingerprint(written)  # string_view & co. are the same content


def test_iceberg_reads_every_type_as_written(tmp_path: Path) -> None:
    written = _all_types()
    catalog = SqlCatalog(
        "lake", uri=f"sqlite:///{tmp_path}/catalog.db", warehouse=f"file://{tmp_path}"
    )
    try:
        catalog.create_namespace("raw")
        table = catalog.create_table("raw.typed", schema=written.schema)
        table.append(written)
        snapshot = table.current_snapshot()
        assert snapshot is not None
        pinned = PinnedTable(
            "lake.raw.typed",
            Format.ICEBERG,
            str(table.metadata_location).removeprefix("file://"),  # a plain path works too
            snapshot.snapshot_id,
            WHEN,
            snapshot.schema_id,
            (),
        )
        read = read_pinned(pinned)
    finally:
        catalog.engine.dispose()

    assert read.column_names == written.column_names
    assert sorted(read.to_pylist(), key=lambda r: r["id"]) == written.to_pylist()
    assert fingerprint(read) == fingerprint(written)
