"""Tokens and scopes: no token, wrong scope, revoked token, open reads; writes always need
a write token; only hashes are stored."""

from __future__ import annotations

import json

from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from temporal_lineage.api import create_app
from temporal_lineage.cli.main import cli
from temporal_lineage.config import Settings
from temporal_lineage.store import tables as t
from temporal_lineage.store.tokens import Scope

READ_URL = "/api/v1/tables"
EVENT = {
    "eventType": "START",
    "eventTime": "2026-03-03T10:00:00Z",
    "run": {"runId": "01930000-0000-7000-8000-0000000000aa"},
    "job": {"namespace": "auth-tests", "name": "job"},
    "producer": "https://example.com/tests",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
}


def _as(app: FastAPI, token: str | None) -> TestClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return TestClient(app, headers=headers)


def test_reads_need_a_token_unless_open(app: FastAPI, tokens: dict[Scope, str]) -> None:
    missing = _as(app, None).get(READ_URL)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert _as(app, "tl_00000000_forged").get(READ_URL).status_code == 401
    assert _as(app, "garbage").get(READ_URL).status_code == 401
    for scope in Scope:
        assert _as(app, tokens[scope]).get(READ_URL).status_code == 200, scope
    assert _as(app, None).get("/health").status_code == 200


def test_open_reads_still_guard_writes(settings: Settings, tokens: dict[Scope, str]) -> None:
    opened = create_app(settings, read_open=True)
    try:
        assert _as(opened, None).get(READ_URL).status_code == 200
        assert _as(opened, None).post("/api/v1/lineage", json=EVENT).status_code == 401
        assert (
            _as(opened, tokens[Scope.READ]).post("/api/v1/lineage", json=EVENT).status_code == 403
        )
        assert (
            _as(opened, tokens[Scope.WRITE]).post("/api/v1/lineage", json=EVENT).status_code == 201
        )
    finally:
        opened.state.lineage.store.close()


def test_scopes_are_ordered(app: FastAPI, tokens: dict[Scope, str]) -> None:
    assert _as(app, tokens[Scope.READ]).post("/api/v1/lineage", json=EVENT).status_code == 403
    assert _as(app, tokens[Scope.WRITE]).post("/api/v1/sync").status_code == 403
    forbidden = _as(app, tokens[Scope.WRITE]).post("/api/v1/sync").json()["detail"]
    assert "write" in forbidden and "admin" in forbidden
    assert _as(app, tokens[Scope.ADMIN]).post("/api/v1/lineage", json=EVENT).status_code == 201


def test_cli_tokens_are_hashed_listed_and_revocable(settings: Settings, app: FastAPI) -> None:
    runner = CliRunner()
    common = ["--store", settings.store_url]
    made = runner.invoke(cli, ["token", "create", "--scope", "write", "--name", "ci", *common])
    assert made.exit_code == 0, made.output
    document = json.loads(made.stdout)
    secret = document["token"]
    assert document["scope"] == "write" and secret.startswith("tl_")
    with app.state.lineage.store.connect() as conn:
        stored = [tuple(row) for row in conn.execute(select(t.api_tokens))]
    assert stored and not any(secret in str(value) for row in stored for value in row)
    assert _as(app, secret).post("/api/v1/lineage", json=EVENT).status_code == 201
    listed = runner.invoke(cli, ["token", "list", "--format", "json", *common])
    assert secret not in listed.stdout
    prefix = secret.split("_")[1]
    assert any(row["prefix"] == prefix and row["name"] == "ci" for row in json.loads(listed.stdout))
    revoked = runner.invoke(cli, ["token", "revoke", prefix, *common])
    assert revoked.exit_code == 0, revoked.output
    assert _as(app, secret).get(READ_URL).status_code == 401
    again = runner.invoke(cli, ["token", "revoke", prefix, *common])
    assert again.exit_code == 2 and "no live token" in again.stderr
    bad = runner.invoke(cli, ["token", "create", "--scope", "root", *common])
    assert bad.exit_code == 2
