"""Delta rows at one version, for reproduction: read through ``deltalake.QueryBuilder``.

The only module importing deltalake. Always QueryBuilder: ``DeltaTable.to_pyarrow_table()``
silently returns all-null columns for column-mapped tables, QueryBuilder maps physical
names back to logical ones. Every failure to read becomes ``DataUnavailable`` with one line
naming the table, the version and the cause; the transaction log is listed to tell "commit
file removed by log cleanup" from "no such version" and "table gone".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pyarrow as pa

from temporal_lineage.errors import DataUnavailable, SourceUnavailable, one_line
from temporal_lineage.predicate import (
    ColumnType,
    Kind,
    Predicate,
    ansi_quote,
    check_columns,
    check_types,
    to_sql,
)
from temporal_lineage.sources.delta_log import CHECKPOINT_FILE, COMMIT_FILE
from temporal_lineage.sources.storage import local_path, storage_for

_MISSING_OBJECT = re.compile(r"Object at location (\S+) not found")


def version_label(table: str, version: int) -> str:
    """How errors name a pinned Delta version.

    >>> version_label("deltas.users", 3)
    'deltas.users version 3'
    """
    return f"{table} version {version}"


@contextmanager
def map_exceptions(
    table: str, uri: str, version: int, storage_options: Mapping[str, str]
) -> Iterator[None]:
    """Turn deltalake's, pyarrow's and the file system's errors into ``DataUnavailable``."""
    from deltalake.exceptions import DeltaError

    label = version_label(table, version)
    try:
        yield
    except (DeltaError, OSError, ValueError, NotImplementedError, pa.ArrowException) as exc:
        cause = _missing_object(exc) or _diagnose(uri, version, storage_options)
        raise DataUnavailable(f"{label}: {cause or 'cannot read: ' + one_line(exc)}") from exc


def _missing_object(exc: BaseException) -> str | None:
    """``data file vanished: <path>`` when the object store reports a file missing.

    >>> _missing_object(ValueError("Parquet error: Object at location /t/p-0.parquet not found: x"))
    'data file vanished: /t/p-0.parquet'
    """
    match = _MISSING_OBJECT.search(str(exc))
    return f"data file vanished: {match.group(1)}" if match else None


def _diagnose(uri: str, version: int, storage_options: Mapping[str, str]) -> str | None:
    """Why ``version`` cannot be loaded, from a listing of ``_delta_log`` (None: not known)."""
    root = local_path(uri)
    try:
        storage = storage_for(root, storage_options)
        entries = storage.list_dir(storage.join(root, "_delta_log"))
    except (OSError, SourceUnavailable):
        return None
    commits: set[int] = set()
    checkpoints: set[int] = set()
    for entry in entries:
        if match := COMMIT_FILE.match(entry.name):
            commits.add(int(match.group(1)))
        elif match := CHECKPOINT_FILE.match(entry.name):
            checkpoints.add(int(match.group(1)))
    return log_cause(version, commits, checkpoints, uri)


def log_cause(version: int, commits: set[int], checkpoints: set[int], uri: str) -> str | None:
    """The cause a log listing shows for an unreadable version (None when it shows none).

    >>> log_cause(1, {4}, {4}, "/t")
    'commit file removed by log cleanup (oldest readable version: 4)'
    >>> log_cause(9, {0, 1}, set(), "/t")
    'version not in the log (latest version: 1; table re-created?)'
    >>> log_cause(0, set(), set(), "/t")
    'table no longer exists: no transaction log at /t'
    """
    known = commits | checkpoints
    if not known:
        return f"table no longer exists: no transaction log at {uri}"
    latest = max(known)
    if version > latest:
        return f"version not in the log (latest version: {latest}; table re-created?)"
    oldest = 0 if 0 in commits else min(checkpoints or commits)
    if version < oldest:
        return f"commit file removed by log cleanup (oldest readable version: {oldest})"
    return None


def _reader(uri: str, version: int, storage_options: Mapping[str, str]) -> pa.RecordBatchReader:
    """A stream of the version's rows with logical column names."""
    from deltalake import DeltaTable, QueryBuilder

    table = DeltaTable(uri, version=version, storage_options=dict(storage_options) or None)
    # The table's own column order: a query engine may move partition columns.
    names = [f.name for f in table.schema().fields]
    columns = ", ".join(ansi_quote(name) for name in names)
    result: Any = QueryBuilder().register("t", table).execute(f"select {columns} from t")
    return pa.RecordBatchReader.from_stream(result)


def read_version(
    table: str, uri: str, version: int, storage_options: Mapping[str, str] | None = None
) -> pa.Table:
    """Every row of ``version``, with logical column names (column mapping honoured).

    Args:
        table: the table reference, to name it in errors.
        uri: the table root (path, ``file://`` or object-store URI).
        version: the pinned version.
        storage_options: deltalake / object_store options (credentials, endpoints).

    Raises:
        DataUnavailable: the commit file was cleaned up, a data file was vacuumed or deleted,
            the version is not in the log, or the table is gone.
    """
    options = storage_options or {}
    with map_exceptions(table, uri, version, options):
        result: pa.Table = _reader(uri, version, options).read_all()
    return result


