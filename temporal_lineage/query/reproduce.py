"""Reproduction manifests: pinned tables -> row counts, content fingerprints, read recipes.

``build_manifest`` turns the provenance's pinned tables into a JSON-ready manifest;
``verify_manifest`` re-reads each table at its snapshot and checks counts and fingerprints;
``load`` gives the pinned data back as polars frames. A table whose data is gone at the
source (expired snapshot, cleaned-up log, vacuumed file) gets a one-line ``error`` instead
of failing the whole manifest.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from hashlib import blake2b
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from temporal_lineage.errors import DataMismatch, DataUnavailable, InvalidManifest, InvalidTime
from temporal_lineage.model import MAIN, Field, Format, TableRef
from temporal_lineage.query.readability import unreadable_at_source
from temporal_lineage.redaction import redact
from temporal_lineage.sources.snapshot_data import SNAPSHOT_DATA, SnapshotData
from temporal_lineage.times import format_time, now, parse_time

MANIFEST_VERSION = 1
FINGERPRINT_ALGORITHM = "rowsum-blake2b128-v1"
"""Sum mod 2**128 of each row's blake2b-128 digest over a canonical encoding (see below)."""

_BATCH_ROWS = 65_536
_MOD = 1 << 128
_NULL = pa.scalar(b"\x00", pa.large_binary())
_VALID = pa.scalar(b"\x01", pa.large_binary())
_EMPTY = pa.scalar(b"", pa.large_binary())
_NO_NANOS = pa.scalar(b"\x00\x00", pa.large_binary())


@dataclass(frozen=True)
class PinnedTable:
    """One table of a provenance, pinned to the snapshot the answer names."""

    table: str
    """The reference, e.g. ``lake.raw.events`` / ``deltas.users``."""
    format: Format
    location: str
    """Iceberg: the table's current metadata file; Delta: the table root (path or URI)."""
    snapshot_id: int
    """Iceberg snapshot id / Delta version."""
    committed_at: datetime
    schema_id: int | None
    fields: tuple[Field, ...]
    storage_options: Mapping[str, str] = field(default_factory=dict)
    """Credentials and endpoints for the reader; never written into a manifest."""

    def __post_init__(self) -> None:
        TableRef.from_user_string(self.table)  # ValueError when not <source>.<identifier>


# --- reading -----------------------------------------------------------------------------


def _data(p: PinnedTable) -> SnapshotData:
    return SNAPSHOT_DATA[p.format]


def pinned_label(p: PinnedTable) -> str:
    """How messages name a pinned table: ``<table> snapshot <id>`` / ``<table> version <n>``."""
    return _data(p).label(p.table, p.snapshot_id)


def read_pinned(p: PinnedTable) -> pa.Table:
    """Every row of the table at its pinned snapshot, with that snapshot's schema.

    Raises:
        DataUnavailable: one line naming table, snapshot and cause (expired snapshot,
            commit file removed by log cleanup, data file vanished...).
    """
    return _data(p).read(p.table, p.location, p.snapshot_id, p.storage_options)


def _measure(p: PinnedTable) -> tuple[int, str]:
    """Row count and fingerprint, streaming the rows (memory bounded by one batch)."""
    reader = _data(p).stream(p.table, p.location, p.snapshot_id, p.storage_options)
    return _digest(reader.schema, reader)


# --- fingerprint -------------------------------------------------------------------------


