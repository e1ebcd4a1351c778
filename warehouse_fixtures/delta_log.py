"""Reading Delta transaction-log commits and writing hand-made schema commits."""

from __future__ import annotations

import copy
import json
import os
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from warehouse_fixtures.timeline import FieldRecord

LOG_DIR = "_delta_log"
MAPPING_MODE = "delta.columnMapping.mode"
MAPPING_ID = "delta.columnMapping.id"
MAPPING_PHYSICAL = "delta.columnMapping.physicalName"
MAPPING_MAX_ID = "delta.columnMapping.maxColumnId"
ENGINE_INFO = "warehouse-fixtures/0.1.0"

Action = dict[str, Any]


def commit_path(table: Path, version: int) -> Path:
    """Return the path of one JSON commit file."""
    return table / LOG_DIR / f"{version:020d}.json"


def read_commit(table: Path, version: int) -> list[Action]:
    """Return the actions of one commit, in file order."""
    text = commit_path(table, version).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def commit_info(actions: Sequence[Action]) -> Action:
    """Return the commitInfo action of a commit."""
    for action in actions:
        if "commitInfo" in action:
            info: Action = action["commitInfo"]
            return info
    raise ValueError("commit has no commitInfo action")


def metadata_action(actions: Sequence[Action]) -> Action | None:
    """Return the metaData action of a commit, if it has one."""
    for action in actions:
        if "metaData" in action:
            meta: Action = action["metaData"]
            return meta
    return None


def latest_metadata(table: Path, version: int) -> Action:
    """Return the metaData in force at a version by replaying the JSON commits up to it."""
    if (table / LOG_DIR / "_last_checkpoint").exists():
        raise RuntimeError(f"{table} has a checkpoint; replaying JSON commits is not enough")
    found: Action | None = None
    for v in range(version + 1):
        meta = metadata_action(read_commit(table, v))
        if meta is not None:
            found = meta
    if found is None:
        raise ValueError(f"{table} has no metaData up to version {version}")
    return found


def _type_name(delta_type: str | Mapping[str, Any]) -> str:
    return delta_type if isinstance(delta_type, str) else str(delta_type["type"])


def delta_fields(schema_string: str) -> tuple[FieldRecord, ...]:
    """Flatten a Delta schemaString into fields with dotted paths, parents before children."""
    out: list[FieldRecord] = []

    def visit(
        name: str, delta_type: Any, nullable: bool, meta: Mapping[str, Any], prefix: str
    ) -> None:
        path = f"{prefix}{name}"
        raw_id = meta.get(MAPPING_ID)
        out.append(
            FieldRecord(
                None if raw_id is None else int(raw_id), path, _type_name(delta_type), nullable
            )
        )
        if isinstance(delta_type, Mapping):
            kind = delta_type["type"]
            if kind == "struct":
                for f in delta_type["fields"]:
                    visit(f["name"], f["type"], f["nullable"], f.get("metadata", {}), f"{path}.")
            elif kind == "array":
                visit(
                    "element", delta_type["elementType"], delta_type["containsNull"], {}, f"{path}."
                )
            elif kind == "map":
                visit("key", delta_type["keyType"], False, {}, f"{path}.")
                visit(
                    "value",
                    delta_type["valueType"],
                    delta_type["valueContainsNull"],
                    {},
                    f"{path}.",
                )

    for f in json.loads(schema_string)["fields"]:
        visit(f["name"], f["type"], f["nullable"], f.get("metadata", {}), "")
    return tuple(out)


def write_commit(table: Path, version: int, actions: Sequence[Mapping[str, Any]]) -> None:
    """Write a commit file atomically, failing if that version already exists."""
    target = commit_path(table, version)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(
        "".join(json.dumps(a, separators=(",", ":")) + "\n" for a in actions), encoding="utf-8"
    )
    try:
        os.link(tmp, target)  # put-if-absent, like delta-rs' rename_noreplace
    finally:
        tmp.unlink()


def _commit_info(
    timestamp_ms: int, operation: str, parameters: Mapping[str, Any], read_version: int
) -> Action:
    return {
        "commitInfo": {
            "timestamp": timestamp_ms,
            "operation": operation,
            "operationParameters": dict(parameters),
            "readVersion": read_version,
            "isolationLevel": "Serializable",
            "isBlindAppend": False,
            "engineInfo": ENGINE_INFO,
            "clientVersion": ENGINE_INFO,
        }
    }


def _require_column_mapping(meta: Mapping[str, Any]) -> None:
    mode = meta.get("configuration", {}).get(MAPPING_MODE, "none")
    if mode not in ("name", "id"):
        raise ValueError(f"column mapping is required for this change (mode is {mode!r})")


def rename_column_actions(
    meta: Mapping[str, Any], old: str, new: str, read_version: int, timestamp_ms: int
) -> list[Action]:
    """Build a RENAME COLUMN commit: commitInfo plus the previous metaData with one name changed."""
    _require_column_mapping(meta)
    schema = json.loads(meta["schemaString"])
    names = [f["name"] for f in schema["fields"]]
    if old not in names:
        raise KeyError(f"no top-level column {old!r}")
    if new in names:
        raise ValueError(f"column {new!r} already exists")
    for f in schema["fields"]:
        if f["name"] == old:
            f["name"] = new
    new_meta = copy.deepcopy(dict(meta))
    new_meta["schemaString"] = json.dumps(schema, separators=(",", ":"))
    params = {"oldColumnPath": old, "newColumnPath": new}
    return [
        _commit_info(timestamp_ms, "RENAME COLUMN", params, read_version),
        {"metaData": new_meta},
    ]


def add_column_actions(
    meta: Mapping[str, Any],
    name: str,
    delta_type: str,
    read_version: int,
    timestamp_ms: int,
) -> list[Action]:
    """Build an ADD COLUMNS commit for a column-mapped table (new id and physical name)."""
    _require_column_mapping(meta)
    schema = json.loads(meta["schemaString"])
    if any(f["name"] == name for f in schema["fields"]):
        raise ValueError(f"column {name!r} already exists")
    configuration = dict(meta.get("configuration", {}))
    new_id = int(configuration[MAPPING_MAX_ID]) + 1
    column = {
        "name": name,
        "type": delta_type,
        "nullable": True,
        "metadata": {MAPPING_ID: new_id, MAPPING_PHYSICAL: f"col-{uuid.uuid4()}"},
    }
    schema["fields"].append(column)
    configuration[MAPPING_MAX_ID] = str(new_id)
    new_meta = copy.deepcopy(dict(meta))
    new_meta["schemaString"] = json.dumps(schema, separators=(",", ":"))
    new_meta["configuration"] = configuration
    params = {"columns": json.dumps([{"column": column}], separators=(",", ":"))}
    return [
        _commit_info(timestamp_ms, "ADD COLUMNS", params, read_version),
        {"metaData": new_meta},
    ]
