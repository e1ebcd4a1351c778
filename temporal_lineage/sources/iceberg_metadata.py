"""Iceberg table metadata JSON -> model values, with plain ``json`` (4x faster than objects)."""

from __future__ import annotations

import functools
import gzip
import json
import re
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from temporal_lineage import jsontext
from temporal_lineage.errors import InvalidMetadata
from temporal_lineage.model import (
    DatedBy,
    Field,
    Format,
    HeadChange,
    Schema,
    SchemaTransition,
    Snapshot,
    TableRef,
    TableState,
    TextRepair,
)
from temporal_lineage.sources.type_names import type_name
from temporal_lineage.storable import may_hold_escapes, operation_name, repaired
from temporal_lineage.times import from_millis

_CURRENT_SCHEMA = re.compile(rb'"current-schema-id"\s*:\s*(-?\d+)')
PEEK_BYTES = 64 * 1024


def decode(raw: bytes) -> dict[str, Any]:
    """Parse a (possibly gzip-compressed) metadata file."""
    if _gzipped(raw):
        raw = gzip.decompress(raw)
    loaded = jsontext.loads(raw)
    if not isinstance(loaded, dict):
        raise ValueError("metadata is not a JSON object")
    return loaded


def peek_current_schema_id(read: Callable[[int | None], bytes | None]) -> int | None:
    """The ``current-schema-id`` of a metadata file, reading only its start when possible.

    Writers put it before the snapshots, so the first ``PEEK_BYTES`` nearly always hold it
    (a table with 10,000 snapshots has multi-megabyte metadata files, up to 100 of them).
    ``read(limit)`` returns the file's first ``limit`` bytes (all with None), or None when
    the file is gone.
    """
    head = read(PEEK_BYTES)
    if head is None:
        return None
    try:
        text = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head) if _gzipped(head) else head
        match = _CURRENT_SCHEMA.search(text)
        if match is not None:
            return int(match.group(1))
        whole = read(None) if len(head) >= PEEK_BYTES else head
        if whole is None:
            return None
        metadata = decode(whole)
        if "current-schema-id" in metadata:
            return int(metadata["current-schema-id"])
        single = metadata.get("schema")
        return int(single.get("schema-id", 0)) if isinstance(single, dict) else None
    except (ValueError, TypeError, OSError, EOFError, zlib.error, RecursionError):
        return None  # an unreadable older file: the change is dated by what is readable


def _gzipped(raw: bytes) -> bool:
    return raw[:2] == b"\x1f\x8b"


def _flatten(fields: Sequence[Mapping[str, Any]], prefix: tuple[str, ...]) -> list[Field]:
    out: list[Field] = []
    for item in fields:
        path = (*prefix, str(item["name"]))
        kind = item["type"]
        out.append(
            Field(
                id=int(item["id"]),
                path=path,
                type=type_name(kind),
                nullable=not bool(item.get("required", False)),
                doc=item.get("doc"),
            )
        )
        out.extend(_nested(kind, path))
    return out


def _nested(kind: Any, path: tuple[str, ...]) -> list[Field]:
    """The fields inside a struct, list or map type."""
    if not isinstance(kind, dict):
        return []
    if kind["type"] == "struct":
        return _flatten(kind.get("fields", []), path)
    children: list[Field] = []
    slots: list[tuple[str, str, str, str | None]]
    if kind["type"] == "list":
        slots = [("element", "element-id", "element", "element-required")]
    elif kind["type"] == "map":
        slots = [("key", "key-id", "key", None), ("value", "value-id", "value", "value-required")]
    else:
        return []
    for name, id_key, type_key, required_key in slots:
        sub = kind[type_key]
        sub_path = (*path, name)
        required = True if required_key is None else bool(kind.get(required_key, False))
        children.append(Field(int(kind[id_key]), sub_path, type_name(sub), not required))
        children.extend(_nested(sub, sub_path))
    return children


def parse_schema(schema: Mapping[str, Any]) -> Schema:
    """An Iceberg schema object as a flattened ``Schema``."""
    return Schema(tuple(_flatten(schema.get("fields", []), ())))


def _schemas(metadata: Mapping[str, Any]) -> dict[int, Schema]:
    listed = metadata.get("schemas")
    if isinstance(listed, list) and listed:
        return {int(s.get("schema-id", 0)): parse_schema(s) for s in listed}
    single = metadata.get("schema")
    if isinstance(single, dict):
        return {int(single.get("schema-id", 0)): parse_schema(single)}
    raise ValueError("no schema in metadata")


