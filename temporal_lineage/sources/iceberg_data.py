"""Iceberg rows at one snapshot, for reproduction: read through pyiceberg's ``StaticTable``.

With ``sources/iceberg.py`` the only module importing pyiceberg. A scan pinned to a
snapshot reads with the schema that snapshot was written with (old column names included).
Every failure to read becomes ``DataUnavailable`` with one line naming the table, the
snapshot and the cause.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pyarrow as pa

from temporal_lineage.errors import DataUnavailable

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
        raise DataUnavailable(f"{label}: cannot read: {_first_line(exc)}") from exc


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
        return f"file vanished: {_first_line(exc)}"
    name = posixpath.basename(path)
    if name.endswith(".metadata.json") or name.startswith("version-hint"):
        kind = "metadata file"
    elif name.endswith(".avro"):
        kind = "manifest list" if name.startswith("snap-") else "manifest file"
    else:
        kind = "data file"
    return f"{kind} vanished: {path}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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
