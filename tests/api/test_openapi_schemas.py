"""``/openapi.json`` types every answer: each operation declares the schema of its success
(and error) bodies, and real answers of every endpoint (on SQLite and PostgreSQL) and the
golden answers of the CLI validate against those schemas (JSON Schema 2020-12, as OpenAPI
3.1 uses it)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from jsonschema import Draft202012Validator
from pydantic import BaseModel

from temporal_lineage.api import create_app
from temporal_lineage.api.responses import (
    access,
    changes,
    common,
    governance,
    graphs,
    history,
    hygiene,
    manifests,
    operations,
    quality,
    service,
)
from temporal_lineage.config import Settings
from temporal_lineage.store.tokens import Scope
from temporal_lineage.sync_metrics import PROMETHEUS_CONTENT_TYPE
from warehouse_fixtures.timeline import Timeline

JSON = "application/json"
SCAN_REPORT = {
    "report-type": "scan-report",
    "table-name": "lake.features.user_features",
    "snapshot-id": 1,
    "filter": True,
    "schema-id": 0,
    "projected-field-ids": [1],
    "projected-field-names": ["user_id"],
    "metrics": {"result-data-files": {"unit": "count", "value": 1}},
}
"""An Iceberg REST ScanReport (Java's RESTMetricsReporter)."""
TEXT_MEDIA = {"text/html", PROMETHEUS_CONTENT_TYPE}
"""The answers that are not JSON: the HTML audit report and the Prometheus text."""
FEATURES, TRAINING, EVENTS = "lake.features.user_features", "deltas.training_set", "lake.raw.events"
CUSTOMERS, CONTACTS = "lake.crm.customers", "deltas.marketing_contacts"
HASHED = "deltas.customer_emails_hashed"
ROOT = Path(__file__).resolve().parents[1]
EVENT = {
    "eventType": "START",
    "eventTime": "2026-03-03T10:00:00Z",
    "run": {"runId": "01930000-0000-7000-8000-0000000000ab"},
    "job": {"namespace": "openapi-tests", "name": "job"},
    "producer": "https://example.com/tests",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
}


def _operations(openapi: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def _schema(
    openapi: dict[str, Any], method: str, path: str, status: int, media: str = JSON
) -> dict[str, Any]:
    schema: dict[str, Any] = openapi["paths"][path][method]["responses"][str(status)]["content"][
        media
    ]["schema"]
    return schema


def _errors(
    openapi: dict[str, Any], schema: dict[str, Any], value: Any, formats: bool
) -> list[str]:
    """Where ``value`` breaks ``schema`` (its ``$ref``s resolved in the document)."""
    checker = Draft202012Validator.FORMAT_CHECKER if formats else None
    validator = Draft202012Validator(
        {**schema, "components": openapi["components"]}, format_checker=checker
    )
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:200]}"
        for e in validator.iter_errors(value)
    ]


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The document of an app over an empty store (the schemas do not depend on the data)."""
    folder = tmp_path_factory.mktemp("openapi")
    app = create_app(Settings(store_url=f"sqlite:///{folder / 'store.db'}"))
    try:
        return app.openapi()
    finally:
        app.state.lineage.store.close()


def test_every_operation_declares_its_answers(openapi: dict[str, Any]) -> None:
    for method, path, operation in _operations(openapi):
        where = f"{method.upper()} {path}"
        responses = operation["responses"]
        successes = [s for s in responses if s.startswith("2")]
        assert successes, where
        for status, response in responses.items():
            content = response.get("content")
            if status == "204":  # no content, by definition
                assert content is None, (where, status)
                continue
            assert content, (where, status)
            for media, entry in content.items():
                schema = entry.get("schema")
                assert schema, (where, status, media)
                if media == JSON:
                    assert "$ref" in json.dumps(schema), f"{where} {status}: untyped {schema}"
                else:
                    assert media in TEXT_MEDIA and schema == {"type": "string"}, (where, media)
        errors = [s for s in responses if not s.startswith("2")]
        assert errors, f"{where}: no error answer declared"
        for status in errors:
            ref = _schema(openapi, method, path, int(status))["$ref"]
            expected = "HealthUnavailable" if path == "/health" else "Problem"
            assert ref == f"#/components/schemas/{expected}", (where, status)


def test_every_schema_is_valid_and_every_reference_resolves(openapi: dict[str, Any]) -> None:
    components = openapi["components"]["schemas"]
    for schema in components.values():
        Draft202012Validator.check_schema(schema)
    refs = set(re.findall(r'"\$ref": "([^"]+)"', json.dumps(openapi)))
    assert refs and all(ref.startswith("#/components/schemas/") for ref in refs), refs
    assert {ref.rsplit("/", 1)[1] for ref in refs} <= set(components)


def _models() -> list[type[BaseModel]]:
    found = []
    for module in (
        access,
        common,
        history,
        graphs,
        changes,
        manifests,
        service,
        governance,
        operations,
        quality,
        hygiene,
    ):
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, BaseModel)
            and value.__module__ == module.__name__
            and value is not common.Wire
            and not value.__name__.startswith("_")
        ]
    return found


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
def test_objects_with_fixed_keys_refuse_others_and_describe_each(
    openapi: dict[str, Any], model: type[BaseModel]
) -> None:
    schema = openapi["components"]["schemas"].get(model.__name__)
    assert schema is not None, f"{model.__name__} is in no answer"
    assert schema.get("description"), f"{model.__name__} has no description"
    extra = schema.get("additionalProperties")
    assert extra is False or (isinstance(extra, dict) and extra), model.__name__
    for key, prop in schema["properties"].items():
        assert prop.get("description"), f"{model.__name__}.{key} has no description"


# --- real answers -------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One request, the operation it exercises and what its answer must hold."""

    method: str
    path: str
    """The OpenAPI path template."""
    values: dict[str, str] = field(default_factory=dict)
    """Values of the template's parameters."""
    params: dict[str, str] = field(default_factory=dict)
    body: Any = None
    scope: Scope | None = Scope.READ
    status: int = 200
    media: str = JSON
    nonempty: tuple[str, ...] = ()
    """Dotted paths to lists the answer must have items in (``""``: the answer itself)."""

    @property
    def url(self) -> str:
        return self.path.format(**{k: quote(v, safe="") for k, v in self.values.items()})


