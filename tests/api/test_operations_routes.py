"""``/api/v1/freshness``, ``/tables/{table}/health`` and ``/jobs/{job}/health`` answer what
the CLI prints, job names with slashes included; errors are problems with their status."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from temporal_lineage.api import create_app
from temporal_lineage.config import ServiceConfig, Settings
from temporal_lineage.operations_config import FreshnessRule
from temporal_lineage.query.freshness import freshness
from temporal_lineage.query.operations_shapes import freshness_json
from temporal_lineage.store import Store
from temporal_lineage.times import format_time
from tests.query.operations_scenario import MART, Story, build
from tests.query.scenario import Pipeline

RULES = (FreshnessRule("d.raw", timedelta(hours=1)), FreshnessRule("d.mid", timedelta(hours=1)))


@pytest.fixture
def story(tmp_path: Path, store: Store) -> Story:
    return build(Pipeline(tmp_path, store))


@pytest.fixture
def client(story: Story) -> TestClient:
    settings = Settings(
        store_url="sqlite://", service=ServiceConfig(scheduler=False), freshness=RULES
    )
    return TestClient(create_app(settings, read_open=True, store=story.pipe.store))


def test_freshness_over_http_is_the_cli_answer(story: Story, client: TestClient) -> None:
    at = format_time(story.late_at)
    answer = client.get("/api/v1/freshness", params={"as_of": at}).json()
    expected = freshness(story.pipe.store, None, as_of=story.late_at, rules=RULES)
    assert answer == freshness_json(expected)
    (mart,) = client.get("/api/v1/freshness", params={"as_of": at, "table": str(MART)}).json()
    assert [u["table"] for u in mart["late_upstream"]] == ["d.mid", "d.raw"]
    missing = client.get("/api/v1/freshness", params={"table": "d.nope"})
    assert missing.status_code == 404 and "d.nope" in missing.json()["detail"]
    assert client.get("/api/v1/freshness", params={"table": "nodot"}).status_code == 422


def test_table_and_job_health(story: Story, client: TestClient) -> None:
    at = format_time(story.late_at)
    health = client.get("/api/v1/tables/d.mid/health", params={"as_of": at, "window": "7d"})
    assert health.status_code == 200, health.text
    body = health.json()
    assert body["window_seconds"] == 7 * 86400 and body["freshness"]["late"] is True
    assert [r["attempt"] for r in body["runs"]] == [1, 2]
    for url in (
        "/api/v1/jobs/tests/dag/publish/health",
        "/api/v1/jobs/tests%2Fdag%2Fpublish/health",
    ):
        job = client.get(url, params={"as_of": at})
        assert job.status_code == 200, (url, job.text)
        assert job.json()["job"] == "tests/dag/publish" and job.json()["stats"]["retries"] == 1
    assert client.get("/api/v1/jobs/tests/none/health").status_code == 404
    bad = client.get("/api/v1/tables/d.mid/health", params={"window": "soon"})
    assert bad.status_code == 422 and "window" in bad.json()["detail"]
