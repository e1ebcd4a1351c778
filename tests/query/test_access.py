"""``access``: reads of a real Iceberg table (pyiceberg, SQL catalog in tmp_path) by runs
(OpenLineage inputs with their principals, pinned snapshots, projected or lineage columns)
and by Iceberg scan reports, on SQLite and PostgreSQL; a column filter across a rename,
known_at, windows, and the allowed_readers policy over the same facts."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.schema import Schema
from pyiceberg.types import LongType, NestedField, StringType

from temporal_lineage.config import Settings, load_settings
from temporal_lineage.errors import ColumnNotFound, TableNotFound
from temporal_lineage.governance_config import parse_governance
from temporal_lineage.ingest import ingest_payload
from temporal_lineage.model import TableRef
from temporal_lineage.query.access import access, reads_in_window
from temporal_lineage.query.policy import policy_check
from temporal_lineage.store import Store
from temporal_lineage.store.access_writes import MetricsReport
from temporal_lineage.sync import sync
from temporal_lineage.times import format_time, now

PEOPLE = TableRef.from_user_string("lake.crm.people")
PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.23.0/integration/spark"


@dataclass
class Lake:
    settings: Settings
    first: int
    """The snapshot before the rename of email to mail."""
    second: int
    between: datetime
    """A time between the two commits."""
    after: datetime


def _rows(start: int) -> pa.Table:
    return pa.table(
        {
            "id": pa.array(range(start, start + 3), pa.int64()),
            "email": pa.array([f"u{i}@x.org" for i in range(start, start + 3)], pa.string()),
        }
    )


def build_lake(root: Path) -> tuple[Settings, int, int, datetime, datetime]:
    """crm.people: one append, ``email`` renamed to ``mail``, another append."""
    uri = f"sqlite:///{root / 'catalog.db'}"
    warehouse = f"file://{root / 'warehouse'}"
    (root / "warehouse").mkdir()
    catalog = SqlCatalog("lake", uri=uri, warehouse=warehouse)
    catalog.create_namespace("crm")
    schema = Schema(
        NestedField(1, "id", LongType(), required=False),
        NestedField(2, "email", StringType(), required=False),
    )
    table = catalog.create_table("crm.people", schema=schema)
    table.append(_rows(0))
    first = table.current_snapshot().snapshot_id  # type: ignore[union-attr]
    time.sleep(0.02)
    between = now()
    time.sleep(0.02)
    with table.update_schema() as update:
        update.rename_column("email", "mail")
    table.append(_rows(3).rename_columns(["id", "mail"]))
    second = table.current_snapshot().snapshot_id  # type: ignore[union-attr]
    time.sleep(0.02)
    after = now()
    config = root / "lineage.yaml"
    config.write_text(
        "sources:\n"
        "  - name: lake\n"
        "    format: iceberg\n"
        f"    catalog: {{type: sql, uri: {json.dumps(uri)}, warehouse: {json.dumps(warehouse)}}}\n",
        encoding="utf-8",
    )
    return load_settings(config), first, second, between, after


@pytest.fixture
def lake(tmp_path: Path, store: Store) -> Lake:
    settings, first, second, between, after = build_lake(tmp_path)
    assert sync(store, settings).errors == []
    return Lake(settings, first, second, between, after)


def run_event(
    at: datetime,
    job: str,
    *,
    run_id: str | None = None,
    run_facets: dict[str, Any] | None = None,
    input_facets: dict[str, Any] | None = None,
    outputs: list[dict[str, Any]] | None = None,
    event_type: str = "COMPLETE",
) -> str:
    """A RunEvent reading lake/crm.people."""
    return json.dumps(
        {
            "eventTime": format_time(at),
            "eventType": event_type,
            "producer": PRODUCER,
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": run_id or str(uuid.uuid4()), "facets": run_facets or {}},
            "job": {"namespace": "etl", "name": job},
            "inputs": [
                {"namespace": "lake", "name": "crm.people", "inputFacets": input_facets or {}}
            ],
            "outputs": outputs or [],
        }
    )


def spark_user(user: str) -> dict[str, Any]:
    return {
        "spark_applicationDetails": {
            "_producer": PRODUCER,
            "_schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunFacet",
            "master": "local",
            "appName": "export",
            "userName": user,
        },
        "processing_engine": {
            "_producer": PRODUCER,
            "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/ProcessingEngineRunFacet.json",
            "name": "spark",
            "version": "3.5.1",
        },
    }


def scan_facet(snapshot: int, names: list[str]) -> dict[str, Any]:
    return {
        "icebergScanReport": {
            "_producer": PRODUCER,
            "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/IcebergScanReportInputDatasetFacet.json",
            "snapshotId": snapshot,
            "schemaId": 0,
            "projectedFieldNames": names,
        }
    }


def contact_lineage(field: str) -> list[dict[str, Any]]:
    return [
        {
            "namespace": "lake",
            "name": "crm.contacts",
            "facets": {
                "columnLineage": {
                    "_producer": PRODUCER,
                    "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json",
                    "fields": {
                        "contact": {
                            "inputFields": [
                                {"namespace": "lake", "name": "crm.people", "field": field}
                            ]
                        }
                    },
                }
            },
        }
    ]


def scan_report(snapshot: int, ids: list[int], names: list[str], who: str) -> MetricsReport:
    return MetricsReport(
        kind="scan",
        namespace="crm",
        name="people",
        table_name="lake.crm.people",
        prefix=None,
        snapshot_id=snapshot,
        schema_id=1,
        projected_field_ids=tuple(ids),
        projected_field_names=tuple(names),
        filter="true",
        principal=who,
    )


def _ingest(store: Store, payload: str) -> None:
    assert ingest_payload(store, payload, origin="test").rejected == []


@dataclass
class Story:
    lake: Lake
    alice_run: str
    bob_run: str
    known_before_bob: datetime


@pytest.fixture
def story(store: Store, lake: Lake) -> Story:
    """alice (Spark) scans id+email at the first snapshot; bob's Trino run takes mail through
    column lineage; carol's client reports a REST scan of id+mail at the second snapshot."""
    alice = str(uuid.uuid4())
    start = lake.between
    _ingest(store, run_event(start, "export", run_id=alice, event_type="START"))
    _ingest(
        store,
        run_event(
            start + timedelta(seconds=5),
            "export",
            run_id=alice,
            run_facets=spark_user("alice"),
            input_facets=scan_facet(lake.first, ["id", "email"]),
        ),
    )
    time.sleep(0.02)
    known_before_bob = now()
    time.sleep(0.02)
    bob = str(uuid.uuid4())
    trino = {
        "trino_query_context": {
            "_producer": PRODUCER,
            "_schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunFacet",
            "user": "bob",
            "queryType": "INSERT",
        }
    }
    _ingest(
        store,
        run_event(
            lake.after, "contacts", run_id=bob, run_facets=trino, outputs=contact_lineage("mail")
        ),
    )
    store.record_metrics_reports([scan_report(lake.second, [1, 2], ["id", "mail"], "carol")], now())
    return Story(lake, alice, bob, known_before_bob)


