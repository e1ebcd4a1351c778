"""Counting the rows of a pinned snapshot that match a predicate, on real tables.

Every snapshot / version of each table is counted through ``SNAPSHOT_DATA[fmt].count`` and
checked against an oracle: the snapshot read in full by the format's library, filtered
here in Python with SQL's three-valued logic. The tables have appends, a row-level delete
(older snapshots hold rows the head lacks), null partition values and a column rename
(so a predicate's names are those of the snapshot's own schema).
"""

from __future__ import annotations

import operator
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable, QueryBuilder, write_deltalake
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.table import Table

from temporal_lineage.errors import BadPredicate, ColumnNotFound, DataUnavailable
from temporal_lineage.model import Format, TableRef
from temporal_lineage.predicate import (
    And,
    Column,
    Comparison,
    Date,
    InList,
    IsNull,
    Not,
    Op,
    Or,
    Predicate,
    Timestamp,
    Value,
    renamed,
)
from temporal_lineage.sources.snapshot_data import SNAPSHOT_DATA
from temporal_lineage.sql_lineage.predicate_parse import parse_predicate
from tests.reproduce.conftest import data_files
from warehouse_fixtures.delta_log import latest_metadata, rename_column_actions, write_commit

Row = dict[str, Any]
SEEN = datetime(2024, 1, 1, tzinfo=UTC)

PREDICATES = [
    "customer_id = 7",
    "email = 'u13@x.org'",
    "customer_id IN (3, 25, 64, 121, 500)",
    "country IN ('DE', 'FR')",
    "country NOT IN ('DE')",
    "country != 'DE'",
    "email IS NULL",
    "country IS NOT NULL AND score IS NULL",
    "customer_id > 10 AND (country = 'DE' OR email IS NULL)",
    "NOT (customer_id < 30 OR score >= 0.5)",
    "active = TRUE AND customer_id BETWEEN 5 AND 95",
    "signup >= DATE '2024-01-20'",
    "email >= 'u5' AND email < 'u6'",
    "seen < TIMESTAMP '2024-01-10 12:00:00+00:00' OR seen >= TIMESTAMP '2024-02-01T01:00:00+01:00'",
]
"""Comparisons on int, float, string, boolean, date and timestamp columns; partition and data
columns."""


def people(start: int, count: int, email: str = "email") -> pa.Table:
    """Customers ``start .. start+count-1``; some with null email, country or score."""
    ids = range(start, start + count)
    return pa.table(
        {
            "customer_id": pa.array(ids, pa.int64()),
            email: pa.array([None if i % 7 == 0 else f"u{i}@x.org" for i in ids], pa.string()),
            "country": pa.array([(None, "DE", "FR", "IT")[i % 4] for i in ids], pa.string()),
            "score": pa.array([None if i % 5 == 0 else (i % 10) / 10 for i in ids], pa.float64()),
            "active": pa.array([i % 3 == 0 for i in ids], pa.bool_()),
            "signup": pa.array([date(2024, 1, 1) + timedelta(days=i % 40) for i in ids]),
            "seen": pa.array(
                [None if i % 11 == 0 else SEEN + timedelta(hours=7 * i) for i in ids],
                pa.timestamp("us", tz="UTC"),
            ),
        }
    )


# -- the oracle: SQL three-valued logic over rows read in full ----------------------------

_OPS: dict[Op, Callable[[Any, Any], bool]] = {
    Op.EQ: operator.eq,
    Op.NE: operator.ne,
    Op.LT: operator.lt,
    Op.LE: operator.le,
    Op.GT: operator.gt,
    Op.GE: operator.ge,
}


def _python(value: Value) -> Any:
    if isinstance(value, Date):
        return date.fromisoformat(value.iso)
    if isinstance(value, Timestamp):
        return datetime.fromisoformat(value.iso)
    return value


def holds(pred: Predicate, row: Row) -> bool | None:
    """True, False or unknown (None), as SQL evaluates the predicate on one row."""
    if isinstance(pred, Comparison):
        value = row[pred.column.name]
        return None if value is None else _OPS[pred.op](value, _python(pred.value))
    if isinstance(pred, InList):
        value = row[pred.column.name]
        if value is None:
            return None
        return (value in {_python(v) for v in pred.values}) != pred.negated
    if isinstance(pred, IsNull):
        return (row[pred.column.name] is None) != pred.negated
    if isinstance(pred, Not):
        inner = holds(pred.part, row)
        return None if inner is None else not inner
    results = [holds(part, row) for part in pred.parts]
    decisive = isinstance(pred, Or)  # True decides an OR, False an AND
    if decisive in results:
        return decisive
    return None if None in results else not decisive


