"""The DAG that the Airflow end-to-end test runs with ``airflow dags test``.

It runs inside the Airflow virtualenv (never imported by pytest: see the conftest's
``collect_ignore``). Two tasks: ``write_orders`` writes an Iceberg table (an append, then
an overwrite: one write, two snapshots) and ``daily_totals`` reads it and writes a
Delta table (a create, then an append). Each task stamps every commit with its own
OpenLineage run id (the provider's ``lineage_run_id`` macro) under ``lineage.run-id``, the
commit property temporal-lineage reads, and declares its inlets and outlets as Assets
naming the tables' storage locations (``file://`` URIs, which the provider turns into
``file`` datasets that match the tables by location).

Paths come from the environment: ``TL_E2E_ROOT`` (the warehouse folder holding
``iceberg/`` and ``delta/``).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, Asset

DAG_ID = "lakehouse_e2e"
ROOT = Path(os.environ.get("TL_E2E_ROOT", "/nonexistent")).resolve()
ICEBERG_DIR = ROOT / "iceberg"
DELTA_DIR = ROOT / "delta"
NAMESPACE = "shop"
ORDERS = f"{NAMESPACE}.orders"
ORDERS_LOCATION = ICEBERG_DIR / f"{NAMESPACE}.db" / "orders"
TOTALS_LOCATION = DELTA_DIR / "daily_totals"
RUN_ID_KEY = "lineage.run-id"

orders_asset = Asset(uri=f"file://{ORDERS_LOCATION}", name="orders")
totals_asset = Asset(uri=f"file://{TOTALS_LOCATION}", name="daily_totals")


def _catalog() -> Any:
    from pyiceberg.catalog.sql import SqlCatalog

    ICEBERG_DIR.mkdir(parents=True, exist_ok=True)
    return SqlCatalog(
        "lake", uri=f"sqlite:///{ICEBERG_DIR}/catalog.db", warehouse=f"file://{ICEBERG_DIR}"
    )


def _run_id(context: dict[str, Any]) -> str:
    """This task's OpenLineage run id, as the provider's events carry it."""
    from airflow.providers.openlineage.plugins.macros import lineage_run_id

    return str(lineage_run_id(context["ti"]))


def write_orders(**context: Any) -> str:
    """Create the Iceberg orders table, append a day of orders, then correct one day."""
    import pyarrow as pa
    from pyiceberg.expressions import EqualTo

    run_id = _run_id(context)
    props = {RUN_ID_KEY: run_id}
    catalog = _catalog()
    catalog.create_namespace_if_not_exists(NAMESPACE)
    schema = pa.schema([("order_id", pa.int64()), ("day", pa.string()), ("amount", pa.float64())])
    table = catalog.create_table(ORDERS, schema=schema, location=f"file://{ORDERS_LOCATION}")
    first = pa.table(
        {"order_id": [1, 2, 3], "day": ["d1", "d1", "d2"], "amount": [10.0, 5.5, 7.0]},
        schema=schema,
    )
    table.append(first, snapshot_properties=props)
    fixed = pa.table({"order_id": [3, 4], "day": ["d2", "d2"], "amount": [8.0, 1.0]}, schema=schema)
    table.overwrite(fixed, overwrite_filter=EqualTo("day", "d2"), snapshot_properties=props)
    return run_id


def daily_totals(**context: Any) -> str:
    """Read the orders and write the totals per day to a Delta table (create, then append)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from deltalake import CommitProperties, write_deltalake

    run_id = _run_id(context)
    commit = CommitProperties(custom_metadata={RUN_ID_KEY: run_id})
    orders = _catalog().load_table(ORDERS).scan().to_arrow()
    totals = orders.group_by("day").aggregate([("amount", "sum")]).sort_by("day")
    stamped = datetime.now(UTC).isoformat()
    frame = pa.table(
        {
            "day": totals["day"],
            "total": totals["amount_sum"],
            "computed_at": pa.array([stamped] * totals.num_rows),
        }
    )
    write_deltalake(str(TOTALS_LOCATION), frame, commit_properties=commit)
    grand = pa.table(
        {
            "day": ["all"],
            "total": [pc.sum(orders["amount"]).as_py()],
            "computed_at": [stamped],
        }
    )
    write_deltalake(str(TOTALS_LOCATION), grand, mode="append", commit_properties=commit)
    return run_id


with DAG(
    dag_id=DAG_ID,
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["temporal-lineage-e2e"],
) as dag:
    orders_task = PythonOperator(
        task_id="write_orders", python_callable=write_orders, outlets=[orders_asset]
    )
    totals_task = PythonOperator(
        task_id="daily_totals",
        python_callable=daily_totals,
        inlets=[orders_asset],
        outlets=[totals_asset],
    )
    orders_task >> totals_task
