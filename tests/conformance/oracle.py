"""Independent oracle for the conformance suite.

Everything here is computed from the raw table files only: plain ``json`` over Iceberg
``metadata/*.metadata.json``, JSON lines over Delta ``_delta_log/<version>.json`` commit
files and ``pyarrow.parquet`` over Delta checkpoints. Nothing is imported from the
product (``temporal_lineage``); the product is driven only through its command line.

Conventions shared with the tests:

* times are integer milliseconds since the Unix epoch (UTC);
* a schema is a tuple of :class:`Field` flattened depth-first (pre-order), with list
  elements named ``element`` and map keys/values named ``key``/``value``;
* a change is a :data:`ChangeRow` ``(kind, field_id, path, old_path, old_type, new_type)``
  with types normalised by :func:`norm_type`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

CORPUS_ROOT: Path = Path(__file__).resolve().parents[2].parent / "shared" / "realworld"
ICEBERG_SOURCE = "rw_iceberg"
DELTA_SOURCE = "rw_delta"

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ISO_MS_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
FAR_FUTURE_MS = 86_400_000 * 365  # added to the newest time for "as of the far future"

Json = Any
ChangeRow = tuple[str, int | None, str, str | None, str | None, str | None]
FieldRow = tuple[int | None, str, str, str, bool]


# --------------------------------------------------------------------------- time


def ms_to_iso(ms: int) -> str:
    """Epoch milliseconds -> ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    moment = EPOCH + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def iso_to_ms(text: str) -> int:
    """ISO-8601 instant (must carry a zone) -> epoch milliseconds (floored)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"time without a zone: {text!r}")
    return (moment - EPOCH) // timedelta(milliseconds=1)


# --------------------------------------------------------------------------- discovery


def iceberg_root(corpus: Path) -> Path:
    return corpus / "iceberg"


def delta_root(corpus: Path) -> Path:
    return corpus / "delta"


def is_iceberg_table(folder: Path) -> bool:
    meta = folder / "metadata"
    return meta.is_dir() and any(meta.glob("*.metadata.json"))


def iceberg_table_names(corpus: Path) -> list[str]:
    root = iceberg_root(corpus)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and is_iceberg_table(p))


def iceberg_non_table_names(corpus: Path) -> list[str]:
    root = iceberg_root(corpus)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not is_iceberg_table(p))


def delta_table_names(corpus: Path) -> list[str]:
    root = delta_root(corpus)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "_delta_log").is_dir())


# --------------------------------------------------------------------------- schemas


def norm_type(type_name: str) -> str:
    """Type strings compared without whitespace: ``decimal(16, 2)`` == ``decimal(16,2)``."""
    return re.sub(r"\s+", "", type_name)


@dataclass(frozen=True)
class Field:
    id: int | None
    name: str
    path: str
    type: str
    nullable: bool
    doc: str | None
    physical_name: str | None
    parent: int | None  # index of the parent in the flattened tuple, None at top level
    position: int  # index among its siblings

    def row(self) -> FieldRow:
        return (self.id, self.name, self.path, norm_type(self.type), self.nullable)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def flatten_iceberg_schema(schema: Json) -> tuple[Field, ...]:
    """Iceberg schema JSON -> fields, depth-first pre-order."""
    out: list[Field] = []

    def add(
        fid: int,
        name: str,
        prefix: str,
        typ: Json,
        nullable: bool,
        doc: str | None,
        parent: int | None,
        position: int,
    ) -> None:
        path = _join(prefix, name)
        index = len(out)
        type_name = typ if isinstance(typ, str) else str(typ["type"])
        out.append(Field(fid, name, path, type_name, nullable, doc, None, parent, position))
        if isinstance(typ, dict):
            children(typ, path, index)

    def children(typ: Json, path: str, index: int | None) -> None:
        kind = typ["type"]
        if kind == "struct":
            for pos, f in enumerate(typ["fields"]):
                add(
                    f["id"],
                    f["name"],
                    path,
                    f["type"],
                    not f.get("required", False),
                    f.get("doc"),
                    index,
                    pos,
                )
        elif kind == "list":
            add(
                typ["element-id"],
                "element",
                path,
                typ["element"],
                not typ.get("element-required", False),
                None,
                index,
                0,
            )
        elif kind == "map":
            add(typ["key-id"], "key", path, typ["key"], False, None, index, 0)
            add(
                typ["value-id"],
                "value",
                path,
                typ["value"],
                not typ.get("value-required", False),
                None,
                index,
                1,
            )
        else:
            raise ValueError(f"unknown nested Iceberg type {kind!r}")

    children(schema, "", None)
    return tuple(out)


def flatten_delta_schema(schema: Json) -> tuple[Field, ...]:
    """Delta ``schemaString`` JSON -> fields, depth-first pre-order."""
    out: list[Field] = []

    def add(
        name: str,
        prefix: str,
        typ: Json,
        nullable: bool,
        metadata: Json,
        parent: int | None,
        position: int,
    ) -> None:
        path = _join(prefix, name)
        index = len(out)
        type_name = typ if isinstance(typ, str) else str(typ["type"])
        cm_id = metadata.get("delta.columnMapping.id")
        out.append(
            Field(
                None if cm_id is None else int(cm_id),
                name,
                path,
                type_name,
                nullable,
                metadata.get("comment"),
                metadata.get("delta.columnMapping.physicalName"),
                parent,
                position,
            )
        )
        if isinstance(typ, dict):
            children(typ, path, index)

    def children(typ: Json, path: str, index: int | None) -> None:
        kind = typ["type"]
        if kind == "struct":
            for pos, f in enumerate(typ["fields"]):
                add(
                    f["name"],
                    path,
                    f["type"],
                    bool(f.get("nullable", True)),
                    f.get("metadata") or {},
                    index,
                    pos,
                )
        elif kind == "array":
            add(
                "element",
                path,
                typ["elementType"],
                bool(typ.get("containsNull", True)),
                {},
                index,
                0,
            )
        elif kind == "map":
            add("key", path, typ["keyType"], False, {}, index, 0)
            add(
                "value",
                path,
                typ["valueType"],
                bool(typ.get("valueContainsNull", True)),
                {},
                index,
                1,
            )
        else:
            raise ValueError(f"unknown nested Delta type {kind!r}")

    children(schema, "", None)
    return tuple(out)


def _identity_keys(fields: Sequence[Field], by_id: bool) -> list[tuple[Any, ...]]:
    """Field identity: ``("id", n)`` when ids are compared, else (parent identity, name)."""
    keys: list[tuple[Any, ...]] = []
    for f in fields:  # pre-order: a parent's key is always computed before its children
        if by_id and f.id is not None:
            keys.append(("id", f.id))
        else:
            parent_key = keys[f.parent] if f.parent is not None else None
            keys.append(("name", parent_key, f.name))
    return keys


def diff_schemas(old: Sequence[Field], new: Sequence[Field]) -> list[ChangeRow]:
    """Changes from ``old`` to ``new`` by field identity (ids when both schemas have ids)."""
    by_id = any(f.id is not None for f in old) and any(f.id is not None for f in new)
    old_keys = _identity_keys(old, by_id)
    new_keys = _identity_keys(new, by_id)
    old_at = dict(zip(old_keys, range(len(old)), strict=True))
    new_at = dict(zip(new_keys, range(len(new)), strict=True))

    def parent_key(keys: list[tuple[Any, ...]], f: Field) -> tuple[Any, ...] | None:
        return keys[f.parent] if f.parent is not None else None

    def sibling_rank(
        fields: Sequence[Field],
        keys: list[tuple[Any, ...]],
        other: dict[tuple[Any, ...], int],
        other_fields: Sequence[Field],
        other_keys: list[tuple[Any, ...]],
    ) -> dict[tuple[Any, ...], int]:
        """Rank of each field among siblings that exist under the same parent in both."""
        groups: dict[tuple[Any, ...] | None, list[tuple[Any, ...]]] = {}
        for f, k in zip(fields, keys, strict=True):
            j = other.get(k)
            if j is None:
                continue
            pk = parent_key(keys, f)
            if parent_key(other_keys, other_fields[j]) != pk:
                continue
            groups.setdefault(pk, []).append(k)
        return {k: rank for members in groups.values() for rank, k in enumerate(members)}

    old_rank = sibling_rank(old, old_keys, new_at, new, new_keys)
    new_rank = sibling_rank(new, new_keys, old_at, old, old_keys)

    changes: list[ChangeRow] = []
    for f, k in zip(new, new_keys, strict=True):
        i = old_at.get(k)
        if i is None:
            pk = parent_key(new_keys, f)
            if pk is None or pk in old_at:  # only the top-most field of an added subtree
                changes.append(("added", f.id, f.path, None, None, norm_type(f.type)))
            continue
        o = old[i]
        ot, nt = norm_type(o.type), norm_type(f.type)
        if o.name != f.name:
            changes.append(("renamed", f.id, f.path, o.path, ot, nt))
        if ot != nt:
            changes.append(("type_changed", f.id, f.path, o.path, ot, nt))
        if o.nullable != f.nullable:
            changes.append(("nullability_changed", f.id, f.path, o.path, ot, nt))
        if o.doc != f.doc:
            changes.append(("doc_changed", f.id, f.path, o.path, ot, nt))
        if parent_key(old_keys, o) != parent_key(new_keys, f) or old_rank.get(k) != new_rank.get(k):
            changes.append(("moved", f.id, f.path, o.path, ot, nt))
    for o, k in zip(old, old_keys, strict=True):
        if k in new_at:
            continue
        pk = parent_key(old_keys, o)
        if pk is None or pk in new_at:  # only the top-most field of a dropped subtree
            changes.append(("dropped", o.id, o.path, o.path, norm_type(o.type), None))
    return changes


def sort_changes(changes: Iterable[ChangeRow]) -> tuple[ChangeRow, ...]:
    return tuple(sorted(changes, key=lambda c: tuple("" if v is None else str(v) for v in c)))


# --------------------------------------------------------------------------- expectations


@dataclass(frozen=True)
class SnapshotExpectation:
    snapshot: int
    parent: int | None
    committed_at_ms: int
    operation: str | None
    schema_id: int | None  # Iceberg: the snapshot's schema-id; Delta: None (product's number)
    schema_index: int | None  # Delta: index into TableExpectation.schemas in effect


@dataclass(frozen=True)
class SchemaExpectation:
    schema_id: int | None  # Iceberg schema-id; None for Delta (numbered by the product)
    fields: tuple[Field, ...]
    changes: tuple[ChangeRow, ...]
    effective_lo_ms: int | None  # inclusive bounds of effective_at; lo == hi means exact
    effective_hi_ms: int | None
    introduced_at: int | None  # Delta: version that introduced it; Iceberg: None
    column_mapping: bool

    @property
    def effective_exact_ms(self) -> int | None:
        if self.effective_lo_ms is not None and self.effective_lo_ms == self.effective_hi_ms:
            return self.effective_lo_ms
        return None


@dataclass(frozen=True)
class Head:
    """Answer of an as-of question: ``known`` False means the oracle cannot decide."""

    known: bool
    value: int | None


@dataclass(frozen=True)
class TableExpectation:
    name: str
    format: str  # "iceberg" | "delta"
    snapshots: dict[int, SnapshotExpectation]
    current_snapshot: int | None
    schemas: tuple[SchemaExpectation, ...]  # schema history, in time order
    current_schema_index: int
    log: tuple[tuple[int, int], ...]  # (time ms, snapshot): Iceberg snapshot-log / Delta commits

    @property
    def reference(self) -> str:
        source = ICEBERG_SOURCE if self.format == "iceberg" else DELTA_SOURCE
        return f"{source}.{self.name}"

    @property
    def current_schema(self) -> SchemaExpectation:
        return self.schemas[self.current_schema_index]

    def head(self, at_ms: int) -> Head:
        """The snapshot current at ``at_ms`` (inclusive)."""
        if self.format == "iceberg":
            answer: int | None = None
            for ts, snap in self.log:  # latest entry in log order whose time <= at_ms
                if ts <= at_ms:
                    answer = snap
            return Head(True, answer)
        # Delta: decidable only when the commits at or before at_ms are exactly a prefix of
        # the versions and the newest version of that prefix also has the newest time, so
        # "latest version with time <= A", "version with the latest time <= A" and a binary
        # search all agree (matters for non-monotonic in-commit timestamps).
        included = [i for i, (ts, _) in enumerate(self.log) if ts <= at_ms]
        if not included:
            return Head(True, None)
        if included != list(range(len(included))):
            return Head(False, None)
        last_ts, last_version = self.log[included[-1]]
        if any(self.log[i][0] > last_ts for i in included):
            return Head(False, None)
        return Head(True, last_version)

    def schema_at(self, at_ms: int) -> Head:
        """Index into ``schemas`` of the schema in effect at ``at_ms`` when decidable."""
        if self.format == "delta":
            head = self.head(at_ms)
            if not head.known or head.value is None:
                return Head(False, None)
            return Head(True, self.snapshots[head.value].schema_index)
        for k, schema in enumerate(self.schemas):
            hi = schema.effective_hi_ms
            if hi is None or hi > at_ms:
                continue
            if k + 1 == len(self.schemas):
                return Head(True, k)
            nxt = self.schemas[k + 1].effective_lo_ms
            if nxt is not None and nxt > at_ms:
                return Head(True, k)
        return Head(False, None)

    def head_probes(self) -> list[tuple[int, int | None]]:
        """(as-of time, expected head) pairs the oracle can decide, small but pointed."""
        if not self.log:
            return []
        times = [ts for ts, _ in self.log]
        if self.format == "iceberg":
            chosen = list(range(len(self.log)))
        else:
            n = len(self.log)
            changes = {
                i
                for i, (_, v) in enumerate(self.log)
                if any(s.introduced_at == v for s in self.schemas)
            }
            chosen = sorted({0, 1, n // 2, n - 2, n - 1, *changes} & set(range(n)))
        candidates = {min(times) - 1, max(times) + FAR_FUTURE_MS}
        for i in chosen:
            candidates |= {times[i], times[i] - 1}
        probes: list[tuple[int, int | None]] = []
        for at in sorted(candidates):
            head = self.head(at)
            if head.known:
                probes.append((at, head.value))
        return probes

    def schema_probes(self) -> list[tuple[int, int]]:
        """(as-of time, expected schema index) pairs the oracle can decide."""
        candidates: set[int] = set()
        for s in self.schemas:
            for bound in (s.effective_lo_ms, s.effective_hi_ms):
                if bound is not None:
                    candidates |= {bound, bound - 1}
        if self.log:
            candidates.add(max(ts for ts, _ in self.log) + FAR_FUTURE_MS)
        probes: list[tuple[int, int]] = []
        for at in sorted(candidates):
            answer = self.schema_at(at)
            if answer.known and answer.value is not None:
                probes.append((at, answer.value))
        return probes


# --------------------------------------------------------------------------- Iceberg


_META_NAME = re.compile(r"^(?:v(\d+)(?:\.(\d+))?|(\d+)-[^.]+)\.metadata\.json$")


def _metadata_order(path: Path) -> tuple[int, int]:
    m = _META_NAME.match(path.name)
    if m is None:
        return (-1, -1)
    if m.group(3) is not None:
        return (int(m.group(3)), 0)
    return (int(m.group(1)), int(m.group(2) or 0))


def load_json(path: Path) -> Json:
    with path.open("rb") as fh:
        return json.load(fh)


def iceberg_latest_metadata(table_dir: Path) -> Path:
    """The version-hint's ``v<N>.metadata.json`` when present, else the highest number."""
    meta = table_dir / "metadata"
    for hint_name in ("version-hint.text", "version-hint.txt"):
        hint = meta / hint_name
        if hint.is_file():
            text = hint.read_text().strip()
            if text.isdigit() and (meta / f"v{text}.metadata.json").is_file():
                return meta / f"v{text}.metadata.json"
    files = sorted(meta.glob("*.metadata.json"), key=_metadata_order)
    if not files:
        raise FileNotFoundError(f"no *.metadata.json under {meta}")
    return files[-1]


