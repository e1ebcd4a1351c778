"""Batched snapshot and schema lookups answer exactly what the single lookups answer, key
for key, on both databases (the sample warehouse: dropped, re-created, restored tables included)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from temporal_lineage.config import load_settings
from temporal_lineage.ingest import ingest_files
from temporal_lineage.store import Store
from temporal_lineage.store.batch_reads import _BATCH
from temporal_lineage.sync import sync
from warehouse_fixtures.timeline import Timeline

MS = timedelta(milliseconds=1)


def test_batched_heads_and_pinned_snapshots_match_the_single_lookups(
    store: Store, warehouse: Timeline
) -> None:
    settings = replace(load_settings(warehouse.root / "lineage.yaml"), store_url="unused")
    assert sync(store, settings).errors == []
    assert ingest_files(store, [warehouse.events_path]).rejected == []
    with store.reader() as reader:
        tables = [reader.get_table(info.ref) for info in reader.list_tables()]
        snapshots = {tb.table_id: reader.list_snapshots(tb) for tb in tables}
        instants = sorted({s.snapshot.committed_at for snaps in snapshots.values() for s in snaps})
        probes = [instants[0] - timedelta(days=3650)]
        probes += [at + offset for at in instants for offset in (-MS, 0 * MS, MS)]
        heads = [(tb, at) for tb in tables for at in probes]
        assert len(heads) > _BATCH  # more than one batch
        for known_at in (instants[len(instants) // 2], None):
            single = [reader.head_as_of(tb, at, known_at) for tb, at in heads]
            assert reader.heads_as_of(heads, known_at) == single
        assert any(s is not None and s.snapshot.snapshot_id == 0 for s in single)
        assert any(s is None for s in single) and any(s is not None for s in single)
        pinned = [
            (tb, s.snapshot.snapshot_id, before)
            for tb in tables
            for s in snapshots[tb.table_id]
            for before in (None, s.snapshot.committed_at, s.snapshot.committed_at - MS)
        ]
        pinned.append((tables[0], 10**15, None))  # no such snapshot
        for known_at in (None, instants[len(instants) // 2]):
            single = [
                reader.find_snapshot(tb, n, known_at, before=before) for tb, n, before in pinned
            ]
            assert reader.snapshots_before(pinned, known_at) == single
        for known_at in (instants[len(instants) // 2], None):
            schemas = [reader.schema_as_of(tb, at, known_at) for tb, at in heads]
            assert reader.schemas_as_of(heads, known_at) == schemas
        assert any(s is None for s in schemas) and any(s is not None for s in schemas)
        assert reader.heads_as_of([]) == [] and reader.snapshots_before([]) == []
        assert reader.schemas_as_of([]) == []