def test_every_read_names_its_principal_snapshot_columns_and_evidence(
    store: Store, story: Story
) -> None:
    reads = access(store, PEOPLE, start=None, end=None)
    assert [(r.principal, r.snapshot, r.columns) for r in reads] == [
        ("alice", story.lake.first, ("id", "email")),
        ("bob", story.lake.second, ("mail",)),
        ("carol", story.lake.second, ("id", "mail")),
    ]
    alice, bob, carol = reads
    assert (alice.run, alice.job, alice.at) == (story.alice_run, "etl/export", story.lake.between)
    assert "icebergScanReport" in alice.evidence and "spark_applicationDetails" in alice.evidence
    assert "head at the read" in bob.evidence and "column lineage" in bob.evidence
    assert "trino_query_context" in bob.evidence
    assert (carol.run, carol.job) == (None, None)
    assert carol.evidence.startswith("rest scan-report")


@pytest.mark.parametrize(
    ("column", "who"),
    [
        ("mail", ["alice", "bob", "carol"]),  # alice read it as email, before the rename
        ("email", ["alice", "bob", "carol"]),  # the same field id
        ("id", ["alice", "carol"]),
    ],
)
def test_a_column_filter_follows_the_field_across_a_rename(
    store: Store, story: Story, column: str, who: list[str]
) -> None:
    reads = access(store, PEOPLE, start=None, end=None, column=column)
    assert [r.principal for r in reads] == who