def iceberg_schemas(metadata: Json) -> list[Json]:
    if metadata.get("schemas"):
        return list(metadata["schemas"])
    return [metadata["schema"]]


def iceberg_current_schema_id(metadata: Json) -> int:
    if metadata.get("current-schema-id") is not None:
        return int(metadata["current-schema-id"])
    return int(metadata["schema"].get("schema-id", 0))


def _schema_id(schema: Json) -> int:
    return int(schema.get("schema-id", 0))


def iceberg_snapshots(metadata: Json) -> dict[int, SnapshotExpectation]:
    out: dict[int, SnapshotExpectation] = {}
    for s in metadata.get("snapshots") or []:
        sid = int(s["snapshot-id"])
        parent = s.get("parent-snapshot-id")
        schema_id = s.get("schema-id")
        out[sid] = SnapshotExpectation(
            snapshot=sid,
            parent=None if parent is None else int(parent),
            committed_at_ms=int(s["timestamp-ms"]),
            operation=(s.get("summary") or {}).get("operation"),
            schema_id=None if schema_id is None else int(schema_id),
            schema_index=None,
        )
    return out


def iceberg_metadata_chain(table_dir: Path, latest: Path) -> list[tuple[str, Json | None]]:
    """The latest file's metadata-log mapped to local files by name, then the latest itself.

    Each entry is (file name, parsed metadata or None when the file is not present here).
    """
    meta_dir = table_dir / "metadata"
    latest_json = load_json(latest)
    chain: list[tuple[str, Json | None]] = []
    for entry in latest_json.get("metadata-log") or []:
        name = str(entry["metadata-file"]).rstrip("/").rsplit("/", 1)[-1]
        local = meta_dir / name
        chain.append((name, load_json(local) if local.is_file() else None))
    chain.append((latest.name, latest_json))
    return chain


