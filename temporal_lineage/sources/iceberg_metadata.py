"""Iceberg table metadata JSON -> model values, with plain ``json`` (4x faster than objects)."""

from __future__ import annotations

import functools
import gzip
import json
import re
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from temporal_lineage import jsontext
from temporal_lineage.errors import InvalidMetadata, one_line
from temporal_lineage.model import (
    MAIN,
    DatedBy,
    Field,
    Format,
    HeadChange,
    Ref,
    RefKind,
    RefsAt,
    Schema,
    SchemaTransition,
    Snapshot,
    TableRef,
    TableState,
    TextRepair,
)
from temporal_lineage.sources.type_names import type_name
from temporal_lineage.storable import (
    OPERATION_WIDTH,
    clean,
    may_hold_escapes,
    operation_name,
    repaired,
)
from temporal_lineage.times import from_millis

MALFORMED = (
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    OSError,
    EOFError,
    zlib.error,
    RecursionError,
)
"""What reading a broken metadata file raises (bad JSON or gzip, missing or mistyped keys,
deep nesting)."""

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
    except MALFORMED:
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
    operation = summary.get("operation")
    if type(operation) is not str or len(operation) > OPERATION_WIDTH:  # rare: not per commit
        operation, cut = operation_name(operation, "summary.operation")
        if cut is not None:
            repairs.append(replace(cut, field=f"snapshot {item.get('snapshot-id')}: {cut.field}"))
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
    has_refs: bool = False
    """The table had refs besides main (so their removal is looked for)."""

    def encode(self) -> str:
        """The opaque string the store keeps."""
        return json.dumps(
            {
                "location": self.location,
                "updated_ms": self.updated_ms,
                "schema_id": self.schema_id,
                "table_uuid": self.table_uuid,
                "has_refs": self.has_refs,
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
                bool(raw.get("has_refs", False)),
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
            metadata, repairs = repaired(metadata)
        schemas = _schemas(metadata)
        instant = _instants()
        snapshot_list = [_snapshot(s, instant, repairs) for s in metadata.get("snapshots") or []]
        by_id = {s.snapshot_id: s for s in snapshot_list}
        current_schema = _current_schema_id(metadata, schemas)
        incarnation = str(metadata.get("table-uuid") or metadata["location"])
        if since is not None and since.table_uuid not in (None, incarnation):
            since = None  # dropped and re-created since the last read: a table of its own
        transitions = _transitions(metadata, location, schemas, snapshot_list, read_older, since)
        refs = _refs(metadata)
        heads = _heads(metadata, by_id, instant)
        ref_states = _ref_states(metadata, refs, read_older, since)
        branches = _branches(ref_states, by_id, heads)
        if branches:
            snapshot_list = [
                replace(s, branch=branches[s.snapshot_id]) if s.snapshot_id in branches else s
                for s in snapshot_list
            ]
        cursor = IcebergCursor(
            location, int(metadata["last-updated-ms"]), current_schema, incarnation, bool(refs)
        )
        return TableState(
            ref=ref,
            format=Format.ICEBERG,
            incarnation=incarnation,
            location=str(metadata["location"]),
            cursor=cursor.encode(),
            snapshots=tuple(snapshot_list),
            heads=tuple(heads),
            transitions=tuple(transitions),
            schemas=schemas,
            snapshots_complete=True,
            format_version=int(metadata.get("format-version", 1)),
            repairs=tuple(repairs),
            ref_states=ref_states,
        )
    except MALFORMED as exc:
        raise InvalidMetadata(f"{ref}: malformed metadata {location}: {_describe(exc)}") from exc


def _optional_int(value: Any) -> int | None:
    return int(value) if value is not None else None


def _refs(metadata: Mapping[str, Any]) -> tuple[Ref, ...]:
    """The branches and tags of one metadata file, main left out (the heads say it)."""
    found: list[Ref] = []
    for name, item in sorted((metadata.get("refs") or {}).items()):
        if name == MAIN or not isinstance(item, dict):
            continue
        found.append(
            Ref(
                clean(str(name)),  # older files are read unrepaired: a name must still store
                RefKind.TAG if item.get("type") == "tag" else RefKind.BRANCH,
                int(item["snapshot-id"]),
                _optional_int(item.get("max-ref-age-ms")),
                _optional_int(item.get("max-snapshot-age-ms")),
                _optional_int(item.get("min-snapshots-to-keep")),
            )
        )
    return tuple(found)


def _branches(
    states: Sequence[RefsAt], snapshots: Mapping[int, Snapshot], heads: Sequence[HeadChange]
) -> dict[int, str]:
    """The branch each snapshot was written on, for those a branch had before main did.

    A branch's head, or an ancestor of it, that main did not have yet in the same metadata
    file was written on that branch (write-audit-publish: published to main later or never).
    """
    if not states:
        return {}
    main_since: dict[int, datetime] = {}
    for head in heads:
        main_since.setdefault(head.snapshot_id, head.started_at)
    found: dict[int, str] = {}
    for state in states:
        on_main = {sid for sid, since in main_since.items() if since <= state.at}
        for main_head in list(on_main):
            on_main.update(_ancestors(main_head, snapshots))
        for ref in state.refs:
            if ref.kind is RefKind.BRANCH:
                for snapshot_id in _ancestors(ref.snapshot_id, snapshots):
                    if snapshot_id not in on_main:
                        found.setdefault(snapshot_id, ref.name)
    return found


def _ancestors(snapshot_id: int | None, snapshots: Mapping[int, Snapshot]) -> list[int]:
    """``snapshot_id`` and its parents, as far as the metadata still lists them."""
    chain: list[int] = []
    seen: set[int] = set()
    while snapshot_id is not None and snapshot_id in snapshots and snapshot_id not in seen:
        chain.append(snapshot_id)
        seen.add(snapshot_id)
        snapshot_id = snapshots[snapshot_id].parent_id
    return chain


def _ref_states(
    metadata: Mapping[str, Any],
    current: tuple[Ref, ...],
    read_older: Callable[[str, int | None], bytes | None],
    since: IcebergCursor | None,
) -> tuple[RefsAt, ...]:
    """The refs of every metadata file since ``since`` that is still readable, oldest first.

    Only tables that have (or had) refs besides main pay for reading older files whole.
    """
    if not current and not (since is not None and since.has_refs):
        return ()
    states: list[RefsAt] = []
    for entry in metadata.get("metadata-log") or []:
        ts = int(entry["timestamp-ms"])
        if since is not None and ts <= since.updated_ms:
            continue
        raw = read_older(str(entry["metadata-file"]), None)
        if raw is None:
            continue
        try:
            states.append(RefsAt(from_millis(ts), _refs(decode(raw))))
        except MALFORMED:
            continue  # an unreadable older file: the next readable one dates the change
    states.append(RefsAt(from_millis(int(metadata["last-updated-ms"])), current))
    return tuple(states)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return one_line(exc)
