"""A small, fully controlled pipeline: real Delta tables and hand-written OpenLineage events."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from temporal_lineage.config import Settings, load_settings
from temporal_lineage.ingest import IngestReport, ingest_payload
from temporal_lineage.store import Store
from temporal_lineage.sync import sync
from temporal_lineage.times import format_time

PRODUCER = "https://example.com/tests"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"


def event(
    event_type: str,
    run_id: str,
    job: str,
    at: datetime,
    *,
    inputs: list[dict[str, Any]] | None = None,
    outputs: list[dict[str, Any]] | None = None,
    code_version: str | None = None,
) -> dict[str, Any]:
    job_facets: dict[str, Any] = {}
    if code_version:
        job_facets["sourceCodeLocation"] = {
            "_producer": PRODUCER,
            "_schemaURL": SCHEMA_URL,
            "type": "git",
            "url": "https://git.example/repo",
            "version": code_version,
        }
    return {
        "eventType": event_type,
        "eventTime": format_time(at),
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
        "run": {"runId": run_id, "facets": {}},
        "job": {"namespace": "tests", "name": job, "facets": job_facets},
        "inputs": inputs or [],
        "outputs": outputs or [],
    }


def dataset(namespace: str, name: str, version: int | None = None) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    if version is not None:
        facets["version"] = {
            "_producer": PRODUCER,
            "_schemaURL": SCHEMA_URL,
            "datasetVersion": str(version),
        }
    return {"namespace": namespace, "name": name, "facets": facets}


@dataclass
class Pipeline:
    """Delta tables under ``root/delta``; one source ``d``; events written by the test."""

    root: Path
    store: Store
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        config = self.root / "lineage.yaml"
        if not config.exists():
            config.write_text("sources:\n  - {name: d, format: delta, root: delta}\n")
        return load_settings(config)

    def path(self, table: str) -> Path:
        return self.root / "delta" / table

    def write(
        self,
        table: str,
        value: int,
        *,
        run_id: str | None = None,
        properties: dict[str, str] | None = None,
    ) -> tuple[int, datetime]:
        """One commit; returns (version, commit time as the log has it)."""
        from deltalake import CommitProperties, DeltaTable, write_deltalake

        metadata = {"lineage.run-id": run_id} if run_id else {}
        metadata.update(properties or {})
        time.sleep(0.005)
        write_deltalake(
            self.path(table),
            pa.table({"v": pa.array([value], pa.int64())}),
            mode="append",
            commit_properties=CommitProperties(custom_metadata=metadata),
        )
        dt = DeltaTable(self.path(table))
        version = dt.version()
        ms = dt.history(1)[0]["timestamp"]
        from temporal_lineage.times import from_millis

        return version, from_millis(ms)

    def sync(self) -> None:
        report = sync(self.store, self.settings)
        assert report.errors == [], report.errors

    def send(self, *events: dict[str, Any]) -> IngestReport:
        self.events.extend(events)
        payload = "\n".join(json.dumps(e) for e in events)
        return ingest_payload(self.store, payload, origin="test")


def new_run() -> str:
    return str(uuid.uuid4())


SECOND = timedelta(seconds=1)
