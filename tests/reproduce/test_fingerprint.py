"""The content fingerprint: order-independent, NULL- and type-aware, stable, fast enough."""

from __future__ import annotations

import decimal
import json
import random
import struct
from datetime import UTC, date, datetime, timedelta
from hashlib import blake2b
from typing import Any

import pyarrow as pa
import pytest

from temporal_lineage.query.reproduce import FINGERPRINT_ALGORITHM, _encode, fingerprint


def _sample(rows: int = 1_000) -> pa.Table:
    rnd = random.Random(7)
    return pa.table(
        {
            "id": pa.array(range(rows), pa.int64()),
            "name": pa.array([f"u{i}" if i % 7 else None for i in range(rows)], pa.string()),
            "amount": pa.array(
                [decimal.Decimal(i) / 100 if i % 11 else None for i in range(rows)],
                pa.decimal128(12, 2),
            ),
            "score": pa.array([rnd.random() for _ in range(rows)], pa.float64()),
            "ts": pa.array([i * 1_000_003 for i in range(rows)], pa.timestamp("us", tz="UTC")),
            "day": pa.array([i % 3_000 for i in range(rows)], pa.date32()),
            "flag": pa.array([None if i % 5 == 0 else i % 2 == 0 for i in range(rows)]),
            "tags": pa.array(
                [None if i % 4 == 0 else [str(i)] * (i % 3) for i in range(rows)],
                pa.list_(pa.string()),
            ),
            "point": pa.array(
                [None if i % 9 == 0 else {"x": i, "y": None} for i in range(rows)],
                pa.struct([("x", pa.int32()), ("y", pa.string())]),
            ),
            "attrs": pa.array(
                [[("k", i), ("j", None)] for i in range(rows)], pa.map_(pa.string(), pa.int64())
            ),
            "blob": pa.array([bytes([i % 256]) * (i % 4) for i in range(rows)], pa.binary()),
        }
    )


def _set(table: pa.Table, column: str, row: int, value: object) -> pa.Table:
    values = table.column(column).to_pylist()
    values[row] = value
    index = table.column_names.index(column)
    return table.set_column(index, column, pa.array(values, table.schema.field(column).type))


def test_order_and_batching_do_not_matter() -> None:
    table = _sample()
    expected = fingerprint(table)
    order = list(range(table.num_rows))
    random.Random(1).shuffle(order)
    shuffled = table.take(pa.array(order))
    assert fingerprint(shuffled) == expected
    batches = pa.Table.from_batches(shuffled.to_batches(max_chunksize=37))
    assert batches.column(0).num_chunks > 1
    assert fingerprint(batches) == expected
    assert fingerprint(table.select(list(reversed(table.column_names)))) == expected
    sliced = pa.concat_tables([table.slice(500), table.slice(0, 500)])
    assert fingerprint(sliced) == expected


@pytest.mark.parametrize(
    ("column", "row", "value"),
    [
        ("id", 3, 10_000),
        ("name", 7, "u7"),  # a NULL becomes a value
        ("name", 8, None),  # a value becomes NULL
        ("name", 8, ""),
        ("amount", 1, decimal.Decimal("0.02")),
        ("score", 2, 0.0),
        ("ts", 4, datetime(2030, 1, 1, tzinfo=UTC)),
        ("day", 4, date(2000, 1, 1)),
        ("flag", 1, True),
        ("tags", 1, None),  # an empty list is not NULL
        ("tags", 2, ["2", "2", "x"]),
        ("point", 1, None),
        ("point", 1, {"x": 1, "y": ""}),
        ("attrs", 1, [("k", 1)]),
        ("blob", 0, None),
    ],
)
def test_one_changed_value_changes_it(column: str, row: int, value: object) -> None:
    table = _sample()
    changed = _set(table, column, row, value)
    assert changed.column(column)[row].as_py() != table.column(column)[row].as_py() or (
        value is None
    )
    assert fingerprint(changed) != fingerprint(table)


def test_duplicates_and_row_boundaries_count() -> None:
    one = pa.table({"a": ["ab", "c"], "b": ["", "d"]})
    assert fingerprint(one) != fingerprint(pa.table({"a": ["a", "c"], "b": ["b", "d"]}))
    assert fingerprint(one) != fingerprint(pa.concat_tables([one, one]))
    swapped = pa.table({"a": ["ab", "d"], "b": ["", "c"]})  # same values, other rows
    assert fingerprint(one) != fingerprint(swapped)