def iceberg_effective_bounds(
    chain: list[tuple[str, Json | None]],
    schema_id: int,
    snapshots: Iterable[SnapshotExpectation],
) -> tuple[int | None, int | None]:
    """Inclusive (lo, hi) bounds of when ``schema_id`` first became current.

    Exact (lo == hi) when the first local chain file that has it current is the table's
    creation file, or directly follows a local file with another current schema.
    Otherwise hi is bounded by that file and by the earliest snapshot written with that
    schema-id, and lo by the last earlier local file that had another schema current.
    """
    infos = [
        None if m is None else (int(m["last-updated-ms"]), iceberg_current_schema_id(m))
        for _, m in chain
    ]
    first = next(
        (i for i, inf in enumerate(infos) if inf is not None and inf[1] == schema_id), None
    )
    lo: int | None = None
    hi: int | None = None
    if first is not None:
        info = infos[first]
        assert info is not None
        hi = info[0]
        first_meta = chain[0][1]
        is_creation = first == 0 and first_meta is not None and not first_meta.get("metadata-log")
        prev = infos[first - 1] if first > 0 else None
        if is_creation or (prev is not None and prev[1] != schema_id):
            lo = hi
        else:
            earlier = [inf[0] for inf in infos[:first] if inf is not None]
            if earlier:
                lo = max(earlier) + 1
    written = [s.committed_at_ms for s in snapshots if s.schema_id == schema_id]
    if written and (hi is None or min(written) < hi):
        if lo is not None and lo == hi:
            raise AssertionError(
                f"oracle: schema {schema_id} exact effective time {hi} is after a snapshot"
                f" written with it at {min(written)}"
            )
        hi = min(written)
    return lo, hi