def expected(rows: list[Row], pred: Predicate) -> int:
    return sum(1 for row in rows if holds(pred, row) is True)


# -- tables --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pinned:
    """One snapshot of a real table, its rows as the library reads them in full."""

    fmt: Format
    table: str
    location: str
    snapshot_id: int
    rows: list[Row]

    @property
    def names(self) -> set[str]:
        return set(self.rows[0]) if self.rows else set()

    def count(self, pred: Predicate) -> int:
        return SNAPSHOT_DATA[self.fmt].count(self.table, self.location, self.snapshot_id, {}, pred)


def _catalog(root: Path) -> SqlCatalog:
    root.mkdir(parents=True, exist_ok=True)
    return SqlCatalog("lake", uri=f"sqlite:///{root}/catalog.db", warehouse=f"file://{root}")


def _iceberg_people(catalog: SqlCatalog) -> Table:
    """``lake.crm.people`` partitioned by country: 2 appends, a delete, a rename, an append."""
    catalog.create_namespace("crm")
    table = catalog.create_table("crm.people", schema=people(0, 1).schema)
    with table.update_spec() as spec:
        spec.add_identity("country")
    table.append(people(0, 60))
    table.append(people(60, 60))
    table.delete("customer_id >= 20 AND customer_id < 30")
    with table.update_schema() as update:
        update.rename_column("email", "mail")
    table.append(people(120, 30, email="mail"))
    return table


def _iceberg_pins(table: Table) -> list[Pinned]:
    location = str(table.metadata_location)
    return [
        Pinned(
            Format.ICEBERG,
            "lake.crm.people",
            location,
            s.snapshot_id,
            table.scan(snapshot_id=s.snapshot_id).to_arrow().to_pylist(),
        )
        for s in table.metadata.snapshots
    ]


def _delta_rows(path: Path, version: int) -> list[Row]:
    """Every row of the version, through QueryBuilder (right for column-mapped tables)."""
    dt = DeltaTable(str(path), version=version)
    rows: list[Row] = pa.table(
        QueryBuilder().register("t", dt).execute("select * from t").read_all()
    ).to_pylist()
    return rows


def _delta_pins(name: str, path: Path) -> list[Pinned]:
    latest = DeltaTable(str(path)).version()
    return [
        Pinned(Format.DELTA, name, str(path), v, _delta_rows(path, v)) for v in range(latest + 1)
    ]


MAPPED = {
    "delta.columnMapping.mode": "name",
    "delta.minReaderVersion": "2",
    "delta.minWriterVersion": "5",
}


def _delta_people(path: Path) -> None:
    """Partitioned by country: create, append, delete, append."""
    write_deltalake(str(path), people(0, 60), partition_by=["country"])
    write_deltalake(str(path), people(60, 60), mode="append")
    DeltaTable(str(path)).delete("customer_id >= 20 AND customer_id < 30")
    write_deltalake(str(path), people(120, 30), mode="append")


def _delta_mapped(path: Path) -> None:
    """Column-mapped: create, append, delete, rename email -> mail, append."""
    write_deltalake(str(path), people(0, 60), configuration=MAPPED)
    write_deltalake(str(path), people(60, 60), mode="append")
    DeltaTable(str(path)).delete("customer_id >= 20 AND customer_id < 30")
    stamp = int(datetime.now(UTC).timestamp() * 1000)
    write_commit(
        path, 3, rename_column_actions(latest_metadata(path, 2), "email", "mail", 2, stamp)
    )
    write_deltalake(str(path), people(120, 30, email="mail"), mode="append")


@pytest.fixture(scope="module")
def pins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Pinned]]:
    """Every snapshot of the Iceberg table and every version of both Delta tables."""
    root = tmp_path_factory.mktemp("count")
    catalog = _catalog(root / "iceberg")
    iceberg = _iceberg_pins(_iceberg_people(catalog))
    _delta_people(root / "delta" / "people")
    _delta_mapped(root / "delta" / "mapped")
    found = [
        *iceberg,
        *_delta_pins("deltas.people", root / "delta" / "people"),
        *_delta_pins("deltas.mapped", root / "delta" / "mapped"),
    ]
    yield found
    catalog.engine.dispose()


