"""Delta conformance: every table under ``<corpus>/delta`` against the raw-file oracle."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from . import contract
from .oracle import (
    DELTA_SOURCE,
    delta_commit_files,
    delta_table_names,
    ms_to_iso,
    read_actions,
)

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Workspace

FORMAT = "delta"


# --------------------------------------------------------------------------- oracle self-checks


def test_oracle_delta_table_is_consistent(corpus_copy: Workspace, delta_table: str) -> None:
    exp = corpus_copy.expect(FORMAT, delta_table)
    versions = sorted(exp.snapshots)
    assert versions == list(range(len(versions))), "corpus tables keep their whole log"
    assert exp.current_snapshot == versions[-1]
    introduced = [s.introduced_at for s in exp.schemas]
    assert introduced[0] == 0 and introduced == sorted(introduced)
    assert exp.schemas[0].changes == ()
    for v, snap in exp.snapshots.items():
        assert snap.schema_index is not None
        assert exp.schemas[snap.schema_index].introduced_at is not None
        assert exp.schemas[snap.schema_index].introduced_at <= v  # type: ignore[operator]
    assert exp.head_probes(), "no as-of probe could be decided"


def test_oracle_version_counts_match_index(corpus_root: Path, corpus_copy: Workspace) -> None:
    index = json.loads((corpus_root / "index.json").read_text()).get("delta", {})
    for name in delta_table_names(corpus_root):
        if "versions" in index.get(name, {}):
            assert len(corpus_copy.expect(FORMAT, name).snapshots) == index[name]["versions"], name


def test_oracle_delta_facts_from_sources(corpus_copy: Workspace) -> None:
    mapping = corpus_copy.expect(FORMAT, "deltars_table_with_partitioning_mapping")
    assert [s.introduced_at for s in mapping.schemas] == [0, 2, 3]
    assert [s.column_mapping for s in mapping.schemas] == [False, True, True]
    assert [s.changes for s in mapping.schemas] == [
        (),
        (),
        (("renamed", 1, "newid", "id", "integer", "integer"),),
    ]

    v2 = corpus_copy.expect(FORMAT, "deltars_checkpoint-v2-table")
    emitted = {
        a["metaData"]["schemaString"]
        for p in delta_commit_files(corpus_copy.table_dir(FORMAT, v2.name)).values()
        for a in read_actions(p)
        if "metaData" in a
    }
    assert len(emitted) == 9 and len(v2.schemas) == 1  # highWaterMark-only re-emits

    widening = corpus_copy.expect(FORMAT, "golden_type-widening")
    assert [s.introduced_at for s in widening.schemas] == [0, 2]
    assert {c[0] for c in widening.schemas[1].changes} == {"type_changed"}
    assert (
        "type_changed",
        None,
        "date_timestamp_ntz",
        "date_timestamp_ntz",
        "date",
        "timestamp_ntz",
    ) in widening.schemas[1].changes

    stats = corpus_copy.expect(FORMAT, "deltars_delta-1.2.1-only-struct-stats")
    assert [s.introduced_at for s in stats.schemas] == [0, 1, 10]
    assert len(stats.schemas[1].changes) == 13  # top-most added fields only
    assert stats.schemas[2].changes == (("added", None, "new_column", None, None, "integer"),)

    ict = corpus_copy.expect(FORMAT, "deltars_cdc_ict_table")
    times = [ts for ts, _ in ict.log]
    assert times != sorted(times), "expected non-monotonic in-commit timestamps"
    assert ict.snapshots[1].committed_at_ms == 1683874206883  # inCommitTimestamp wins


# --------------------------------------------------------------------------- sync and tables


def test_sync_has_no_error(workspace: Workspace, delta_table: str) -> None:
    contract.check_sync_has_no_error(workspace.first_sync, workspace.expect(FORMAT, delta_table))


def test_tables_lists_exactly_the_delta_tables(workspace: Workspace, corpus_root: Path) -> None:
    rows = contract.require_list(workspace.query("tables"), "tables")
    got = sorted(str(r.get("table")) for r in rows if str(r.get("table")).startswith("rw_delta."))
    want = sorted(f"{DELTA_SOURCE}.{n}" for n in delta_table_names(corpus_root))
    assert got == want


def test_tables_entry(workspace: Workspace, delta_table: str) -> None:
    contract.check_tables_entry(workspace.query, workspace.expect(FORMAT, delta_table))


# --------------------------------------------------------------------------- snapshots


def test_snapshots(workspace: Workspace, delta_table: str) -> None:
    """Every version: parent, commit time (ICT first), operation, schema number in effect."""
    contract.check_snapshots(workspace.query, workspace.expect(FORMAT, delta_table))


def test_snapshots_as_of(workspace: Workspace, delta_table: str) -> None:
    """Sampled versions (first, last, middle, schema changes) at t and t-1 ms.

    Only probes the oracle can decide are asked: for ``deltars_cdc_ict_table`` the
    in-commit timestamp of v1 is a year before v0's, so between v1's and v2's times the
    answer depends on whether "latest" means highest version or newest time (or on the
    search strategy); those instants are left out (see ``TableExpectation.head``).
    """
    exp = workspace.expect(FORMAT, delta_table)
    contract.check_as_of(workspace.query, exp, exp.head_probes())


def test_non_monotonic_ict_unambiguous_answers(workspace: Workspace) -> None:
    exp = workspace.expect(FORMAT, "deltars_cdc_ict_table")
    ts = {v: snap.committed_at_ms for v, snap in exp.snapshots.items()}
    probes: list[tuple[int, int | None]] = [
        (min(ts.values()) - 1, None),  # before every commit
        (ts[2], 2),
        (ts[3] - 1, 2),  # v0..v2 all at or before: v2 both ways
        (ts[3], 3),
    ]
    for at, want in probes:
        head = exp.head(at)
        assert head.known and head.value == want, (at, head)
    ambiguous = exp.head(ts[0])
    assert not ambiguous.known  # {v0, v1}: v1 by version, v0 by time
    contract.check_as_of(workspace.query, exp, probes)


# --------------------------------------------------------------------------- schemas


def test_schema_current(workspace: Workspace, delta_table: str) -> None:
    exp = workspace.expect(FORMAT, delta_table)
    contract.check_schema(workspace.query, exp, exp.current_schema_index)


def test_schema_fields_depth_first(workspace: Workspace, delta_table: str) -> None:
    exp = workspace.expect(FORMAT, delta_table)
    payload = workspace.query("schema", exp.reference)
    contract.compare_field_order(exp.current_schema, payload, f"schema {exp.reference}")


def test_schema_history_changes(workspace: Workspace, delta_table: str) -> None:
    exp = workspace.expect(FORMAT, delta_table)
    entries = contract.history_entries(
        workspace.query("schema-history", exp.reference), f"schema-history {exp.reference}"
    )
    contract.compare_history_changes(exp, entries, f"schema-history {exp.reference}")


def test_schema_history_versions_and_times(workspace: Workspace, delta_table: str) -> None:
    """Each schema version: introducing version and its commit time as effective_at."""
    contract.check_effective_at(workspace.query, workspace.expect(FORMAT, delta_table))


def test_schema_as_of(workspace: Workspace, delta_table: str) -> None:
    exp = workspace.expect(FORMAT, delta_table)
    probes = exp.schema_probes()
    assert probes, "the oracle decided no schema as-of probe"
    failures: list[str] = []
    for at, index in probes:
        try:
            contract.check_schema(workspace.query, exp, index, "--as-of", ms_to_iso(at))
        except AssertionError as exc:
            failures.append(str(exc))
    contract.fail_if(failures, f"schema --as-of of {exp.reference}")


def test_column_mapping_enable_then_rename(workspace: Workspace) -> None:
    """v2 turns column mapping on (new version, no changes); v3 renames id->newid (same id)."""
    exp = workspace.expect(FORMAT, "deltars_table_with_partitioning_mapping")
    entries = contract.history_entries(workspace.query("schema-history", exp.reference), "h")
    assert [contract.opt_int(e["snapshot"], "snapshot") for e in entries] == [0, 2, 3]
    assert entries[1]["changes"] == []
    assert contract.change_rows(entries[2]["changes"], "v3") == exp.schemas[2].changes
    contract.check_schema(workspace.query, exp, 2)


def test_identity_high_water_mark_is_not_a_schema_change(workspace: Workspace) -> None:
    exp = workspace.expect(FORMAT, "deltars_checkpoint-v2-table")
    entries = contract.history_entries(workspace.query("schema-history", exp.reference), "h")
    assert len(entries) == 1, entries
    snaps = contract.snapshots_by_id(workspace.query("snapshots", exp.reference), "snapshots")
    assert {str(s["schema_id"]) for s in snaps.values()} == {str(entries[0]["schema_id"])}
