"""Real tables in tmp_path, with the rows each snapshot holds, and their pins."""

from __future__ import annotations

import decimal
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.table import Table
from pyiceberg.types import DoubleType

from temporal_lineage.model import Field, Format
from temporal_lineage.query.reproduce import PinnedTable
from temporal_lineage.sources.delta_log import parse_schema
from temporal_lineage.times import from_millis
from warehouse_fixtures.delta_log import latest_metadata, rename_column_actions, write_commit

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Pin:
    """A pinned snapshot and the rows it must read back as."""

    pinned: PinnedTable
    rows: Rows


def sorted_rows(rows: Rows) -> Rows:
    """Rows in id order, for comparing tables whose row order is not defined."""
    return sorted(rows, key=lambda r: r["id"])


def _ts(seconds: int) -> datetime:
    return datetime(2026, 3, 3, tzinfo=UTC).replace(second=seconds)


@dataclass
class IcebergEvents:
    """``lake.raw.events``: append (s1), rename name->label + add score, append (s2)."""

    catalog: SqlCatalog
    table: Table
    first: Pin
    second: Pin

    def current_location(self) -> str:
        """The current metadata file, as the store would hand it over."""
        return str(self.catalog.load_table("raw.events").metadata_location)

    def pin(self, pin: Pin, location: str | None = None) -> PinnedTable:
        """The pin with ``location`` (default: the current metadata file)."""
        p = pin.pinned
        return PinnedTable(
            p.table,
            p.format,
            location or self.current_location(),
            p.snapshot_id,
            p.committed_at,
            p.schema_id,
            p.fields,
        )


def _iceberg_fields(table: Table, schema_id: int) -> tuple[Field, ...]:
    schema = next(s for s in table.metadata.schemas if s.schema_id == schema_id)
    return tuple(Field(f.field_id, (f.name,), str(f.field_type), f.optional) for f in schema.fields)


@pytest.fixture
def iceberg_events(tmp_path: Path) -> Iterator[IcebergEvents]:
    """A real SQL-catalog Iceberg table with two snapshots and a schema change between."""
    warehouse = tmp_path / "iceberg"
    warehouse.mkdir()
    catalog = SqlCatalog(
        "lake", uri=f"sqlite:///{warehouse}/catalog.db", warehouse=f"file://{warehouse}"
    )
    first_rows: Rows = [
        {
            "id": 1,
            "name": "ada",
            "amount": decimal.Decimal("10.50"),
            "ts": _ts(1),
            "tags": ["a", "b"],
        },
        {"id": 2, "name": None, "amount": decimal.Decimal("-3.00"), "ts": _ts(2), "tags": []},
        {"id": 3, "name": "cy", "amount": None, "ts": None, "tags": None},
    ]
    schema = pa.schema(
        [
            ("id", pa.int64()),
            ("name", pa.string()),
            ("amount", pa.decimal128(10, 2)),
            ("ts", pa.timestamp("us", tz="UTC")),
            ("tags", pa.list_(pa.string())),
        ]
    )
    catalog.create_namespace("raw")
    table = catalog.create_table("raw.events", schema=schema)
    table.append(pa.Table.from_pylist(first_rows, schema=schema))
    s1 = table.current_snapshot()
    assert s1 is not None
    with table.update_schema() as update:
        update.rename_column("name", "label")
        update.add_column("score", DoubleType())
    second_batch: Rows = [
        {
            "id": 4,
            "label": "dee",
            "amount": decimal.Decimal("0.01"),
            "ts": _ts(4),
            "tags": ["c"],
            "score": 0.5,
        },
        {"id": 5, "label": None, "amount": None, "ts": None, "tags": None, "score": None},
    ]
    new_schema = pa.schema(
        [*(f if f.name != "name" else pa.field("label", pa.string()) for f in schema)]
        + [pa.field("score", pa.float64())]
    )
    table.append(pa.Table.from_pylist(second_batch, schema=new_schema))
    s2 = table.current_snapshot()
    assert s2 is not None
    renamed = [
        {**{("label" if k == "name" else k): v for k, v in r.items()}, "score": None}
        for r in first_rows
    ]

    def pin(snapshot: Any, rows: Rows) -> Pin:
        return Pin(
            PinnedTable(
                "lake.raw.events",
                Format.ICEBERG,
                str(table.metadata_location),
                snapshot.snapshot_id,
                from_millis(snapshot.timestamp_ms),
                snapshot.schema_id,
                _iceberg_fields(table, snapshot.schema_id),
            ),
            rows,
        )

    yield IcebergEvents(catalog, table, pin(s1, first_rows), pin(s2, renamed + second_batch))
    catalog.engine.dispose()