def _at(value: Any, dotted: str) -> Any:
    for key in filter(None, dotted.split(".")):
        value = value[int(key)] if isinstance(value, list) else value[key]
    return value


def _cases(warehouse: Timeline) -> list[Case]:
    rename = warehouse.events_for(FEATURES, "rename_column")[0].at
    day4 = next(e.at for e in warehouse.events_for(TRAINING) if e.day == 4)
    published = warehouse.events_for(EVENTS, "publish")[0].at
    end = "2100-01-01"
    run = next(r for r in warehouse.runs if any(i.table for i in r.inputs) and r.outputs)
    table = "/api/v1/tables/{table}"
    on = {"features": {"table": FEATURES}, "training": {"table": TRAINING}}
    events = {"table": EVENTS}
    return [
        Case("get", "/api/v1/tables", nonempty=("",)),
        Case("get", "/api/v1/tables", params={"q": "raw"}, nonempty=("",)),
        Case("get", table + "/snapshots", on["features"], nonempty=("", "0.evidence")),
        Case("get", table + "/snapshots", on["training"], {"as_of": day4}, nonempty=("",)),
        Case(
            "get", table + "/snapshots", on["training"], {"check_readable": "true"}, nonempty=("",)
        ),
        Case(
            "get",
            table + "/snapshots",
            events,
            {"ref": "audit", "as_of": published},
            nonempty=("",),
        ),
        Case("get", table + "/schema", on["features"], {"as_of": rename}, nonempty=("fields",)),
        Case("get", table + "/schema", on["training"], {"as_of": "2000-01-01"}),
        Case("get", table + "/refs", events, nonempty=("",)),
        Case("get", table + "/refs", events, {"as_of": end}, nonempty=("",)),
        Case("get", table + "/schema-history", on["features"], nonempty=("", "1.changes")),
        Case(
            "get", "/api/v1/runs/{run_id}", {"run_id": run.run_id}, nonempty=("inputs", "outputs")
        ),
        Case(
            "get",
            table + "/lineage",
            on["training"],
            {"as_of": day4, "direction": "both", "depth": "3"},
            nonempty=("nodes", "edges"),
        ),
        Case(
            "get",
            table + "/lineage",
            events,
            {"as_of": end, "direction": "downstream"},
            nonempty=("nodes", "edges"),
        ),
        Case(
            "get",
            table + "/provenance",
            on["training"],
            {"as_of": day4},
            nonempty=("nodes", "edges"),
        ),
        Case(
            "get",
            table + "/diff",
            on["training"],
            {"from": day4, "to": end},
            nonempty=("upstream", "schema_changes", "code"),
        ),
        Case("get", table + "/reproduce", on["training"], {"as_of": day4}, nonempty=("tables",)),
        Case(
            "get",
            table + "/audit",
            on["training"],
            {"as_of": day4, "format": "json"},
            nonempty=("lineage.nodes", "provenance.edges"),
        ),
        Case("get", table + "/audit", on["training"], {"as_of": day4}, media="text/html"),
        Case(
            "get",
            table + "/impact",
            events,
            {"column": "amount", "as_of": end},
            nonempty=("affected",),
        ),
        Case(
            "get",
            table + "/impact",
            on["features"],
            {"column": "total_amount", "change": "rename", "as_of": end},
            nonempty=("affected",),
        ),
        Case(
            "get",
            table + "/propagation",
            on["features"],
            {"as_of": end},
            nonempty=("", "0.downstream"),
        ),
        Case(
            "get",
            table + "/classification",
            {"table": CONTACTS},
            nonempty=("columns", "columns.1.tags", "columns.1.tags.1.path"),
        ),
        Case(
            "get",
            table + "/classification",
            {"table": HASHED},
            {"as_of": end},
            nonempty=("columns", "columns.1.stopped"),
        ),
        Case(
            "get",
            table + "/lineage/tags",
            {"table": CONTACTS},
            {"direction": "upstream"},
            nonempty=("tables", "tables.0.tags", "tables.0.tags.0.columns"),
        ),
        Case("get", "/api/v1/policy", nonempty=("policies", "policies.0.violations")),
        Case("get", "/api/v1/access", params={"table": FEATURES}, nonempty=("",)),
        Case("get", "/api/v1/access", params={"table": "lake.nope.nothing"}, status=404),
        Case(
            "post",
            "/v1/namespaces/{namespace}/tables/{table}/metrics",
            {"namespace": "features", "table": "user_features"},
            body=SCAN_REPORT,
            scope=Scope.WRITE,
            status=204,
        ),
        Case(
            "post",
            "/v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics",
            {"prefix": "lake", "namespace": "features", "table": "user_features"},
            body=SCAN_REPORT,
            scope=Scope.WRITE,
            status=204,
        ),
        Case(
            "post",
            "/v1/namespaces/{namespace}/tables/{table}/metrics",
            {"namespace": "features", "table": "user_features"},
            body={"report-type": "scan-report"},
            scope=Scope.WRITE,
            status=400,
        ),
        Case("get", "/api/v1/policy", params={"policy": "pii-owned", "as_of": end}),
        Case(
            "post",
            "/api/v1/tags",
            body={"target": f"{TRAINING}.country", "tag": "openapi-test", "reason": "schema"},
            scope=Scope.WRITE,
            status=201,
        ),
        Case(
            "get",
            table + "/erasure",
            {"table": CUSTOMERS},
            {"where": "customer_id = 42"},
            nonempty=("tables", "tables.0.snapshots"),
        ),
        Case(
            "post",
            table + "/erasure/verify",
            {"table": CUSTOMERS},
            {"where": "customer_id = 42"},
            scope=Scope.WRITE,
            status=201,
            nonempty=("tables",),
        ),
        Case(
            "get",
            table + "/erasure",
            {"table": CUSTOMERS},
            {"where": "customer_id = = 1"},
            status=422,
        ),
        Case("get", "/api/v1/freshness", {}, {"as_of": day4}, nonempty=("",)),
        Case("get", "/api/v1/freshness", {}, {"table": TRAINING, "as_of": end}, nonempty=("",)),
        Case(
            "get",
            table + "/health",
            on["training"],
            {"as_of": day4, "window": "30d"},
            nonempty=("commits", "lag_series", "runs", "jobs"),
        ),
        Case(
            "get",
            "/api/v1/jobs/{job}/health",
            {"job": f"{run.namespace}/{run.job}"},
            {"as_of": run.ended_at or end, "window": "30d"},
            nonempty=("runs",),
        ),
        Case("get", "/api/v1/freshness", {}, {"table": "lake.nope.nothing"}, status=404),
        Case("get", table + "/quality", on["training"], {"as_of": end}),
        Case(
            "get",
            table + "/triage",
            on["training"],
            {"at": day4, "window": "30d"},
            nonempty=("causes", "causes.0.evidence", "upstream"),
        ),
        Case("get", table + "/triage", on["training"], {}, status=422),
        Case("get", "/api/v1/hygiene", params={"as_of": end}, nonempty=("unused", "retained")),
        Case(
            "get",
            "/api/v1/hygiene",
            params={"as_of": day4, "window": "400d", "known_at": end},
            nonempty=("unused",),
        ),
        Case("get", "/api/v1/hygiene", params={"window": "soon"}, status=422),
        Case("get", "/health", scope=None, nonempty=("sources",)),
        Case("get", "/metrics", media=PROMETHEUS_CONTENT_TYPE),
        Case("post", "/api/v1/sync", scope=Scope.ADMIN),
        Case("post", "/api/v1/lineage", body=EVENT, scope=Scope.WRITE, status=201),
        Case("post", "/api/v1/lineage/batch", body=[EVENT], scope=Scope.WRITE, status=201),
        Case(
            "post",
            "/api/v1/layout",
            body={"nodes": [{"id": "a"}, {"id": "b"}], "edges": [{"from": "a", "to": "b"}]},
            nonempty=("boxes", "routes"),
        ),
        # Errors: the problem shape (and the right status) of each kind.
        Case("get", table + "/snapshots", {"table": "lake.nope.nothing"}, status=404),
        Case("get", table + "/lineage", on["training"], {"as_of": "yesterday"}, status=422),
        Case("get", "/api/v1/runs/{run_id}", {"run_id": "no-such-run"}, status=404),
        Case("get", "/api/v1/tables", scope=None, status=401),
        Case("post", "/api/v1/sync", status=403),
        Case("post", "/api/v1/lineage", body="nope", scope=Scope.WRITE, status=400),
        Case("post", "/api/v1/lineage", body={"eventTime": "x"}, scope=Scope.WRITE, status=422),
    ]