def _current_schema_id(metadata: Mapping[str, Any], schemas: Mapping[int, Schema]) -> int:
    if "current-schema-id" in metadata:
        return int(metadata["current-schema-id"])
    return next(iter(schemas))


def _snapshot(
    item: Mapping[str, Any], instant: Callable[[int], datetime], repairs: list[TextRepair]
) -> Snapshot:
    summary = item.get("summary") or {}
    parent = item.get("parent-snapshot-id")
    schema_id = item.get("schema-id")
    sequence = item.get("sequence-number")
    operation, cut = operation_name(
        summary.get("operation"), f"snapshot {item.get('snapshot-id')}: summary.operation"
    )
    if cut is not None:
        repairs.append(cut)
    return Snapshot(
        int(item["snapshot-id"]),
        int(parent) if parent is not None and int(parent) >= 0 else None,
        instant(item["timestamp-ms"]),
        operation,
        int(schema_id) if schema_id is not None else None,
        int(sequence) if sequence is not None else None,
        summary,  # a fresh dict from the parser: no copy needed
    )


def _instants() -> Callable[[int], datetime]:
    """``from_millis`` remembering its answers: the snapshot-log repeats snapshot times."""
    seen: dict[int, datetime] = {}

    def instant(ms: Any) -> datetime:
        found = seen.get(ms)
        if found is None:
            found = seen[ms] = from_millis(int(ms))
        return found

    return instant


def _heads(
    metadata: Mapping[str, Any],
    snapshots: Mapping[int, Snapshot],
    instant: Callable[[int], datetime],
) -> list[HeadChange]:
    """The main branch's head changes: the snapshot-log, closed by the current snapshot."""
    heads = [
        HeadChange(int(e["snapshot-id"]), instant(e["timestamp-ms"]))
        for e in metadata.get("snapshot-log") or []
    ]
    current = metadata.get("current-snapshot-id")
    refs = metadata.get("refs") or {}
    if isinstance(refs.get("main"), dict):
        current = refs["main"].get("snapshot-id", current)
    if current is not None and int(current) >= 0 and int(current) in snapshots:
        current_id = int(current)
        if not heads:
            heads.append(HeadChange(current_id, snapshots[current_id].committed_at))
        elif heads[-1].snapshot_id != current_id:
            # A writer that changed the head without logging it: the change happened no
            # later than this metadata file.
            heads.append(HeadChange(current_id, from_millis(int(metadata["last-updated-ms"]))))
    return heads


