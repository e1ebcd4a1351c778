"""Run health as of A on SQLite and PostgreSQL: commits with their runs, the lag saw-tooth,
runs with a failure and a retry (Airflow try_number, or a shared parent), durations and
per-job statistics; the job view and the ``run`` answer's duration and attempt."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from temporal_lineage.config import load_settings
from temporal_lineage.errors import RunNotFound
from temporal_lineage.ingest import ingest_files, ingest_payload
from temporal_lineage.model import JobKey, RunState
from temporal_lineage.query import shapes
from temporal_lineage.query.operations_shapes import health_json, job_json
from temporal_lineage.query.run_health import job_health, table_health
from temporal_lineage.query.runs import run_detail
from temporal_lineage.store import Store
from temporal_lineage.sync import sync
from temporal_lineage.times import parse_time
from warehouse_fixtures.timeline import Timeline

from .operations_scenario import MART, MID, RAW, Story, build
from .scenario import SECOND, Pipeline
from .test_freshness import RULES


@pytest.fixture
def story(tmp_path: Path, store: Store) -> Story:
    return build(Pipeline(tmp_path, store))


def test_a_failure_and_its_retry_by_airflow_try_number(story: Story) -> None:
    health = table_health(story.pipe.store, MID, as_of=story.late_at, rules=RULES)
    assert [(c.snapshot.snapshot.committed_at, c.run_id) for c in health.commits] == [
        (story.mid_at, story.stage_retry)
    ]
    assert [(r.run_id, r.state, r.attempt, r.duration) for r in health.runs] == [
        (story.stage_failed, RunState.FAIL, 1, 2 * SECOND),
        (story.stage_retry, RunState.COMPLETE, 2, 3 * SECOND),
    ]
    (stage,) = health.jobs
    assert (stage.job, stage.runs, stage.failed, stage.failure_rate, stage.retries) == (
        JobKey("tests", "stage"),
        2,
        1,
        0.5,
        1,
    )
    assert stage.duration_p50 == 2.5 * SECOND
    assert stage.duration_p95 == timedelta(seconds=2.95)
    assert health.freshness.late and [str(u.table) for u in health.freshness.late_upstream] == [
        "d.raw"
    ]


def test_retries_counted_by_parent_run_without_a_facet(story: Story) -> None:
    health = table_health(story.pipe.store, MART, as_of=story.late_at)
    assert [(r.run_id, r.attempt) for r in health.runs] == [
        (story.publish_failed, 1),
        (story.publish_retry, 2),
    ]
    document = health_json(health)
    assert document["jobs"] == [
        {
            "job": "tests/dag/publish",
            "runs": 2,
            "failed": 1,
            "failure_rate": 0.5,
            "retries": 1,
            "duration_p50_seconds": 1.5,
            "duration_p95_seconds": pytest.approx(1.95),
        }
    ]
    assert document["window_seconds"] == 30 * 86400
    assert document["runs"][1]["duration_seconds"] == 2.0


def test_state_and_runs_are_as_of_a(story: Story) -> None:
    during = table_health(story.pipe.store, MID, as_of=story.mid_at)
    retry = next(r for r in during.runs if r.run_id == story.stage_retry)
    assert (retry.state, retry.ended_at, retry.duration) == (RunState.RUNNING, None, None)
    assert during.jobs[0].failure_rate == 1.0
    before = table_health(story.pipe.store, MID, as_of=story.mid_at - 2.5 * SECOND)
    assert [r.run_id for r in before.runs] == [story.stage_failed]
    assert before.commits == () and before.lag_series == ()
    narrow = table_health(story.pipe.store, MID, as_of=story.late_at, window=timedelta(minutes=30))
    assert narrow.runs == () and narrow.commits == ()


def test_the_lag_series_is_a_saw_tooth(story: Story) -> None:
    _, again = story.pipe.write("raw", 1)
    story.pipe.sync()
    at = again + timedelta(minutes=5)
    health = table_health(story.pipe.store, RAW, as_of=at, rules=RULES)
    assert [(p.at, p.lag) for p in health.lag_series] == [
        (story.raw_at, timedelta(0)),
        (again, again - story.raw_at),
        (again, timedelta(0)),
        (at, timedelta(minutes=5)),
    ]
    assert health.runs == () and health.jobs == ()
    series = health_json(health)["lag_series"]
    assert series[-1]["lag_seconds"] == 300.0


def test_the_job_view_takes_names_with_slashes(story: Story) -> None:
    health = job_health(story.pipe.store, "tests/dag/publish", as_of=story.late_at)
    assert health.job == JobKey("tests", "dag/publish")
    assert [r.attempt for r in health.runs] == [1, 2]
    document = job_json(health)
    assert document["stats"]["failed"] == 1 and len(document["runs"]) == 2
    early = job_health(story.pipe.store, "tests/stage", as_of=story.mid_at - 4 * SECOND)
    assert [(r.state, r.attempt) for r in early.runs] == [(RunState.RUNNING, 1)]
    with pytest.raises(RunNotFound, match="tests/nothing"):
        job_health(story.pipe.store, "tests/nothing", as_of=story.late_at)


def test_the_run_answer_gains_duration_and_attempt(story: Story) -> None:
    document = shapes.run_json(run_detail(story.pipe.store, story.stage_retry))
    assert (document["duration_seconds"], document["attempt"]) == (3.0, 2)
    assert document["state"] == "COMPLETE" and document["job"] == "tests/stage"


def test_real_airflow_events_give_the_try_number_and_the_dag_run(store: Store) -> None:
    """The Airflow provider's own events (compat_airflow corpus), the task's ``try_number``
    set to 3 as a third try sends it."""
    from tests.openlineage.corpus import corpus_json

    dag_start, task, dag_end = (
        corpus_json(f"compat_airflow/line_{n}.json") for n in ("01", "03", "08")
    )
    task["run"]["facets"]["airflow"]["taskInstance"]["try_number"] = 3
    payload = "\n".join(json.dumps(e) for e in (dag_start, task, dag_end))
    assert ingest_payload(store, payload, origin="test").rejected == []
    at = parse_time(dag_end["eventTime"]) + SECOND
    (upload,) = job_health(store, "airflow/BQ.upload", as_of=at).runs
    assert (upload.run_id, upload.attempt) == (task["run"]["runId"], 3)
    dag = job_health(store, "airflow/BQ", as_of=at)
    (run,) = dag.runs
    assert (run.state, run.attempt) == (RunState.COMPLETE, 1)
    assert run.duration == parse_time(dag_end["eventTime"]) - parse_time(dag_start["eventTime"])
    assert dag.stats.duration_p50 == run.duration and dag.stats.failure_rate == 0.0
    detail = run_detail(store, task["run"]["runId"])
    assert detail.attempt == 3 and detail.run.parent_run_id == dag_start["run"]["runId"]


def test_job_health_matches_the_sample_warehouse(warehouse: Timeline, store: Store) -> None:
    """Every job of the sample warehouse: runs, failures and durations as its story says."""
    settings = load_settings(warehouse.root / "lineage.yaml")
    assert sync(store, settings).errors == []
    assert ingest_files(store, [warehouse.events_path]).rejected == []
    ends = [parse_time(r.ended_at) for r in warehouse.runs if r.ended_at]
    at, span = max(ends) + SECOND, timedelta(days=3650)
    jobs = sorted({(r.namespace, r.job) for r in warehouse.runs})
    assert any(r.state == "FAIL" for r in warehouse.runs)
    for namespace, name in jobs:
        truth = [r for r in warehouse.runs if (r.namespace, r.job) == (namespace, name)]
        health = job_health(store, f"{namespace}/{name}", as_of=at, window=span)
        assert health.stats.runs == len(truth), name
        assert health.stats.failed == sum(r.state == "FAIL" for r in truth), name
        durations = {
            r.run_id: parse_time(r.ended_at) - parse_time(r.started_at)
            for r in truth
            if r.started_at and r.ended_at
        }
        assert {r.run_id: r.duration for r in health.runs} == durations, name


def test_retries_of_one_nominal_time_without_a_parent(story: Story) -> None:
    from .operations_scenario import with_run_facets
    from .scenario import event, new_run

    first, retry, next_day = new_run(), new_run(), new_run()
    at = story.mart_at

    def nominal(day: str) -> dict[str, object]:
        return {"nominalTime": {"nominalStartTime": f"2026-01-0{day}T00:00:00Z"}}

    story.pipe.send(
        with_run_facets(event("START", first, "nightly", at), nominal("1")),
        with_run_facets(event("FAIL", first, "nightly", at + SECOND), nominal("1")),
        with_run_facets(event("START", retry, "nightly", at + 2 * SECOND), nominal("1")),
        with_run_facets(event("COMPLETE", retry, "nightly", at + 4 * SECOND), nominal("1")),
        with_run_facets(event("START", next_day, "nightly", at + 5 * SECOND), nominal("2")),
        with_run_facets(event("COMPLETE", next_day, "nightly", at + 6 * SECOND), nominal("2")),
    )
    health = job_health(story.pipe.store, "tests/nightly", as_of=at + timedelta(minutes=1))
    assert [(r.run_id, r.attempt) for r in health.runs] == [(first, 1), (retry, 2), (next_day, 1)]
    assert (health.stats.failed, health.stats.retries) == (1, 1)
    assert health.stats.failure_rate == pytest.approx(1 / 3)
