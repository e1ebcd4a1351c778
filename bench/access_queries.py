"""Latency of ``access TABLE`` over 1,000,000 read records, and ingestion of Iceberg scan
reports through the REST metrics endpoint's code path.

The store is created by the product's own migration (``open_store``), then filled straight
through its tables (like ``synthetic_store.py``, at the size this benchmark needs):

* ``TABLES`` Iceberg tables (source ``lake``), 100 days of history from ``BASE``;
* half of the ``records`` are run inputs: runs of ``JOBS`` jobs, each reading
  ``INPUTS_PER_RUN`` tables (one ``events`` row, one ``run_states`` START and one
  ``run_datasets`` input row per table read, pinned by an ``icebergScanReport`` snapshot
  with its projected field names in ``facets``, as ingestion keeps them), each run with a
  user and an engine in ``run_principals``;
* the other half are ``scan_reports`` (report kind scan, projected field ids and names, a
  principal) spread over the same tables and days;

so each table has about ``records / TABLES`` reads. Measured: ``access(store, ref, start,
end)`` of ``picks`` tables drawn at random, each over the whole history and over a 7-day
window, best of ``repeats`` per pick, p50 / p95 / mean over the picks, on SQLite and
PostgreSQL (target p50 <= 100 ms). Every answer's count is checked against what was written.

Ingestion: ``reports`` ScanReport payloads as Iceberg Java's RESTMetricsReporter posts them,
into a store that knows the tables:

* ``http``: each one POSTed to ``/v1/lake/namespaces/db/tables/tNNNN/metrics`` through the
  ASGI app in-process (Starlette's TestClient: auth, parsing, one transaction each);
* ``batch``: ``parse_metrics_report`` of each body, then ``Store.record_metrics_reports`` in
  transactions of 1,000 (how a file of reports or a group commit writes them);

as reports per second (target >= 2,000/s, the OpenLineage file ingestion's).
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import synthetic_store as synthetic
from sqlalchemy import func, insert, select

from temporal_lineage.model import TableRef
from temporal_lineage.query.access import access
from temporal_lineage.store import Store, open_store
from temporal_lineage.store import tables as t

TARGET_P50_MS = 100.0
TARGET_REPORTS_PER_S = 2_000.0
TABLES = 1_000
JOBS = 500
INPUTS_PER_RUN = 3
DAYS = 100
BASE = datetime(2025, 1, 1, tzinfo=UTC)
COLUMNS = ("id", "customer_id", "email", "amount", "updated_at")
USERS = tuple(f"user{i:02d}" for i in range(40))
CHUNK = 20_000


def _instant(rng: random.Random) -> datetime:
    micros = rng.randrange(DAYS * 86_400_000) * 1000
    return BASE + timedelta(microseconds=micros)


def _insert(store: Store, table: Any, rows: Iterator[dict[str, Any]]) -> int:
    written = 0
    batch: list[dict[str, Any]] = []
    with store.begin() as conn:
        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK:
                conn.execute(insert(table), batch)
                written += len(batch)
                batch = []
        if batch:
            conn.execute(insert(table), batch)
            written += len(batch)
    return written


def populate(store: Store, records: int, seed: int = 7) -> dict[int, int]:
    """Write ``records`` reads; returns how many each table (by id) has."""
    rng = random.Random(seed)
    at = BASE
    _insert(
        store, t.sources, iter([{"id": 1, "name": "lake", "format": "iceberg", "recorded_at": at}])
    )
    _insert(
        store,
        t.tables,
        (
            {
                "id": i,
                "source_id": 1,
                "identifier": f"db.t{i:04d}",
                "format": "iceberg",
                "location": f"s3://lake/db/t{i:04d}",
                "recorded_at": at,
            }
            for i in range(1, TABLES + 1)
        ),
    )
    _insert(
        store,
        t.jobs,
        (
            {"id": j, "namespace": "etl", "name": f"job{j}", "recorded_at": at}
            for j in range(1, JOBS + 1)
        ),
    )
    runs = records // 2 // INPUTS_PER_RUN
    counts: dict[int, int] = dict.fromkeys(range(1, TABLES + 1), 0)
    plan = []
    for r in range(1, runs + 1):
        tables = rng.sample(range(1, TABLES + 1), INPUTS_PER_RUN)
        for table_id in tables:
            counts[table_id] += 1
        plan.append((r, f"run-{r:08d}", rng.randrange(1, JOBS + 1), _instant(rng), tables))
    _insert(
        store,
        t.events,
        (
            {
                "id": r,
                "fingerprint": f"{r:064x}",
                "kind": "run",
                "event_type": "START",
                "event_time": when,
                "run_id": run_id,
                "job_namespace": "etl",
                "job_name": f"job{job}",
                "raw": {},
                "recorded_at": when,
            }
            for r, run_id, job, when, _ in plan
        ),
    )
    _insert(
        store,
        t.runs,
        (
            {"run_id": run_id, "job_id": job, "recorded_at": when}
            for _, run_id, job, when, _ in plan
        ),
    )
    _insert(
        store,
        t.run_states,
        (
            {
                "run_id": run_id,
                "state": "START",
                "event_time": when,
                "event_pk": r,
                "recorded_at": when,
            }
            for r, run_id, _, when, _ in plan
        ),
    )
    _insert(
        store,
        t.run_principals,
        (
            row
            for r, run_id, _, when, _ in plan
            for row in (
                {
                    "run_id": run_id,
                    "kind": "user",
                    "principal": USERS[r % len(USERS)],
                    "source": "spark_applicationDetails",
                    "event_pk": r,
                    "recorded_at": when,
                },
                {
                    "run_id": run_id,
                    "kind": "engine",
                    "principal": "spark 3.5.1",
                    "source": "processing_engine",
                    "event_pk": r,
                    "recorded_at": when,
                },
            )
        ),
    )
    _insert(
        store,
        t.run_datasets,
        (
            {
                "run_id": run_id,
                "event_pk": r,
                "direction": "input",
                "namespace": "lake",
                "name": f"db.t{table_id:04d}",
                "version": None,
                "snapshot_id": r * 10 + n,
                "symlinks": [],
                "facets": {"projected": {"names": list(COLUMNS[: 2 + (r + n) % 4])}},
                "table_id": table_id,
                "matched_at": when,
                "matched_by": "source_name",
                "recorded_at": when,
            }
            for r, run_id, _, when, tables in plan
            for n, table_id in enumerate(tables)
        ),
    )
    scans = records - runs * INPUTS_PER_RUN

    def reports() -> Iterator[dict[str, Any]]:
        for s in range(scans):
            table_id = rng.randrange(1, TABLES + 1)
            counts[table_id] += 1
            when = _instant(rng)
            width = 1 + s % len(COLUMNS)
            yield {
                "report_kind": "scan",
                "namespace": "db",
                "name": f"t{table_id:04d}",
                "table_id": table_id,
                "snapshot_id": s,
                "schema_id": 0,
                "projected_field_ids": list(range(1, width + 1)),
                "projected_field_names": list(COLUMNS[:width]),
                "filter": "true",
                "operation": None,
                "principal": USERS[s % len(USERS)],
                "metrics": {"result-data-files": {"unit": "count", "value": 1}},
                "report_metadata": {},
                "reported_at": when,
                "matched_at": when,
                "recorded_at": when,
            }

    _insert(store, t.scan_reports, reports())
    if store.dialect == "postgresql":
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with store.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return counts


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure_queries(
    store: Store, counts: dict[int, int], picks: int, repeats: int, log: Callable[[str], None]
) -> dict[str, Any]:
    """``access`` of ``picks`` random tables, whole history and a 7-day window."""
    rng = random.Random(13)
    chosen = rng.sample(sorted(counts), picks)
    figures: dict[str, Any] = {}
    for label, window in (("history", None), ("week", timedelta(days=7))):
        samples: list[float] = []
        reads = 0
        for table_id in chosen:
            ref = TableRef("lake", f"db.t{table_id:04d}")
            start = BASE + timedelta(days=rng.randrange(DAYS - 7)) if window else None
            end = start + window if start is not None and window else None
            best = float("inf")
            for _ in range(repeats):
                began = time.perf_counter()
                answer = access(store, ref, start=start, end=end)
                best = min(best, time.perf_counter() - began)
            if window is None and len(answer) != counts[table_id]:
                raise AssertionError(f"{ref}: {len(answer)} reads, {counts[table_id]} written")
            reads += len(answer)
            samples.append(best * 1000)
        figures[label] = {
            "picks": picks,
            "mean_reads": round(reads / picks, 1),
            "p50_ms": round(statistics.median(samples), 2),
            "p95_ms": round(_percentile(samples, 0.95), 2),
            "mean_ms": round(statistics.fmean(samples), 2),
        }
        log(f"    access ({label}): {figures[label]}")
    figures["meets_target"] = figures["history"]["p50_ms"] <= TARGET_P50_MS
    return figures


def scan_payload(table: int, snapshot: int) -> bytes:
    """A ScanReport as Iceberg Java's RESTMetricsReporter sends it."""
    return json.dumps(
        {
            "report-type": "scan-report",
            "table-name": f"lake.db.t{table:04d}",
            "snapshot-id": snapshot,
            "filter": {"type": "gt", "term": "amount", "value": 10},
            "schema-id": 0,
            "projected-field-ids": [1, 3],
            "projected-field-names": ["id", "email"],
            "metrics": {
                "total-planning-duration": {
                    "count": 1,
                    "time-unit": "nanoseconds",
                    "total-duration": 2644235116,
                },
                "result-data-files": {"unit": "count", "value": 3},
                "total-file-size-in-bytes": {"unit": "bytes", "value": 10240},
            },
            "metadata": {"engine-name": "spark", "engine-version": "3.5.1", "user": "alice"},
        }
    ).encode()


