"""Per-table gauges on ``/metrics``: off by default, lag and SLA breach when enabled, and at
most ``table_metrics_limit`` tables (late first, then the most lagging) plus a count of the
rest; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from temporal_lineage.api import create_app
from temporal_lineage.config import ServiceConfig, Settings, load_settings
from temporal_lineage.errors import ConfigError
from temporal_lineage.operations_config import FreshnessRule
from temporal_lineage.store import Store
from temporal_lineage.times import now
from tests.query.operations_scenario import Story, build
from tests.query.scenario import Pipeline

RULES = (
    FreshnessRule("d.raw", timedelta(milliseconds=1)),
    FreshnessRule("d.m*", timedelta(days=1)),
)


@pytest.fixture
def story(tmp_path: Path, store: Store) -> Story:
    return build(Pipeline(tmp_path, store))


def _scrape(story: Story, service: ServiceConfig) -> dict[str, dict[str, float]]:
    settings = Settings(store_url="sqlite://", service=service, freshness=RULES)
    app = create_app(settings, read_open=True, store=story.pipe.store)
    response = TestClient(app).get("/metrics")
    assert response.status_code == 200, response.text
    found: dict[str, dict[str, float]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found.setdefault(sample.name, {})[sample.labels.get("table", "")] = sample.value
    return found


def test_table_gauges_are_off_by_default(story: Story) -> None:
    found = _scrape(story, ServiceConfig(scheduler=False))
    assert "temporal_lineage_sync_runs_total" in found
    assert not any(name.startswith("temporal_lineage_table_") for name in found)


def test_lag_and_breach_per_table(story: Story) -> None:
    before = now()
    found = _scrape(story, ServiceConfig(scheduler=False, table_metrics=True))
    lags = found["temporal_lineage_table_lag_seconds"]
    assert set(lags) == {"d.raw", "d.mid", "d.mart"}
    assert lags["d.raw"] >= (before - story.raw_at).total_seconds()
    assert lags["d.raw"] > lags["d.mid"] > lags["d.mart"] >= 0
    assert found["temporal_lineage_table_sla_breach"] == {"d.raw": 1.0, "d.mid": 0.0, "d.mart": 0.0}
    assert found["temporal_lineage_table_sla_breaches"] == {"": 1.0}
    assert found["temporal_lineage_table_metrics_omitted"] == {"": 0.0}


def test_over_the_limit_the_late_and_most_lagging_are_kept(story: Story) -> None:
    _, fresh = story.pipe.write("raw", 1)  # raw now lags least, but is still late
    story.pipe.sync()
    service = ServiceConfig(scheduler=False, table_metrics=True, table_metrics_limit=2)
    found = _scrape(story, service)
    assert set(found["temporal_lineage_table_lag_seconds"]) == {"d.raw", "d.mid"}
    assert found["temporal_lineage_table_metrics_omitted"] == {"": 1.0}
    assert found["temporal_lineage_table_sla_breaches"] == {"": 1.0}


def test_the_service_keys_are_checked(tmp_path: Path) -> None:
    config = tmp_path / "lineage.yaml"
    config.write_text("service: {table_metrics: true, table_metrics_limit: 20}\n")
    service = load_settings(config).service
    assert (service.table_metrics, service.table_metrics_limit) == (True, 20)
    config.write_text("service: {table_metrics_limit: 0}\n")
    with pytest.raises(ConfigError, match="table_metrics_limit must be 1 to 100000"):
        load_settings(config)
    config.write_text("service: {table_metrics: 'yes'}\n")
    with pytest.raises(ConfigError, match="table_metrics must be true or false"):
        load_settings(config)
