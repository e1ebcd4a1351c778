"""Every CLI answer under /api/v1 with the same JSON, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from temporal_lineage.cli.main import cli
from temporal_lineage.config import Settings
from warehouse_fixtures.timeline import Timeline

FEATURES = "lake.features.user_features"
TRAINING = "deltas.training_set"


def _times(warehouse: Timeline) -> dict[str, str]:
    rename = warehouse.events_for(FEATURES, "rename_column")[0].at
    day4 = next(e.at for e in warehouse.events_for(TRAINING) if e.day == 4)
    return {"rename": rename, "day4": day4, "end": "2100-01-01"}


def _cli(settings: Settings, warehouse: Timeline, args: list[str]) -> Any:
    result = CliRunner().invoke(
        cli,
        [
            *args,
            "--config",
            str(warehouse.root / "lineage.yaml"),
            "--store",
            settings.store_url,
            "--format",
            "json",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _pairs(t: dict[str, str]) -> list[tuple[list[str], str]]:
    f, tr = quote(FEATURES), quote(TRAINING)
    return [
        (["tables"], "/api/v1/tables"),
        (["snapshots", FEATURES], f"/api/v1/tables/{f}/snapshots"),
        (
            ["snapshots", TRAINING, "--as-of", t["day4"]],
            f"/api/v1/tables/{tr}/snapshots?as_of={t['day4']}",
        ),
        (
            ["schema", FEATURES, "--as-of", t["rename"]],
            f"/api/v1/tables/{f}/schema?as_of={t['rename']}",
        ),
        (["schema-history", FEATURES], f"/api/v1/tables/{f}/schema-history"),
        (
            ["lineage", TRAINING, "--as-of", t["day4"], "--direction", "both", "--depth", "3"],
            f"/api/v1/tables/{tr}/lineage?as_of={t['day4']}&direction=both&depth=3",
        ),
        (
            ["provenance", TRAINING, "--as-of", t["day4"]],
            f"/api/v1/tables/{tr}/provenance?as_of={t['day4']}",
        ),
        (
            ["provenance", TRAINING, "--as-of", t["end"], "--known-at", t["day4"]],
            f"/api/v1/tables/{tr}/provenance?as_of={t['end']}&known_at={t['day4']}",
        ),
        (
            ["diff", TRAINING, "--from", t["day4"], "--to", t["end"]],
            f"/api/v1/tables/{tr}/diff?from={t['day4']}&to={t['end']}",
        ),
        (
            ["impact", "lake.raw.events", "amount", "--as-of", t["end"]],
            f"/api/v1/tables/{quote('lake.raw.events')}/impact?column=amount&as_of={t['end']}",
        ),
        (
            ["propagation", FEATURES, "--as-of", t["end"]],
            f"/api/v1/tables/{f}/propagation?as_of={t['end']}",
        ),
    ]


def test_every_answer_is_the_cli_json(
    client: TestClient, settings: Settings, warehouse: Timeline
) -> None:
    for args, url in _pairs(_times(warehouse)):
        response = client.get(url)
        assert response.status_code == 200, (url, response.text)
        assert response.json() == _cli(settings, warehouse, args), url


def test_run_page_matches_cli_and_names_inputs(
    client: TestClient, settings: Settings, warehouse: Timeline
) -> None:
    run = next(r for r in warehouse.runs if any(i.table for i in r.inputs) and r.outputs)
    answer = client.get(f"/api/v1/runs/{run.run_id}").json()
    assert answer == _cli(settings, warehouse, ["run", run.run_id])
    assert answer["run"] == run.run_id
    read = {(i["table"], i["snapshot"]) for i in answer["inputs"]}
    assert {(i.table, i.snapshot) for i in run.inputs if i.table} <= read
    wrote = {(o["table"], s["snapshot"]) for o in answer["outputs"] for s in o["snapshots"]}
    assert {(o.table, o.snapshot) for o in run.outputs if o.table} == wrote
    assert client.get("/api/v1/runs/no-such-run").status_code == 404


def test_reproduce_is_a_download_and_audit_renders(client: TestClient, warehouse: Timeline) -> None:
    day4 = _times(warehouse)["day4"]
    response = client.get(f"/api/v1/tables/{quote(TRAINING)}/reproduce?as_of={day4}")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    manifest = response.json()
    assert manifest["root"] == TRAINING and manifest["tables"]
    verified = client.post("/api/v1/verify", json=manifest)
    assert verified.status_code == 200 and verified.json()["ok"] is True, verified.text
    html = client.get(f"/api/v1/tables/{quote(TRAINING)}/audit?as_of={day4}")
    assert html.status_code == 200 and html.text.lstrip().lower().startswith("<!doctype html")
    doc = client.get(f"/api/v1/tables/{quote(TRAINING)}/audit?as_of={day4}&format=json").json()
    assert doc["lineage"]["root"] == TRAINING


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/api/v1/tables/lake.nope.nothing/snapshots", 404, "lake.nope.nothing"),
        ("/api/v1/tables/nodot/snapshots", 422, "table"),
        (f"/api/v1/tables/{TRAINING}/lineage?as_of=yesterday", 422, "yesterday"),
        (f"/api/v1/tables/{TRAINING}/lineage?as_of=2026-01-01&depth=0", 422, "depth"),
        (f"/api/v1/tables/{TRAINING}/diff?from=2026-01-01", 422, "to"),
        (f"/api/v1/tables/{FEATURES}/impact?column=nope", 404, "nope"),
        (f"/api/v1/tables/{FEATURES}/impact?column=user_id&change=explode", 422, "explode"),
    ],
)
def test_bad_requests_get_one_line_reasons(
    client: TestClient, url: str, status: int, words: str
) -> None:
    response = client.get(url)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and words in detail