def test_the_tables_have_the_history_the_checks_need(pins: list[Pinned]) -> None:
    """Rows appended, erased, appended again; ``email`` renamed in two of the tables."""
    for table, renames in (
        ("lake.crm.people", True),
        ("deltas.people", False),
        ("deltas.mapped", True),
    ):
        history = [p for p in pins if p.table == table]
        sizes = [len(p.rows) for p in history]
        assert sizes[:2] == [60, 120] and 110 in sizes and sizes[-1] == 140, (table, sizes)
        assert "email" in history[0].names
        assert ("mail" in history[-1].names) == renames, table


def test_the_mapped_table_stores_physical_column_names(pins: list[Pinned]) -> None:
    """So a reader that ignores the mapping would see only nulls (what QueryBuilder avoids)."""
    import pyarrow.parquet as pq

    mapped = next(p for p in pins if p.table == "deltas.mapped")
    names = pq.read_schema(data_files(mapped.location)[0]).names
    assert names and all(name.startswith("col-") for name in names), names


@pytest.mark.parametrize("text", PREDICATES)
def test_count_matches_the_oracle_at_every_snapshot(pins: list[Pinned], text: str) -> None:
    pred = parse_predicate(text)
    for pin in pins:
        asked = renamed(pred, {"email": "mail"}) if "mail" in pin.names else pred
        assert pin.count(asked) == expected(pin.rows, asked), (pin.table, pin.snapshot_id, text)


def test_the_checks_are_not_vacuous(pins: list[Pinned]) -> None:
    """Each predicate matches some rows somewhere, and not every row."""
    for text in PREDICATES:
        pred = parse_predicate(text)
        counts = {
            expected(p.rows, renamed(pred, {"email": "mail"}) if "mail" in p.names else pred)
            for p in pins
        }
        assert max(counts) > 0, text
        assert all(c < 150 for c in counts), text


def test_erased_rows_are_counted_only_where_they_still_are(pins: list[Pinned]) -> None:
    erased = parse_predicate("customer_id >= 20 AND customer_id < 30")
    for table in ("lake.crm.people", "deltas.people", "deltas.mapped"):
        counts = [p.count(erased) for p in pins if p.table == table]
        assert counts[:2] == [10, 10] and counts[-1] == 0, (table, counts)


def test_names_are_those_of_the_snapshot_schema(pins: list[Pinned]) -> None:
    """After ``email`` became ``mail``: the old name at old snapshots, the new one after."""
    for table in ("lake.crm.people", "deltas.mapped"):
        history = [p for p in pins if p.table == table]
        first, last = history[0], history[-1]
        assert first.count(parse_predicate("email = 'u1@x.org'")) == 1
        assert last.count(parse_predicate("mail = 'u1@x.org'")) == 1
        with pytest.raises(ColumnNotFound) as raised:
            last.count(parse_predicate("email = 'u1@x.org'"))
        label = "snapshot" if last.fmt is Format.ICEBERG else "version"
        assert str(raised.value) == (
            f"{table} {label} {last.snapshot_id} has no column 'email' "
            "(columns: customer_id, mail, country, score, active, signup, seen)"
        )


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("customer_id = 'abc'", "column 'customer_id' is long: compare it with an integer"),
        ("customer_id = 2.5", "column 'customer_id' is long: compare it with an integer"),
        ("email = 3", "column 'email' is string: compare it with a string"),
        ("signup = '2024-01-02'", "column 'signup' is date: compare it with DATE 'YYYY-MM-DD'"),
        ("active = 1", "column 'active' is boolean: compare it with TRUE or FALSE"),
    ],
)
def test_a_literal_of_the_wrong_type_is_refused_before_reading(
    pins: list[Pinned], text: str, fault: str
) -> None:
    for pin in (pins[0], next(p for p in pins if p.table == "deltas.people")):
        with pytest.raises(BadPredicate) as raised:
            pin.count(parse_predicate(text))
        message = str(raised.value)
        assert "\n" not in message
        assert message.startswith(f"bad predicate on {pin.table} ") and message.endswith(fault)


# -- data gone, and pruning ----------------------------------------------------------------


def _one_line(message: str) -> str:
    assert "\n" not in message
    return message


