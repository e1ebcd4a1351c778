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


def _scan(table: str, location: str, snapshot_id: int, properties: Mapping[str, str]) -> Any:
    """The pyiceberg scan of one snapshot; ``DataUnavailable`` when it has expired."""
    from pyiceberg.table import StaticTable

    static = StaticTable.from_metadata(location, properties=dict(properties))
    if static.metadata.snapshot_by_id(snapshot_id) is None:
        raise DataUnavailable(
            f"{snapshot_label(table, snapshot_id)}: snapshot expired: no longer in the table "
            f"metadata {location}"
        )
    return static.scan(snapshot_id=snapshot_id)


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
