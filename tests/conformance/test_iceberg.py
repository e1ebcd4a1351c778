"""Iceberg conformance: every table under ``<corpus>/iceberg`` against the raw-file oracle."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from . import contract
from .oracle import (
    CORPUS_ROOT,
    ICEBERG_SOURCE,
    delta_table_names,
    iceberg_latest_metadata,
    iceberg_table_names,
    load_json,
    ms_to_iso,
)

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Workspace

FORMAT = "iceberg"


# --------------------------------------------------------------------------- corpus


def test_corpus_is_present() -> None:
    """The corpus must exist at <repo>/../shared/realworld: a missing corpus fails."""
    assert CORPUS_ROOT.is_dir(), f"real-world corpus not found at {CORPUS_ROOT}"
    assert iceberg_table_names(CORPUS_ROOT), "no Iceberg table in the corpus"
    assert delta_table_names(CORPUS_ROOT), "no Delta table in the corpus"


# --------------------------------------------------------------------------- oracle self-checks
# These need no product: they pin the oracle to facts documented in SOURCES.md / index.json.


def test_oracle_iceberg_table_is_consistent(corpus_copy: Workspace, iceberg_table: str) -> None:
    exp = corpus_copy.expect(FORMAT, iceberg_table)
    times = [ts for ts, _ in exp.log]
    assert times == sorted(times), "snapshot-log is not in time order"
    assert all(sid in exp.snapshots for _, sid in exp.log), "snapshot-log names unknown snapshots"
    assert exp.current_snapshot is None or exp.current_snapshot in exp.snapshots
    ids = [s.schema_id for s in exp.schemas]
    assert ids == sorted(ids) and exp.current_schema_index == len(ids) - 1
    assert exp.schemas[0].changes == ()
    for s in exp.schemas:
        if s.effective_lo_ms is not None and s.effective_hi_ms is not None:
            assert s.effective_lo_ms <= s.effective_hi_ms, s
    assert exp.head_probes(), "no as-of probe could be decided"


def test_oracle_latest_metadata_matches_index(corpus_root: Path, iceberg_table: str) -> None:
    index = json.loads((corpus_root / "index.json").read_text())
    entry = index.get("iceberg", {}).get(iceberg_table)
    if entry is None or "latest_metadata" not in entry:
        return  # a table added to the corpus without an index entry: nothing to cross-check
    table_dir = corpus_root / "iceberg" / iceberg_table
    assert (
        iceberg_latest_metadata(table_dir).relative_to(table_dir).as_posix()
        == entry["latest_metadata"]
    )


def test_oracle_iceberg_facts_from_sources(corpus_copy: Workspace) -> None:
    mytable = corpus_copy.expect(FORMAT, "duckdb_spark_equality_deletes_mytable")
    assert (len(mytable.snapshots), len(mytable.log)) == (6, 8)
    rollbacks = [i for i in range(1, len(mytable.log)) if _is_rollback(mytable.log, i)]
    assert rollbacks, "the rollback in the snapshot-log was not found"

    evo = corpus_copy.expect(FORMAT, "impala_v2_equality_delete_schema_evolution")
    assert [s.changes for s in evo.schemas] == [
        (),
        (("renamed", 3, "str", "s", "string", "string"),),
        (("added", 4, "j", None, None, "int"),),
    ]
    mapping = corpus_copy.expect(FORMAT, "duckdb_name_mapping_t1")
    assert [s.changes for s in mapping.schemas] == [
        (),
        (("dropped", 2, "b", "b", "long", None),),
        (("added", 3, "b", None, None, "long"),),
    ]
    defaults = corpus_copy.expect(FORMAT, "duckdb_add_columns_with_defaults")
    assert [len(s.changes) for s in defaults.schemas] == [0, 14]
    assert {c[0] for c in defaults.schemas[1].changes} == {"added"}
    variant = corpus_copy.expect(FORMAT, "impala_v3_trino_variant")
    assert ("v", "variant") in {(f.path, f.type) for f in variant.current_schema.fields}
    inline = corpus_copy.expect(FORMAT, "duckdb_v1_deprecated_inline_manifests")
    assert len(inline.snapshots) == 1 and inline.current_schema.schema_id == 0


def _is_rollback(log: tuple[tuple[int, int], ...], i: int) -> bool:
    """A log entry that makes an earlier-seen snapshot current again."""
    return log[i][1] in {sid for _, sid in log[:i]}


# --------------------------------------------------------------------------- sync


def test_sync_skips_non_table_folder(workspace: Workspace, iceberg_non_table: str) -> None:
    sync = workspace.first_sync
    contract.require_keys(sync, {"skipped"}, "sync")
    mine = [
        s
        for s in contract.require_list(sync["skipped"], "sync.skipped")
        if str(s.get("path", "")).rstrip("/").rsplit("/", 1)[-1] == iceberg_non_table
    ]
    assert len(mine) == 1, f"{iceberg_non_table} not reported once under skipped: {sync['skipped']}"
    entry = mine[0]
    contract.require_keys(entry, {"source", "path", "reason"}, "skipped entry")
    assert entry["source"] == ICEBERG_SOURCE, entry
    reason = str(entry["reason"]).lower()
    assert "not" in reason and "table" in reason, f"reason does not say 'not a table': {entry}"
    tables = contract.require_list(workspace.query("tables"), "tables")
    assert not [t for t in tables if iceberg_non_table in str(t.get("table"))], tables


def test_sync_has_no_error(workspace: Workspace, iceberg_table: str) -> None:
    contract.check_sync_has_no_error(workspace.first_sync, workspace.expect(FORMAT, iceberg_table))


def test_tables_lists_exactly_the_iceberg_tables(workspace: Workspace, corpus_root: Path) -> None:
    rows = contract.require_list(workspace.query("tables"), "tables")
    got = sorted(str(r.get("table")) for r in rows if str(r.get("table")).startswith("rw_iceberg."))
    want = sorted(f"{ICEBERG_SOURCE}.{n}" for n in iceberg_table_names(corpus_root))
    assert got == want


def test_tables_entry(workspace: Workspace, iceberg_table: str) -> None:
    contract.check_tables_entry(workspace.query, workspace.expect(FORMAT, iceberg_table))


# --------------------------------------------------------------------------- snapshots


def test_snapshots(workspace: Workspace, iceberg_table: str) -> None:
    contract.check_snapshots(workspace.query, workspace.expect(FORMAT, iceberg_table))


def test_snapshots_as_of(workspace: Workspace, iceberg_table: str) -> None:
    """Exactly at every snapshot-log entry, 1 ms before it, before the first, far future."""
    exp = workspace.expect(FORMAT, iceberg_table)
    contract.check_as_of(workspace.query, exp, exp.head_probes())


def test_snapshots_as_of_follows_rollback(workspace: Workspace) -> None:
    """The head is the snapshot-log entry, not the newest snapshot by commit time."""
    exp = workspace.expect(FORMAT, "duckdb_spark_equality_deletes_mytable")
    probes: list[tuple[int, int | None]] = []
    for i in range(1, len(exp.log)):
        at, sid = exp.log[i]
        newest_by_time = max(
            (s for s in exp.snapshots.values() if s.committed_at_ms <= at),
            key=lambda s: s.committed_at_ms,
        )
        if _is_rollback(exp.log, i) and newest_by_time.snapshot != sid:
            probes += [(at, sid), (at - 1, exp.log[i - 1][1])]
    assert probes, "the oracle found no rollback entry"
    contract.check_as_of(workspace.query, exp, probes)


# --------------------------------------------------------------------------- schemas


def test_schema_current(workspace: Workspace, iceberg_table: str) -> None:
    exp = workspace.expect(FORMAT, iceberg_table)
    contract.check_schema(workspace.query, exp, exp.current_schema_index)


def test_schema_fields_depth_first(workspace: Workspace, iceberg_table: str) -> None:
    exp = workspace.expect(FORMAT, iceberg_table)
    payload = workspace.query("schema", exp.reference)
    contract.compare_field_order(exp.current_schema, payload, f"schema {exp.reference}")


def test_schema_history_changes(workspace: Workspace, iceberg_table: str) -> None:
    exp = workspace.expect(FORMAT, iceberg_table)
    entries = contract.history_entries(
        workspace.query("schema-history", exp.reference), f"schema-history {exp.reference}"
    )
    contract.compare_history_changes(exp, entries, f"schema-history {exp.reference}")


def test_schema_history_effective_at(workspace: Workspace, iceberg_table: str) -> None:
    contract.check_effective_at(workspace.query, workspace.expect(FORMAT, iceberg_table))


def test_schema_as_of(workspace: Workspace, iceberg_table: str) -> None:
    """``schema --as-of`` wherever the oracle can decide which schema was in effect."""
    exp = workspace.expect(FORMAT, iceberg_table)
    probes = exp.schema_probes()
    assert probes, "the oracle decided no schema as-of probe"
    failures: list[str] = []
    for at, index in probes:
        try:
            contract.check_schema(workspace.query, exp, index, "--as-of", ms_to_iso(at))
        except AssertionError as exc:
            failures.append(str(exc))
    contract.fail_if(failures, f"schema --as-of of {exp.reference}")


def test_inline_manifest_and_variant_tables_parse_from_metadata(workspace: Workspace) -> None:
    """Tables pyiceberg cannot load must still be read from their metadata JSON."""
    for name in ("impala_v3_trino_variant", "duckdb_v1_deprecated_inline_manifests"):
        exp = workspace.expect(FORMAT, name)
        contract.check_sync_has_no_error(workspace.first_sync, exp)
        raw = load_json(iceberg_latest_metadata(workspace.table_dir(FORMAT, name)))
        assert len(raw["snapshots"]) == len(exp.snapshots)
        contract.check_snapshots(workspace.query, exp)
        contract.check_schema(workspace.query, exp, exp.current_schema_index)
