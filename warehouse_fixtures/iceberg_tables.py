"""Iceberg catalog access and pyiceberg writes whose committed metadata is read back."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
from pyiceberg.catalog import Catalog, load_catalog
from pyiceberg.partitioning import UNPARTITIONED_PARTITION_SPEC, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.table import Table
from pyiceberg.table.metadata import TableMetadata
from pyiceberg.types import (
    DecimalType,
    IcebergType,
    ListType,
    MapType,
    NestedField,
    PrimitiveType,
    StructType,
)

from temporal_lineage.instrument import RUN_ID_PROPERTY, JobRun
from warehouse_fixtures.pacing import CommitPacer
from warehouse_fixtures.timeline import (
    FieldRecord,
    SnapshotRecord,
    SpecFieldRecord,
    TableRecorder,
    TimelineRecorder,
    iso_ms,
)

CATALOG_NAME = "lake"
ICEBERG_DIR = "iceberg"

_EMPTY_OVERWRITE_WARNING = "Delete operation did not match any records"


def catalog_properties(root: Path) -> dict[str, str]:
    """Return the SQL-catalog properties (absolute URIs) of the warehouse at ROOT."""
    iceberg_dir = (root / ICEBERG_DIR).resolve()
    return {
        "type": "sql",
        "uri": f"sqlite:///{iceberg_dir}/catalog.db",
        "warehouse": f"file://{iceberg_dir}",
    }


def open_catalog(root: Path) -> Catalog:
    """Open (creating if needed) the warehouse's pyiceberg SQL catalog."""
    (root / ICEBERG_DIR).mkdir(parents=True, exist_ok=True)
    return load_catalog(CATALOG_NAME, **catalog_properties(root))


def close_catalog(catalog: Catalog) -> None:
    """Release the catalog's database connections."""
    engine: Any = getattr(catalog, "engine", None)
    if engine is not None:
        engine.dispose()


def iceberg_type_name(field_type: IcebergType) -> str:
    """Return Iceberg's own spelling of a type (nested types are just struct/list/map)."""
    if isinstance(field_type, StructType):
        return "struct"
    if isinstance(field_type, ListType):
        return "list"
    if isinstance(field_type, MapType):
        return "map"
    if isinstance(field_type, DecimalType):
        return f"decimal({field_type.precision},{field_type.scale})"
    if isinstance(field_type, PrimitiveType):
        return str(field_type)
    raise TypeError(f"unsupported Iceberg type: {field_type!r}")


def iceberg_fields(schema: Schema) -> tuple[FieldRecord, ...]:
    """Flatten an Iceberg schema into fields with dotted paths, parents before children."""
    out: list[FieldRecord] = []

    def walk(fields: tuple[NestedField, ...], prefix: str) -> None:
        for f in fields:
            path = f"{prefix}{f.name}"
            out.append(FieldRecord(f.field_id, path, iceberg_type_name(f.field_type), f.optional))
            t = f.field_type
            if isinstance(t, StructType):
                walk(t.fields, f"{path}.")
            elif isinstance(t, ListType):
                walk((t.element_field,), f"{path}.")
            elif isinstance(t, MapType):
                walk((t.key_field, t.value_field), f"{path}.")

    walk(schema.fields, "")
    return tuple(out)


def spec_fields(spec: PartitionSpec) -> tuple[SpecFieldRecord, ...]:
    """Describe the fields of a partition spec."""
    return tuple(
        SpecFieldRecord(f.field_id, f.source_id, f.name, str(f.transform)) for f in spec.fields
    )


