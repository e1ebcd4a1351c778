"""The per-transaction schema lookups of ingestion answer exactly what ``schema_as_of``
answers, table by table and instant by instant, on both databases (the sample warehouse:
schema changes, dropped and re-created tables included)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from temporal_lineage.config import load_settings
from temporal_lineage.store import Store
from temporal_lineage.store.table_schemas import TableSchemas
from temporal_lineage.sync import sync
from warehouse_fixtures.timeline import Timeline

MS = timedelta(milliseconds=1)


def test_schemas_at_event_times_match_schema_as_of(store: Store, warehouse: Timeline) -> None:
    settings = replace(load_settings(warehouse.root / "lineage.yaml"), store_url="unused")
    assert sync(store, settings).errors == []
    with store.reader() as reader:
        tables = [reader.get_table(info.ref) for info in reader.list_tables()]
        instants = sorted(
            {s.snapshot.committed_at for tb in tables for s in reader.list_snapshots(tb)}
        )
        probes = [instants[0] - timedelta(days=3650)]
        probes += [at + offset for at in instants for offset in (-MS, 0 * MS, MS)]
        expected = {
            (tb.table_id, at): (tb.ref, answer.schema if answer is not None else None)
            for tb in tables
            for at in probes
            for answer in [reader.schema_as_of(tb, at)]
        }
    with store.begin() as conn:
        schemas = TableSchemas(conn)
        got = {key: schemas.at(*key) for key in expected}
        again = {key: schemas.at(*key) for key in reversed(list(expected))}  # from memory
    assert got == expected and again == expected
    answers = list(expected.values())
    assert any(s is None for _, s in answers) and any(s is not None for _, s in answers)
    assert len({s for _, s in answers if s is not None}) > len(tables)  # schemas changed