def _send(client: TestClient, case: Case, tokens: dict[Scope, str], body: Any) -> Response:
    sent: dict[str, Any] = {}
    if isinstance(body, str):
        sent["content"] = body
    elif body is not None:
        sent["json"] = body
    request = client.build_request(case.method.upper(), case.url, params=case.params, **sent)
    del request.headers["Authorization"]  # the client's own read token
    if case.scope is not None:
        request.headers["Authorization"] = f"Bearer {tokens[case.scope]}"
    return client.send(request)


def test_real_answers_validate_against_the_document(
    client: TestClient, tokens: dict[Scope, str], warehouse: Timeline
) -> None:
    openapi = client.get("/openapi.json").json()
    failures: list[str] = []
    covered: set[tuple[str, str]] = set()
    manifest: Any = None
    cases = _cases(warehouse)
    verify = Case("post", "/api/v1/verify", nonempty=("tables",))
    for case in [*cases, verify]:
        where = f"{case.method.upper()} {case.url}?{case.params}"
        body = manifest if case is verify else case.body
        response = _send(client, case, tokens, body)
        if response.status_code != case.status:
            failures.append(f"{where}: status {response.status_code}: {response.text[:300]}")
            continue
        if case.status == 204:
            assert response.content == b"", where
            covered.add((case.method, case.path))
            continue
        media = response.headers["content-type"]
        if case.media != JSON:
            assert media.startswith(case.media.split(";")[0]), (where, media)
            _schema(openapi, case.method, case.path, case.status, case.media)
            covered.add((case.method, case.path))
            continue
        answer = response.json()
        if case.path.endswith("/reproduce"):
            manifest = answer
        schema = _schema(openapi, case.method, case.path, case.status)
        failures += [f"{where}: {e}" for e in _errors(openapi, schema, answer, formats=True)]
        failures += [f"{where}: {p} is empty" for p in case.nonempty if not _at(answer, p)]
        if case.status < 300:
            covered.add((case.method, case.path))
    assert not failures, "\n".join(failures)
    assert {(m, p) for m, p, _ in _operations(openapi)} == covered