class IcebergTable:
    """A pyiceberg table whose every commit is read back from the catalog into the timeline."""

    def __init__(
        self, catalog: Catalog, name: str, recorder: TimelineRecorder, pacer: CommitPacer
    ) -> None:
        prefix = f"{CATALOG_NAME}."
        if not name.startswith(prefix):
            raise ValueError(f"Iceberg table names start with {prefix!r}: {name}")
        self.name = name
        self.identifier = name[len(prefix) :]
        self._catalog = catalog
        self._timeline = recorder
        self._rec: TableRecorder = recorder.table(name, "iceberg")
        self._pacer = pacer
        self._table: Table | None = None

    @property
    def table(self) -> Table:
        """Return the live pyiceberg table."""
        if self._table is None:
            raise RuntimeError(f"{self.name} has not been created")
        return self._table

    @property
    def current_snapshot_id(self) -> int | None:
        """Return the id of the main branch head."""
        return self.table.metadata.current_snapshot_id

    def create(self, schema: Schema, spec: PartitionSpec = UNPARTITIONED_PARTITION_SPEC) -> None:
        """Create the table (and its namespace) in the catalog."""
        namespace = self.identifier.rsplit(".", 1)[0]
        self._catalog.create_namespace_if_not_exists(namespace)
        self._pacer.before_commit()
        self._table = self._catalog.create_table(
            self.identifier, schema=schema, partition_spec=spec
        )
        self._pacer.after_commit()
        md = self._read_back()
        self._emit(
            "create",
            {
                "schema_id": md.current_schema_id,
                "spec_id": md.default_spec_id,
                "format_version": md.format_version,
            },
        )

    def load(self) -> Table:
        """Load the table afresh from the catalog (what a reading job sees)."""
        return self._catalog.load_table(self.identifier)

    def append(self, df: pa.Table, run: JobRun, branch: str | None = None) -> list[int]:
        """Append rows with the run's commit properties (on ``branch`` instead of main when
        given: write-audit-publish); return the new snapshot ids."""
        data = self._conform(df)
        properties = run.commit_properties()

        def commit() -> None:
            if branch is None:
                self.table.append(data, snapshot_properties=properties)
            else:
                self.table.append(data, snapshot_properties=properties, branch=branch)

        return self._write(
            "append" if branch is None else "append_to_branch",
            commit,
            run.run_id,
            data.num_rows,
        )

    def delete(self, predicate: str, run: JobRun) -> list[int]:
        """Delete the rows matching PREDICATE (copy-on-write); return the new snapshot ids."""
        rows = self.table.scan(row_filter=predicate).to_arrow().num_rows
        properties = run.commit_properties()
        new_ids = self._commit(lambda: self.table.delete(predicate, snapshot_properties=properties))
        self._emit(
            "delete",
            {"run_id": run.run_id, "predicate": predicate, "rows": rows, "snapshots": new_ids},
        )
        return new_ids

    def create_branch(self, name: str) -> None:
        """Start a branch at main's current snapshot (write-audit-publish's staging)."""
        head = self.current_snapshot_id
        if head is None:
            raise RuntimeError(f"{self.name}: no snapshot to branch from")
        self._commit(lambda: self.table.manage_snapshots().create_branch(head, name).commit())
        self._emit("create_branch", {"branch": name, "snapshot": head})

    def publish(self, branch: str) -> None:
        """Fast-forward main to the branch's head (the publish of write-audit-publish)."""
        target = self.table.metadata.refs[branch].snapshot_id
        self._commit(
            lambda: self.table.manage_snapshots().set_current_snapshot(snapshot_id=target).commit()
        )
        self._emit("publish", {"branch": branch, "snapshot": target})

    def overwrite(self, df: pa.Table, run: JobRun) -> list[int]:
        """Replace all rows (pyiceberg may commit a delete and an append snapshot)."""
        data = self._conform(df)
        properties = run.commit_properties()

        def commit() -> None:
            with warnings.catch_warnings():
                warnings.filterwarnings(
                    "ignore", message=_EMPTY_OVERWRITE_WARNING, category=UserWarning
                )
                self.table.overwrite(data, snapshot_properties=properties)

        return self._write("overwrite", commit, run.run_id, data.num_rows)

    def rename_column(self, old: str, new: str) -> None:
        """Rename a column (field id kept)."""
        field_id = self.table.schema().find_field(old).field_id
        self._commit(lambda: self._rename(old, new))
        self._emit(
            "rename_column",
            {"old": old, "new": new, "field_id": field_id, "schema_id": self._schema_id()},
        )

    def add_column(self, name: str, field_type: IcebergType, doc: str | None = None) -> None:
        """Add an optional column."""
        self._commit(lambda: self._add(name, field_type, doc))
        added = self.table.schema().find_field(name)
        self._emit(
            "add_column",
            {
                "name": name,
                "field_id": added.field_id,
                "type": iceberg_type_name(field_type),
                "schema_id": self._schema_id(),
            },
        )

    def promote_column(self, name: str, new_type: PrimitiveType) -> None:
        """Widen a column's type (e.g. int -> long)."""
        before = self.table.schema().find_field(name)
        self._commit(lambda: self._promote(name, new_type))
        self._emit(
            "promote_type",
            {
                "name": name,
                "field_id": before.field_id,
                "old_type": iceberg_type_name(before.field_type),
                "new_type": iceberg_type_name(new_type),
                "schema_id": self._schema_id(),
            },
        )

    def drop_column(self, name: str) -> None:
        """Drop a column."""
        field_id = self.table.schema().find_field(name).field_id
        self._commit(lambda: self._drop(name))
        self._emit(
            "drop_column", {"name": name, "field_id": field_id, "schema_id": self._schema_id()}
        )

    def add_identity_partition(self, column: str) -> None:
        """Evolve the partition spec by adding identity(column)."""
        old_spec = self.table.metadata.default_spec_id
        self._commit(lambda: self._add_identity(column))
        new_spec = self.table.spec()
        self._emit(
            "partition_spec_change",
            {
                "old_spec_id": old_spec,
                "new_spec_id": new_spec.spec_id,
                "fields": [f.to_dict() for f in spec_fields(new_spec)],
            },
        )

    def rollback(self, snapshot_id: int) -> None:
        """Roll the main branch back to an ancestor snapshot."""
        previous = self.current_snapshot_id
        self._commit(
            lambda: self.table.manage_snapshots().rollback_to_snapshot(snapshot_id).commit()
        )
        self._emit("rollback", {"from": previous, "to": snapshot_id})

    def expire(self, snapshot_ids: list[int]) -> None:
        """Expire snapshots by id (removes them and their snapshot-log entries)."""
        self._commit(
            lambda: self.table.maintenance.expire_snapshots().by_ids(snapshot_ids).commit()
        )
        self._emit("expire_snapshots", {"expired": list(snapshot_ids)})

    def _rename(self, old: str, new: str) -> None:
        with self.table.update_schema() as update:
            update.rename_column(old, new)

    def _add(self, name: str, field_type: IcebergType, doc: str | None) -> None:
        with self.table.update_schema() as update:
            update.add_column(name, field_type, doc=doc)

    def _promote(self, name: str, new_type: PrimitiveType) -> None:
        with self.table.update_schema() as update:
            update.update_column(name, field_type=new_type)

    def _drop(self, name: str) -> None:
        with self.table.update_schema() as update:
            update.delete_column(name)

    def _add_identity(self, column: str) -> None:
        with self.table.update_spec() as update:
            update.add_identity(column)

    def _conform(self, df: pa.Table) -> pa.Table:
        target = self.table.schema().as_arrow()
        return df.select(target.names).cast(target)

    def _write(self, action: str, commit: Callable[[], None], run_id: str, rows: int) -> list[int]:
        new_ids = self._commit(commit)
        self._emit(action, {"run_id": run_id, "rows": rows, "snapshots": new_ids})
        return new_ids

    def _commit(self, commit: Callable[[], None]) -> list[int]:
        """Run one catalog commit, paced, and return the snapshot ids it added."""
        known = set(self._rec.snapshots)
        self._pacer.before_commit()
        commit()
        self._pacer.after_commit()
        self._read_back()
        return [sid for sid in self._rec.snapshots if sid not in known]

    def _schema_id(self) -> int:
        return self.table.metadata.current_schema_id

    def _emit(self, action: str, details: dict[str, Any]) -> None:
        md = self.table.metadata
        self._timeline.event(self.name, action, md.last_updated_ms, md.current_snapshot_id, details)

    def _read_back(self) -> TableMetadata:
        """Reload the committed metadata from the catalog and record what changed."""
        self.table.refresh()
        md = self.table.metadata
        rec = self._rec
        for snap in md.snapshots:
            summary = snap.summary
            rec.add_snapshot(
                SnapshotRecord(
                    snapshot=snap.snapshot_id,
                    parent=snap.parent_snapshot_id,
                    committed_at=iso_ms(snap.timestamp_ms),
                    operation=summary.operation.value if summary is not None else "unknown",
                    schema_id=snap.schema_id,
                    run_id=summary.additional_properties.get(RUN_ID_PROPERTY)
                    if summary is not None
                    else None,
                    expired=False,
                )
            )
        present = {snap.snapshot_id for snap in md.snapshots}
        for sid in list(rec.snapshots):
            if sid not in present:
                rec.mark_expired(sid)
        seen = {(h.snapshot, h.start) for h in rec.heads}
        for entry in md.snapshot_log:
            if (entry.snapshot_id, iso_ms(entry.timestamp_ms)) not in seen:
                rec.add_head(entry.snapshot_id, entry.timestamp_ms)
        if md.current_schema_id != rec.current_schema_id():
            rec.add_schema(md.current_schema_id, md.last_updated_ms, iceberg_fields(md.schema()))
        if md.default_spec_id != rec.current_spec_id():
            rec.add_spec(md.default_spec_id, md.last_updated_ms, spec_fields(md.spec()))
        rec.current_snapshot = md.current_snapshot_id
        return md