def test_a_read_is_dated_by_the_runs_start(store: Store, lake: Lake) -> None:
    run_id = str(uuid.uuid4())
    start = json.loads(run_event(lake.between, "late-input", run_id=run_id, event_type="START"))
    start["inputs"] = []  # the input is only named on completion
    _ingest(store, json.dumps(start))
    _ingest(store, run_event(lake.after, "late-input", run_id=run_id))
    (read,) = access(store, PEOPLE, start=None, end=None)
    assert (read.run, read.at, read.snapshot) == (run_id, lake.between, lake.first)
    later = lake.between + timedelta(milliseconds=1)
    assert access(store, PEOPLE, start=later, end=None) == []  # it started before


def test_known_at_hides_what_was_recorded_later(store: Store, story: Story) -> None:
    reads = access(store, PEOPLE, start=None, end=None, known_at=story.known_before_bob)
    assert [r.principal for r in reads] == ["alice"]


def test_the_window_bounds_the_reads(store: Store, story: Story) -> None:
    later = access(store, PEOPLE, start=story.lake.after, end=None)
    assert [r.principal for r in later] == ["bob", "carol"]
    earlier = access(store, PEOPLE, start=None, end=story.lake.after - timedelta(milliseconds=1))
    assert [r.principal for r in earlier] == ["alice"]


def test_reads_in_window_give_each_tables_last_read(store: Store, story: Story) -> None:
    with store.reader() as reader:
        table_id = reader.get_table(PEOPLE).table_id
    last = reads_in_window(store, start=story.lake.between, end=now())
    assert set(last) == {table_id} and last[table_id] > story.lake.after
    later = now() + timedelta(hours=1)  # alice's last event is dated 5 s ahead
    assert reads_in_window(store, start=later, end=later + timedelta(days=1)) == {}
    only_alice = reads_in_window(
        store, start=story.lake.between, end=later, known_at=story.known_before_bob
    )
    assert only_alice == {table_id: story.lake.between + timedelta(seconds=5)}


def test_unknown_tables_and_columns_are_errors(store: Store, story: Story) -> None:
    with pytest.raises(TableNotFound):
        access(store, TableRef.from_user_string("lake.crm.nobody"), start=None, end=None)
    with pytest.raises(ColumnNotFound, match="phone"):
        access(store, PEOPLE, start=None, end=None, column="phone")


def test_a_report_before_its_table_is_synced_matches_at_the_sync(
    tmp_path: Path, store: Store
) -> None:
    settings, first, _, _, _ = build_lake(tmp_path)
    store.record_metrics_reports([scan_report(first, [1], ["id"], "dora")], now())
    assert sync(store, settings).errors == []
    assert [r.principal for r in access(store, PEOPLE, start=None, end=None)] == ["dora"]


def test_allowed_readers_counts_runs_users_and_scan_reports(store: Store, story: Story) -> None:
    governance = parse_governance(
        [{"tag": "pii", "column": "^(email|mail)$"}],
        None,
        [
            {
                "name": "pii-readers",
                "kind": "allowed_readers",
                "tag": "pii",
                "jobs": ["etl/contacts", "alice"],
            }
        ],
        "test",
    )
    report = policy_check(store, governance, now())
    (result,) = report.results
    details = [v.detail for v in result.violations]
    assert len(details) == 1, details  # the export job runs as alice; contacts is allowed
    assert details[0].startswith("carol read it (holds pii) through Iceberg scan report")
    assert f"snapshot {story.lake.second}" in details[0]
    governance_strict = parse_governance(
        [{"tag": "pii", "column": "^(email|mail)$"}],
        None,
        [{"name": "r", "kind": "allowed_readers", "tag": "pii", "jobs": ["nobody"]}],
        "test",
    )
    strict = policy_check(store, governance_strict, now()).results[0]
    assert sorted(v.detail.split(" read it")[0] for v in strict.violations) == [
        "carol",
        "job etl/contacts",
        "job etl/export",
    ]
    assert any(
        v.detail.endswith("allowed readers: nobody") and " as alice" in v.detail
        for v in strict.violations
    )
