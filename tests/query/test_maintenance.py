"""Lakehouse maintenance on real Delta tables: compaction, RESTORE and row-level changes.

A training set read after a compaction (or a restore) must lead to the run that produced
the data, not to the maintenance job; the maintenance run is shown, and its reading and
writing one table makes no self-loop edge.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable

from temporal_lineage.model import TableRef
from temporal_lineage.query import history, shapes
from temporal_lineage.query.lineage import Direction, lineage
from temporal_lineage.query.provenance import provenance
from temporal_lineage.store import Store
from temporal_lineage.times import from_millis, now

from .scenario import SECOND, Pipeline, dataset, event, new_run


def _last_commit(path: Path) -> tuple[int, Any]:
    table = DeltaTable(path)
    return table.version(), from_millis(table.history(1)[0]["timestamp"])


def _snapshots(store: Store, table: str) -> list[dict[str, Any]]:
    ref = TableRef("d", table)
    return [shapes.snapshot_json(s) for s in history.list_snapshots(store, ref)]


def _by(nodes: list[dict[str, Any]], table: str, snapshot: int) -> dict[str, Any]:
    (node,) = [n for n in nodes if n["table"] == table and n["snapshot"] == snapshot]
    return node


def test_provenance_passes_through_a_compaction_to_the_producer(
    tmp_path: Path, store: Store
) -> None:
    p = Pipeline(tmp_path, store)
    writer, compactor, trainer = new_run(), new_run(), new_run()
    _, first = p.write("src", 1, run_id=writer)
    _, second = p.write("src", 2, run_id=writer)
    DeltaTable(p.path("src")).optimize.compact(
        commit_properties=CommitProperties(custom_metadata={"lineage.run-id": compactor})
    )
    compacted, compacted_at = _last_commit(p.path("src"))
    _, trained_at = p.write("train", 9, run_id=trainer)
    p.sync()
    src, train = dataset("d", "src"), dataset("d", "train")
    p.send(
        event("START", writer, "load", first - SECOND, outputs=[src]),
        event("COMPLETE", writer, "load", second + SECOND, outputs=[src]),
        event("START", compactor, "compact", compacted_at - SECOND, inputs=[src], outputs=[src]),
        event("COMPLETE", compactor, "compact", compacted_at + SECOND, inputs=[src], outputs=[src]),
        event("START", trainer, "train", compacted_at + timedelta(milliseconds=1), inputs=[src]),
        event("COMPLETE", trainer, "train", trained_at + SECOND, inputs=[src], outputs=[train]),
    )

    rows = _snapshots(store, "src")
    assert [(r["operation"], r["data_change"]) for r in rows] == [
        ("WRITE", True),
        ("WRITE", True),
        ("OPTIMIZE", False),
    ]
    answer = shapes.provenance_json(provenance(store, TableRef("d", "train"), now()))
    nodes = answer["nodes"]
    kept = _by(nodes, "d.src", compacted)
    assert kept["run"] is None and kept["maintenance_run"] == compactor
    assert [e["kind"] for e in kept["evidence"]] == ["data_unchanged"]
    assert f"snapshot {compacted - 1}'s" in kept["evidence"][0]["detail"]
    assert _by(nodes, "d.src", compacted - 1)["run"] == writer
    assert {
        (e["from_snapshot"], e["to_table"], e["to_snapshot"], e["run"]) for e in answer["edges"]
    } == {(compacted, "d.train", 0, trainer), (compacted - 1, "d.src", compacted, compactor)}

    graph = shapes.lineage_json(
        lineage(store, TableRef("d", "src"), now(), direction=Direction.BOTH)
    )
    assert all(e["from"] != e["to"] for e in graph["edges"]), graph["edges"]


def test_provenance_of_a_restore_is_the_restored_version(tmp_path: Path, store: Store) -> None:
    p = Pipeline(tmp_path, store)
    good, bad = new_run(), new_run()
    _, good_at = p.write("t", 1, run_id=good)
    _, bad_at = p.write("t", 2, run_id=bad)
    DeltaTable(p.path("t")).restore(0)
    restored, _ = _last_commit(p.path("t"))
    p.sync()
    p.send(
        event("START", good, "load", good_at - SECOND, outputs=[dataset("d", "t")]),
        event("COMPLETE", good, "load", good_at + timedelta(milliseconds=1)),
        event("START", bad, "load", bad_at - timedelta(milliseconds=1)),
        event("COMPLETE", bad, "load", bad_at + timedelta(milliseconds=1)),
    )
    rows = _snapshots(store, "t")
    assert (rows[-1]["operation"], rows[-1]["restores"]) == ("RESTORE", 0)
    answer = shapes.provenance_json(provenance(store, TableRef("d", "t"), now()))
    head = _by(answer["nodes"], "d.t", restored)
    assert head["run"] is None and [e["kind"] for e in head["evidence"]] == ["restored"]
    assert _by(answer["nodes"], "d.t", 0)["run"] == good
    assert [(e["from_snapshot"], e["to_snapshot"]) for e in answer["edges"]] == [(0, restored)]


def test_row_level_changes_show_rows_added_removed_and_updated(
    tmp_path: Path, store: Store
) -> None:
    p = Pipeline(tmp_path, store)
    for value in (1, 2, 3):
        p.write("t", value)
    table = DeltaTable(p.path("t"))
    table.delete("v = 1")
    source = pa.table({"v": pa.array([2, 7], pa.int64())})
    (
        DeltaTable(p.path("t"))
        .merge(source, "t.v = s.v", source_alias="s", target_alias="t")
        .when_matched_update({"v": "s.v + 100"})
        .when_not_matched_insert_all()
        .execute()
    )
    p.sync()
    rows = {r["operation"]: r["rows"] for r in _snapshots(store, "t")}
    assert rows["WRITE"]["added"] == 1
    assert rows["DELETE"]["removed"] == 1
    assert (rows["MERGE"]["added"], rows["MERGE"]["updated"]) == (1, 1)
