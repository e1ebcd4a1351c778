"""Iceberg rows at one snapshot, for reproduction: read through pyiceberg's ``StaticTable``.

With ``sources/iceberg.py`` the only module importing pyiceberg. A scan pinned to a
snapshot reads with the schema that snapshot was written with (old column names included).
Every failure to read becomes ``DataUnavailable`` with one line naming the table, the
snapshot and the cause.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pyarrow as pa

from temporal_lineage.errors import DataUnavailable, one_line
from temporal_lineage.predicate import (
    And,
    ColumnType,
    Comparison,
    Date,
    InList,
    IsNull,
    Kind,
    Not,
    Op,
    Predicate,
    Timestamp,
    Value,
    check_columns,
    check_types,
    columns,
)

_QUOTED = re.compile(r"'([^']+)'")


def snapshot_label(table: str, snapshot_id: int) -> str:
    """How errors name a pinned Iceberg snapshot.

    >>> snapshot_label("lake.raw.events", 42)
    'lake.raw.events snapshot 42'
    """
    return f"{table} snapshot {snapshot_id}"


@contextmanager
def map_exceptions(table: str, snapshot_id: int) -> Iterator[None]:
    """Turn pyiceberg's, pyarrow's and the file system's errors into ``DataUnavailable``."""
    from pyiceberg.exceptions import ValidationError

    label = snapshot_label(table, snapshot_id)
    try:
        yield
    except FileNotFoundError as exc:
        raise DataUnavailable(f"{label}: {vanished(exc)}") from exc
    except (OSError, ValueError, NotImplementedError, pa.ArrowException, ValidationError) as exc:
        raise DataUnavailable(f"{label}: cannot read: {one_line(exc)}") from exc


def vanished(exc: FileNotFoundError) -> str:
    """Which kind of file is gone, and its path.

    >>> vanished(FileNotFoundError(2, "Failed to open local file '/w/t/data/0-a.parquet'."))
    'data file vanished: /w/t/data/0-a.parquet'
    >>> vanished(FileNotFoundError(2, "Failed to open local file '/w/t/metadata/snap-1-0.avro'"))
    'manifest list vanished: /w/t/metadata/snap-1-0.avro'
    """
    path = exc.filename
    if not isinstance(path, str):
        match = _QUOTED.search(str(exc))
        path = match.group(1) if match else None
    if path is None:
        return f"file vanished: {one_line(exc)}"
    name = posixpath.basename(path)
    if name.endswith(".metadata.json") or name.startswith("version-hint"):
        kind = "metadata file"
    elif name.endswith(".avro"):
        kind = "manifest list" if name.startswith("snap-") else "manifest file"
    else:
        kind = "data file"
    return f"{kind} vanished: {path}"


def _shown(path: str) -> str:
    """A file path as errors show it: local files without ``file://``."""
    return path.removeprefix("file://")


def _scan(
    table: str,
    location: str,
    snapshot_id: int,
    properties: Mapping[str, str],
    row_filter: Any = None,
    selected_fields: tuple[str, ...] = ("*",),
) -> Any:
    """The pyiceberg scan of one snapshot; ``DataUnavailable`` when it has expired.

    A ``row_filter`` (a pyiceberg expression) is bound to the schema the snapshot was
    written with: pyiceberg binds filters to the table's current schema, where a column may
    have been renamed, dropped or re-added since.
    """
    from pyiceberg.table import DataScan, StaticTable

    static = StaticTable.from_metadata(location, properties=dict(properties))
    snapshot = static.metadata.snapshot_by_id(snapshot_id)
    if snapshot is None:
        raise DataUnavailable(
            f"{snapshot_label(table, snapshot_id)}: snapshot expired: no longer in the table "
            f"metadata {location}"
        )
    if row_filter is None:
        return static.scan(snapshot_id=snapshot_id, selected_fields=selected_fields)
    metadata = static.metadata
    if snapshot.schema_id is not None:
        metadata = metadata.model_copy(update={"current_schema_id": snapshot.schema_id})
    return DataScan(
        metadata,
        static.io,
        row_filter=row_filter,
        selected_fields=selected_fields,
        snapshot_id=snapshot_id,
    )


