"""Delta transaction log -> model values: commit files in one pass, checkpoints when needed."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from temporal_lineage import jsontext
from temporal_lineage.model import Field, Schema, TextRepair
from temporal_lineage.sources.type_names import type_name
from temporal_lineage.storable import may_hold_escapes, repaired

COMMIT_FILE = re.compile(r"^(\d{20})\.json$")
CHECKPOINT_FILE = re.compile(
    r"^(\d{20})\.checkpoint(?:\.\d{10}\.\d{10}|\.[0-9A-Za-z-]+)?\.(parquet|json)$"
)
_SKIPPED_ACTIONS = (b'{"add"', b'{"remove"', b'{"cdc"', b'{"txn"', b'{"domainMetadata"')
_FILE_ACTIONS = (b'{"add"', b'{"remove"')
_CHANGES_DATA = (b'"dataChange":true', b'"dataChange": true')
_SIZE = re.compile(rb'"size"\s*:\s*(\d+)')


def commit_name(version: int) -> str:
    """The file name of a commit: ``00000000000000000007.json``."""
    return f"{version:020d}.json"


@dataclass(frozen=True)
class Commit:
    """The actions of one commit file that history needs."""

    version: int
    commit_info: Mapping[str, Any] | None
    metadata: Mapping[str, Any] | None
    protocol: Mapping[str, Any] | None
    repairs: tuple[TextRepair, ...] = ()
    """Strings of these actions kept with unstorable characters replaced."""
    data_change: bool | None = None
    """False when the commit has file actions and none says ``dataChange: true``; None
    when it has no file action (metadata only)."""
    added_bytes: int | None = 0
    """The sum of the ``add`` actions' sizes (None when one did not say its size)."""
    removed_bytes: int | None = 0
    """The sum of the ``remove`` actions' sizes (None when one did not say its size)."""


def parse_commit(version: int, raw: bytes) -> Commit:
    """Read commitInfo, metaData and protocol, skipping file actions without parsing them.

    A lone surrogate or NUL in a string (valid JSON escapes the store cannot keep) is
    replaced by U+FFFD, and the commit says where: a real commit is never refused for it.
    """
    commit_info = metadata = protocol = None
    repairs: list[TextRepair] = []
    file_actions = changes_data = False
    sizes: dict[bool, int | None] = {True: 0, False: 0}  # added?: bytes
    for line in raw.splitlines():
        line = line.strip()
        if line.startswith(_FILE_ACTIONS):  # never parsed: a look at one flag is enough
            file_actions = True
            changes_data = changes_data or any(mark in line for mark in _CHANGES_DATA)
            added = line.startswith(b'{"add"')
            size, total = _file_size(line), sizes[added]
            sizes[added] = None if size is None or total is None else total + size
            continue
        if not line or line.startswith(_SKIPPED_ACTIONS):
            continue
        action = jsontext.loads(line)
        if not isinstance(action, dict):
            raise ValueError(f"version {version}: an action is not a JSON object")
        if may_hold_escapes(line):
            action, fixed = repaired(action, label=f"version {version}: ")
            repairs.extend(fixed)
        if "commitInfo" in action:
            commit_info = action["commitInfo"]
        elif "metaData" in action:
            metadata = action["metaData"]
        elif "protocol" in action:
            protocol = action["protocol"]
    data_change = changes_data if file_actions else None
    return Commit(
        version,
        commit_info,
        metadata,
        protocol,
        tuple(repairs),
        data_change,
        added_bytes=sizes[True],
        removed_bytes=sizes[False],
    )


def _file_size(line: bytes) -> int | None:
    """The ``size`` of one add or remove action line (None when it gives none).

    A key ``"size"`` with a number is the action's own (stats are an escaped string,
    partition values and tags are strings); only a line with several is parsed.
    """
    found = _SIZE.findall(line)
    if len(found) == 1:
        return int(found[0])
    if not found:
        return None
    action = jsontext.loads(line)
    body = next(iter(action.values()), None) if isinstance(action, dict) else None
    size = body.get("size") if isinstance(body, dict) else None
    return size if isinstance(size, int) and not isinstance(size, bool) else None


def checkpoint_actions(
    name: str, raw: bytes
) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]:
    """The metaData and protocol actions in one checkpoint file (or one part of it)."""
    metadata = protocol = None
    if name.endswith(".json"):
        for line in raw.splitlines():
            if line.startswith((b'{"metaData"', b'{"protocol"')):
                action = json.loads(line)
                metadata = action.get("metaData", metadata)
                protocol = action.get("protocol", protocol)
        return metadata, protocol
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(io.BytesIO(raw))
    columns = [c for c in ("metaData", "protocol") if c in parquet.schema_arrow.names]
    table = parquet.read(columns=columns)
    for column in columns:
        for value in table.column(column).to_pylist():
            if value is not None:
                if column == "metaData":
                    metadata = _normalise_maps(value)
                else:
                    protocol = value
    return metadata, protocol


def _normalise_maps(metadata: dict[str, Any]) -> dict[str, Any]:
    """Parquet maps come back as lists of pairs: make them dicts like the JSON log has."""
    for key in ("configuration",):
        value = metadata.get(key)
        if isinstance(value, list):
            metadata[key] = dict(value)
    fmt = metadata.get("format")
    if isinstance(fmt, dict) and isinstance(fmt.get("options"), list):
        fmt["options"] = dict(fmt["options"])
    return metadata


def commit_millis(commit: Commit) -> int | None:
    """In-commit timestamp if present, else commitInfo.timestamp (None if neither)."""
    info = commit.commit_info or {}
    for key in ("inCommitTimestamp", "timestamp"):
        value = info.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return int(value)
    return None


def parse_schema(metadata: Mapping[str, Any]) -> Schema:
    """A metaData action's schemaString as a flattened ``Schema``.

    Field ids and physical names come from column mapping (``delta.columnMapping.*``);
    other field metadata (identity high-water marks, type-change history) is not part of
    the schema's identity.
    """
    schema = json.loads(metadata["schemaString"])
    return Schema(tuple(_flatten(schema.get("fields", []), ())))


def _flatten(fields: Iterable[Mapping[str, Any]], prefix: tuple[str, ...]) -> list[Field]:
    out: list[Field] = []
    for item in fields:
        path = (*prefix, str(item["name"]))
        meta = item.get("metadata") or {}
        field_id = meta.get("delta.columnMapping.id")
        out.append(
            Field(
                id=int(field_id) if field_id is not None else None,
                path=path,
                type=type_name(item["type"]),
                nullable=bool(item.get("nullable", True)),
                doc=meta.get("comment"),
                physical_name=meta.get("delta.columnMapping.physicalName"),
            )
        )
        out.extend(_nested(item["type"], path))
    return out


def _nested(kind: Any, path: tuple[str, ...]) -> list[Field]:
    if not isinstance(kind, dict):
        return []
    if kind["type"] == "struct":
        return _flatten(kind.get("fields", []), path)
    slots: Sequence[tuple[str, str, bool]]
    if kind["type"] == "array":
        slots = [("element", "elementType", bool(kind.get("containsNull", True)))]
    elif kind["type"] == "map":
        slots = [
            ("key", "keyType", False),
            ("value", "valueType", bool(kind.get("valueContainsNull", True))),
        ]
    else:
        return []
    out: list[Field] = []
    for name, type_key, nullable in slots:
        sub_path = (*path, name)
        out.append(Field(None, sub_path, type_name(kind[type_key]), nullable))
        out.extend(_nested(kind[type_key], sub_path))
    return out
