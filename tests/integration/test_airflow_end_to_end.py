"""A real producer end to end: Apache Airflow 3 posting OpenLineage to a live ``serve``.

``airflow dags test`` runs ``airflow_dags/lakehouse_e2e.py`` in a virtualenv built from
``airflow_requirements.txt`` (Airflow 3.3, ``apache-airflow-providers-openlineage``,
pyiceberg, deltalake; cached under ``~/.cache/temporal-lineage/airflow-<hash>``, built
from scratch when missing: see ``airflow_support``). The provider's HTTP transport posts
every event to ``/api/v1/lineage`` of a ``temporal-lineage serve`` on a fresh store
(SQLite, then PostgreSQL) with a write token. One task writes an Iceberg table (SQL
catalog on SQLite), the next reads it and writes a Delta table; each stamps its commits
with its OpenLineage run id (the provider's ``lineage_run_id`` macro) and declares its
inlets and outlets as ``file://`` Assets of the tables' locations. After ``sync`` the
store must show the DAG run as the parent of both task runs, the task runs' durations,
every commit of both tables linked to the task run that made it, and the read between
them.

What Airflow sends, as observed with these pins: ``airflow dags test`` creates its DAG
run already running, so the provider's listener never emits the DAG run's START (the
scheduler does, in production); the DAG run is known from its COMPLETE event and from
the ``parent`` facet of the task events. The provider turns the PythonOperator's
``file://`` Assets into ``file`` datasets (no other scheme has a converter here).

Run it alone (CI=true makes a venv that cannot be built a failure instead of a skip)::

    .venv/bin/python -m pytest -q -p no:cacheprovider tests/integration/test_airflow_end_to_end.py
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select, text

from temporal_lineage.model import JobKey
from temporal_lineage.store import open_store
from temporal_lineage.store import tables as t
from tests.integration.airflow_support import (
    AirflowVenv,
    airflow_environment,
    airflow_venv,
    cli,
    cli_json,
    run_airflow,
    serve_live,
)

__all__ = ["airflow_venv", "serve_live"]

pytestmark = pytest.mark.timeout(1800)
"""A first run builds the venv (45 s here; longer on a slow registry) inside the first test."""

DAG_ID = "lakehouse_e2e"
LOGICAL_DATE = "2026-01-02"
NAMESPACE = "airflow-e2e"
ORDERS = "lake.shop.orders"
TOTALS = "deltas.daily_totals"
TASKS = {"write_orders": ORDERS, "daily_totals": TOTALS}
AIRFLOW_RUN_BUDGET_S = 240.0
"""``db migrate`` + ``dags test`` take ~10 s here; far more means something hangs."""


@dataclass(frozen=True)
class DagRunResult:
    """What the run left: the store's config, the Airflow output, the runs the store knows."""

    config: Path
    store_url: str
    warehouse: Path
    server_url: str
    token: str
    airflow_output: str
    airflow_seconds: float
    dag_run: str
    task_runs: Mapping[str, str]
    """Task id -> the OpenLineage run id the store has for it."""
    events: tuple[Mapping[str, Any], ...]
    """Every event the store received, as posted."""


def _store_url(request: pytest.FixtureRequest, root: Path) -> str:
    """A fresh store: a SQLite file, or a clean schema in this test run's PostgreSQL db."""
    if request.param == "sqlite":
        return f"sqlite:///{root / 'lineage.db'}"
    url: str = request.getfixturevalue("pg_database")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def _write_config(root: Path, store_url: str) -> tuple[Path, Path]:
    warehouse = root / "warehouse"
    (warehouse / "iceberg").mkdir(parents=True)
    (warehouse / "delta").mkdir()
    catalog = {
        "type": "sql",
        "uri": f"sqlite:///{warehouse / 'iceberg' / 'catalog.db'}",
        "warehouse": f"file://{warehouse / 'iceberg'}",
    }
    config = root / "lineage.yaml"
    config.write_text(
        f"store: {json.dumps(store_url)}\n"
        "sources:\n"
        f"  - {{name: lake, format: iceberg, catalog: {json.dumps(catalog)}}}\n"
        f"  - {{name: deltas, format: delta, root: {json.dumps(str(warehouse / 'delta'))}}}\n"
    )
    return config, warehouse


