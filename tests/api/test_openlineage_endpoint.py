"""The drop-in OpenLineage endpoint: the real openlineage-python client posting to a live
server (gzip on, api_key auth), then the lineage visible through the API; bad input gets a
4xx with a reason and nothing of it is stored."""

from __future__ import annotations

import gzip
import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openlineage.client import OpenLineageClient
from openlineage.client.transport.http import (
    ApiKeyTokenProvider,
    HttpCompression,
    HttpConfig,
    HttpTransport,
)
from sqlalchemy import func, select

from temporal_lineage.instrument import JobRun
from temporal_lineage.store import tables as t
from temporal_lineage.store.tokens import Scope
from tests.api.live import serving

TRAINING = "deltas.training_set"


def _client(base: str, token: str | None, compression: HttpCompression | None) -> Any:
    config = HttpConfig(
        url=base,
        compression=compression,
        auth=ApiKeyTokenProvider({"apiKey": token}) if token else ApiKeyTokenProvider({}),
        retry={"total": 0},
    )
    return OpenLineageClient(transport=HttpTransport(config))


def _event_count(app: FastAPI) -> int:
    with app.state.lineage.store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.events)).scalar_one())


@pytest.mark.parametrize("compression", [HttpCompression.GZIP, None], ids=["gzip", "plain"])
def test_real_client_posts_and_the_lineage_shows_it(
    app: FastAPI, tokens: dict[Scope, str], compression: HttpCompression | None
) -> None:
    before = _event_count(app)
    with serving(app) as base:
        client = _client(base, tokens[Scope.WRITE], compression)
        run = JobRun(
            client,
            namespace="http-tests",
            job="train_from_http",
            inputs=[("deltas", "training_set")],
            outputs=[("external", "model_v1")],
        )
        with run:
            pass
        answer = httpx.get(
            f"{base}/api/v1/tables/{quote(TRAINING)}/lineage",
            params={"as_of": "2100-01-01", "direction": "downstream", "depth": 1},
            headers={"Authorization": f"Bearer {tokens[Scope.READ]}"},
        )
    assert answer.status_code == 200, answer.text
    edges = answer.json()["edges"]
    assert {"from": TRAINING, "to": "external/model_v1"} in [
        {"from": e["from"], "to": e["to"]} for e in edges if e["run"] == run.run_id
    ], edges
    assert _event_count(app) == before + 2


def test_client_with_a_read_token_is_refused_and_nothing_is_stored(
    app: FastAPI, tokens: dict[Scope, str]
) -> None:
    before = _event_count(app)
    with serving(app) as base:
        client = _client(base, tokens[Scope.READ], HttpCompression.GZIP)
        with pytest.raises(Exception) as raised:
            with JobRun(client, namespace="http-tests", job="refused"):
                pass
    assert "403" in str(raised.value)
    assert _event_count(app) == before


def _event(run_id: str = "01930000-0000-7000-8000-000000000001", **extra: Any) -> dict[str, Any]:
    return {
        "eventType": "COMPLETE",
        "eventTime": "2026-03-03T10:00:00Z",
        "run": {"runId": run_id},
        "job": {"namespace": "http-tests", "name": "direct"},
        "producer": "https://example.com/tests",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        **extra,
    }


@pytest.fixture
def writer(app: FastAPI, tokens: dict[Scope, str]) -> TestClient:
    return TestClient(app, headers={"Authorization": f"Bearer {tokens[Scope.WRITE]}"})


@pytest.mark.parametrize(
    ("body", "headers", "status", "words"),
    [
        (b"not json", {}, 400, "not JSON"),
        (b"[]", {}, 400, "expected one event"),
        (json.dumps(_event(run_id="nope")).encode(), {}, 422, "runId"),
        (json.dumps({"eventType": "START"}).encode(), {}, 422, "event 0"),
        (b"\x1f\x8b\x08\x00garbage", {"Content-Encoding": "gzip"}, 400, "gzip"),
        (json.dumps(_event()).encode(), {"Content-Encoding": "br"}, 400, "Content-Encoding"),
        (gzip.compress(b" " * (17 * 1024 * 1024)), {"Content-Encoding": "gzip"}, 413, "limit"),
        (b"{" + b" " * (17 * 1024 * 1024) + b"}", {}, 413, "limit"),
        # Regression: a lone surrogate (valid JSON, sent by Java writers) was a 500.
        (
            json.dumps(_event(job={"namespace": "n", "name": "etl\ud800"})).encode(),
            {},
            422,
            "job.name: not valid Unicode: lone surrogate U+D800",
        ),
        (
            json.dumps(_event(job={"namespace": "n\x00", "name": "etl"})).encode(),
            {},
            422,
            "job.namespace: NUL character",
        ),
    ],
    ids=[
        "not-json",
        "array",
        "bad-run-id",
        "missing-fields",
        "bad-gzip",
        "brotli",
        "gzip-bomb",
        "too-large",
        "lone-surrogate",
        "nul",
    ],
)
def test_bad_input_gets_a_reason_and_stores_nothing(
    app: FastAPI, writer: TestClient, body: bytes, headers: dict[str, str], status: int, words: str
) -> None:
    before = _event_count(app)
    response = writer.post(
        "/api/v1/lineage", content=body, headers={"Content-Type": "application/json", **headers}
    )
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert "\n" not in response.json()["detail"]
    assert _event_count(app) == before


def test_batch_is_all_or_nothing(app: FastAPI, writer: TestClient) -> None:
    before = _event_count(app)
    good = _event(run_id="01930000-0000-7000-8000-000000000002")
    bad = _event(run_id="not-a-uuid")
    refused = writer.post("/api/v1/lineage/batch", json=[good, bad])
    assert refused.status_code == 422 and "event 1" in refused.json()["detail"]
    assert _event_count(app) == before
    accepted = writer.post("/api/v1/lineage/batch", json=[good, _event(eventType="START")])
    assert accepted.status_code == 201, accepted.text
    assert accepted.json() == {"accepted": 2, "duplicates": 0}
    again = writer.post(
        "/api/v1/lineage/batch",
        content=gzip.compress(json.dumps([good]).encode()),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert again.json() == {"accepted": 1, "duplicates": 1}
    assert _event_count(app) == before + 2


def test_concurrent_posts_each_get_their_own_answer(app: FastAPI, tokens: dict[Scope, str]) -> None:
    """Posts arriving together share a write (group commit), yet a bad one among them is
    refused alone and every good one is stored."""
    from concurrent.futures import ThreadPoolExecutor

    before = _event_count(app)
    bodies = [
        _event(run_id=f"01930000-0000-7000-8000-{i:012d}") if i % 10 else _event(run_id="bad")
        for i in range(1, 81)
    ]
    headers = {"Authorization": f"Bearer {tokens[Scope.WRITE]}"}
    with serving(app) as base:

        def post(body: dict[str, Any]) -> int:
            return httpx.post(f"{base}/api/v1/lineage", json=body, headers=headers).status_code

        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(post, bodies))
    expected = [422 if body["run"]["runId"] == "bad" else 201 for body in bodies]
    assert statuses == expected
    assert _event_count(app) == before + expected.count(201)