def iceberg_expectation(table_dir: Path) -> TableExpectation:
    latest = iceberg_latest_metadata(table_dir)
    metadata = load_json(latest)
    snapshots = iceberg_snapshots(metadata)
    chain = iceberg_metadata_chain(table_dir, latest)
    raw_schemas = sorted(iceberg_schemas(metadata), key=_schema_id)
    schemas: list[SchemaExpectation] = []
    previous: tuple[Field, ...] | None = None
    for raw in raw_schemas:
        sid = _schema_id(raw)
        fields = flatten_iceberg_schema(raw)
        changes = () if previous is None else sort_changes(diff_schemas(previous, fields))
        lo, hi = iceberg_effective_bounds(chain, sid, snapshots.values())
        schemas.append(SchemaExpectation(sid, fields, changes, lo, hi, None, False))
        previous = fields
    current_sid = iceberg_current_schema_id(metadata)
    current_index = next(i for i, s in enumerate(schemas) if s.schema_id == current_sid)
    current = metadata.get("current-snapshot-id")
    log = tuple(
        (int(e["timestamp-ms"]), int(e["snapshot-id"])) for e in metadata.get("snapshot-log") or []
    )
    return TableExpectation(
        name=table_dir.name,
        format="iceberg",
        snapshots=snapshots,
        current_snapshot=None if current is None or int(current) == -1 else int(current),
        schemas=tuple(schemas),
        current_schema_index=current_index,
        log=log,
    )


