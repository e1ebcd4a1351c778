"""The Iceberg REST metrics endpoint: ScanReport and CommitReport payloads as the Java
``RESTMetricsReporter`` sends them, checked against the REST spec's shapes (the schema
pieces below, written from apache/iceberg's open-api/rest-catalog-open-api.yaml), answered
204 with a write token, refused with 400 naming the field; the reads then show in
``/api/v1/access``. On SQLite and PostgreSQL, over a real Iceberg table."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from sqlalchemy import select

from temporal_lineage.api import create_app
from temporal_lineage.store import open_store
from temporal_lineage.store import tables as t
from temporal_lineage.store.tokens import Scope
from temporal_lineage.sync import sync
from tests.api.conftest import make_token
from tests.query.test_access import build_lake

_COUNTER = {
    "type": "object",
    "required": ["unit", "value"],
    "properties": {"unit": {"type": "string"}, "value": {"type": "integer"}},
}
_TIMER = {
    "type": "object",
    "required": ["time-unit", "count", "total-duration"],
    "properties": {
        "time-unit": {"type": "string"},
        "count": {"type": "integer"},
        "total-duration": {"type": "integer"},
    },
}
_METRICS = {"type": "object", "additionalProperties": {"anyOf": [_COUNTER, _TIMER]}}
_METADATA = {"type": "object", "additionalProperties": {"type": "string"}}
SPEC = {
    "$defs": {
        "ScanReport": {
            "type": "object",
            "required": [
                "table-name",
                "snapshot-id",
                "filter",
                "schema-id",
                "projected-field-ids",
                "projected-field-names",
                "metrics",
            ],
            "properties": {
                "table-name": {"type": "string"},
                "snapshot-id": {"type": "integer"},
                "filter": {"type": ["boolean", "object"]},
                "schema-id": {"type": "integer"},
                "projected-field-ids": {"type": "array", "items": {"type": "integer"}},
                "projected-field-names": {"type": "array", "items": {"type": "string"}},
                "metrics": _METRICS,
                "metadata": _METADATA,
            },
        },
        "CommitReport": {
            "type": "object",
            "required": ["table-name", "snapshot-id", "sequence-number", "operation", "metrics"],
            "properties": {
                "table-name": {"type": "string"},
                "snapshot-id": {"type": "integer"},
                "sequence-number": {"type": "integer"},
                "operation": {"type": "string"},
                "metrics": _METRICS,
                "metadata": _METADATA,
            },
        },
    },
    "anyOf": [{"$ref": "#/$defs/ScanReport"}, {"$ref": "#/$defs/CommitReport"}],
    "required": ["report-type"],
    "properties": {"report-type": {"type": "string", "enum": ["scan-report", "commit-report"]}},
}
"""ReportMetricsRequest of the REST spec (Expression narrowed to what clients send)."""

VALIDATOR = Draft202012Validator(SPEC)


def scan_payload(snapshot: int, **metadata: str) -> dict[str, Any]:
    """A ScanReport as Iceberg Java's RESTMetricsReporter posts it after a Spark scan."""
    return {
        "report-type": "scan-report",
        "table-name": "lake.crm.people",
        "snapshot-id": snapshot,
        "filter": {"type": "not-null", "term": "id"},
        "schema-id": 1,
        "projected-field-ids": [1, 2],
        "projected-field-names": ["id", "mail"],
        "metrics": {
            "total-planning-duration": {
                "count": 1,
                "time-unit": "nanoseconds",
                "total-duration": 2644235116,
            },
            "result-data-files": {"unit": "count", "value": 2},
            "result-delete-files": {"unit": "count", "value": 0},
            "total-data-manifests": {"unit": "count", "value": 2},
            "scanned-data-manifests": {"unit": "count", "value": 2},
            "total-file-size-in-bytes": {"unit": "bytes", "value": 1480},
        },
        "metadata": {"engine-name": "spark", "engine-version": "3.5.1", **metadata},
    }


def commit_payload(snapshot: int) -> dict[str, Any]:
    """A CommitReport as the Java client posts it after an append."""
    return {
        "report-type": "commit-report",
        "table-name": "lake.crm.people",
        "snapshot-id": snapshot,
        "sequence-number": 2,
        "operation": "append",
        "metrics": {
            "total-duration": {"count": 1, "time-unit": "nanoseconds", "total-duration": 81},
            "added-data-files": {"unit": "count", "value": 1},
            "added-records": {"unit": "count", "value": 3},
        },
        "metadata": {"iceberg-version": "Apache Iceberg 1.6.1"},
    }


class Lake:
    def __init__(self, app: FastAPI, first: int, second: int) -> None:
        self.app = app
        self.first = first
        self.second = second
        store = app.state.lineage.store
        self.tokens = {scope: make_token(store, scope) for scope in Scope}

    def client(self, scope: Scope | None) -> TestClient:
        headers = {"Authorization": f"Bearer {self.tokens[scope]}"} if scope else {}
        return TestClient(self.app, headers=headers)


@pytest.fixture
def lake(tmp_path: Path, store_url: str) -> Iterator[Lake]:
    settings, first, second, _, _ = build_lake(tmp_path)
    settings = replace(
        settings, store_url=store_url, service=replace(settings.service, scheduler=False)
    )
    store = open_store(store_url)
    try:
        assert sync(store, settings).errors == []
    finally:
        store.close()
    app = create_app(settings)
    yield Lake(app, first, second)
    app.state.lineage.store.close()