def read_snapshot(
    table: str, location: str, snapshot_id: int, properties: Mapping[str, str] | None = None
) -> pa.Table:
    """Every row of ``snapshot_id``, read with the schema that snapshot was written with.

    Args:
        table: the table reference, to name it in errors.
        location: the table's current metadata file (path, ``file://`` or object-store URI).
        snapshot_id: the pinned snapshot.
        properties: FileIO properties (credentials, endpoints) for object storage.

    Raises:
        DataUnavailable: the snapshot expired, or a metadata, manifest or data file is gone.
    """
    with map_exceptions(table, snapshot_id):
        result: pa.Table = _scan(table, location, snapshot_id, properties or {}).to_arrow()
    return result


def snapshot_reader(
    table: str, location: str, snapshot_id: int, properties: Mapping[str, str] | None = None
) -> pa.RecordBatchReader:
    """The rows of ``snapshot_id`` as a stream (memory bounded by a batch); as ``read_snapshot``.

    Errors met while iterating are ``DataUnavailable`` too.
    """
    with map_exceptions(table, snapshot_id):
        inner = _scan(table, location, snapshot_id, properties or {}).to_arrow_batch_reader()

    def batches() -> Iterator[pa.RecordBatch]:
        with map_exceptions(table, snapshot_id):
            yield from inner

    return pa.RecordBatchReader.from_batches(inner.schema, batches())


def count_matching(
    table: str,
    location: str,
    snapshot_id: int,
    properties: Mapping[str, str] | None,
    predicate: Predicate,
) -> int:
    """How many rows of ``snapshot_id`` match ``predicate`` (SQL semantics: nulls never match
    a comparison, nor its negation).

    The predicate is pushed into pyiceberg's scan: partition and column-statistics pruning
    skip files, only the predicate's columns are read and filtered row by row. Column names
    are those of the snapshot's own schema.

    Raises:
        ColumnNotFound: the snapshot's schema has no such column.
        BadPredicate: a literal cannot be compared with its column's type.
        DataUnavailable: as ``read_snapshot``.
    """
    label = snapshot_label(table, snapshot_id)
    with map_exceptions(table, snapshot_id):
        scan = _scan(
            table,
            location,
            snapshot_id,
            properties or {},
            _row_filter(predicate),
            columns(predicate),
        )
        schema = scan.table_metadata.schema()
        check_columns(predicate, [f.name for f in schema.fields], label)
        check_types(predicate, {f.name: _column_type(f.field_type) for f in schema.fields}, label)
        return sum(batch.num_rows for batch in scan.to_arrow_batch_reader())


_KINDS = {
    "int": Kind.INTEGER,
    "long": Kind.INTEGER,
    "float": Kind.FLOAT,
    "double": Kind.FLOAT,
    "string": Kind.STRING,
    "boolean": Kind.BOOLEAN,
    "date": Kind.DATE,
    "timestamp": Kind.TIMESTAMP,
    "timestamp_ns": Kind.TIMESTAMP,
    "timestamptz": Kind.TIMESTAMP_TZ,
    "timestamptz_ns": Kind.TIMESTAMP_TZ,
}


def _column_type(kind: Any) -> ColumnType:
    """What an Iceberg type compares with (``uuid``, ``binary``, nested types: nothing)."""
    from pyiceberg.types import DecimalType

    if isinstance(kind, DecimalType):
        return ColumnType(str(kind), Kind.DECIMAL, kind.scale)
    return ColumnType(str(kind), _KINDS.get(str(kind), Kind.OTHER))


