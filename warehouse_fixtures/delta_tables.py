"""Delta tables written with delta-rs (plus hand-made schema commits), read back from the log."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, QueryBuilder, write_deltalake
from deltalake.schema import Field as DeltaField
from deltalake.schema import PrimitiveType

from temporal_lineage.instrument import RUN_ID_PROPERTY, JobRun
from warehouse_fixtures.delta_log import (
    add_column_actions,
    commit_info,
    delta_fields,
    latest_metadata,
    metadata_action,
    read_commit,
    rename_column_actions,
    write_commit,
)
from warehouse_fixtures.pacing import CommitPacer
from warehouse_fixtures.timeline import (
    FieldRecord,
    SnapshotRecord,
    TableRecorder,
    TimelineRecorder,
    iso_ms,
    now_ms,
)

DELTA_DIR = "delta"
DELTA_SOURCE = "deltas"
RUN_ID_KEY = RUN_ID_PROPERTY


def plain_arrow_type(dtype: pa.DataType) -> pa.DataType:
    """Replace view/large string types (as returned by DataFusion) with plain ones, recursively."""
    if pa.types.is_string_view(dtype) or pa.types.is_large_string(dtype):
        return pa.string()
    if pa.types.is_struct(dtype):
        return pa.struct(
            [pa.field(f.name, plain_arrow_type(f.type), f.nullable) for f in dtype.fields]
        )
    if pa.types.is_large_list(dtype) or pa.types.is_list(dtype):
        return pa.list_(plain_arrow_type(dtype.value_type))
    return dtype


def plain_arrow_table(table: pa.Table) -> pa.Table:
    """Cast a table to plain Arrow types without field metadata."""
    schema = pa.schema(
        [pa.field(f.name, plain_arrow_type(f.type), f.nullable) for f in table.schema]
    )
    return table.cast(schema)


def query_table(
    path: Path, sql_select: str = "SELECT * FROM t", version: int | None = None
) -> pa.Table:
    """Run SQL over a Delta table (registered as `t`) with deltalake's DataFusion QueryBuilder."""
    dt = DeltaTable(str(path), version=version)
    reader = QueryBuilder().register("t", dt).execute(sql_select)
    return plain_arrow_table(pa.table(reader.read_all()))


def _commit_props(run: JobRun) -> CommitProperties | None:
    """The run's commit properties for delta-rs (None when the run tags nothing)."""
    properties = run.commit_properties()
    return CommitProperties(custom_metadata=properties) if properties else None


