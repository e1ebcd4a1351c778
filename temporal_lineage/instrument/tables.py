"""The few methods of pyiceberg and deltalake tables that JobRun uses, as protocols."""

from __future__ import annotations

from typing import Protocol


class SnapshotLike(Protocol):
    """An Iceberg snapshot (``pyiceberg.table.snapshots.Snapshot``)."""

    @property
    def snapshot_id(self) -> int:
        """The snapshot id."""


class IcebergTableLike(Protocol):
    """An Iceberg table (``pyiceberg.table.Table``)."""

    def current_snapshot(self) -> SnapshotLike | None:
        """The main branch head, None before the first snapshot."""


class DeltaTableLike(Protocol):
    """A Delta table (``deltalake.DeltaTable``)."""

    def version(self) -> int:
        """The version the table object is loaded at."""