def measure_ingestion(url: str, reports: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Reports per second through the HTTP route and through the batch write."""
    from fastapi.testclient import TestClient

    from temporal_lineage.api import create_app
    from temporal_lineage.api.access_routes import parse_metrics_report
    from temporal_lineage.config import Settings
    from temporal_lineage.store.tokens import Scope
    from temporal_lineage.times import now

    payloads = [(1 + i % TABLES, scan_payload(1 + i % TABLES, i)) for i in range(reports)]
    store = open_store(url)
    figures: dict[str, Any] = {"reports": reports}
    try:
        before = _report_count(store)
        began = time.perf_counter()
        for start in range(0, reports, 1000):
            parsed = [
                parse_metrics_report(body, "db", f"t{table:04d}", "lake")
                for table, body in payloads[start : start + 1000]
            ]
            store.record_metrics_reports(parsed, now())
        elapsed = time.perf_counter() - began
        assert _report_count(store) - before == reports
        figures["batch_reports_per_s"] = round(reports / elapsed, 1)
        token = store.create_token(Scope.WRITE, now(), "bench")
    finally:
        store.close()
    app = create_app(Settings(store_url=url))
    try:
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
            began = time.perf_counter()
            for table, body in payloads:
                answer = client.post(
                    f"/v1/lake/namespaces/db/tables/t{table:04d}/metrics",
                    content=body,
                    headers={"content-type": "application/json"},
                )
                if answer.status_code != 204:
                    raise AssertionError(answer.text)
            elapsed = time.perf_counter() - began
        assert _report_count(app.state.lineage.store) - before == 2 * reports
    finally:
        app.state.lineage.store.close()
    figures["http_reports_per_s"] = round(reports / elapsed, 1)
    figures["meets_target"] = figures["batch_reports_per_s"] >= TARGET_REPORTS_PER_S
    log(f"    ingestion: {figures}")
    return figures


def _report_count(store: Store) -> int:
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.scan_reports)).scalar_one())


@contextmanager
def _databases(folder: Path, pg_admin_url: str | None) -> Iterator[list[tuple[str, str]]]:
    urls = [("sqlite", f"sqlite:///{folder / 'access.db'}")]
    if pg_admin_url is None:
        yield urls
        return
    with synthetic.pg_database(pg_admin_url, "access") as url:
        yield [*urls, ("postgresql", url)]


def measure(
    records: int = 1_000_000,
    picks: int = 50,
    repeats: int = 3,
    reports: int = 5_000,
    pg_admin_url: str | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Both measurements on SQLite and (with ``pg_admin_url``) PostgreSQL."""
    results: dict[str, Any] = {"records": records, "tables": TABLES}
    with (
        tempfile.TemporaryDirectory(prefix="tl-access-") as folder,
        _databases(Path(folder), pg_admin_url) as urls,
    ):
        for name, url in urls:
            log(f"  {name}: writing {records:,} read records ...")
            store = open_store(url)
            try:
                began = time.perf_counter()
                counts = populate(store, records)
                results.setdefault(name, {})["populate_s"] = round(time.perf_counter() - began, 1)
                results[name]["access"] = measure_queries(store, counts, picks, repeats, log)
            finally:
                store.close()
            results[name]["ingestion"] = measure_ingestion(url, reports, log)
    return results


def main(argv: list[str] | None = None) -> int:
    """``python bench/access_queries.py [--records N] [--no-postgres]``."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--picks", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--reports", type=int, default=5_000)
    parser.add_argument("--pg-url", default=synthetic.default_pg_url())
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    result = measure(
        args.records,
        args.picks,
        args.repeats,
        args.reports,
        None if args.no_postgres else args.pg_url,
        log=lambda line: print(line, file=sys.stderr),
    )
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