def test_the_clients_payloads_fit_the_spec() -> None:
    assert list(VALIDATOR.iter_errors(scan_payload(1))) == []
    assert list(VALIDATOR.iter_errors(commit_payload(1))) == []


def test_a_scan_report_is_recorded_and_read_back(lake: Lake) -> None:
    writer = lake.client(Scope.WRITE)
    url = "/v1/lake/namespaces/crm/tables/people/metrics"
    answer = writer.post(url, json=scan_payload(lake.second))
    assert (answer.status_code, answer.content) == (204, b"")
    named = writer.post(
        "/v1/namespaces/crm/tables/people/metrics",
        json=scan_payload(lake.first, principal="erin"),
    )
    assert named.status_code == 204
    reads = lake.client(Scope.READ).get("/api/v1/access", params={"table": "lake.crm.people"})
    assert reads.status_code == 200
    shown = [(r["principal"], r["snapshot"], r["columns"], r["run"]) for r in reads.json()]
    assert shown == [
        ("test-write", lake.second, ["id", "mail"], None),  # the token's name
        ("erin", lake.first, ["id", "mail"], None),  # the client names its user
    ]
    assert all(r["evidence"].startswith("rest scan-report") for r in reads.json())
    by_column = lake.client(Scope.READ).get(
        "/api/v1/access", params={"table": "lake.crm.people", "column": "email"}
    )
    assert len(by_column.json()) == 2  # email is field 2, renamed mail


def test_a_commit_report_is_kept_but_is_no_read(lake: Lake) -> None:
    writer = lake.client(Scope.WRITE)
    answer = writer.post(
        "/v1/namespaces/crm/tables/people/metrics", json=commit_payload(lake.second)
    )
    assert answer.status_code == 204
    store = lake.app.state.lineage.store
    with store.connect() as conn:
        rows = conn.execute(
            select(
                t.scan_reports.c.report_kind, t.scan_reports.c.operation, t.scan_reports.c.table_id
            )
        ).all()
    assert [(kind, op, table_id is not None) for kind, op, table_id in rows] == [
        ("commit", "append", True)
    ]
    reads = lake.client(Scope.READ).get("/api/v1/access", params={"table": "lake.crm.people"})
    assert reads.json() == []


def test_a_multipart_namespace_is_split_on_the_unit_separator(lake: Lake) -> None:
    answer = lake.client(Scope.WRITE).post(
        "/v1/namespaces/a%1Fb/tables/t/metrics", json=scan_payload(7)
    )
    assert answer.status_code == 204
    with lake.app.state.lineage.store.connect() as conn:
        row = conn.execute(select(t.scan_reports.c.namespace, t.scan_reports.c.table_id)).one()
    assert tuple(row) == ("a.b", None)  # no such table yet: kept, matched by a later sync


def test_writes_need_a_write_token(lake: Lake) -> None:
    url = "/v1/namespaces/crm/tables/people/metrics"
    assert lake.client(None).post(url, json=scan_payload(1)).status_code == 401
    assert lake.client(Scope.READ).post(url, json=scan_payload(1)).status_code == 403
    assert lake.client(Scope.ADMIN).post(url, json=scan_payload(1)).status_code == 204


def _without(key: str) -> dict[str, Any]:
    payload = scan_payload(1)
    del payload[key]
    return payload


def _with(key: str, value: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    payload = copy.deepcopy(base or scan_payload(1))
    payload[key] = value
    return payload


BAD = [
    (_without("report-type"), "report-type: missing"),
    (_with("report-type", "view-report"), "report-type: 'view-report'"),
    (_without("snapshot-id"), "snapshot-id: missing"),
    (_without("projected-field-names"), "projected-field-names: missing"),
    (_with("snapshot-id", "23"), "snapshot-id: not an integer"),
    (_with("schema-id", True), "schema-id: not an integer"),
    (_with("projected-field-ids", ["1"]), "projected-field-ids[0]: not an integer"),
    (_with("projected-field-names", [1]), "projected-field-names[0]: not a string"),
    (_with("metrics", {"result-data-files": {"unit": "count"}}), "metrics.result-data-files"),
    (_with("metadata", {"user": 3}), "metadata.user: not a string"),
    (_with("operation", None, commit_payload(1)), "operation: missing"),
    (_with("sequence-number", 1.5, commit_payload(1)), "sequence-number: not an integer"),
]


@pytest.mark.parametrize(("payload", "message"), BAD, ids=[m for _, m in BAD])
def test_a_bad_payload_is_400_naming_the_field(
    lake: Lake, payload: dict[str, Any], message: str
) -> None:
    assert list(VALIDATOR.iter_errors(payload)) != []  # the spec refuses it too
    answer = lake.client(Scope.WRITE).post(
        "/v1/lake/namespaces/crm/tables/people/metrics", json=payload
    )
    assert answer.status_code == 400
    detail = answer.json()["detail"]
    assert message in detail and "\n" not in detail


def test_a_body_that_is_not_json_is_400(lake: Lake) -> None:
    answer = lake.client(Scope.WRITE).post(
        "/v1/namespaces/crm/tables/people/metrics",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 400 and answer.json()["detail"].startswith("body: not JSON")


def test_access_of_an_unknown_table_is_404(lake: Lake) -> None:
    answer = lake.client(Scope.READ).get("/api/v1/access", params={"table": "lake.nope.t"})
    assert answer.status_code == 404
    assert json.loads(answer.content)["detail"].startswith("unknown table lake.nope.t")
