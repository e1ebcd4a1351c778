"""API fuzz: schemathesis generates requests from /openapi.json; no answer is a 5xx."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from temporal_lineage.store.tokens import Scope
from tests.fuzz.mutations import fuzz_settings
from warehouse_fixtures.timeline import Timeline


def test_no_request_gets_a_server_error(app: FastAPI, tokens: dict[Scope, str]) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {tokens[Scope.ADMIN]}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.method, case.path, response.text)

        no_server_error()


_ENDPOINTS = [
    "snapshots",
    "schema",
    "schema-history",
    "lineage",
    "provenance",
    "diff",
    "impact",
    "propagation",
]
_TIMES = st.one_of(
    st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    ).map(lambda d: d.isoformat()),
    st.sampled_from(["2026-03-03", "2100-01-01", "0001-01-01", "9999-12-31T23:59:59Z", ""]),
    st.text(max_size=12),
)


def test_real_tables_with_random_parameters_never_fail_the_server(
    client: TestClient, warehouse: Timeline
) -> None:
    """Schemathesis rarely hits a real table; this walks every answer over the real ones."""
    tables = [*warehouse.tables, "lake.raw.nothing", "deltas.x.y.z"]
    columns = ["user_id", "amount", "ts", "does_not_exist", "a.b", ""]

    @given(
        table=st.sampled_from(tables),
        endpoint=st.sampled_from(_ENDPOINTS),
        as_of=_TIMES,
        other=_TIMES,
        known_at=st.one_of(st.none(), _TIMES),
        depth=st.integers(min_value=-1, max_value=101),
        direction=st.sampled_from(["upstream", "downstream", "both", "sideways"]),
        column=st.sampled_from(columns),
        change=st.sampled_from([None, "drop", "rename", "type:bigint", "type:int", "type:", "x"]),
    )
    @settings(
        max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def no_server_error(
        table: str,
        endpoint: str,
        as_of: str,
        other: str,
        known_at: str | None,
        depth: int,
        direction: str,
        column: str,
        change: str | None,
    ) -> None:
        params: dict[str, Any] = {"as_of": as_of, "from": as_of, "to": other, "since": other}
        params |= {"depth": depth, "direction": direction, "column": column}
        if known_at is not None:
            params["known_at"] = known_at
        if change is not None:
            params["change"] = change
        response = client.get(f"/api/v1/tables/{quote(table)}/{endpoint}", params=params)
        assert response.status_code < 500, (endpoint, params, response.text)
        if response.status_code >= 400:
            assert "\n" not in response.json()["detail"]

    no_server_error()


_RAW_VALUES = st.one_of(
    st.sampled_from(["%00", "%ED%A0%80", "%FF", "%", "%zz", "2026-03-03%00", "x" * 20_000]),
    st.text(max_size=12).map(lambda text: quote(text, safe="")),
)


def test_unstorable_and_broken_query_strings_get_a_4xx(
    client: TestClient, warehouse: Timeline
) -> None:
    """Raw query strings and paths (NUL, encoded surrogates, broken escapes, huge values):
    refused or answered, never a 5xx (a NUL once reached PostgreSQL's driver)."""
    tables = [*warehouse.tables, "lake.raw.nothing"]

    @given(
        table=st.one_of(st.sampled_from(tables), _RAW_VALUES),
        endpoint=st.sampled_from(_ENDPOINTS),
        name=st.sampled_from(["as_of", "known_at", "column", "since", "from", "direction", "%00"]),
        value=_RAW_VALUES,
    )
    @fuzz_settings(120)
    def no_server_error(table: str, endpoint: str, name: str, value: str) -> None:
        path = table if table not in tables else quote(table)
        response = client.get(f"/api/v1/tables/{path}/{endpoint}?{name}={value}")
        assert response.status_code < 500, (path, endpoint, name, value, response.text)
        if response.status_code >= 400 and response.headers.get("content-type", "").startswith(
            "application/json"
        ):
            assert "\n" not in response.json()["detail"]

    no_server_error()

    nul = client.get("/api/v1/tables/lake.raw.orders%00/snapshots")
    assert nul.status_code == 422 and "NUL" in nul.json()["detail"], nul.text
