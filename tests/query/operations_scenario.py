"""A three-table pipeline for freshness and run health: ``d.raw`` -> stage -> ``d.mid`` ->
dag/publish -> ``d.mart``, real Delta commits, and runs that fail once and are retried
(Airflow ``try_number`` facets for stage, a shared parent run for publish)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from temporal_lineage.model import TableRef

from .scenario import PRODUCER, SECOND, Pipeline, dataset, event, new_run

RAW, MID, MART = (TableRef("d", name) for name in ("raw", "mid", "mart"))
RUN_FACET_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunFacet"


@dataclass(frozen=True)
class Story:
    """What the pipeline did, for the tests to check answers against."""

    pipe: Pipeline
    raw_at: datetime
    mid_at: datetime
    mart_at: datetime
    stage_failed: str
    stage_retry: str
    publish_failed: str
    publish_retry: str

    @property
    def late_at(self) -> datetime:
        """Two hours after the last commit: raw (SLA 1h) and mid (SLA 30m) are late."""
        return self.mart_at + timedelta(hours=2)


def with_run_facets(payload: dict[str, Any], facets: dict[str, Any]) -> dict[str, Any]:
    payload["run"]["facets"] = {
        name: {"_producer": PRODUCER, "_schemaURL": RUN_FACET_SCHEMA, **body}
        for name, body in facets.items()
    }
    return payload


def _airflow(try_number: int) -> dict[str, Any]:
    return {"airflow": {"taskInstance": {"try_number": try_number, "pool": "default_pool"}}}


def _parent(run_id: str) -> dict[str, Any]:
    return {"parent": {"run": {"runId": run_id}, "job": {"namespace": "tests", "name": "dag"}}}


def build(pipe: Pipeline) -> Story:
    """Commit raw, mid and mart, send the runs' events, sync."""
    stage_failed, stage_retry = new_run(), new_run()
    publish_failed, publish_retry, dag_run = new_run(), new_run(), new_run()
    _, raw_at = pipe.write("raw", 0)
    _, mid_at = pipe.write("mid", 0, run_id=stage_retry)
    _, mart_at = pipe.write("mart", 0, run_id=publish_retry)
    raw, mid, mart = ([dataset("file", str(pipe.path(name)))] for name in ("raw", "mid", "mart"))
    stage = {"inputs": raw, "outputs": mid}
    publish = {"inputs": mid, "outputs": mart}
    pipe.send(
        with_run_facets(event("START", stage_failed, "stage", mid_at - 5 * SECOND), _airflow(1)),
        with_run_facets(
            event("FAIL", stage_failed, "stage", mid_at - 3 * SECOND, **stage), _airflow(1)
        ),
        with_run_facets(event("START", stage_retry, "stage", mid_at - 2 * SECOND), _airflow(2)),
        with_run_facets(
            event("COMPLETE", stage_retry, "stage", mid_at + SECOND, **stage), _airflow(2)
        ),
        with_run_facets(
            event("START", publish_failed, "dag/publish", mart_at - 4 * SECOND), _parent(dag_run)
        ),
        with_run_facets(
            event("FAIL", publish_failed, "dag/publish", mart_at - 3 * SECOND, **publish),
            _parent(dag_run),
        ),
        with_run_facets(
            event("START", publish_retry, "dag/publish", mart_at - SECOND), _parent(dag_run)
        ),
        with_run_facets(
            event("COMPLETE", publish_retry, "dag/publish", mart_at + SECOND, **publish),
            _parent(dag_run),
        ),
    )
    pipe.sync()
    return Story(
        pipe, raw_at, mid_at, mart_at, stage_failed, stage_retry, publish_failed, publish_retry
    )