def _stored_runs(store_url: str) -> tuple[str, dict[str, str], tuple[Mapping[str, Any], ...]]:
    jobs = [JobKey(NAMESPACE, DAG_ID)] + [JobKey(NAMESPACE, f"{DAG_ID}.{task}") for task in TASKS]
    store = open_store(store_url)
    try:
        with store.reader() as reader:
            runs = reader.runs_of_jobs(jobs, None)
            raw = reader.conn.execute(select(t.events.c.raw).order_by(t.events.c.id)).scalars()
            events = tuple(json.loads(r) if isinstance(r, str) else r for r in raw)
    finally:
        store.close()
    found = {job.name: [run.run_id for run in runs.get(job, [])] for job in jobs}
    assert all(len(ids) == 1 for ids in found.values()), f"one run per job expected: {found}"
    tasks = {task: found[f"{DAG_ID}.{task}"][0] for task in TASKS}
    return found[DAG_ID][0], tasks, events


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def dag_run(
    request: pytest.FixtureRequest,
    airflow_venv: AirflowVenv,
    serve_live: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> DagRunResult:
    """The DAG run by ``airflow dags test`` against a live serve on a fresh store of each
    database, then ``sync``."""
    root = tmp_path_factory.mktemp(f"airflow-e2e-{request.param}")
    store_url = _store_url(request, root)
    config, warehouse = _write_config(root, store_url)
    cli(config, "init")
    token = json.loads(cli(config, "token", "create", "--scope", "write", "--name", "airflow"))
    server = serve_live(config)
    home = root / "airflow-home"
    home.mkdir()
    env = airflow_environment(airflow_venv, home, warehouse, server.url, token["token"])
    started = time.monotonic()
    run_airflow(airflow_venv, env, "db", "migrate", log=root / "airflow-db-migrate.log")
    output = run_airflow(
        airflow_venv, env, "dags", "test", DAG_ID, LOGICAL_DATE, log=root / "airflow-dags-test.log"
    )
    seconds = time.monotonic() - started
    assert seconds < AIRFLOW_RUN_BUDGET_S, f"airflow took {seconds:.0f}s"
    assert "Failed to emit" not in output, output[-4000:]
    cli(config, "sync")
    dag, tasks, events = _stored_runs(store_url)
    secret = token["token"]
    return DagRunResult(
        config, store_url, warehouse, server.url, secret, output, seconds, dag, tasks, events
    )


def _events_of(result: DagRunResult, run_id: str) -> list[Mapping[str, Any]]:
    return [e for e in result.events if e["run"]["runId"] == run_id]


def test_every_event_airflow_emitted_was_accepted(dag_run: DagRunResult) -> None:
    """Each event the provider reports as emitted is in the store (none refused)."""
    emitted = dag_run.airflow_output.count("Successfully emitted OpenLineage")
    assert emitted >= 5, dag_run.airflow_output[-4000:]  # 2 x START/COMPLETE + the DAG's end
    assert len(dag_run.events) == emitted
    producers = {e["producer"] for e in dag_run.events}
    assert all("apache/airflow" in p for p in producers), producers


def test_the_dag_run_is_the_parent_of_the_task_runs(dag_run: DagRunResult) -> None:
    dag = cli_json(dag_run.config, "run", dag_run.dag_run)
    assert dag["job"] == f"{NAMESPACE}/{DAG_ID}"
    assert dag["state"] == "COMPLETE"
    assert dag["parent_run"] is None
    for task, run_id in dag_run.task_runs.items():
        answer = cli_json(dag_run.config, "run", run_id)
        assert answer["job"] == f"{NAMESPACE}/{DAG_ID}.{task}"
        assert answer["parent_run"] == dag_run.dag_run
        # The live server answers the same (the write token reads too).
        over_http = httpx.get(
            f"{dag_run.server_url}/api/v1/runs/{run_id}",
            headers={"Authorization": f"Bearer {dag_run.token}"},
            timeout=30,
        )
        assert over_http.status_code == 200, over_http.text
        assert over_http.json() == answer
        # The facet the store read it from, as Airflow sent it on every task event.
        for event in _events_of(dag_run, run_id):
            parent = event["run"]["facets"]["parent"]
            assert parent["run"]["runId"] == dag_run.dag_run
            assert parent["job"] == {"namespace": NAMESPACE, "name": DAG_ID, "facets": {}}


def test_task_runs_have_start_and_complete_and_a_positive_duration(
    dag_run: DagRunResult,
) -> None:
    from temporal_lineage.times import parse_time

    [dag_end] = [e for e in _events_of(dag_run, dag_run.dag_run) if e["eventType"] == "COMPLETE"]
    airflow_durations = dag_end["run"]["facets"]["airflowState"]["tasksDuration"]
    for task, run_id in dag_run.task_runs.items():
        kinds = sorted(e["eventType"] for e in _events_of(dag_run, run_id))
        assert kinds == ["COMPLETE", "START"], (task, kinds)
        answer = cli_json(dag_run.config, "run", run_id)
        assert answer["state"] == "COMPLETE"
        duration = (
            parse_time(answer["ended_at"]) - parse_time(answer["started_at"])
        ).total_seconds()
        assert duration > 0, (task, answer["started_at"], answer["ended_at"])
        # Airflow's own measure of the task (start to end of the task instance).
        assert abs(duration - float(airflow_durations[task])) < 1.0, (task, duration)


def _source_commits(result: DagRunResult) -> dict[str, set[int]]:
    from deltalake import DeltaTable
    from pyiceberg.catalog.sql import SqlCatalog

    iceberg = result.warehouse / "iceberg"
    catalog = SqlCatalog(
        "lake", uri=f"sqlite:///{iceberg / 'catalog.db'}", warehouse=f"file://{iceberg}"
    )
    orders = catalog.load_table("shop.orders")
    totals = DeltaTable(str(result.warehouse / "delta" / "daily_totals"))
    return {
        ORDERS: {s.snapshot_id for s in orders.metadata.snapshots},
        TOTALS: {int(h["version"]) for h in totals.history()},
    }


def test_every_commit_is_linked_to_the_task_run_that_made_it(dag_run: DagRunResult) -> None:
    commits = _source_commits(dag_run)
    # An append, then an overwrite (two snapshots: "overwrite" then "append"); a create,
    # then an append.
    assert len(commits[ORDERS]) == 3 and len(commits[TOTALS]) == 2, commits
    for task, table in TASKS.items():
        run_id = dag_run.task_runs[task]
        snapshots = cli_json(dag_run.config, "snapshots", table)
        assert {s["snapshot"] for s in snapshots} == commits[table]
        for snap in snapshots:
            assert snap["run"] == run_id, (table, snap["snapshot"], snap["run"])
            assert snap["evidence"] == [
                {"kind": "commit_property", "detail": f"run id {run_id}"}
            ], snap
        # And the run's own answer names them all as its output.
        [output] = cli_json(dag_run.config, "run", run_id)["outputs"]
        assert output["table"] == table and output["matched"]
        assert {s["snapshot"] for s in output["snapshots"]} == commits[table]


def test_the_read_between_the_tasks_is_lineage(dag_run: DagRunResult) -> None:
    """daily_totals declared the orders Asset as inlet: it read the orders head of its start."""
    orders = cli_json(dag_run.config, "snapshots", ORDERS)
    head = max(orders, key=lambda s: s["committed_at"])
    answer = cli_json(dag_run.config, "run", dag_run.task_runs["daily_totals"])
    [read] = answer["inputs"]
    assert read["table"] == ORDERS and read["matched"]
    assert read["snapshot"] == head["snapshot"]
    lineage = cli_json(dag_run.config, "lineage", TOTALS, "--as-of", "2100-01-01")
    edges = {(e["from"], e["to"], e["run"]) for e in lineage["edges"]}
    assert (ORDERS, TOTALS, dag_run.task_runs["daily_totals"]) in edges