def test_types_matter_but_arrow_spellings_do_not() -> None:
    ints = pa.table({"v": pa.array([1, None], pa.int64())})
    assert fingerprint(ints) != fingerprint(pa.table({"v": pa.array(["1", None])}))
    assert fingerprint(ints) != fingerprint(pa.table({"v": pa.array([1.0, None])}))
    assert fingerprint(ints) != fingerprint(pa.table({"w": pa.array([1, None])}))
    assert fingerprint(ints) == fingerprint(pa.table({"v": pa.array([1, None], pa.int32())}))
    strings = pa.table({"s": pa.array(["x", None, ""])})
    for kind in (pa.large_string(), pa.string_view()):
        assert fingerprint(strings) == fingerprint(strings.cast(pa.schema([("s", kind)])))
    encoded = pa.table({"s": pa.array(["x", None, ""]).dictionary_encode()})
    assert fingerprint(encoded) == fingerprint(strings)
    micros = pa.table({"t": pa.array([1_000_000, None, -1], pa.timestamp("us", tz="UTC"))})
    nanos = micros.cast(pa.schema([("t", pa.timestamp("ns", tz="UTC"))]))
    assert fingerprint(micros) == fingerprint(nanos)
    naive = micros.cast(pa.schema([("t", pa.timestamp("us"))]))
    assert fingerprint(micros) != fingerprint(naive)  # timestamptz is not timestamp
    subtle = pa.table({"t": pa.array([1_000_000_001, None, -1_000], pa.timestamp("ns", "UTC"))})
    assert fingerprint(subtle) != fingerprint(nanos)
    lists = pa.table({"l": pa.array([[1, 2], None, []], pa.list_(pa.int64()))})
    assert fingerprint(lists) == fingerprint(
        lists.cast(pa.schema([("l", pa.large_list(pa.int64()))]))
    )
    view = pa.table({"l": pa.array([[1, 2], None, []], pa.list_view(pa.int64()))})
    assert fingerprint(lists) == fingerprint(view)
    floats = pa.table({"f": pa.array([0.0, float("nan")], pa.float64())})
    negative = pa.table({"f": pa.array([-0.0, float("-nan")], pa.float32())})
    assert fingerprint(floats) == fingerprint(negative)


def test_empty_tables_and_no_columns() -> None:
    empty = pa.table({"v": pa.array([], pa.int64())})
    assert fingerprint(empty) != fingerprint(pa.table({"v": pa.array([], pa.string())}))
    assert fingerprint(empty) != fingerprint(pa.table({"v": pa.array([None], pa.int64())}))
    no_columns = pa.table({"v": [1, 2]}).drop_columns(["v"])
    assert fingerprint(no_columns) != fingerprint(no_columns.slice(0, 1))


def _reference_value(value: Any, kind: pa.DataType) -> bytes:
    """The canonical encoding of one value, spelled out value by value (the specification)."""
    if value is None:
        return b"\x00"
    if pa.types.is_boolean(kind):
        payload = bytes([value])
    elif pa.types.is_integer(kind):
        payload = struct.pack("<q", value)
    elif pa.types.is_floating(kind):
        payload = struct.pack("<d", 0.0 if value == 0 else value)
    elif pa.types.is_decimal(kind):
        unscaled = int(value.scaleb(kind.scale))
        payload = unscaled.to_bytes(16, "little", signed=True)
    elif pa.types.is_date(kind):
        payload = struct.pack("<i", (value - date(1970, 1, 1)).days)
    elif pa.types.is_timestamp(kind):
        micros = (value - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
        payload = struct.pack("<qH", micros, 0)
    elif pa.types.is_string(kind) or pa.types.is_binary(kind):
        raw = value.encode() if isinstance(value, str) else value
        payload = struct.pack("<q", len(raw)) + raw
    elif pa.types.is_map(kind):
        entry = pa.struct([("key", kind.key_type), ("value", kind.item_type)])
        payload = struct.pack("<q", len(value)) + b"".join(
            _reference_value({"key": k, "value": v}, entry) for k, v in value
        )
    elif pa.types.is_list(kind):
        payload = struct.pack("<q", len(value)) + b"".join(
            _reference_value(v, kind.value_type) for v in value
        )
    elif pa.types.is_struct(kind):
        children = sorted(kind, key=lambda f: f.name)
        payload = b"".join(_reference_value(value[f.name], f.type) for f in children)
    else:
        raise AssertionError(f"no reference encoding for {kind}")
    return b"\x01" + payload


def _reference_rows_sum(table: pa.Table) -> int:
    names = sorted(table.column_names)
    total = 0
    for row in table.to_pylist():
        encoded = b"".join(_reference_value(row[n], table.schema.field(n).type) for n in names)
        total += int.from_bytes(blake2b(encoded, digest_size=16).digest(), "little")
    return total % (1 << 128)


def test_the_vectorised_encoding_matches_the_value_by_value_specification() -> None:
    table = _sample(300)
    names = sorted(table.column_names)
    header = [[n, _encode(pa.nulls(0, table.schema.field(n).type))[1]] for n in names]
    canonical = json.dumps(
        {"columns": header, "rows": table.num_rows, "sum": f"{_reference_rows_sum(table):032x}"},
        separators=(",", ":"),
    )
    expected = blake2b(canonical.encode(), digest_size=16).hexdigest()
    assert fingerprint(table) == f"{FINGERPRINT_ALGORITHM}:{expected}"
    assert header[0] == ["amount", "decimal(scale=2)"]
    assert dict(header)["attrs"] == "map<key:string,value:integer>"
    assert dict(header)["point"] == "struct<x:integer,y:string>"


def test_it_is_stable_across_runs_and_versions() -> None:
    # A golden value: any change of the canonical encoding must change the algorithm name.
    table = pa.table(
        {
            "id": pa.array([2, 1, None], pa.int64()),
            "name": ["b", None, ""],
            "amount": pa.array(
                [decimal.Decimal("1.25"), None, decimal.Decimal("-7")], pa.decimal128(9, 2)
            ),
            "at": pa.array([0, -1, None], pa.timestamp("us", tz="UTC")),
            "tags": pa.array([["x"], [], None], pa.list_(pa.string())),
        }
    )
    assert FINGERPRINT_ALGORITHM == "rowsum-blake2b128-v1"
    assert fingerprint(table) == "rowsum-blake2b128-v1:ece3a1eb53420af114dc8f5dc6f35c79"