def _history_time(path: Path, version: int) -> datetime:
    for entry in DeltaTable(str(path)).history():
        if entry.get("version") == version:
            return from_millis(int(entry["timestamp"]))
    raise AssertionError(f"no version {version} in {path}")


def delta_pin(table: str, path: Path, version: int, rows: Rows, uri: str | None = None) -> Pin:
    """Pin a Delta version, with the schema its metaData had then."""
    try:
        fields = parse_schema(latest_metadata(path, version)).fields
    except RuntimeError:  # checkpointed: the newest schema will do for these tests
        fields = parse_schema(
            {"schemaString": DeltaTable(str(path), version=version).schema().to_json()}
        ).fields
    return Pin(
        PinnedTable(
            table,
            Format.DELTA,
            uri or str(path),
            version,
            _history_time(path, version),
            None,
            fields,
        ),
        rows,
    )


@dataclass(frozen=True)
class DeltaTables:
    """``deltas.users`` (plain: write, append) and ``deltas.mapped`` (column mapping)."""

    users: Path
    users_v0: Pin
    users_v1: Pin
    mapped: Path
    mapped_v1: Pin
    mapped_v3: Pin


@pytest.fixture
def delta_tables(tmp_path: Path) -> DeltaTables:
    """Real Delta tables; ``mapped`` renames ``name`` to ``full_name`` at version 2.

    With column mapping the parquet files hold physical names (``col-<uuid>``): a reader that
    ignores the mapping returns NULLs, so the values read back are what the tests check.
    """
    users = tmp_path / "delta" / "users"
    users_schema = pa.schema([("id", pa.int64()), ("name", pa.string()), ("ok", pa.bool_())])
    u0: Rows = [{"id": 1, "name": "ann", "ok": True}, {"id": 2, "name": None, "ok": False}]
    u1: Rows = [{"id": 3, "name": "bo", "ok": None}]
    write_deltalake(str(users), pa.Table.from_pylist(u0, schema=users_schema))
    write_deltalake(str(users), pa.Table.from_pylist(u1, schema=users_schema), mode="append")

    mapped = tmp_path / "delta" / "mapped"
    m_schema = pa.schema([("id", pa.int64()), ("name", pa.string()), ("v", pa.float64())])
    m0: Rows = [{"id": 1, "name": "x", "v": 1.5}, {"id": 2, "name": None, "v": None}]
    m1: Rows = [{"id": 3, "name": "z", "v": -0.25}]
    write_deltalake(
        str(mapped),
        pa.Table.from_pylist(m0, schema=m_schema),
        configuration={"delta.columnMapping.mode": "name"},
    )
    write_deltalake(str(mapped), pa.Table.from_pylist(m1, schema=m_schema), mode="append")
    meta = latest_metadata(mapped, 1)
    stamp = int(datetime.now(UTC).timestamp() * 1000)
    write_commit(mapped, 2, rename_column_actions(meta, "name", "full_name", 1, stamp))
    m3: Rows = [{"id": 4, "full_name": "w", "v": 2.0}]
    renamed_schema = pa.schema(
        [("id", pa.int64()), ("full_name", pa.string()), ("v", pa.float64())]
    )
    write_deltalake(str(mapped), pa.Table.from_pylist(m3, schema=renamed_schema), mode="append")
    renamed = [{"id": r["id"], "full_name": r["name"], "v": r["v"]} for r in m0 + m1]
    return DeltaTables(
        users,
        delta_pin("deltas.users", users, 0, u0),
        delta_pin("deltas.users", users, 1, u0 + u1),
        mapped,
        delta_pin("deltas.mapped", mapped, 1, m0 + m1),
        delta_pin("deltas.mapped", mapped, 3, renamed + m3),
    )


def data_files(root: str | Path) -> list[Path]:
    """The parquet files below a table folder."""
    return sorted(
        Path(folder) / name
        for folder, _, names in os.walk(root)
        for name in names
        if name.endswith(".parquet") and "_delta_log" not in folder
    )