# --------------------------------------------------------------------------- Delta


_COMMIT = re.compile(r"^(\d{20})\.json$")
_CHECKPOINT = re.compile(r"^(\d{20})\.checkpoint(?:\.(.+))?\.(parquet|json)$")
_MULTIPART = re.compile(r"^\d{10}\.\d{10}$")


def delta_commit_files(table_dir: Path) -> dict[int, Path]:
    out: dict[int, Path] = {}
    for p in (table_dir / "_delta_log").iterdir():
        m = _COMMIT.match(p.name)
        if m and p.is_file():
            out[int(m.group(1))] = p
    return dict(sorted(out.items()))


def delta_checkpoints(table_dir: Path) -> dict[int, list[Path]]:
    """Checkpoint files per version: one classic file, all parts, or one v2 (UUID) file."""
    found: dict[int, dict[str, list[Path]]] = {}
    for p in (table_dir / "_delta_log").iterdir():
        m = _CHECKPOINT.match(p.name)
        if not m or not p.is_file():
            continue
        middle = m.group(2)
        kind = "classic" if middle is None else "parts" if _MULTIPART.match(middle) else "v2"
        found.setdefault(int(m.group(1)), {}).setdefault(kind, []).append(p)
    out: dict[int, list[Path]] = {}
    for version, kinds in sorted(found.items()):
        for kind in ("v2", "classic", "parts"):
            if kind in kinds:
                out[version] = sorted(kinds[kind])
                break
    return out