def fingerprint(table: pa.Table) -> str:
    """An order-independent, NULL- and type-aware digest of a table's content.

    Each row is encoded canonically (columns in field-path order; per value a NULL marker,
    then a type-normalised payload: integers as int64, floats as float64 with one NaN and
    no negative zero, decimals as their unscaled int128, strings and binaries length-prefixed,
    times as microseconds plus sub-microsecond nanoseconds, nested values recursively) and
    hashed with blake2b-128; the digests are summed mod 2**128, so row order and batching do
    not matter while duplicates do. The sum, the row count and the columns' names and
    logical types are hashed again. Arrow spellings that mean the same values (string /
    large_string / string_view, timestamp units, int widths, dictionaries) give the same
    fingerprint; polars' ``hash_rows`` is not used (not stable across versions).

    >>> a = pa.table({"x": [1, 2, None], "y": ["a", "b", "c"]})
    >>> fingerprint(a) == fingerprint(a.take([2, 0, 1]))
    True
    >>> fingerprint(a) == fingerprint(pa.table({"x": [1, 2, 0], "y": ["a", "b", "c"]}))
    False
    >>> fingerprint(a).startswith("rowsum-blake2b128-v1:")
    True
    """
    return _digest(table.schema, table.to_batches(max_chunksize=_BATCH_ROWS))[1]


