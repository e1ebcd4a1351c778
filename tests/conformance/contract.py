"""Readers of the product's JSON output (the public CLI contract) and comparison helpers.

The expected side always comes from :mod:`.oracle`; this module only normalises what
the product printed so the two can be compared, and formats readable failure messages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .oracle import (
    ISO_MS_Z,
    ChangeRow,
    FieldRow,
    SchemaExpectation,
    SnapshotExpectation,
    TableExpectation,
    iso_to_ms,
    ms_to_iso,
    norm_type,
    sort_changes,
)

Json = Any
SNAPSHOT_KEYS = {
    "snapshot",
    "parent",
    "committed_at",
    "operation",
    "schema_id",
    "run",
    "evidence",
    "expired_in_source",
}
FIELD_KEYS = {"id", "name", "path", "type", "nullable"}
CHANGE_KEYS = {"kind", "field_id", "path", "old_path", "old_type", "new_type", "hint"}
HISTORY_KEYS = {"schema_id", "effective_at", "snapshot", "changes"}
CHANGE_KINDS = {
    "added",
    "dropped",
    "renamed",
    "type_changed",
    "nullability_changed",
    "doc_changed",
    "moved",
}


def as_int(value: Json, what: str) -> int:
    """Snapshot ids may be printed as JSON integers or decimal strings; both are accepted."""
    if isinstance(value, bool):
        raise AssertionError(f"{what}: boolean {value!r} where an integer was expected")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    raise AssertionError(f"{what}: {value!r} is not an integer")


def opt_int(value: Json, what: str) -> int | None:
    return None if value is None else as_int(value, what)


def instant(value: Json, what: str) -> int:
    """An ISO-8601 UTC time with milliseconds and ``Z`` -> epoch ms."""
    if not isinstance(value, str):
        raise AssertionError(f"{what}: {value!r} is not an ISO-8601 string")
    if not ISO_MS_Z.match(value):
        raise AssertionError(f"{what}: {value!r} is not YYYY-MM-DDTHH:MM:SS.mmmZ")
    return iso_to_ms(value)


def require_keys(obj: Json, keys: set[str], what: str) -> None:
    if not isinstance(obj, Mapping):
        raise AssertionError(f"{what}: expected a JSON object, got {obj!r}")
    missing = keys - set(obj)
    if missing:
        raise AssertionError(f"{what}: missing keys {sorted(missing)} in {dict(obj)!r}")


def require_list(obj: Json, what: str) -> list[Json]:
    if not isinstance(obj, list):
        raise AssertionError(f"{what}: expected a JSON array, got {obj!r}")
    return obj


def diff_maps(expected: Mapping[Any, Any], actual: Mapping[Any, Any], what: str) -> list[str]:
    problems: list[str] = []
    for key in sorted(set(expected) - set(actual), key=str):
        problems.append(f"{what} {key}: missing from the product (expected {expected[key]!r})")
    for key in sorted(set(actual) - set(expected), key=str):
        problems.append(f"{what} {key}: reported by the product but not expected {actual[key]!r}")
    for key in sorted(set(expected) & set(actual), key=str):
        if expected[key] != actual[key]:
            problems.append(f"{what} {key}: expected {expected[key]!r}, got {actual[key]!r}")
    return problems


def fail_if(problems: Sequence[str], header: str) -> None:
    if problems:
        shown = "\n  ".join(problems[:60])
        more = f"\n  ... and {len(problems) - 60} more" if len(problems) > 60 else ""
        raise AssertionError(f"{header}\n  {shown}{more}")


# --------------------------------------------------------------------------- snapshots


def snapshots_by_id(payload: Json, what: str) -> dict[int, Json]:
    out: dict[int, Json] = {}
    for i, row in enumerate(require_list(payload, what)):
        require_keys(row, SNAPSHOT_KEYS, f"{what}[{i}]")
        sid = as_int(row["snapshot"], f"{what}[{i}].snapshot")
        if sid in out:
            raise AssertionError(f"{what}: snapshot {sid} reported twice")
        out[sid] = row
    return out


def snapshot_row(row: Json, what: str) -> tuple[int | None, int, str | None, int | None]:
    """(parent, committed_at ms, operation, schema_id) of a product snapshot row."""
    return (
        opt_int(row["parent"], f"{what}.parent"),
        instant(row["committed_at"], f"{what}.committed_at"),
        row["operation"],
        opt_int(row["schema_id"], f"{what}.schema_id"),
    )


def expected_snapshot_row(
    snap: SnapshotExpectation, schema_id: int | None
) -> tuple[int | None, int, str | None, int | None]:
    return (snap.parent, snap.committed_at_ms, snap.operation, schema_id)


# --------------------------------------------------------------------------- schemas


def field_rows(payload: Json, what: str) -> list[FieldRow]:
    require_keys(payload, {"table", "schema_id", "fields"}, what)
    rows: list[FieldRow] = []
    for i, f in enumerate(require_list(payload["fields"], f"{what}.fields")):
        require_keys(f, FIELD_KEYS, f"{what}.fields[{i}]")
        if not isinstance(f["nullable"], bool):
            raise AssertionError(f"{what}.fields[{i}].nullable is not a boolean: {f!r}")
        rows.append(
            (
                opt_int(f["id"], f"{what}.fields[{i}].id"),
                f["name"],
                f["path"],
                norm_type(str(f["type"])),
                f["nullable"],
            )
        )
    return rows


def expected_field_rows(schema: SchemaExpectation) -> list[FieldRow]:
    return [f.row() for f in schema.fields]


def compare_fields(expected: SchemaExpectation, payload: Json, what: str) -> None:
    actual = field_rows(payload, what)
    exp = expected_field_rows(expected)
    by_path_exp = {r[2]: r for r in exp}
    by_path_act: dict[str, FieldRow] = {}
    problems: list[str] = []
    for r in actual:
        if r[2] in by_path_act:
            problems.append(f"field path {r[2]!r} reported twice")
        by_path_act[r[2]] = r
    problems += diff_maps(by_path_exp, by_path_act, "field")
    fail_if(problems, f"{what}: fields differ from the oracle (id, name, path, type, nullable)")


def compare_field_order(expected: SchemaExpectation, payload: Json, what: str) -> None:
    actual = [r[2] for r in field_rows(payload, what)]
    exp = [f.path for f in expected.fields]
    if sorted(actual) == sorted(exp) and actual != exp:
        raise AssertionError(
            f"{what}: fields are not depth-first (pre-order)\n  expected {exp}\n  got      {actual}"
        )


def change_rows(changes: Json, what: str) -> tuple[ChangeRow, ...]:
    rows: list[ChangeRow] = []
    for i, c in enumerate(require_list(changes, what)):
        require_keys(c, CHANGE_KEYS, f"{what}[{i}]")
        if c["kind"] not in CHANGE_KINDS:
            raise AssertionError(f"{what}[{i}]: unknown kind {c['kind']!r}")
        rows.append(
            (
                c["kind"],
                opt_int(c["field_id"], f"{what}[{i}].field_id"),
                c["path"],
                c["old_path"],
                None if c["old_type"] is None else norm_type(str(c["old_type"])),
                None if c["new_type"] is None else norm_type(str(c["new_type"])),
            )
        )
    return sort_changes(rows)


def history_entries(payload: Json, what: str) -> list[Json]:
    entries = require_list(payload, what)
    for i, e in enumerate(entries):
        require_keys(e, HISTORY_KEYS, f"{what}[{i}]")
        require_list(e["changes"], f"{what}[{i}].changes")
    return entries


def compare_history_changes(exp: TableExpectation, entries: list[Json], what: str) -> None:
    """Length, schema ids (Iceberg), change multisets and hint rules of a schema history."""
    problems: list[str] = []
    if len(entries) != len(exp.schemas):
        problems.append(
            f"expected {len(exp.schemas)} schema versions, got {len(entries)}: "
            f"{[e.get('schema_id') for e in entries]}"
        )
    if exp.format == "iceberg":
        got_ids = [opt_int(e["schema_id"], f"{what}.schema_id") for e in entries]
        want_ids = [s.schema_id for s in exp.schemas]
        if got_ids != want_ids:
            problems.append(f"schema id sequence: expected {want_ids}, got {got_ids}")
    else:
        ids = [e["schema_id"] for e in entries]
        if len(set(map(str, ids))) != len(ids):
            problems.append(f"schema ids are not distinct: {ids}")
    for k, (schema, entry) in enumerate(zip(exp.schemas, entries, strict=False)):
        got = change_rows(entry["changes"], f"{what}[{k}].changes")
        if got != schema.changes:
            problems.append(
                f"entry {k} (schema_id={entry['schema_id']}): changes differ"
                f"\n      expected {list(schema.changes)}\n      got      {list(got)}"
            )
        previous = exp.schemas[k - 1] if k > 0 else None
        hint_ok = (
            exp.format == "delta"
            and previous is not None
            and not schema.column_mapping
            and not previous.column_mapping
        )
        for c in entry["changes"]:
            hint = c.get("hint")
            if hint is None:
                continue
            if not (hint == "possible_rename" and c["kind"] == "added" and hint_ok):
                problems.append(f"entry {k}: hint {hint!r} not allowed on {c!r}")
    fail_if(problems, f"{what}: schema history differs from the oracle")


# --------------------------------------------------------------------------- table checks

Query = Callable[..., Json]


def matches_table(reported: Json, exp: TableExpectation) -> bool:
    text = str(reported)
    return (
        text == exp.reference or text == exp.name or text.endswith(("/" + exp.name, "." + exp.name))
    )


def check_sync_has_no_error(sync: Json, exp: TableExpectation) -> None:
    require_keys(
        sync, {"tables", "new_snapshots", "new_schema_versions", "errors", "skipped"}, "sync"
    )
    mine = [
        e for e in require_list(sync["errors"], "sync.errors") if matches_table(e.get("table"), exp)
    ]
    if mine:
        raise AssertionError(f"sync reported errors for {exp.reference}: {mine}")
    skipped = [
        s
        for s in require_list(sync["skipped"], "sync.skipped")
        if str(s.get("path", "")).rstrip("/").endswith("/" + exp.name) or s.get("path") == exp.name
    ]
    if skipped:
        raise AssertionError(f"sync skipped the real table {exp.reference}: {skipped}")


def check_tables_entry(query: Query, exp: TableExpectation) -> None:
    rows = require_list(query("tables"), "tables")
    mine = [r for r in rows if isinstance(r, Mapping) and r.get("table") == exp.reference]
    if len(mine) != 1:
        raise AssertionError(f"tables: expected one row for {exp.reference}, got {mine}")
    row = mine[0]
    require_keys(
        row,
        {"table", "format", "location", "snapshots", "current_snapshot"},
        f"tables[{exp.reference}]",
    )
    problems: list[str] = []
    if row["format"] != exp.format:
        problems.append(f"format: expected {exp.format!r}, got {row['format']!r}")
    if row["snapshots"] != len(exp.snapshots):
        problems.append(f"snapshots: expected {len(exp.snapshots)}, got {row['snapshots']!r}")
    current = opt_int(row["current_snapshot"], "current_snapshot")
    if current != exp.current_snapshot:
        problems.append(f"current_snapshot: expected {exp.current_snapshot}, got {current}")
    if not isinstance(row["location"], str) or not row["location"]:
        problems.append(f"location: expected a non-empty string, got {row['location']!r}")
    fail_if(problems, f"tables row of {exp.reference} differs from the oracle")


def delta_schema_numbers(query: Query, exp: TableExpectation) -> list[Json]:
    """The product's schema numbers, index-aligned with the oracle's Delta schema versions."""
    entries = history_entries(query("schema-history", exp.reference), "schema-history")
    if len(entries) != len(exp.schemas):
        raise AssertionError(
            f"{exp.reference}: cannot map Delta schema numbers, schema-history has "
            f"{len(entries)} entries but the oracle has {len(exp.schemas)} schema versions"
        )
    return [e["schema_id"] for e in entries]


def expected_schema_id(query: Query, exp: TableExpectation, index: int) -> int | None:
    if exp.format == "iceberg":
        return exp.schemas[index].schema_id
    return opt_int(delta_schema_numbers(query, exp)[index], "schema_id")


def check_snapshots(
    query: Query,
    exp: TableExpectation,
    expired: set[int] | None = None,
    lenient_parent: set[int] | None = None,
) -> dict[int, Json]:
    """Exactly the oracle's snapshots; ``expired`` ids must carry ``expired_in_source``."""
    got = snapshots_by_id(query("snapshots", exp.reference), f"snapshots {exp.reference}")
    expired = expired or set()
    lenient_parent = lenient_parent or set()
    expected: dict[int, Any] = {}
    for sid, snap in exp.snapshots.items():
        if exp.format == "iceberg":
            schema_id = snap.schema_id
        else:
            assert snap.schema_index is not None
            schema_id = expected_schema_id(query, exp, snap.schema_index)
        expected[sid] = expected_snapshot_row(snap, schema_id)
    actual: dict[int, Any] = {}
    problems: list[str] = []
    for sid, row in got.items():
        what = f"snapshot {sid}"
        actual[sid] = snapshot_row(row, what)
        if sid in lenient_parent and sid in expected and actual[sid][0] is None:
            actual[sid] = (expected[sid][0], *actual[sid][1:])
        for key in ("run", "evidence"):
            if row[key] is not None:
                problems.append(f"{what}: {key} should be null, got {row[key]!r}")
        if sid in expired:
            if row["expired_in_source"] is None:
                problems.append(f"{what}: vanished from the source but expired_in_source is null")
            else:
                when = instant(row["expired_in_source"], f"{what}.expired_in_source")
                if when < actual[sid][1]:
                    problems.append(
                        f"{what}: expired_in_source {row['expired_in_source']} is "
                        f"before its commit {row['committed_at']}"
                    )
        elif row["expired_in_source"] is not None:
            problems.append(
                f"{what}: still in the source but expired_in_source = {row['expired_in_source']!r}"
            )
    problems += diff_maps(
        expected, actual, "snapshot (parent, committed_at ms, operation, schema_id)"
    )
    fail_if(problems, f"snapshots of {exp.reference} differ from the oracle")
    return got


