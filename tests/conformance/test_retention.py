"""Sync bookkeeping and source retention, always on private copies.

* the first sync's counters equal the oracle's totals;
* a re-sync with nothing new reports nothing new;
* a Delta log cleaned up before the first sync (commits older than the checkpoint gone):
  the retained versions and the checkpoint's schema are reported;
* commit files deleted / Iceberg snapshots expired after a sync: what was seen is still
  reported, with ``expired_in_source`` set.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from . import contract
from .oracle import (
    SchemaExpectation,
    delta_checkpoints,
    delta_last_checkpoint_version,
    delta_table_names,
    flatten_delta_schema,
    iceberg_latest_metadata,
    iceberg_table_names,
    load_json,
    read_checkpoint_metadata,
)

if TYPE_CHECKING:
    from .conftest import Workspace

    NewWorkspace = Callable[[Iterable[str] | None, Iterable[str] | None], Workspace]

Json = Any

# Delta tables with a checkpoint and commits before it.
CHECKPOINT_TABLES = [
    "deltars_delta-1.2.1-only-struct-stats",  # schema changes at v0, v1 (before) and v10 (= cp)
    "golden_dv-with-columnmapping",  # column mapping, deletion vectors, checkpoint v10
    "golden_multi-part-checkpoint",  # 2-part classic checkpoint at v1
    "deltars_checkpoint-v2-table",  # v2 (UUID JSON + sidecar) checkpoints at v6 and v8
]
# Iceberg tables covering vN + version-hint.text, vN + version-hint.txt, NNNNN-uuid names.
EXPIRY_TABLES = [
    "duckdb_spark_equality_deletes_mytable",
    "impala_v1_mixed_file_format_test",
    "duckdb_add_columns_with_defaults",
]

_LOG_FILE = re.compile(r"^\.?(\d{20})\.(?:json|crc)(?:\.crc)?$")


def _require_sync_ok(sync: Json, what: str) -> None:
    contract.require_keys(
        sync, {"tables", "new_snapshots", "new_schema_versions", "errors", "skipped"}, what
    )
    assert sync["errors"] == [], f"{what}: errors {sync['errors']}"


# --------------------------------------------------------------------------- counters


def test_first_sync_counts(workspace: Workspace, corpus_root: Path) -> None:
    exps = [workspace.expect("iceberg", n) for n in iceberg_table_names(corpus_root)]
    exps += [workspace.expect("delta", n) for n in delta_table_names(corpus_root)]
    sync = workspace.first_sync
    _require_sync_ok(sync, "first sync")
    assert {
        "tables": sync["tables"],
        "new_snapshots": sync["new_snapshots"],
        "new_schema_versions": sync["new_schema_versions"],
    } == {
        "tables": len(exps),
        "new_snapshots": sum(len(e.snapshots) for e in exps),
        "new_schema_versions": sum(len(e.schemas) for e in exps),
    }


def test_resync_reports_nothing_new(new_workspace: NewWorkspace) -> None:
    ws = new_workspace(None, None)
    first = ws.sync()
    _require_sync_ok(first, "first sync")
    tables_before = ws.query("tables")
    second = ws.sync()
    _require_sync_ok(second, "second sync")
    assert (second["new_snapshots"], second["new_schema_versions"]) == (0, 0), second
    assert second["tables"] == first["tables"]
    assert ws.query("tables") == tables_before


# --------------------------------------------------------------------------- Delta log cleanup


def cleanup_delta_log(table_dir: Path, keep_from: int) -> list[int]:
    """Delete commit files (and their .crc) older than ``keep_from``; checkpoints stay."""
    removed: set[int] = set()
    for p in sorted((table_dir / "_delta_log").iterdir()):
        m = _LOG_FILE.match(p.name)
        if m and int(m.group(1)) < keep_from:
            p.unlink()
            if p.name.endswith(".json"):
                removed.add(int(m.group(1)))
    return sorted(removed)


def _checkpoint_schema(table_dir: Path, version: int) -> SchemaExpectation:
    metadata = read_checkpoint_metadata(delta_checkpoints(table_dir)[version])
    fields = flatten_delta_schema(json.loads(metadata["schemaString"]))
    return SchemaExpectation(None, fields, (), None, None, version, False)


@pytest.mark.parametrize("table", CHECKPOINT_TABLES)
def test_log_cleaned_before_first_sync(new_workspace: NewWorkspace, table: str) -> None:
    ws = new_workspace([], [table])
    table_dir = ws.table_dir("delta", table)
    cp = delta_last_checkpoint_version(table_dir)
    assert cp is not None and cp > 0
    removed = cleanup_delta_log(table_dir, cp)
    assert removed == list(range(cp))
    exp = ws.expect("delta", table)  # the oracle on the cleaned log: checkpoint + later commits
    assert sorted(exp.snapshots) == list(range(cp, exp.current_snapshot + 1))  # type: ignore[operator]
    from_checkpoint = _checkpoint_schema(table_dir, cp)
    assert [f.row() for f in exp.schemas[0].fields] == [f.row() for f in from_checkpoint.fields]

    sync = ws.sync()
    _require_sync_ok(sync, "sync of a cleaned log")
    assert sync["tables"] == 1
    # The first retained version's parent (cp - 1) is gone from the log: null is accepted.
    contract.check_snapshots(ws.query, exp, lenient_parent={cp})
    contract.check_schema(ws.query, exp, exp.current_schema_index)
    if exp.current_schema_index == 0:
        contract.compare_fields(from_checkpoint, ws.query("schema", exp.reference), "schema")
    entries = contract.history_entries(ws.query("schema-history", exp.reference), "history")
    contract.compare_history_changes(exp, entries, f"schema-history {exp.reference}")
    # The first entry: introduced at the checkpoint version, effective no later than its commit.
    contract.check_effective_at(ws.query, exp)


@pytest.mark.parametrize("table", CHECKPOINT_TABLES)
def test_deleted_delta_commits_stay_reported(new_workspace: NewWorkspace, table: str) -> None:
    ws = new_workspace([], [table])
    table_dir = ws.table_dir("delta", table)
    full = ws.expect("delta", table)  # computed before anything is deleted
    _require_sync_ok(ws.sync(), "first sync")
    contract.check_snapshots(ws.query, full)

    cp = delta_last_checkpoint_version(table_dir)
    assert cp is not None
    removed = cleanup_delta_log(table_dir, cp)
    assert removed

    second = ws.sync()
    _require_sync_ok(second, "sync after log cleanup")
    assert (second["new_snapshots"], second["new_schema_versions"]) == (0, 0), second
    contract.check_snapshots(ws.query, full, expired=set(removed))
    entries = contract.history_entries(ws.query("schema-history", full.reference), "history")
    contract.compare_history_changes(full, entries, f"schema-history {full.reference}")
    contract.check_effective_at(ws.query, full)
    contract.check_schema(ws.query, full, full.current_schema_index)


# --------------------------------------------------------------------------- Iceberg expiry


def _next_metadata_path(latest: Path) -> Path:
    m = re.match(r"^v(\d+)\.metadata\.json$", latest.name)
    if m:
        return latest.with_name(f"v{int(m.group(1)) + 1}.metadata.json")
    m = re.match(r"^(\d+)-.*\.metadata\.json$", latest.name)
    assert m, f"unexpected metadata file name {latest.name}"
    return latest.with_name(f"{int(m.group(1)) + 1:05d}-{uuid.uuid4()}.metadata.json")


def expire_oldest_snapshot(table_dir: Path) -> int:
    """Write a NEW, higher-numbered metadata file without the oldest unreferenced snapshot
    (and its snapshot-log entries), log the previous file, and move the version hint."""
    latest = iceberg_latest_metadata(table_dir)
    meta = load_json(latest)
    referenced = {meta.get("current-snapshot-id")}
    referenced |= {r["snapshot-id"] for r in (meta.get("refs") or {}).values()}
    candidates = [s for s in meta["snapshots"] if s["snapshot-id"] not in referenced]
    victim = min(candidates, key=lambda s: s["timestamp-ms"])["snapshot-id"]
    new = dict(meta)
    new["snapshots"] = [s for s in meta["snapshots"] if s["snapshot-id"] != victim]
    new["snapshot-log"] = [e for e in meta.get("snapshot-log", []) if e["snapshot-id"] != victim]
    new["metadata-log"] = [
        *(meta.get("metadata-log") or []),
        {
            "timestamp-ms": meta["last-updated-ms"],
            "metadata-file": f"{str(meta['location']).rstrip('/')}/metadata/{latest.name}",
        },
    ]
    new["last-updated-ms"] = max(int(time.time() * 1000), int(meta["last-updated-ms"]) + 1)
    target = _next_metadata_path(latest)
    target.write_text(json.dumps(new, indent=2))
    version = re.match(r"^v(\d+)\.", target.name)
    for hint_name in ("version-hint.text", "version-hint.txt"):
        hint = table_dir / "metadata" / hint_name
        if hint.is_file() and version:
            hint.write_text(version.group(1))
    assert iceberg_latest_metadata(table_dir) == target
    return int(victim)


@pytest.mark.parametrize("table", EXPIRY_TABLES)
def test_expired_iceberg_snapshot_stays_reported(new_workspace: NewWorkspace, table: str) -> None:
    ws = new_workspace([table], [])
    table_dir = ws.table_dir("iceberg", table)
    before = ws.expect("iceberg", table)
    _require_sync_ok(ws.sync(), "first sync")
    contract.check_snapshots(ws.query, before)

    victim = expire_oldest_snapshot(table_dir)
    ws.forget_oracle()
    after = ws.expect("iceberg", table)
    assert set(after.snapshots) == set(before.snapshots) - {victim}

    second = ws.sync()
    _require_sync_ok(second, "sync after expiry")
    assert (second["new_snapshots"], second["new_schema_versions"]) == (0, 0), second
    contract.check_snapshots(ws.query, before, expired={victim})
    entries = contract.history_entries(ws.query("schema-history", before.reference), "history")
    contract.compare_history_changes(before, entries, f"schema-history {before.reference}")
