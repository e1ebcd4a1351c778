"""What real engines' maintenance commits did, as `snapshots` answers it: tables written by
Spark, Databricks and Impala in the real-world corpus (RESTORE, OPTIMIZE with deletion
vectors, DELETE/UPDATE/MERGE with deletion vectors, an Iceberg compaction), on both
databases; provenance passes through the compaction and the restore."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from temporal_lineage.model import TableRef
from temporal_lineage.query import history, shapes
from temporal_lineage.query.provenance import provenance
from temporal_lineage.store import Store
from temporal_lineage.sync import sync
from temporal_lineage.times import now, parse_time
from tests.test_resilience import REALWORLD, write_config

DELTA = ("golden_basic-with-inserts-overwrite-restore", "deltars_cdf-table-with-cdc-and-dvs")
ICEBERG = ("impala_v2_spark_compaction_with_dangling_delete",)


def _synced(tmp_path: Path, store: Store) -> None:
    for kind, names in (("delta", DELTA), ("iceberg", ICEBERG)):
        for name in names:
            source = REALWORLD / kind / name
            assert source.is_dir(), f"real-world corpus table missing: {source}"
            shutil.copytree(source, tmp_path / kind / name)
    settings = write_config(
        tmp_path,
        "  - {name: rwd, format: delta, root: delta}\n"
        "  - {name: rwi, format: iceberg, root: iceberg}\n",
        store.engine.url.render_as_string(hide_password=False),
    )
    assert sync(store, settings).errors == []


def _rows(store: Store, table: str) -> list[dict[str, Any]]:
    ref = TableRef.from_user_string(table)
    return [shapes.snapshot_json(s) for s in history.list_snapshots(store, ref)]


def test_real_engines_maintenance_commits(tmp_path: Path, store: Store) -> None:
    _synced(tmp_path, store)

    restore = _rows(store, f"rwd.{DELTA[0]}")
    assert [(r["operation"], r["restores"]) for r in restore][-1] == ("RESTORE", 1)
    closure = provenance(store, TableRef("rwd", DELTA[0]), now())
    assert [(e.source_snapshot, e.target_snapshot) for e in closure.edges] == [(1, 3)]
    assert [e.kind.value for e in closure.edges[0].evidence] == ["restored"]

    dvs = {r["snapshot"]: r for r in _rows(store, f"rwd.{DELTA[1]}")}
    optimized = [r for r in dvs.values() if r["operation"] == "OPTIMIZE"]
    assert optimized and all(r["data_change"] is False for r in optimized)
    deletes = [r for r in dvs.values() if r["operation"] == "DELETE"]
    assert deletes and all(r["rows"]["delete_files"] >= 1 for r in deletes)
    assert all(r["rows"]["deleted"] == r["rows"]["removed"] >= 1 for r in deletes)
    merges = [r for r in dvs.values() if r["operation"] == "MERGE"]
    assert {(r["rows"]["added"], r["rows"]["updated"]) for r in merges} == {(2, 1), (1, 0)}
    assert all(r["data_change"] for r in dvs.values() if r["operation"] != "OPTIMIZE")

    iceberg = _rows(store, f"rwi.{ICEBERG[0]}")
    (replace,) = [r for r in iceberg if r["operation"] == "replace"]
    assert replace["data_change"] is False
    deleted = [r for r in iceberg if r["rows"]["deleted"]]
    assert deleted and all(r["rows"]["delete_files"] for r in deleted)
    compacted = provenance(store, TableRef("rwi", ICEBERG[0]), parse_time(replace["committed_at"]))
    assert [(e.source_snapshot, e.target_snapshot) for e in compacted.edges] == [
        (replace["parent"], replace["snapshot"])
    ]
    assert [e.kind.value for e in compacted.edges[0].evidence] == ["data_unchanged"]