def test_vanished_iceberg_data_file(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path / "iceberg")
    try:
        table = _iceberg_people(catalog)
        pin = _iceberg_pins(table)[1]  # both appends, before the delete rewrote files
        gone = [f for f in data_files(tmp_path / "iceberg") if f.parent.name == "country=FR"]
        for data_file in gone:
            os.remove(data_file)
        # only the predicate's partitions are opened: the vanished files are pruned
        in_de = parse_predicate("country = 'DE'")
        assert pin.count(in_de) == expected(pin.rows, in_de)
        with pytest.raises(DataUnavailable) as raised:
            pin.count(parse_predicate("country = 'FR' AND customer_id > 0"))
    finally:
        catalog.engine.dispose()
    prefix = f"lake.crm.people snapshot {pin.snapshot_id}: data file vanished: "
    message = _one_line(str(raised.value))
    assert message.startswith(prefix) and Path(message.removeprefix(prefix)) in gone, message


@pytest.mark.parametrize("mapped", [False, True], ids=["plain", "column-mapped"])
def test_vanished_delta_data_file(tmp_path: Path, mapped: bool) -> None:
    path = tmp_path / "delta" / "people"
    if mapped:
        _delta_mapped(path)
    else:
        _delta_people(path)
    for data_file in data_files(path):
        os.remove(data_file)
    with pytest.raises(DataUnavailable) as raised:
        SNAPSHOT_DATA[Format.DELTA].count(
            "deltas.people", str(path), 1, {}, parse_predicate("customer_id > 3")
        )
    message = _one_line(str(raised.value))
    assert message.startswith("deltas.people version 1: data file vanished: "), message
    assert message.endswith(".parquet")


def test_delta_partition_pruning_skips_other_partitions(tmp_path: Path) -> None:
    path = tmp_path / "delta" / "people"
    _delta_people(path)
    rows = _delta_rows(path, 1)
    for data_file in data_files(path):
        if data_file.parent.name == "country=FR":
            os.remove(data_file)
    pred = parse_predicate("country = 'DE' AND email IS NOT NULL")
    counted = SNAPSHOT_DATA[Format.DELTA].count("deltas.people", str(path), 1, {}, pred)
    assert counted == expected(rows, pred)


def test_expired_iceberg_snapshot(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path / "iceberg")
    try:
        table = _iceberg_people(catalog)
        first = table.metadata.snapshots[0].snapshot_id
        table.maintenance.expire_snapshots().by_ids([first]).commit()
        location = str(catalog.load_table("crm.people").metadata_location)
        with pytest.raises(DataUnavailable, match=r"snapshot expired"):
            SNAPSHOT_DATA[Format.ICEBERG].count(
                "lake.crm.people", location, first, {}, parse_predicate("customer_id = 1")
            )
    finally:
        catalog.engine.dispose()


# -- the queries an engine can run instead --------------------------------------------------


def test_count_recipes() -> None:
    pred = And(
        (
            Comparison(Column("customer_id"), Op.EQ, 42),
            InList(Column("a"), ("o'hara", "x\\y")),
        )
    )
    iceberg = SNAPSHOT_DATA[Format.ICEBERG].count_recipes(
        TableRef("lake", "raw.events"), "/w/m.json", 123, pred
    )
    assert iceberg == {
        "spark_sql": "SELECT COUNT(*) FROM `lake`.`raw`.`events` VERSION AS OF 123 "
        "WHERE `customer_id` = 42 AND `a` IN ('o\\'hara', 'x\\\\y')",
        "trino_sql": 'SELECT COUNT(*) FROM "lake"."raw"."events" FOR VERSION AS OF 123 '
        "WHERE \"customer_id\" = 42 AND \"a\" IN ('o''hara', 'x\\y')",
    }
    delta = SNAPSHOT_DATA[Format.DELTA].count_recipes(
        TableRef("deltas", "users"), "/w/users", 3, parse_predicate("email IS NULL")
    )
    assert delta["spark_sql"] == (
        "SELECT COUNT(*) FROM delta.`/w/users` VERSION AS OF 3 WHERE `email` IS NULL"
    )
    setup, query = delta["trino_sql"].splitlines()
    assert setup.startswith('-- register the table first: CALL "deltas".system.register_table(')
    assert query == (
        'SELECT COUNT(*) FROM "deltas"."default"."users" FOR VERSION AS OF 3 WHERE "email" IS NULL'
    )