def version_reader(
    table: str, uri: str, version: int, storage_options: Mapping[str, str] | None = None
) -> pa.RecordBatchReader:
    """The rows of ``version`` as a stream (memory bounded by a batch); as ``read_version``.

    Errors met while iterating are ``DataUnavailable`` too.
    """
    options = storage_options or {}
    with map_exceptions(table, uri, version, options):
        inner = _reader(uri, version, options)

    def batches() -> Iterator[pa.RecordBatch]:
        with map_exceptions(table, uri, version, options):
            yield from inner

    return pa.RecordBatchReader.from_batches(inner.schema, batches())


def count_matching(
    table: str,
    uri: str,
    version: int,
    storage_options: Mapping[str, str] | None,
    predicate: Predicate,
) -> int:
    """How many rows of ``version`` match ``predicate`` (SQL semantics: nulls never match a
    comparison, nor its negation).

    ``select count(*) ... where`` through QueryBuilder (logical column names, column mapping
    honoured): DataFusion pushes the filter into the Delta scan, which skips files by their
    statistics and partition values.

    Raises:
        ColumnNotFound: the version's schema has no such column.
        BadPredicate: a literal cannot be compared with its column's type.
        DataUnavailable: as ``read_version``.
    """
    from deltalake import DeltaTable, QueryBuilder

    options = storage_options or {}
    label = version_label(table, version)
    with map_exceptions(table, uri, version, options):
        delta = DeltaTable(uri, version=version, storage_options=dict(options) or None)
        fields = delta.schema().fields
        check_columns(predicate, [f.name for f in fields], label)
        check_types(predicate, {f.name: _column_type(f.type) for f in fields}, label)
        sql = f"select count(*) from t where {to_sql(predicate, ansi_quote)}"
        result: Any = QueryBuilder().register("t", delta).execute(sql)
        counted = pa.RecordBatchReader.from_stream(result).read_all()
    return int(counted.column(0)[0].as_py())


_KINDS = {
    "byte": Kind.INTEGER,
    "short": Kind.INTEGER,
    "integer": Kind.INTEGER,
    "long": Kind.INTEGER,
    "float": Kind.FLOAT,
    "double": Kind.FLOAT,
    "string": Kind.STRING,
    "boolean": Kind.BOOLEAN,
    "date": Kind.DATE,
    "timestamp": Kind.TIMESTAMP_TZ,  # Delta's timestamp is an instant (stored as UTC)
    "timestamp_ntz": Kind.TIMESTAMP,
}
_DECIMAL = re.compile(r"decimal\((\d+),\s*(\d+)\)")


def _column_type(kind: Any) -> ColumnType:
    """What a Delta type compares with (``binary``, nested types: nothing)."""
    name = str(getattr(kind, "type", "struct"))
    if match := _DECIMAL.fullmatch(name):
        return ColumnType(name, Kind.DECIMAL, int(match.group(2)))
    return ColumnType(name, _KINDS.get(name, Kind.OTHER))


def unreadable_versions(
    uri: str,
    versions: Iterable[int],
    storage_options: Mapping[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[int, str | None]:
    """Whether each version can still be read at the source, without reading data: the
    cause (one line) of each unreadable one, None for a readable one.

    A version is readable while its commit file (or a checkpoint covering it) is in the log
    and every data file of it exists (file existence checks; files shared between versions
    are checked once). ``progress(n)`` is told of each version done.
    """
    from deltalake import DeltaTable
    from deltalake.exceptions import DeltaError

    options = dict(storage_options or {})
    root = local_path(uri)
    storage = storage_for(root, options)
    try:
        entries = storage.list_dir(storage.join(root, "_delta_log"))
    except (OSError, SourceUnavailable):
        entries = []
    commits = {int(m.group(1)) for e in entries if (m := COMMIT_FILE.match(e.name))}
    checkpoints = {int(m.group(1)) for e in entries if (m := CHECKPOINT_FILE.match(e.name))}
    exists: dict[str, bool] = {}
    found: dict[int, str | None] = {}
    loaded: Any = None
    for version in sorted(versions):  # ascending: each load replays from the last one
        cause = log_cause(version, commits, checkpoints, uri)
        if cause is None:
            try:
                if loaded is None:
                    loaded = DeltaTable(uri, version=version, storage_options=options or None)
                else:
                    loaded.load_as_version(version)
                for path in loaded.file_uris():
                    local = local_path(path)
                    if local not in exists:
                        exists[local] = storage.exists(local)
                    if not exists[local]:
                        cause = f"data file vanished: {local}"
                        break
            except (DeltaError, OSError, ValueError, pa.ArrowException) as exc:
                loaded = None
                cause = _missing_object(exc) or f"cannot load the version: {one_line(exc)}"
        found[version] = cause
        if progress is not None:
            progress(1)
    return found