def delta_last_checkpoint_version(table_dir: Path) -> int | None:
    p = table_dir / "_delta_log" / "_last_checkpoint"
    if not p.is_file():
        return None
    return int(load_json(p)["version"])


def read_actions(path: Path) -> list[Json]:
    with path.open("rb") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _first(actions: Iterable[Json], key: str) -> Json | None:
    return next((a[key] for a in actions if key in a), None)


def read_checkpoint_metadata(files: Sequence[Path]) -> Json:
    """The ``metaData`` action of a checkpoint (JSON-lines v2 file or parquet parts)."""
    for f in files:
        if f.suffix == ".json":
            md = _first(read_actions(f), "metaData")
        else:
            import pyarrow.parquet as pq

            rows = pq.read_table(f, columns=["metaData"]).column("metaData").to_pylist()
            md = next((r for r in rows if r is not None), None)
            if md is not None and isinstance(md.get("configuration"), list):
                md = {**md, "configuration": dict(md["configuration"])}  # parquet map -> dict
        if md is not None:
            return md
    raise AssertionError(f"no metaData action in checkpoint {[str(f) for f in files]}")


def delta_column_mapping(metadata: Json) -> bool:
    mode = (metadata.get("configuration") or {}).get("delta.columnMapping.mode", "none")
    return mode in ("name", "id")


def delta_signature(fields: Sequence[Field]) -> tuple[tuple[Any, ...], ...]:
    """What makes a new Delta schema version (other field metadata is ignored)."""
    return tuple(
        (f.path, norm_type(f.type), f.nullable, f.doc, f.id, f.physical_name) for f in fields
    )


def delta_commit_time(commit_info: Json) -> int:
    ict = commit_info.get("inCommitTimestamp")
    return int(ict if ict is not None else commit_info["timestamp"])


