"""Latency of a wide column ``impact``: one column feeding 500 columns downstream.

The synthetic store's answers are small (a median of a few affected columns); this one is
the wide case a demanding user hits (a key column fanned out into many feature columns).
Real Delta tables in a temporary folder, synced into a real store (SQLite, and PostgreSQL
when given): ``wide.src`` (column ``id``), ten tables ``wide.out_k`` of 50 columns each,
and one OpenLineage run per output table whose columnLineage derives every output column
from ``wide.src.id``, ingested through the product's own ingest. ``impact`` of
``wide.src.id`` then answers 500 affected columns (10 tables, 1 level); each answer is
timed ``repeats`` times at each of ``picks`` as-of times after the runs, best sample per
pick, p50 / p95 over the picks.

Target: p50 <= 100 ms.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import lineage_queries
import pyarrow as pa
import synthetic_store as synthetic

TARGET_P50_MS = 100.0
OUTPUTS = 10
COLUMNS = 50
PRODUCER = "https://github.com/temporal-lineage/temporal-lineage/bench"


def build(folder: Path) -> Path:
    """The Delta tables and the lineage config over them; returns the config path."""
    from deltalake import write_deltalake

    root = folder / "delta" / "wide"
    write_deltalake(str(root / "src"), pa.table({"id": pa.array([1, 2, 3], pa.int64())}))
    for k in range(OUTPUTS):
        columns = {f"f{c:02d}": pa.array([1.0], pa.float64()) for c in range(COLUMNS)}
        write_deltalake(str(root / f"out_{k}"), pa.table(columns))
    config = folder / "lineage.yaml"
    config.write_text(
        f"store: sqlite:///{folder / 'unused.db'}\n"
        f"sources:\n  - {{name: wide, format: delta, root: {folder / 'delta'}}}\n",
        encoding="utf-8",
    )
    return config


def events(started: Any, ended: Any) -> str:
    """One START and one COMPLETE per output table, as NDJSON."""
    lines = []
    for k in range(OUTPUTS):
        run = str(uuid.UUID(int=k + 1))
        fields = {
            f"f{c:02d}": {"inputFields": [{"namespace": "wide", "name": "wide.src", "field": "id"}]}
            for c in range(COLUMNS)
        }
        for state, at in (("START", started), ("COMPLETE", ended)):
            event: dict[str, Any] = {
                "eventType": state,
                "eventTime": at.isoformat().replace("+00:00", "Z"),
                "producer": PRODUCER,
                "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
                "run": {"runId": run},
                "job": {"namespace": "bench", "name": f"widen_{k}"},
                "inputs": [{"namespace": "wide", "name": "wide.src"}],
                "outputs": [
                    {
                        "namespace": "wide",
                        "name": f"wide.out_{k}",
                        "facets": {
                            "columnLineage": {
                                "_producer": PRODUCER,
                                "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/"
                                "ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet",
                                "fields": fields,
                            }
                        },
                    }
                ],
            }
            lines.append(json.dumps(event))
    return "\n".join(lines)


def _store(url: str, config: Path) -> Any:
    from dataclasses import replace

    from temporal_lineage.config import load_settings
    from temporal_lineage.ingest import ingest_payload
    from temporal_lineage.store import open_store
    from temporal_lineage.sync import sync
    from temporal_lineage.times import now

    store = open_store(url)
    settings = replace(load_settings(config), store_url=url)
    report = sync(store, settings)
    assert not report.errors, report.errors
    started = now()
    ingested = ingest_payload(store, events(started, started + timedelta(seconds=1)), origin="wide")
    assert not ingested.rejected, ingested.rejected
    return store


def measure_store(store: Any, picks: int, repeats: int) -> dict[str, Any]:
    """Warm call (answer size, statements), then the timed samples."""
    from temporal_lineage.model import TableRef
    from temporal_lineage.query.impact import impact
    from temporal_lineage.times import now

    ref = TableRef("wide", "wide.src")
    base = now() + timedelta(seconds=2)
    times = [base + timedelta(milliseconds=i) for i in range(picks)]
    with lineage_queries.statements(store.engine) as log:
        answer = impact(store, ref, "id", as_of=times[0], depth=10)
    best = []
    for at in times:
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            impact(store, ref, "id", as_of=at, depth=10)
            samples.append((time.perf_counter() - started) * 1000)
        best.append(min(samples))
    return {
        "affected": len(answer.affected),
        "tables": len({str(a.node) for a in answer.affected}),
        "statements": log.count,
        "p50_ms": round(lineage_queries.percentile(best, 0.5), 2),
        "p95_ms": round(lineage_queries.percentile(best, 0.95), 2),
        "mean_ms": round(statistics.fmean(best), 2),
    }


def run(
    folder: Path,
    pg_admin_url: str | None,
    picks: int = 20,
    repeats: int = 3,
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Both databases (PostgreSQL when ``pg_admin_url`` is given)."""
    config = build(folder)
    results: dict[str, Any] = {"target_p50_ms": TARGET_P50_MS, "picks": picks}
    with ExitStack() as stack:
        urls = {"sqlite": f"sqlite:///{folder / 'wide.db'}"}
        if pg_admin_url is not None:
            urls["postgresql"] = stack.enter_context(synthetic.pg_database(pg_admin_url, "wide"))
        for label, url in urls.items():
            log(f"  {label}: wide column impact (500 columns), {picks} picks x {repeats} ...")
            store = _store(url, config)
            try:
                results[label] = measure_store(store, picks, repeats)
            finally:
                store.close()
    return results