@dataclass(frozen=True)
class IcebergCursor:
    """Where a table's previous read stopped: its metadata file, time and current schema,
    and the incarnation (``table-uuid``) it belonged to."""

    location: str
    updated_ms: int
    schema_id: int
    table_uuid: str | None = None
    """None in cursors written before incarnations were compared (trusted as they are)."""

    def encode(self) -> str:
        """The opaque string the store keeps."""
        return json.dumps(
            {
                "location": self.location,
                "updated_ms": self.updated_ms,
                "schema_id": self.schema_id,
                "table_uuid": self.table_uuid,
            }
        )

    @classmethod
    def decode(cls, text: str | None) -> IcebergCursor | None:
        """Read back a cursor (None when absent or from another format)."""
        if not text:
            return None
        try:
            raw = json.loads(text)
            uuid = raw.get("table_uuid")
            return cls(
                str(raw["location"]),
                int(raw["updated_ms"]),
                int(raw["schema_id"]),
                str(uuid) if uuid is not None else None,
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


def _transitions(
    metadata: Mapping[str, Any],
    location: str,
    schemas: Mapping[int, Schema],
    snapshots: Sequence[Snapshot],
    read_older: Callable[[str, int | None], bytes | None],
    since: IcebergCursor | None,
) -> list[SchemaTransition]:
    """When each schema became current, as exactly as the surviving files tell."""
    earliest: dict[int, Snapshot] = {}
    for snap in sorted(snapshots, key=lambda s: s.committed_at):
        if snap.schema_id is not None:
            earliest.setdefault(snap.schema_id, snap)
    log: list[tuple[int, str]] = [
        (int(e["timestamp-ms"]), str(e["metadata-file"]))
        for e in metadata.get("metadata-log") or []
    ]
    log.append((int(metadata["last-updated-ms"]), location))
    if since is not None:
        log = [(ts, f) for ts, f in log if ts > since.updated_ms]
    found: list[SchemaTransition] = []
    # The schema current in the previous readable file, and whether that file was the one
    # just before (then a change is dated exactly by the later file's last-updated-ms).
    previous = since.schema_id if since is not None else None
    previous_adjacent = since is not None
    for index, (ts, path) in enumerate(log):
        if index == len(log) - 1:
            schema_id: int | None = _current_schema_id(metadata, schemas)
        else:
            schema_id = peek_current_schema_id(functools.partial(read_older, path))
        if schema_id is None:
            previous_adjacent = False
            continue
        if schema_id != previous and schema_id in schemas:
            found.append(_dated(schema_id, ts, previous_adjacent, schemas, earliest))
        previous, previous_adjacent = schema_id, True
    seen = {t.schema_id for t in found} | ({since.schema_id} if since else set())
    for schema_id, snap in earliest.items():
        if schema_id not in seen and schema_id in schemas:
            found.append(
                SchemaTransition(
                    schemas[schema_id],
                    snap.committed_at,
                    DatedBy.EARLIEST_SNAPSHOT,
                    schema_id,
                    snap.snapshot_id,
                )
            )
    found.sort(key=lambda t: t.effective_at)
    return found


def _dated(
    schema_id: int,
    ts: int,
    previous_known: bool,
    schemas: Mapping[int, Schema],
    earliest: Mapping[int, Snapshot],
) -> SchemaTransition:
    """A transition seen in the file at ``ts``; exact when the file before it was read too."""
    first = earliest.get(schema_id)
    if previous_known:
        return SchemaTransition(
            schemas[schema_id], from_millis(ts), DatedBy.METADATA_LOG, schema_id
        )
    if first is not None and first.committed_at < from_millis(ts):
        return SchemaTransition(
            schemas[schema_id],
            first.committed_at,
            DatedBy.EARLIEST_SNAPSHOT,
            schema_id,
            first.snapshot_id,
        )
    # The oldest file we can read: for a table's first metadata file, this is its creation.
    return SchemaTransition(schemas[schema_id], from_millis(ts), DatedBy.METADATA_LOG, schema_id)


def table_state(
    ref: TableRef,
    raw: bytes,
    location: str,
    read_older: Callable[[str, int | None], bytes | None],
    since: IcebergCursor | None,
) -> TableState:
    """Everything one metadata file (and the older files it logs) says about a table.

    Raises:
        InvalidMetadata: the file is not valid table metadata.
    """
    try:
        metadata = decode(raw)
        repairs: list[TextRepair] = []
        if _gzipped(raw) or may_hold_escapes(raw):  # a lone surrogate or NUL must not refuse it
            metadata, repairs = repaired(metadata, "")
        schemas = _schemas(metadata)
        instant = _instants()
        snapshot_list = [_snapshot(s, instant, repairs) for s in metadata.get("snapshots") or []]
        by_id = {s.snapshot_id: s for s in snapshot_list}
        current_schema = _current_schema_id(metadata, schemas)
        incarnation = str(metadata.get("table-uuid") or metadata["location"])
        if since is not None and since.table_uuid not in (None, incarnation):
            since = None  # dropped and re-created since the last read: a table of its own
        transitions = _transitions(metadata, location, schemas, snapshot_list, read_older, since)
        cursor = IcebergCursor(
            location, int(metadata["last-updated-ms"]), current_schema, incarnation
        )
        return TableState(
            ref=ref,
            format=Format.ICEBERG,
            incarnation=incarnation,
            location=str(metadata["location"]),
            cursor=cursor.encode(),
            snapshots=tuple(snapshot_list),
            heads=tuple(_heads(metadata, by_id, instant)),
            transitions=tuple(transitions),
            schemas=schemas,
            snapshots_complete=True,
            format_version=int(metadata.get("format-version", 1)),
            repairs=tuple(repairs),
        )
    except (
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        OSError,
        EOFError,
        zlib.error,
        RecursionError,
    ) as exc:
        raise InvalidMetadata(f"{ref}: malformed metadata {location}: {_describe(exc)}") from exc


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
