"""Principals of runs and projected Iceberg fields, read from real producers' events (the
shared OpenLineage corpus) and stored once per run, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from sqlalchemy import select

from temporal_lineage.ingest import ingest_payload
from temporal_lineage.openlineage.events import DeclaredPrincipal, ParsedEvent
from temporal_lineage.openlineage.parse import parse_event, parse_payload
from temporal_lineage.store import Store
from temporal_lineage.store import tables as t
from tests.openlineage.corpus import OPENLINEAGE, fill_template, template_events

SPARK = "compat_spark_dataproc/simple_producer_test_4_complete.json"
AIRFLOW = "compat_airflow/line_01.json"
DBT = "ol_dbt_integration_expected/dbt_spark_thrift_result.json"


def _load(name: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((OPENLINEAGE / name).read_text(encoding="utf-8"))
    return value


def _event(name: str) -> ParsedEvent:
    return parse_event(_load(name))


def test_the_spark_engine_is_named_with_its_version() -> None:
    assert _event(SPARK).principals == (
        DeclaredPrincipal("engine", "spark 3.5.1", "processing_engine"),
    )


def test_airflow_names_its_engine_and_the_dag_owner() -> None:
    assert _event(AIRFLOW).principals == (
        DeclaredPrincipal("engine", "Airflow 3.0.0.dev0", "processing_engine"),
        DeclaredPrincipal("owner", "***", "ownership"),
    )


def test_every_dbt_event_names_dbt() -> None:
    engines = {
        p.name
        for raw in template_events(DBT)
        if "run" in raw
        for p in parse_event(fill_template(raw)).principals
        if p.kind == "engine"
    }
    assert engines == {"dbt 1.0.0"}


def with_spark_user(raw: dict[str, Any], user: str) -> dict[str, Any]:
    """The Spark event with the Spark integration's ``spark_applicationDetails`` facet (as
    OpenLineage 1.2x sends it) added."""
    event = copy.deepcopy(raw)
    event["run"]["facets"]["spark_applicationDetails"] = {
        "_producer": event["producer"],
        "_schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunFacet",
        "master": "local",
        "appName": "CLI test application",
        "applicationId": "local-1729097631761",
        "deployMode": "client",
        "driverHost": "10.0.0.5",
        "userName": user,
        "uiWebUrl": "http://10.0.0.5:4040",
    }
    return event


def test_the_spark_user_comes_first() -> None:
    event = parse_event(with_spark_user(_load(SPARK), "alice"))
    assert event.principals[0] == DeclaredPrincipal("user", "alice", "spark_applicationDetails")
    assert [p.kind for p in event.principals] == ["user", "engine"]


def test_the_trino_user_is_read_from_the_query_context() -> None:
    raw = copy.deepcopy(_load(SPARK))
    raw["run"]["facets"]["trino_query_context"] = {
        "_producer": "https://github.com/trinodb/trino/plugin/trino-openlineage",
        "_schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunFacet",
        "serverAddress": "http://trino:8080",
        "environment": "prod",
        "queryType": "SELECT",
        "user": "bob",
        "originalUser": "bob",
    }
    assert DeclaredPrincipal("user", "bob", "trino_query_context") in parse_event(raw).principals


def test_a_mistyped_user_rejects_the_event_naming_the_field() -> None:
    raw = with_spark_user(_load(SPARK), "alice")
    raw["run"]["facets"]["spark_applicationDetails"]["userName"] = 42
    (rejected,) = parse_payload(json.dumps(raw), origin="x.json")
    assert "run.facets.spark_applicationDetails.userName" in getattr(rejected, "error", "")


def _scan_input(raw: dict[str, Any]) -> dict[str, Any]:
    event = copy.deepcopy(raw)
    event["inputs"][0].setdefault("inputFacets", {})["icebergScanReport"] = {
        "_producer": event["producer"],
        "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/IcebergScanReportInputDatasetFacet.json",
        "snapshotId": 4242,
        "filterDescription": "true",
        "schemaId": 0,
        "projectedFieldNames": ["id", "email"],
        "scanMetrics": {"totalPlanningDuration": 3, "resultDataFiles": 1},
    }
    return event


def test_principals_and_projections_are_stored_once_per_run(store: Store) -> None:
    raw = _scan_input(with_spark_user(_load(SPARK), "alice"))
    again = copy.deepcopy(raw)
    again["eventTime"] = "2024-10-16T17:00:00Z"  # a second event of the run: same principals
    for event in (raw, again, raw):
        assert ingest_payload(store, json.dumps(event), origin="x").rejected == []
    with store.connect() as conn:
        principals = conn.execute(
            select(t.run_principals.c.kind, t.run_principals.c.principal).order_by(
                t.run_principals.c.id
            )
        ).all()
        facets = conn.execute(
            select(t.run_datasets.c.facets, t.run_datasets.c.snapshot_id).where(
                t.run_datasets.c.direction == "input"
            )
        ).all()
    assert [tuple(p) for p in principals] == [("user", "alice"), ("engine", "spark 3.5.1")]
    assert {(json.dumps(f["projected"]), s) for f, s in facets} == {
        (json.dumps({"names": ["id", "email"]}), 4242)
    }


@pytest.mark.parametrize("names", [[1], "id"])
def test_a_malformed_projection_is_not_kept(store: Store, names: Any) -> None:
    raw = _scan_input(_load(SPARK))
    raw["inputs"][0]["inputFacets"]["icebergScanReport"]["projectedFieldNames"] = names
    assert ingest_payload(store, json.dumps(raw), origin="x").rejected == []
    with store.connect() as conn:
        facets = conn.execute(select(t.run_datasets.c.facets)).scalars().all()
    assert all("projected" not in f for f in facets)