def check_as_of(query: Query, exp: TableExpectation, probes: list[tuple[int, int | None]]) -> None:
    full = snapshots_by_id(query("snapshots", exp.reference), f"snapshots {exp.reference}")
    problems: list[str] = []
    for at, want in probes:
        iso = ms_to_iso(at)
        rows = require_list(query("snapshots", exp.reference, "--as-of", iso), f"as-of {iso}")
        got = [
            as_int(r.get("snapshot") if isinstance(r, Mapping) else r, f"as-of {iso}") for r in rows
        ]
        expected = [] if want is None else [want]
        if got != expected:
            problems.append(f"as of {iso} ({at}): expected {expected}, got {got}")
        elif rows and want in full and rows[0] != full[want]:
            problems.append(f"as of {iso}: row {rows[0]!r} differs from the listing {full[want]!r}")
    fail_if(problems, f"snapshots --as-of of {exp.reference} differ from the oracle")


def check_schema(query: Query, exp: TableExpectation, index: int, *args: str) -> None:
    payload = query("schema", exp.reference, *args)
    what = f"schema {exp.reference} {' '.join(args)}".strip()
    require_keys(payload, {"table", "schema_id", "fields"}, what)
    problems: list[str] = []
    if payload["table"] != exp.reference:
        problems.append(f"table: expected {exp.reference!r}, got {payload['table']!r}")
    want = expected_schema_id(query, exp, index)
    got = opt_int(payload["schema_id"], f"{what}.schema_id")
    if got != want:
        problems.append(f"schema_id: expected {want}, got {got}")
    try:
        compare_fields(exp.schemas[index], payload, what)
    except AssertionError as exc:
        problems.append(str(exc))
    fail_if(problems, f"{what} differs from the oracle")