class DeltaLakeTable:
    """A Delta table whose every commit is read back from its _delta_log into the timeline."""

    def __init__(
        self, root: Path, folder: str, recorder: TimelineRecorder, pacer: CommitPacer
    ) -> None:
        self.name = f"{DELTA_SOURCE}.{folder}"
        self.path = (root / DELTA_DIR / folder).resolve()
        self._timeline = recorder
        self._rec: TableRecorder = recorder.table(self.name, "delta")
        self._pacer = pacer
        self._last_version = -1
        self._schema_ids: dict[tuple[FieldRecord, ...], int] = {}
        self._fields: tuple[FieldRecord, ...] | None = None
        self._commit_ms: dict[int, int] = {}

    @property
    def version(self) -> int:
        """Return the latest version seen."""
        return self._last_version

    def create(
        self,
        df: pa.Table,
        run: JobRun,
        configuration: Mapping[str, str | None] | None = None,
        description: str | None = None,
    ) -> int:
        """Create the table with its first write."""
        self.path.parent.mkdir(parents=True, exist_ok=True)

        def commit() -> None:
            write_deltalake(
                str(self.path),
                df,
                mode="error",
                name=self.name.split(".")[-1],
                description=description,
                configuration=configuration,
                commit_properties=_commit_props(run),
            )

        version = self._commit(commit)
        details: dict[str, Any] = {"run_id": run.run_id, "rows": df.num_rows}
        if configuration:
            details["configuration"] = dict(configuration)
        self._event("create", version, details)
        return version

    def append(self, df: pa.Table, run: JobRun) -> int:
        """Append rows."""
        version = self._commit(
            lambda: write_deltalake(
                str(self.path), df, mode="append", commit_properties=_commit_props(run)
            )
        )
        self._event("append", version, {"run_id": run.run_id, "rows": df.num_rows})
        return version

    def overwrite(
        self, df: pa.Table, run: JobRun, schema_mode: Literal["merge", "overwrite"] | None = None
    ) -> int:
        """Replace all rows, optionally evolving the schema."""
        before = self._fields or ()

        def commit() -> None:
            write_deltalake(
                str(self.path),
                df,
                mode="overwrite",
                schema_mode=schema_mode,
                commit_properties=_commit_props(run),
            )

        details: dict[str, Any] = {"run_id": run.run_id, "rows": df.num_rows}
        if schema_mode is not None:
            details["schema_mode"] = schema_mode
        version = self._commit(commit)
        if schema_mode is not None:
            old_paths = {f.path for f in before}
            details["added_columns"] = [
                f.path for f in (self._fields or ()) if f.path not in old_paths
            ]
        self._event("overwrite", version, details)
        return version

    def merge(self, df: pa.Table, key: str, run: JobRun) -> int:
        """Upsert rows on a key column (update all columns when matched, insert otherwise)."""
        metrics: dict[str, Any] = {}

        def commit() -> None:
            merger = DeltaTable(str(self.path)).merge(
                df,
                predicate=f"t.{key} = s.{key}",
                source_alias="s",
                target_alias="t",
                commit_properties=_commit_props(run),
            )
            metrics.update(merger.when_matched_update_all().when_not_matched_insert_all().execute())

        version = self._commit(commit)
        self._event(
            "merge",
            version,
            {
                "run_id": run.run_id,
                "rows": df.num_rows,
                "inserted": metrics.get("num_target_rows_inserted"),
                "updated": metrics.get("num_target_rows_updated"),
            },
        )
        return version

    def compact(self, run: JobRun) -> int:
        """OPTIMIZE (compaction) by a maintenance run: new files, the same rows."""
        metrics: dict[str, Any] = {}

        def commit() -> None:
            metrics.update(
                DeltaTable(str(self.path)).optimize.compact(commit_properties=_commit_props(run))
            )

        version = self._commit(commit)
        self._event(
            "compact",
            version,
            {
                "run_id": run.run_id,
                "files_removed": metrics.get("numFilesRemoved"),
                "files_added": metrics.get("numFilesAdded"),
            },
        )
        return version

    def delete(self, predicate: str, run: JobRun) -> int:
        """DELETE the rows matching PREDICATE (files rewritten, old files kept until VACUUM)."""
        metrics: dict[str, Any] = {}

        def commit() -> None:
            metrics.update(
                DeltaTable(str(self.path)).delete(predicate, commit_properties=_commit_props(run))
            )

        version = self._commit(commit)
        details = {
            "run_id": run.run_id,
            "predicate": predicate,
            "rows": metrics.get("num_deleted_rows"),
        }
        self._event("delete", version, details)
        return version

    def vacuum(self) -> list[int]:
        """VACUUM with no retention (outside any run: maintenance); return the versions it
        committed (delta-rs logs a VACUUM START and a VACUUM END commit)."""
        first = self._last_version + 1
        removed: list[str] = []

        def commit() -> None:
            removed.extend(
                DeltaTable(str(self.path)).vacuum(
                    retention_hours=0, dry_run=False, enforce_retention_duration=False
                )
            )

        last = self._commit(commit)
        versions = list(range(first, last + 1))
        self._event("vacuum", last, {"removed_files": len(removed), "versions": versions})
        return versions

    def restore(self, version: int) -> int:
        """RESTORE the table to an earlier version (outside any run: an operator's fix)."""

        def commit() -> None:
            DeltaTable(str(self.path)).restore(version)

        new = self._commit(commit)
        self._event("restore", new, {"restored_version": version})
        return new

    def add_columns(self, columns: Mapping[str, str]) -> int:
        """Add nullable columns with delta-rs' own ALTER API (tables without column mapping)."""
        fields = [DeltaField(n, PrimitiveType(t), nullable=True) for n, t in columns.items()]
        version = self._commit(lambda: DeltaTable(str(self.path)).alter.add_columns(fields))
        for name, dtype in columns.items():
            self._event("add_column", version, self._column_details(name, dtype, "delta-rs"))
        return version

    def add_column_commit(self, name: str, delta_type: str) -> int:
        """Add a column with a hand-written ADD COLUMNS commit (delta-rs refuses when mapped)."""
        version = self._hand_commit(
            lambda read_version, meta, ts: add_column_actions(
                meta, name, delta_type, read_version, ts
            )
        )
        self._event(
            "add_column", version, self._column_details(name, delta_type, "hand-written commit")
        )
        return version

    def rename_column(self, old: str, new: str) -> int:
        """Rename a column with a hand-written RENAME COLUMN commit (delta-rs has no rename API)."""
        field = next(f for f in self._fields or () if f.path == old)
        version = self._hand_commit(
            lambda read_version, meta, ts: rename_column_actions(meta, old, new, read_version, ts)
        )
        self._event(
            "rename_column",
            version,
            {
                "old": old,
                "new": new,
                "field_id": field.id,
                "schema_id": self._rec.current_schema_id(),
                "written_by": "hand-written commit",
            },
        )
        return version

    def read(self) -> tuple[pa.Table, int]:
        """Read the current contents through QueryBuilder and the version that was read."""
        version = DeltaTable(str(self.path)).version()
        return query_table(self.path, version=version), version

    def _column_details(self, name: str, dtype: str, written_by: str) -> dict[str, Any]:
        added = next(f for f in self._fields or () if f.path == name)
        return {
            "name": name,
            "field_id": added.id,
            "type": dtype,
            "schema_id": self._rec.current_schema_id(),
            "written_by": written_by,
        }

    def _hand_commit(
        self, build: Callable[[int, dict[str, Any], int], list[dict[str, Any]]]
    ) -> int:
        def commit() -> None:
            read_version = DeltaTable(str(self.path)).version()
            meta = latest_metadata(self.path, read_version)
            timestamp = max(now_ms(), self._commit_ms.get(read_version, 0) + 1)
            write_commit(self.path, read_version + 1, build(read_version, meta, timestamp))

        return self._commit(commit)

    def _commit(self, commit: Callable[[], None]) -> int:
        """Run one paced commit, read the new log entries back and return the new version."""
        self._pacer.before_commit()
        commit()
        self._pacer.after_commit()
        return self._read_back()

    def _event(self, action: str, version: int, details: Mapping[str, Any]) -> None:
        self._timeline.event(self.name, action, self._commit_ms[version], version, details)

    def _read_back(self) -> int:
        """Record every commit after the last one seen, up to the version delta-rs reports."""
        latest = DeltaTable(str(self.path)).version()
        if latest <= self._last_version:
            raise RuntimeError(f"{self.name}: no new commit after version {self._last_version}")
        rec = self._rec
        for version in range(self._last_version + 1, latest + 1):
            actions = read_commit(self.path, version)
            info = commit_info(actions)
            timestamp = int(info["timestamp"])
            meta = metadata_action(actions)
            if meta is not None:
                fields = delta_fields(meta["schemaString"])
                if fields != self._fields:
                    schema_id = self._schema_ids.setdefault(fields, len(self._schema_ids))
                    rec.add_schema(schema_id, timestamp, fields)
                    self._fields = fields
            run_id = info.get(RUN_ID_KEY)
            rec.add_snapshot(
                SnapshotRecord(
                    snapshot=version,
                    parent=version - 1 if version > 0 else None,
                    committed_at=iso_ms(timestamp),
                    operation=str(info.get("operation", "unknown")),
                    schema_id=rec.current_schema_id(),
                    run_id=None if run_id is None else str(run_id),
                    expired=False,
                )
            )
            rec.add_head(version, timestamp)
            self._commit_ms[version] = timestamp
        rec.current_snapshot = latest
        self._last_version = latest
        return latest