def _row_filter(pred: Predicate) -> Any:
    """The pyiceberg expression of a predicate (unbound: names resolve when scanning)."""
    from pyiceberg import expressions

    ex: Any = expressions  # its pydantic constructors confuse mypy: they take positions
    if isinstance(pred, Comparison):
        comparison = {
            Op.EQ: ex.EqualTo,
            Op.NE: ex.NotEqualTo,
            Op.LT: ex.LessThan,
            Op.LE: ex.LessThanOrEqual,
            Op.GT: ex.GreaterThan,
            Op.GE: ex.GreaterThanOrEqual,
        }[pred.op]
        return comparison(pred.column.name, _literal(pred.value))
    if isinstance(pred, InList):
        values = {_literal(v) for v in pred.values}
        if pred.negated:
            return ex.NotIn(pred.column.name, values)
        return ex.In(pred.column.name, values)
    if isinstance(pred, IsNull):
        return ex.NotNull(pred.column.name) if pred.negated else ex.IsNull(pred.column.name)
    if isinstance(pred, Not):
        return ex.Not(_row_filter(pred.part))
    parts = [_row_filter(p) for p in pred.parts]
    if len(parts) == 1:
        return parts[0]
    return (ex.And if isinstance(pred, And) else ex.Or)(*parts)


def _literal(value: Value) -> bool | int | float | str:
    """A literal as pyiceberg takes it (dates and timestamps as ISO text it converts)."""
    if isinstance(value, Date):
        return value.iso
    if isinstance(value, Timestamp):
        return value.normalized
    return value


def unreadable_snapshots(
    location: str,
    snapshot_ids: Iterable[int],
    properties: Mapping[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[int, str | None]:
    """Whether each snapshot can still be read at the source, without reading data: the
    cause (one line) of each unreadable one, None for a readable one.

    A snapshot is readable while the current metadata lists it and its manifest list, its
    manifests and every data and delete file they name exist (file existence checks only;
    files shared between snapshots are checked once). ``progress(n)`` is told of each
    snapshot done. A metadata file that cannot be read makes every snapshot unreadable.
    """
    from pyiceberg.exceptions import ValidationError
    from pyiceberg.table import StaticTable

    wanted = list(snapshot_ids)
    try:
        static = StaticTable.from_metadata(location, properties=dict(properties or {}))
    except FileNotFoundError as exc:
        return dict.fromkeys(wanted, vanished(exc))
    except (OSError, ValueError, pa.ArrowException, ValidationError) as exc:
        return dict.fromkeys(wanted, f"cannot read the metadata: {one_line(exc)}")
    io = static.io
    exists: dict[str, bool] = {}

    def present(path: str) -> bool:
        if path not in exists:
            exists[path] = bool(io.new_input(path).exists())
        return exists[path]

    found: dict[int, str | None] = {}
    for snapshot_id in wanted:
        found[snapshot_id] = _unreadable(static, io, snapshot_id, present, location)
        if progress is not None:
            progress(1)
    return found


def _unreadable(
    static: Any, io: Any, snapshot_id: int, present: Callable[[str], bool], location: str
) -> str | None:
    """The cause, worded as ``read_snapshot`` words it (paths local where they are)."""
    snapshot = static.metadata.snapshot_by_id(snapshot_id)
    if snapshot is None:
        return f"snapshot expired: no longer in the table metadata {location}"
    try:
        if snapshot.manifest_list and not present(snapshot.manifest_list):
            return f"manifest list vanished: {_shown(snapshot.manifest_list)}"
        for manifest in snapshot.manifests(io):
            if not present(manifest.manifest_path):
                return f"manifest file vanished: {_shown(manifest.manifest_path)}"
            for entry in manifest.fetch_manifest_entry(io, discard_deleted=True):
                path = entry.data_file.file_path
                if not present(path):
                    return f"data file vanished: {_shown(path)}"
    except FileNotFoundError as exc:
        return vanished(exc)
    except (OSError, ValueError, pa.ArrowException) as exc:
        return f"cannot read its metadata: {one_line(exc)}"
    return None