def _digest(schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> tuple[int, str]:
    """Row count and fingerprint of a stream of batches of ``schema``."""
    names = sorted(schema.names)
    header = [[name, _encode(pa.nulls(0, schema.field(name).type))[1]] for name in names]
    rows = 0
    total = 0
    for batch in batches:
        rows += batch.num_rows
        if not names:
            total += batch.num_rows * _row_hash(b"")
            continue
        encoded = [_encode(batch.column(name))[0] for name in names]
        joined = pc.binary_join_element_wise(*encoded, _EMPTY)
        total += sum(map(_row_hash, joined.to_pylist()))
    canonical = json.dumps(
        {"columns": header, "rows": rows, "sum": f"{total % _MOD:032x}"},
        separators=(",", ":"),
    )
    digest = blake2b(canonical.encode(), digest_size=16).hexdigest()
    return rows, f"{FINGERPRINT_ALGORITHM}:{digest}"


def _row_hash(row: bytes) -> int:
    return int.from_bytes(blake2b(row, digest_size=16).digest(), "little")


def _encode(array: pa.Array) -> tuple[pa.Array, str]:
    """Each value's canonical bytes (large_binary, no NULLs) and the logical type's name."""
    kind = array.type
    if isinstance(kind, pa.ExtensionType):
        return _encode(array.storage)
    if pa.types.is_dictionary(kind):
        return _encode(array.dictionary_decode())
    if pa.types.is_null(kind):
        return pa.repeat(_NULL, len(array)), "null"
    payload, name = _payload(array)
    marked = pc.binary_join_element_wise(_VALID, payload, _EMPTY)
    if array.null_count:
        marked = pc.if_else(array.is_valid(), marked, _NULL)
    return marked, name


def _payload(array: pa.Array) -> tuple[pa.Array, str]:
    """The bytes of each value, ignoring validity (NULL slots are replaced by the caller)."""
    kind = array.type
    types = pa.types
    if types.is_boolean(kind):
        return _fixed(array.cast(pa.uint8()), 1), "boolean"
    if types.is_uint64(kind):
        return _fixed(array, 8), "uint64"
    if types.is_integer(kind):
        return _fixed(array.cast(pa.int64()), 8), "integer"
    if types.is_floating(kind):
        wide = pc.add(array.cast(pa.float64()), 0.0)  # -0.0 + 0.0 is +0.0
        wide = pc.if_else(pc.is_nan(wide), float("nan"), wide)
        return _fixed(wide, 8), "float"
    if types.is_decimal(kind):
        if kind.precision <= 38:
            return _fixed(array.cast(pa.decimal128(kind.precision, kind.scale)), 16), (
                f"decimal(scale={kind.scale})"
            )
        return _fixed(array, 32), f"decimal256(scale={kind.scale})"
    if types.is_date(kind):
        return _fixed(pc.cast(array, pa.date32(), safe=False).cast(pa.int32()), 4), "date"
    if types.is_timestamp(kind):
        name = "timestamp" if kind.tz is None else "timestamptz"
        return _instant(array.cast(pa.int64()), kind.unit), name
    if types.is_time(kind) or types.is_duration(kind):
        raw = array.cast(pa.int32() if types.is_time32(kind) else pa.int64()).cast(pa.int64())
        return _instant(raw, kind.unit), "time" if types.is_time(kind) else "duration"
    if _any_of(kind, "string", "large_string", "string_view"):
        return _sized(array.cast(pa.large_string()).cast(pa.large_binary())), "string"
    if _any_of(kind, "binary", "large_binary", "binary_view", "fixed_size_binary"):
        return _sized(array.cast(pa.large_binary())), "binary"
    if types.is_struct(kind):
        children = {kind.field(i).name: child for i, child in enumerate(array.flatten())}
        parts = [(name, *_encode(children[name])) for name in sorted(children)]
        inner = ",".join(f"{name}:{child_name}" for name, _, child_name in parts)
        if not parts:
            return pa.repeat(_EMPTY, len(array)), "struct<>"
        joined = pc.binary_join_element_wise(*(p[1] for p in parts), _EMPTY)
        return joined, f"struct<{inner}>"
    if types.is_map(kind):
        entries = pa.struct([("key", kind.key_type), ("value", kind.item_type)])
        listed, entry_name = _list(array.cast(pa.large_list(entries)))
        return listed, "map<" + entry_name.removeprefix("struct<")
    if _any_of(kind, "list", "large_list", "fixed_size_list", "list_view", "large_list_view"):
        listed, element_name = _list(array)
        return listed, f"list<{element_name}>"
    # No Iceberg or Delta type lands here (intervals, unions): Arrow's own text, best effort.
    return _sized(array.cast(pa.large_string()).cast(pa.large_binary())), f"other:{kind}"


def _any_of(kind: pa.DataType, *names: str) -> bool:
    """Whether ``pyarrow.types.is_<name>`` holds for one of ``names``."""
    return any(getattr(pa.types, f"is_{name}")(kind) for name in names)


def _fixed(values: pa.Array, width: int) -> pa.Array:
    """Reinterpret a fixed-width array's little-endian value buffer as per-value bytes."""
    raw = pa.Array.from_buffers(
        pa.binary(width), len(values), [None, values.buffers()[1]], offset=values.offset
    )
    return raw.cast(pa.large_binary())


def _sized(values: pa.Array) -> pa.Array:
    """Length-prefixed bytes (int64 little-endian length, then the bytes)."""
    lengths = pc.fill_null(pc.binary_length(values), 0).cast(pa.int64())
    return pc.binary_join_element_wise(_fixed(lengths, 8), pc.fill_null(values, _EMPTY), _EMPTY)


def _instant(ticks: pa.Array, unit: str) -> pa.Array:
    """Epoch/duration ticks as int64 microseconds plus uint16 remaining nanoseconds."""
    ticks = pc.fill_null(ticks, 0)
    if unit != "ns":
        scale = {"s": 1_000_000, "ms": 1_000, "us": 1}[unit]
        micros = ticks if scale == 1 else pc.multiply_checked(ticks, scale)
        return pc.binary_join_element_wise(_fixed(micros, 8), _NO_NANOS, _EMPTY)
    micros = pc.divide(ticks, 1_000)  # truncates toward zero: floor it
    nanos = pc.subtract(ticks, pc.multiply(micros, 1_000))
    negative = pc.less(nanos, 0)
    micros = pc.if_else(negative, pc.subtract(micros, 1), micros)
    nanos = pc.if_else(negative, pc.add(nanos, 1_000), nanos).cast(pa.uint16())
    return pc.binary_join_element_wise(_fixed(micros, 8), _fixed(nanos, 2), _EMPTY)


def _list(array: pa.Array) -> tuple[pa.Array, str]:
    """Element count (int64) then the elements' encodings, and the elements' type name.

    Lengths and ``flatten`` rather than a cast: pyarrow 26 casts list_view to list wrongly.
    """
    lengths = pc.fill_null(pc.list_value_length(array), 0).cast(pa.int64())
    elements, name = _encode(array.flatten())
    offsets = pa.concat_arrays([pa.array([0], pa.int64()), pc.cumulative_sum(lengths)])
    grouped = pa.LargeListArray.from_arrays(offsets, elements)
    joined = pc.binary_join(grouped, _EMPTY)
    return pc.binary_join_element_wise(_fixed(lengths, 8), joined, _EMPTY), name


# --- read recipes ------------------------------------------------------------------------


def recipes(p: PinnedTable) -> dict[str, str]:
    """Snippets a user can paste to read the pinned snapshot, by reader (the format's own)."""
    ref = TableRef.from_user_string(p.table)
    return _data(p).recipes(ref, p.location, p.snapshot_id, p.storage_options, p.fields)


# --- manifests ---------------------------------------------------------------------------


def build_manifest(
    pinned: Sequence[PinnedTable],
    *,
    root: str,
    as_of: datetime,
    known_at: datetime | None,
    store: str,
    ref: str = MAIN,
) -> dict[str, Any]:
    """The reproduction manifest of pinned tables (JSON-ready); ``ref`` is the root's branch
    or tag the closure started from.

    Each table is read once at its snapshot for its row count and fingerprint; a table
    whose data is gone gets ``row_count``/``fingerprint`` null and a one-line ``error``
    (table, snapshot, cause) while the others are still measured.
    """
    return {
        "manifest_version": MANIFEST_VERSION,
        "root": root,
        "ref": ref,
        "as_of": format_time(as_of),
        "known_at": format_time(known_at),
        "generated_at": format_time(now()),
        "store": redact(store),
        "tables": [_table_entry(p) for p in pinned],
    }


def _unreadable(p: PinnedTable) -> str | None:
    """Why the pinned snapshot can no longer be read, from file checks alone (None: it can)."""
    causes = unreadable_at_source(p.format, p.location, [p.snapshot_id], p.storage_options)
    cause = causes[p.snapshot_id]
    if cause is None:
        return None
    return f"{pinned_label(p)}: {cause}"


def _table_entry(p: PinnedTable) -> dict[str, Any]:
    rows: int | None = None
    digest: str | None = None
    # Nothing is promised before the files are known to be there (existence checks only).
    error = _unreadable(p)
    if error is None:
        try:
            rows, digest = _measure(p)
        except DataUnavailable as exc:
            error = str(exc)
    return {
        "table": p.table,
        "format": p.format.value,
        "location": p.location,
        "snapshot": p.snapshot_id,
        "committed_at": format_time(p.committed_at),
        "schema": {
            "schema_id": p.schema_id,
            "fields": [
                {
                    "id": f.id,
                    "name": f.name,
                    "path": f.dotted_path,
                    "type": f.type,
                    "nullable": f.nullable,
                }
                for f in p.fields
            ],
        },
        "row_count": rows,
        "fingerprint": digest,
        "read": recipes(p),
        "error": error,
    }


StorageOptions = Mapping[str, Mapping[str, str]]
"""Storage options by table reference or by source name (the table's wins)."""


def verify_manifest(
    manifest: Mapping[str, Any], *, storage_options: StorageOptions | None = None
) -> dict[str, Any]:
    """Re-read every table at its pinned snapshot and check row count and fingerprint.

    Returns ``{"ok": bool, "tables": [{"table", "snapshot", "ok", "error"}]}``; ``error`` is
    one line naming table, snapshot and what differs or why the data cannot be read.

    Raises:
        InvalidManifest: the manifest is malformed or of another version.
    """
    results: list[dict[str, Any]] = []
    for entry, p in _pinned_entries(manifest, storage_options):
        error: str | None
        try:
            rows, digest = _measure(p)
        except DataUnavailable as exc:
            error = str(exc)
        else:
            error = _mismatch(p, entry, rows, digest)
        results.append(
            {"table": p.table, "snapshot": p.snapshot_id, "ok": error is None, "error": error}
        )
    return {"ok": all(r["ok"] for r in results), "tables": results}


def _mismatch(p: PinnedTable, entry: Mapping[str, Any], rows: int, digest: str) -> str | None:
    """What differs between the data read and the manifest entry (None: they agree)."""
    label = pinned_label(p)
    expected_rows, expected = entry.get("row_count"), entry.get("fingerprint")
    if expected_rows is None or expected is None:
        cause = f" (manifest error: {entry['error']})" if entry.get("error") else ""
        return f"{label}: the manifest records no row count / fingerprint to check{cause}"
    if rows != expected_rows:
        return f"{label}: row count {rows} differs from the manifest's {expected_rows}"
    algorithm = str(expected).split(":", 1)[0]
    if algorithm != FINGERPRINT_ALGORITHM:
        return f"{label}: unsupported fingerprint algorithm {algorithm!r}"
    if digest != expected:
        return f"{label}: content fingerprint {digest} differs from the manifest's {expected}"
    return None


def load(
    manifest: Mapping[str, Any] | str | os.PathLike[str],
    *,
    storage_options: StorageOptions | None = None,
    verify: bool = True,
) -> dict[str, pl.DataFrame]:
    """The pinned data as polars frames: table reference -> frame at its snapshot.

    A table pinned more than once (a job reading its own earlier snapshot) is keyed
    ``<table>@<snapshot>`` for every one of its snapshots.

    Args:
        manifest: a manifest, or the path of its JSON file.
        storage_options: credentials by table reference or source name (never stored in
            manifests).
        verify: check each table's row count and fingerprint against the manifest.

    Raises:
        InvalidManifest: the manifest cannot be read or is malformed.
        DataUnavailable: a table's data can no longer be read at the source.
        DataMismatch: with ``verify``, the data differs from what the manifest recorded.
    """
    if not isinstance(manifest, Mapping):
        manifest = _read_manifest(manifest)
    entries = _pinned_entries(manifest, storage_options)
    seen = Counter(p.table for _, p in entries)
    frames: dict[str, pl.DataFrame] = {}
    for entry, p in entries:
        data = read_pinned(p)
        if verify:
            rows, digest = _digest(data.schema, data.to_batches(max_chunksize=_BATCH_ROWS))
            if entry.get("fingerprint") is not None:
                problem = _mismatch(p, entry, rows, digest)
                if problem:
                    raise DataMismatch(problem)
        frame = pl.from_arrow(data)
        assert isinstance(frame, pl.DataFrame)
        frames[p.table if seen[p.table] == 1 else f"{p.table}@{p.snapshot_id}"] = frame
    return frames


def _read_manifest(path: str | os.PathLike[str]) -> Mapping[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            raw = json.load(handle)
    except (OSError, ValueError) as exc:
        raise InvalidManifest(f"cannot read manifest {os.fspath(path)}: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise InvalidManifest(f"not a manifest (a JSON object expected): {os.fspath(path)}")
    return raw


def _pinned_entries(
    manifest: Mapping[str, Any], storage_options: StorageOptions | None
) -> list[tuple[Mapping[str, Any], PinnedTable]]:
    """Each table entry with the PinnedTable it describes (fields are not needed to read)."""
    version = manifest.get("manifest_version")
    if version != MANIFEST_VERSION:
        raise InvalidManifest(
            f"unsupported manifest_version {version!r} (this version reads {MANIFEST_VERSION})"
        )
    tables = manifest.get("tables")
    if not isinstance(tables, list):
        raise InvalidManifest("manifest has no 'tables' list")
    options = storage_options or {}
    pinned: list[tuple[Mapping[str, Any], PinnedTable]] = []
    for index, entry in enumerate(tables):
        try:
            table = str(entry["table"])
            source = table.split(".", 1)[0]
            p = PinnedTable(
                table=table,
                format=Format(entry["format"]),
                location=str(entry["location"]),
                snapshot_id=int(entry["snapshot"]),
                committed_at=parse_time(str(entry["committed_at"])),
                schema_id=(entry.get("schema") or {}).get("schema_id"),
                fields=(),
                storage_options=dict(options.get(table) or options.get(source) or {}),
            )
        except (KeyError, TypeError, ValueError, InvalidTime) as exc:
            raise InvalidManifest(f"manifest table #{index} is malformed: {exc!r}") from exc
        pinned.append((entry, p))
    return pinned