def check_effective_at(query: Query, exp: TableExpectation) -> None:
    entries = history_entries(query("schema-history", exp.reference), "schema-history")
    problems: list[str] = []
    previous: int | None = None
    for k, (schema, entry) in enumerate(zip(exp.schemas, entries, strict=False)):
        eff = instant(entry["effective_at"], f"schema-history[{k}].effective_at")
        if previous is not None and eff < previous:
            problems.append(f"entry {k}: effective_at {entry['effective_at']} is not in time order")
        previous = eff
        lo, hi = schema.effective_lo_ms, schema.effective_hi_ms
        exact = schema.effective_exact_ms
        if exact is not None:
            if eff != exact:
                problems.append(
                    f"entry {k}: effective_at expected {ms_to_iso(exact)}, "
                    f"got {entry['effective_at']}"
                )
        elif (lo is not None and eff < lo) or (hi is not None and eff > hi):
            bounds = [None if b is None else ms_to_iso(b) for b in (lo, hi)]
            problems.append(
                f"entry {k}: effective_at {entry['effective_at']} outside the oracle's bounds "
                f"{bounds}"
            )
        if exp.format == "delta":
            got = opt_int(entry["snapshot"], f"schema-history[{k}].snapshot")
            if got != schema.introduced_at:
                problems.append(
                    f"entry {k}: snapshot expected version {schema.introduced_at}, got {got}"
                )
        elif entry["snapshot"] is not None:
            sid = as_int(entry["snapshot"], f"schema-history[{k}].snapshot")
            if sid not in exp.snapshots:
                problems.append(f"entry {k}: snapshot {sid} is not a snapshot of the table")
    fail_if(problems, f"schema-history times of {exp.reference} differ from the oracle")
