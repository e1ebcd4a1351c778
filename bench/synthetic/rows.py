"""The rows of the synthetic store, per store table: only the values, by column name.

Which columns exist, their types and what a row leaves out come from the store's own tables
(``layout.py``); instants are epoch microseconds and JSON columns Python values here.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from temporal_lineage.store import tables as t

from .events import column_facet, dataset, run_event
from .layout import Row
from .plan import (
    COLUMNS,
    COMMITS_PER_RUN,
    DAY,
    MINUTE,
    MS,
    RUNS_PER_JOB,
    SECOND,
    SNAPSHOTS_PER_TABLE,
    T0_US,
    Plan,
    TablePlan,
    mix,
)

RUN_ID_KEY = "lineage.run-id"


@dataclass(frozen=True)
class Rows:
    """The rows of one store table, in the order written (ids are given explicitly)."""

    table: Table
    rows: Callable[[], Iterator[Row]]


def _fingerprint(*parts: int) -> str:
    return hashlib.sha256(b"%d" % mix(*parts)).hexdigest()


class RowMaker:
    """Every row of the synthetic store, per table."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.synced_at = T0_US - DAY  # the tables were first synced the day before

    # tables and their snapshots ------------------------------------------------------

    def sources(self) -> Iterator[Row]:
        yield {"id": 1, "name": "lake", "format": "iceberg", "recorded_at": self.synced_at}
        yield {"id": 2, "name": "dl", "format": "delta", "recorded_at": self.synced_at}

    def tables(self) -> Iterator[Row]:
        for table in self.plan.tables:
            cursor = (
                f"{table.location}/metadata/00100-{mix(10, table.id):016x}.metadata.json"
                if table.source == "lake"
                else str(SNAPSHOTS_PER_TABLE - 1)
            )
            yield {
                "id": table.id,
                "source_id": 1 if table.source == "lake" else 2,
                "identifier": table.identifier,
                "format": table.format,
                "location": table.location,
                "cursor": cursor,
                "current_incarnation_id": table.id,
                "recorded_at": self.synced_at,
            }

    def incarnations(self) -> Iterator[Row]:
        for table in self.plan.tables:
            uid = uuid.UUID(int=(mix(11, table.id) << 64) | mix(12, table.id), version=4)
            yield {
                "id": table.id,
                "table_id": table.id,
                "uuid": str(uid),
                "location": table.location,
                "format_version": 2 if table.source == "lake" else None,
                "recorded_at": self.synced_at,
            }

    def _summary(self, table: TablePlan, index: int, run_id: str | None, at: int) -> dict[str, Any]:
        records = 10_000 + mix(13, table.id, index) % 90_000
        if table.source == "lake":
            summary: dict[str, Any] = {
                "operation": "append",
                "added-data-files": str(1 + records // 20_000),
                "added-records": str(records),
                "added-files-size": str(records * 41),
                "changed-partition-count": "1",
                "total-records": str(records * (index + 1)),
                "total-files-size": str(records * 41 * (index + 1)),
                "total-data-files": str((1 + records // 20_000) * (index + 1)),
                "total-delete-files": "0",
                "total-position-deletes": "0",
                "total-equality-deletes": "0",
            }
        else:
            summary = {
                "timestamp": at // MS,
                "operation": "WRITE",
                "operationParameters": {"mode": "Append", "partitionBy": '["event_date"]'},
                "isolationLevel": "Serializable",
                "isBlindAppend": True,
                "operationMetrics": {
                    "numFiles": str(1 + records // 20_000),
                    "numOutputRows": str(records),
                    "numOutputBytes": str(records * 41),
                },
                "engineInfo": "Apache-Spark/3.5.1 Delta-Lake/3.2.0",
                "txnId": str(uuid.UUID(int=mix(14, table.id, index) << 64, version=4)),
            }
        if run_id is not None:
            summary[RUN_ID_KEY] = run_id
        return summary

    def _snapshots_of(self, table: TablePlan) -> Iterator[tuple[int, int, int, str]]:
        """(index, snapshot id, commit time, run uuid) of each snapshot of the table."""
        for run in range(RUNS_PER_JOB):
            run_id = self.plan.run_uuid(table, run)
            for i, at in enumerate(self.plan.window(table, run).commits):
                index = run * COMMITS_PER_RUN + i
                yield index, table.snapshot_id(index), at, run_id

    def snapshots(self) -> Iterator[Row]:
        pk = 0
        for table in self.plan.tables:
            lake = table.source == "lake"
            previous = None
            for index, snapshot_id, at, run_id in self._snapshots_of(table):
                pk += 1
                keyed = run_id if table.link == "key" else None
                yield {
                    "id": pk,
                    "incarnation_id": table.id,
                    "snapshot_id": snapshot_id,
                    "parent_id": previous,
                    "sequence_number": index + 1 if lake else index,
                    "committed_at": at,
                    "operation": "append" if lake else "WRITE",
                    "schema_id": 0 if lake else None,
                    "summary": self._summary(table, index, keyed, at),
                    "recorded_at": at + 10 * MINUTE,
                }
                previous = snapshot_id

    def heads(self) -> Iterator[Row]:
        pk = 0
        for table in self.plan.tables:
            for _index, snapshot_id, at, _run in self._snapshots_of(table):
                pk += 1
                yield {
                    "id": pk,
                    "table_id": table.id,
                    "incarnation_id": table.id,
                    "snapshot_id": snapshot_id,
                    "started_at": at,
                    "recorded_at": at + 10 * MINUTE,
                }

    def snapshot_keys(self) -> Iterator[Row]:
        pk = 0
        for table in self.plan.tables:
            if table.link != "key":
                continue
            for _index, snapshot_id, at, run_id in self._snapshots_of(table):
                pk += 1
                yield {
                    "id": pk,
                    "incarnation_id": table.id,
                    "snapshot_id": snapshot_id,
                    "key": "run_id",
                    "value": run_id,
                    "recorded_at": at + 10 * MINUTE,
                }

    def schema_versions(self) -> Iterator[Row]:
        for table in self.plan.tables:
            yield {
                "id": table.id,
                "incarnation_id": table.id,
                "schema_id": 0,
                "fingerprint": _fingerprint(15, table.id),
                "recorded_at": self.synced_at,
            }

    def schema_fields(self) -> Iterator[Row]:
        pk = 0
        for table in self.plan.tables:
            for position, name in enumerate(COLUMNS):
                pk += 1
                yield {
                    "id": pk,
                    "schema_version_pk": table.id,
                    "position": position,
                    "field_id": position + 1 if table.source == "lake" else None,
                    "path": [name],
                    "type": "long" if name in ("id", "customer_id") else "string",
                    "nullable": name != "id",
                    "recorded_at": self.synced_at,
                }

    def schema_heads(self) -> Iterator[Row]:
        for table in self.plan.tables:
            first = self.plan.window(table, 0).commits[0]
            yield {
                "id": table.id,
                "table_id": table.id,
                "incarnation_id": table.id,
                "schema_version_pk": table.id,
                "effective_at": first,
                "dated_by": "metadata_log" if table.source == "lake" else "commit",
                "snapshot_id": table.snapshot_id(0),
                "recorded_at": first + 10 * MINUTE,
            }

    # jobs, runs and events ----------------------------------------------------------

    def jobs(self) -> Iterator[Row]:
        for table in self.plan.tables:
            namespace, name = table.job
            first = self.plan.window(table, 0).start
            yield {
                "id": table.id,
                "namespace": namespace,
                "name": name,
                "recorded_at": first + 2 * SECOND,
            }

    def _version_ids(self) -> dict[tuple[int, int], int]:
        ids: dict[tuple[int, int], int] = {}
        for table in self.plan.tables:
            for version in range(2 if table.change_at is not None else 1):
                ids[(table.id, version)] = len(ids) + 1
        return ids

    def job_versions(self) -> Iterator[Row]:
        for (table_id, version), pk in self._version_ids().items():
            table = self.plan.table(table_id)
            first_run = 0 if version == 0 else table.change_at or 0
            yield {
                "id": pk,
                "job_id": table.id,
                "fingerprint": _fingerprint(16, table.id, version),
                "code_version": self.plan.code_version(table, version),
                "source_url": f"https://git.example.com/data/pipelines/jobs/{table.job[1]}.py",
                "sql": self.plan.sql_text(table, first_run),
                "sql_dialect": "spark" if table.sql else None,
                "parameters": {},
                "recorded_at": self.plan.window(table, first_run).start + 2 * SECOND,
            }

    def runs(self) -> Iterator[Row]:
        pk = 0
        for table in self.plan.tables:
            for run in range(RUNS_PER_JOB):
                pk += 1
                yield {
                    "id": pk,
                    "run_id": self.plan.run_uuid(table, run),
                    "job_id": table.id,
                    "parent_run_id": self.plan.parent_uuid(table, run),
                    "recorded_at": self.plan.window(table, run).start + 2 * SECOND,
                }

    def _event_pk(self, table: TablePlan, run: int, complete: bool) -> int:
        return ((table.id - 1) * RUNS_PER_JOB + run) * 2 + (2 if complete else 1)

    def _datasets(
        self, table: TablePlan, run: int, complete: bool
    ) -> tuple[list[tuple[str, str, str | None, int | None]], tuple[str, str, str | None]]:
        """Inputs (namespace, name, version, table id) and the output (namespace, name, version)."""
        inputs: list[tuple[str, str, str | None, int | None]] = []
        read = self.plan.input_snapshot_index(run)
        for input_id in table.run_inputs(run):
            source = self.plan.table(input_id)
            version = None
            if complete and self.plan.pinned(table, run, input_id):
                version = str(source.snapshot_id(read))
            inputs.append((*source.dataset, version, input_id))
        if not inputs:
            inputs.append((*table.external, None, None))
        out_version = None
        if complete and table.link == "version":
            out_version = str(table.snapshot_id(run * COMMITS_PER_RUN + COMMITS_PER_RUN - 1))
        return inputs, (*table.dataset, out_version)

    def raw_event(self, table: TablePlan, run: int, complete: bool) -> dict[str, Any]:
        """The OpenLineage event the store's rows of that run and state were made from."""
        window = self.plan.window(table, run)
        inputs, (out_ns, out_name, out_version) = self._datasets(table, run, complete)
        parent = self.plan.parent_uuid(table, run)
        lineage = column_facet(self.plan.column_mapping(table, run)) if complete else None
        output = dataset(
            out_ns,
            out_name,
            version=out_version,
            schema=True,
            side="output",
            column_lineage=lineage,
        )
        return run_event(
            "COMPLETE" if complete else "START",
            self.plan.run_uuid(table, run),
            window.end if complete else window.start,
            table.job,
            [dataset(ns, name, version=v) for ns, name, v, _ in inputs],
            [output],
            code_version=self.plan.code_version(table, table.version_index(run)),
            code_path=f"jobs/{table.job[1]}.py",
            sql=self.plan.sql_text(table, run),
            parent=(parent, "airflow", f"d{table.domain:03d}_daily") if parent else None,
        )

    def _run_events(self) -> Iterator[tuple[TablePlan, int, str, bool, int]]:
        """(table, run, run uuid, COMPLETE?, event time) of every event, START first."""
        for table in self.plan.tables:
            for run in range(RUNS_PER_JOB):
                window = self.plan.window(table, run)
                run_id = self.plan.run_uuid(table, run)
                yield table, run, run_id, False, window.start
                yield table, run, run_id, True, window.end

    def events(self) -> Iterator[Row]:
        for table, run, run_id, complete, at in self._run_events():
            namespace, name = table.job
            yield {
                "id": self._event_pk(table, run, complete),
                "fingerprint": _fingerprint(17, table.id, run, int(complete)),
                "kind": "run",
                "event_type": "COMPLETE" if complete else "START",
                "event_time": at,
                "run_id": run_id,
                "job_namespace": namespace,
                "job_name": name,
                "raw": self.raw_event(table, run, complete),
                "recorded_at": at + 2 * SECOND,
            }

    def run_states(self) -> Iterator[Row]:
        ids = self._version_ids()
        for table, run, run_id, complete, at in self._run_events():
            pk = self._event_pk(table, run, complete)
            yield {
                "id": pk,
                "run_id": run_id,
                "state": "COMPLETE" if complete else "START",
                "event_time": at,
                "job_version_id": ids[(table.id, table.version_index(run))],
                "event_pk": pk,
                "recorded_at": at + 2 * SECOND,
            }

    def run_datasets(self) -> Iterator[Row]:
        pk = 0
        schema = {"schema": list(COLUMNS)}
        # What ingestion keeps of the COMPLETE output's facets (``_kept_facets``).
        schema_and_lineage = {"schema": list(COLUMNS), "column_lineage": True}
        for table, run, run_id, complete, at in self._run_events():
            recorded = at + 2 * SECOND
            event_pk = self._event_pk(table, run, complete)
            inputs, (out_ns, out_name, out_version) = self._datasets(table, run, complete)
            for ns, name, version, table_id in inputs:
                pk += 1
                yield {
                    "id": pk,
                    "run_id": run_id,
                    "event_pk": event_pk,
                    "direction": "input",
                    "namespace": ns,
                    "name": name,
                    "version": version,
                    "symlinks": [],
                    "facets": {},
                    "table_id": table_id,
                    "matched_at": recorded if table_id else None,
                    "matched_by": "location" if table_id else None,
                    "recorded_at": recorded,
                }
            pk += 1
            yield {
                "id": pk,
                "run_id": run_id,
                "event_pk": event_pk,
                "direction": "output",
                "namespace": out_ns,
                "name": out_name,
                "version": out_version,
                "symlinks": [],
                "facets": schema_and_lineage if complete else schema,
                "table_id": table.id,
                "matched_at": recorded,
                "matched_by": "location",
                "recorded_at": recorded,
            }

    def column_edges(self) -> Iterator[Row]:
        """The rows ingestion makes of each COMPLETE output's ``columnLineage`` facet.

        As ``EventWriter._column_rows`` does: per output field (``*`` last, the dataset-level
        entries), per input field, per transformation; both ends matched by location (a
        Kafka topic matches no table), ``matched_at`` and ``recorded_at`` the event's.
        """
        pk = 0
        for table, run, run_id, complete, at in self._run_events():
            if not complete:
                continue
            out_ns, out_name = table.dataset
            event_pk = self._event_pk(table, run, True)
            recorded = at + 2 * SECOND
            for lineage in self.plan.column_mapping(table, run):
                for source in lineage.inputs:
                    for kind, subtype in source.transformations:
                        pk += 1
                        yield {
                            "id": pk,
                            "run_id": run_id,
                            "event_pk": event_pk,
                            "origin": "facet",
                            "output_namespace": out_ns,
                            "output_name": out_name,
                            "output_field": lineage.field,
                            "output_table_id": table.id,
                            "input_namespace": source.namespace,
                            "input_name": source.name,
                            "input_field": source.field,
                            "input_table_id": source.table_id,
                            "kind": kind,
                            "subtype": subtype,
                            "matched_at": recorded,
                            "recorded_at": recorded,
                        }

    def all(self) -> list[Rows]:
        """Every table's rows, in an order that satisfies the foreign keys."""
        return [
            Rows(t.sources, self.sources),
            Rows(t.tables, self.tables),
            Rows(t.incarnations, self.incarnations),
            Rows(t.snapshots, self.snapshots),
            Rows(t.heads, self.heads),
            Rows(t.snapshot_keys, self.snapshot_keys),
            Rows(t.schema_versions, self.schema_versions),
            Rows(t.schema_fields, self.schema_fields),
            Rows(t.schema_heads, self.schema_heads),
            Rows(t.jobs, self.jobs),
            Rows(t.job_versions, self.job_versions),
            Rows(t.events, self.events),
            Rows(t.runs, self.runs),
            Rows(t.run_states, self.run_states),
            Rows(t.run_datasets, self.run_datasets),
            Rows(t.column_edges, self.column_edges),
        ]