def delta_expectation(table_dir: Path) -> TableExpectation:
    commits = delta_commit_files(table_dir)
    if not commits:
        raise AssertionError(f"oracle: no commit files in {table_dir}")
    versions = sorted(commits)
    latest = versions[-1]
    base: Json | None = None
    start = 0
    if versions != list(range(latest + 1)):
        # Log cleaned up: start from the earliest checkpoint after which commits are complete.
        usable = [
            v
            for v in delta_checkpoints(table_dir)
            if v >= versions[0] - 1 and all(u in commits for u in range(v + 1, latest + 1))
        ]
        if not usable:
            raise AssertionError(f"oracle: incomplete log and no usable checkpoint: {table_dir}")
        start = min(usable)
        base = read_checkpoint_metadata(delta_checkpoints(table_dir)[start])

    schemas: list[SchemaExpectation] = []
    snapshots: dict[int, SnapshotExpectation] = {}
    log: list[tuple[int, int]] = []
    signature: tuple[tuple[Any, ...], ...] | None = None
    for version in range(start, latest + 1):
        actions = read_actions(commits[version]) if version in commits else []
        metadata = base if version == start and base is not None else _first(actions, "metaData")
        commit_info = _first(actions, "commitInfo")
        committed = None if commit_info is None else delta_commit_time(commit_info)
        if metadata is not None:
            fields = flatten_delta_schema(json.loads(metadata["schemaString"]))
            new_signature = delta_signature(fields)
            if new_signature != signature:
                changes = (
                    () if not schemas else sort_changes(diff_schemas(schemas[-1].fields, fields))
                )
                # A schema read from a checkpoint may be older than the checkpoint: it is
                # only bounded above by the first retained commit.
                from_checkpoint = version == start and base is not None
                schemas.append(
                    SchemaExpectation(
                        None,
                        fields,
                        changes,
                        None if from_checkpoint else committed,
                        committed,
                        version,
                        delta_column_mapping(metadata),
                    )
                )
                signature = new_signature
        if version not in commits:
            continue
        if commit_info is None or committed is None:
            raise AssertionError(f"oracle: commit {version} of {table_dir} has no commitInfo")
        if not schemas:
            raise AssertionError(f"oracle: no schema known at version {version} of {table_dir}")
        snapshots[version] = SnapshotExpectation(
            snapshot=version,
            parent=None if version == 0 else version - 1,
            committed_at_ms=committed,
            operation=commit_info.get("operation"),
            schema_id=None,
            schema_index=len(schemas) - 1,
        )
        log.append((committed, version))
    return TableExpectation(
        name=table_dir.name,
        format="delta",
        snapshots=snapshots,
        current_snapshot=latest,
        schemas=tuple(schemas),
        current_schema_index=len(schemas) - 1,
        log=tuple(log),
    )


def expectation(table_dir: Path, table_format: str) -> TableExpectation:
    if table_format == "iceberg":
        return iceberg_expectation(table_dir)
    if table_format == "delta":
        return delta_expectation(table_dir)
    raise ValueError(table_format)


# --------------------------------------------------------------------------- summary


def describe(exp: TableExpectation) -> str:
    """One human-readable block per table, used by the oracle self-check printout."""
    lines = [
        f"{exp.format:7} {exp.name}: {len(exp.snapshots)} snapshots, {len(exp.log)} log entries,"
        f" current={exp.current_snapshot}, {len(exp.schemas)} schema versions"
    ]
    for s in exp.schemas:
        ident = f"id={s.schema_id}" if s.schema_id is not None else f"@v{s.introduced_at}"
        eff = (
            f"exact {ms_to_iso(s.effective_exact_ms)}"
            if s.effective_exact_ms is not None
            else f"in [{s.effective_lo_ms}, {s.effective_hi_ms}]"
        )
        cm = " cm" if s.column_mapping else ""
        lines.append(f"    schema {ident}{cm} ({len(s.fields)} fields) effective {eff}")
        for c in s.changes:
            lines.append(f"        {c}")
    return "\n".join(lines)
