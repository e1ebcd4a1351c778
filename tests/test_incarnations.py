"""Drop and re-create between two polls: every answer as of A uses the incarnation alive at A."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pyarrow as pa

from temporal_lineage.model import TableRef
from temporal_lineage.query import history
from temporal_lineage.store import Store
from temporal_lineage.sync import sync
from temporal_lineage.times import now
from tests.test_resilience import delta_table, sql_catalog, write_config


def test_iceberg_recreated_between_polls_answers_the_new_schema(
    tmp_path: Path, store: Store
) -> None:
    """Regression: the re-created table's schema id 0 was taken for the old one's, so
    `schema` answered the old fields and `schema-history` lacked the new incarnation."""
    url = store.engine.url.render_as_string(hide_password=False)
    catalog, settings = sql_catalog(tmp_path, url)
    old = pa.table({"a": pa.array([1], pa.int64())})
    catalog.create_table("ns.t", schema=old.schema).append(old)
    assert sync(store, settings).errors == []
    ref = TableRef("lake", "ns.t")
    before = now()
    time.sleep(0.01)
    catalog.drop_table("ns.t")
    new = pa.table({"x": pa.array(["s"]), "y": pa.array([2.0])})
    catalog.create_table("ns.t", schema=new.schema).append(new)
    assert sync(store, settings).errors == []

    current = history.schema_as_of(store, ref, now())
    assert current is not None and [f.name for f in current.schema.fields] == ["x", "y"]
    past = history.schema_as_of(store, ref, before)
    assert past is not None and [f.name for f in past.schema.fields] == ["a"]
    entries = history.schema_history(store, ref)
    assert len({e.incarnation for e in entries}) == 2
    assert [e.schema_id for e in entries] == [0, 0]
    snaps = history.list_snapshots(store, ref)
    head = history.snapshot_as_of(store, ref, now())
    assert head is not None and head.incarnation == entries[-1].incarnation
    assert len(snaps) == 2 and snaps[0].incarnation != snaps[1].incarnation


def test_delta_recreated_between_polls_with_more_versions_is_a_new_incarnation(
    tmp_path: Path, store: Store
) -> None:
    """Regression: a folder deleted and written again with more versions than before was read
    on from the old cursor, as more commits of the old incarnation."""
    from deltalake import write_deltalake

    delta_table(tmp_path / "delta" / "t", [1, 2])
    settings = write_config(
        tmp_path,
        "  - {name: dl, format: delta, root: delta}\n",
        store.engine.url.render_as_string(hide_password=False),
    )
    assert sync(store, settings).errors == []
    ref = TableRef("dl", "t")
    first = history.list_snapshots(store, ref)
    shutil.rmtree(tmp_path / "delta" / "t")
    table = tmp_path / "delta" / "t"
    write_deltalake(table, pa.table({"b": pa.array(["x"])}), mode="append")
    for value in ("y", "z", "w"):
        write_deltalake(table, pa.table({"b": pa.array([value])}), mode="append")
    report = sync(store, settings)
    assert report.errors == [] and report.new_snapshots == 4
    snaps = history.list_snapshots(store, ref)
    assert [s.snapshot.snapshot_id for s in snaps] == [0, 1, 0, 1, 2, 3]
    assert len({s.incarnation for s in snaps}) == 2
    assert snaps[2].incarnation != first[0].incarnation
    current = history.schema_as_of(store, ref, now())
    assert current is not None and [f.name for f in current.schema.fields] == ["b"]