def test_an_unavailable_store_is_the_documented_health_answer(
    tmp_path: Path, openapi: dict[str, Any]
) -> None:
    database = tmp_path / "store.db"
    app = create_app(Settings(store_url=f"sqlite:///{database}"))
    store = app.state.lineage.store
    try:
        store.close()
        database.unlink()  # the next connection finds an empty database: no store tables
        response = TestClient(app).get("/health")
        assert response.status_code == 503, response.text
        schema = _schema(openapi, "get", "/health", 503)
        assert _errors(openapi, schema, response.json(), formats=True) == []
    finally:
        store.close()


# --- golden answers -----------------------------------------------------------------------

_SNAPSHOT_KEYS = {"snapshot", "from_snapshot", "to_snapshot", "current_snapshot", "parent"}
_SNAPSHOT_NAME = re.compile(r"^<snapshot-(\d+)>$")


def _denormalised(value: Any) -> Any:
    """A golden of ``tests/test_warehouse_lineage.py`` with the types its normalisation
    changed put back: named snapshot ids are ids again, the ``summary`` map a map (the other
    placeholders replace strings by strings; times are not checked for their format)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            named = _SNAPSHOT_NAME.match(item) if isinstance(item, str) else None
            if key in _SNAPSHOT_KEYS and named:
                out[key] = 10**6 + int(named.group(1))
            elif key == "summary" and item == "<summary>":
                out[key] = {}
            else:
                out[key] = _denormalised(item)
        return out
    if isinstance(value, list):
        return [_denormalised(item) for item in value]
    return value


WAREHOUSE_GOLDEN = {
    "warehouse-snapshots.json": "/api/v1/tables/{table}/snapshots",
    "warehouse-lineage-day4.json": "/api/v1/tables/{table}/lineage",
    "warehouse-lineage-downstream.json": "/api/v1/tables/{table}/lineage",
    "warehouse-provenance-day4.json": "/api/v1/tables/{table}/provenance",
}
"""Each golden of ``tests/test_warehouse_lineage.py`` and the endpoint answering its command."""


def test_warehouse_golden_answers_validate(openapi: dict[str, Any]) -> None:
    files = {p.name for p in (ROOT / "golden").glob("*.json")}
    assert files == set(WAREHOUSE_GOLDEN), "a golden file without its endpoint here"
    for name, path in WAREHOUSE_GOLDEN.items():
        golden = _denormalised(json.loads((ROOT / "golden" / name).read_text(encoding="utf-8")))
        schema = _schema(openapi, "get", path, 200)
        assert _errors(openapi, schema, golden, formats=False) == [], name


def test_realworld_golden_answers_validate(openapi: dict[str, Any]) -> None:
    """A golden of ``tests/cli/test_golden.py`` is no answer itself but three per table:
    ``snapshots`` (without each row's ``summary``, a free map: an empty one is put back),
    ``schema`` and ``schema-history``."""
    files = sorted((ROOT / "cli" / "golden").glob("*.json"))
    assert files
    snapshots = _schema(openapi, "get", "/api/v1/tables/{table}/snapshots", 200)
    schema = _schema(openapi, "get", "/api/v1/tables/{table}/schema", 200)
    history_schema = _schema(openapi, "get", "/api/v1/tables/{table}/schema-history", 200)
    for path in files:
        golden = json.loads(path.read_text(encoding="utf-8"))
        assert set(golden) == {"snapshots", "schema", "schema_history"}, path.name
        rows = [{**row, "summary": {}} for row in golden["snapshots"]]
        assert _errors(openapi, snapshots, rows, formats=True) == [], path.name
        assert _errors(openapi, schema, golden["schema"], formats=True) == [], path.name
        assert _errors(openapi, history_schema, golden["schema_history"], formats=True) == [], (
            path.name
        )


def test_drift_from_the_documented_shape_is_caught(openapi: dict[str, Any]) -> None:
    golden = _denormalised(
        json.loads((ROOT / "golden" / "warehouse-lineage-day4.json").read_text("utf-8"))
    )
    schema = _schema(openapi, "get", "/api/v1/tables/{table}/lineage", 200)
    assert _errors(openapi, schema, golden, formats=False) == []
    node = golden["nodes"][0]
    edge = golden["edges"][0]
    for drifted in (
        {**golden, "nodes": [{**node, "extra": 1}]},
        {**golden, "nodes": [{k: v for k, v in node.items() if k != "matched"}]},
        {**golden, "edges": [{**edge, "evidence": [{"kind": "hearsay", "detail": ""}]}]},
        {**golden, "edges": [{**edge, "evidence": []}]},
        {**golden, "direction": "sideways"},
        {**golden, "depth": "3"},
    ):
        assert _errors(openapi, schema, drifted, formats=False), drifted
