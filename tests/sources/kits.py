"""Real tables in tmp_path for the source contract: one kit per way a source is configured."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import pyarrow as pa

from temporal_lineage.sources.base import Source, TableEntry
from temporal_lineage.sources.delta import DeltaSource
from temporal_lineage.sources.iceberg import IcebergCatalogSource, IcebergRootSource


def rows(start: int, count: int = 3) -> pa.Table:
    return pa.table(
        {
            "id": pa.array(range(start, start + count), pa.int64()),
            "amount": pa.array([float(i) for i in range(count)], pa.float64()),
        }
    )


class Kit(ABC):
    """Makes one real table and knows what its library says about it."""

    identifier: str

    def __init__(self, root: Path) -> None:
        self.root = root

    @abstractmethod
    def create(self) -> None:
        """Create the table with a first commit."""

    @abstractmethod
    def commit(self, start: int) -> None:
        """One more data commit."""

    @abstractmethod
    def add_column(self, name: str) -> None:
        """A schema change adding a nullable string column."""

    @abstractmethod
    def library_snapshots(self) -> dict[int, int]:
        """snapshot id -> commit epoch millis, as the format's own library reports them."""

    @abstractmethod
    def library_current(self) -> int:
        """The current snapshot id as the library reports it."""

    @abstractmethod
    def source(self) -> Source:
        """The product's source for this kit."""

    @abstractmethod
    def current_metadata_file(self) -> Path:
        """The file a corruption test breaks."""

    def entry(self) -> TableEntry:
        (found,) = [
            e for e in self.source().discover().tables if e.ref.identifier == self.identifier
        ]
        return found


class IcebergCatalogKit(Kit):
    identifier = "ns.tbl"

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.props = {
            "type": "sql",
            "uri": f"sqlite:///{root / 'catalog.db'}",
            "warehouse": f"file://{root / 'wh'}",
        }
        (root / "wh").mkdir(parents=True, exist_ok=True)
        self._catalog: Any = None

    @property
    def catalog(self) -> Any:
        if self._catalog is None:
            from pyiceberg.catalog import load_catalog

            self._catalog = load_catalog("lake", **self.props)
        return self._catalog

    def table(self) -> Any:
        return self.catalog.load_table("ns.tbl")

    def create(self) -> None:
        self.catalog.create_namespace_if_not_exists("ns")
        table = self.catalog.create_table(
            "ns.tbl", schema=rows(0).schema, location=str(self.root / "wh" / "ns" / "tbl")
        )
        table.append(rows(0), snapshot_properties={"lineage.run-id": "run-0"})

    def commit(self, start: int) -> None:
        self.table().append(rows(start), snapshot_properties={"lineage.run-id": f"run-{start}"})

    def add_column(self, name: str) -> None:
        from pyiceberg.types import StringType

        with self.table().update_schema() as update:
            update.add_column(name, StringType())

    def library_snapshots(self) -> dict[int, int]:
        return {s.snapshot_id: s.timestamp_ms for s in self.table().metadata.snapshots}

    def library_current(self) -> int:
        current = self.table().current_snapshot()
        assert current is not None
        return int(current.snapshot_id)

    def source(self) -> Source:
        return IcebergCatalogSource("lake", self.props, None)

    def current_metadata_file(self) -> Path:
        return Path(self.table().metadata_location.removeprefix("file://"))


class IcebergRootKit(IcebergCatalogKit):
    """The same real table, found by walking the warehouse folder (Hadoop-style root)."""

    identifier = "ns.tbl"

    def source(self) -> Source:
        return IcebergRootSource("wh", str(self.root / "wh"), {})


class DeltaKit(Kit):
    identifier = "tbl"

    @property
    def path(self) -> Path:
        return self.root / "delta" / "tbl"

    def create(self) -> None:
        from deltalake import CommitProperties, write_deltalake

        write_deltalake(
            self.path,
            rows(0),
            commit_properties=CommitProperties(custom_metadata={"lineage.run-id": "run-0"}),
        )

    def commit(self, start: int) -> None:
        from deltalake import CommitProperties, write_deltalake

        write_deltalake(
            self.path,
            rows(start),
            mode="append",
            commit_properties=CommitProperties(custom_metadata={"lineage.run-id": f"run-{start}"}),
        )

    def add_column(self, name: str) -> None:
        from deltalake import write_deltalake

        data = rows(100).append_column(name, pa.array(["x", "y", "z"], pa.string()))
        write_deltalake(self.path, data, mode="append", schema_mode="merge")

    def library_snapshots(self) -> dict[int, int]:
        from deltalake import DeltaTable

        return {int(h["version"]): int(h["timestamp"]) for h in DeltaTable(self.path).history()}

    def library_current(self) -> int:
        from deltalake import DeltaTable

        return int(DeltaTable(self.path).version())

    def source(self) -> Source:
        return DeltaSource("dl", root=str(self.root / "delta"), tables=(), storage_options={})

    def current_metadata_file(self) -> Path:
        log = self.path / "_delta_log"
        return max(log.glob("*.json"), key=lambda p: p.name)


KITS: dict[str, type[Kit]] = {
    "iceberg-catalog": IcebergCatalogKit,
    "iceberg-root": IcebergRootKit,
    "delta-root": DeltaKit,
}


def corrupt(path: Path) -> None:
    """Replace a metadata file with something that is not JSON at all."""
    path.write_text("{ this is not json", encoding="utf-8")


def dump(value: object) -> str:
    return json.dumps(value, default=str, sort_keys=True)
