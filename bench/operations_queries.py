"""Latency of ``quality`` (a table's results and suspicion through provenance) and
``triage`` (what changed upstream in the 24 h before a time, ranked) on the synthetic store.

On the synthetic store of ``synthetic_store.py`` (the one the lineage queries run on;
SQLite and PostgreSQL), with data-quality facts added for a share of the runs, straight into
``quality_facts`` as ingestion would have written them (``synthetic_store.py`` is unchanged):

* an ``input`` assertion ``not_null(id)`` on every input a run's COMPLETE event names, for
  the ``run_datasets`` rows whose id is a multiple of ``INPUT_EVERY`` (about 1 in 10; the
  input's table, pinned snapshot, event time and recorded time copied from that row); one
  in ``FAIL_EVERY`` of those fails;
* an ``output`` assertion ``row_count`` (passing) on one output row in ``INPUT_EVERY``.

SQLite writes them into a copy of the cached file (the cache itself is never written),
PostgreSQL into the run's own database. Then ``calls`` (table, time) picks as the lineage
queries draw them (``lineage_queries.make_pairs``): one untimed pass records the answer
sizes (results, suspicions, causes) and the SQL statements, ``repeats`` timed passes follow;
a pick's figure is its best sample, p50 / p95 / mean over the picks.

Targets: p50 <= 100 ms for each query on each database. The walks the queries build on
(``BASELINES``) are timed on the same picks, so the figures say what the queries add.
"""

from __future__ import annotations

import gc
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import governance_queries
import lineage_queries
import measure as bench_measure
import synthetic_store as synthetic

TARGET_P50_MS = 100.0
INPUT_EVERY = 10
FAIL_EVERY = 7
WINDOW = timedelta(hours=24)
KINDS = ("quality", "triage")
BASELINES = ("provenance", "lineage")
"""What each query walks, timed on the same picks: ``provenance`` (the closure ``quality``
attaches results to) and ``lineage`` upstream at depth 20 (the walk ``triage`` starts with):
the difference is the queries' own cost."""


def add_quality_facts(store: Any) -> dict[str, Any]:
    """The benchmark's quality facts, one INSERT ... SELECT per direction; their counts."""
    from sqlalchemy import func, insert, literal, null, select

    from temporal_lineage.store import tables as t

    rd, ev, qf = t.run_datasets.c, t.events.c, t.quality_facts
    columns = [
        "run_id",
        "event_pk",
        "direction",
        "namespace",
        "name",
        "table_id",
        "snapshot_id",
        "kind",
        "check_name",
        "column_name",
        "success",
        "value",
        "event_time",
        "matched_at",
        "recorded_at",
    ]
    counts: dict[str, Any] = {}
    started = time.perf_counter()
    with store.begin() as conn:
        for direction, check, column, success in (
            ("input", "not_null", literal("id"), (rd.id % FAIL_EVERY) != 0),
            ("output", "row_count", null(), literal(True)),
        ):
            chosen = (
                select(
                    rd.run_id,
                    rd.event_pk,
                    literal(direction),
                    rd.namespace,
                    rd.name,
                    rd.table_id,
                    rd.snapshot_id,
                    literal("assertion"),
                    literal(check),
                    column,
                    success,
                    null(),
                    ev.event_time,
                    rd.matched_at,
                    rd.recorded_at,
                )
                .join(t.events, ev.id == rd.event_pk)
                .where(
                    rd.direction == direction,
                    rd.table_id.is_not(None),
                    ev.event_type == "COMPLETE",
                    rd.id % INPUT_EVERY == 0,
                )
            )
            conn.execute(insert(qf).from_select(columns, chosen))
        for direction, success, rows in conn.execute(
            select(qf.c.direction, qf.c.success, func.count()).group_by(
                qf.c.direction, qf.c.success
            )
        ):
            entry = counts.setdefault(direction, {"rows": 0, "failed": 0})
            entry["rows"] += rows
            if success is False:
                entry["failed"] += rows
    counts["write_s"] = round(time.perf_counter() - started, 2)
    return counts


def _call(kind: str, store: Any, pick: lineage_queries.Pair) -> Any:
    from temporal_lineage.model import TableRef
    from temporal_lineage.query.lineage import lineage
    from temporal_lineage.query.provenance import provenance
    from temporal_lineage.query.quality import quality
    from temporal_lineage.query.triage import MAX_DEPTH, triage

    ref = TableRef(pick.source, pick.identifier)
    if kind == "quality":
        return quality(store, ref, as_of=pick.as_of)
    if kind == "triage":
        return triage(store, ref, at=pick.as_of, window=WINDOW)
    if kind == "provenance":
        return provenance(store, ref, pick.as_of)
    return lineage(store, ref, pick.as_of, depth=MAX_DEPTH)


def _sizes(kind: str, answer: Any) -> dict[str, int]:
    if kind == "quality":
        return {
            "results": len(answer.results),
            "suspicions": len(answer.because),
            "suspect": int(answer.suspect),
        }
    if kind == "triage":
        return {"causes": len(answer.causes), "upstream": len(answer.upstream)}
    return {"nodes": len(answer.nodes), "edges": len(answer.edges)}


def measure_kinds(
    store: Any, kinds: tuple[str, ...], picks: list[lineage_queries.Pair], repeats: int
) -> dict[str, dict[str, Any]]:
    """Warm pass (sizes, statements), then ``repeats`` timed passes, the kinds interleaved
    pick by pick (the machine's load then weighs on each alike); figures over the picks."""
    seen: dict[str, list[dict[str, int]]] = {kind: [] for kind in kinds}
    for pick in picks:
        for kind in kinds:
            with lineage_queries.statements(store.engine) as log:
                answer = _call(kind, store, pick)
            seen[kind].append({**_sizes(kind, answer), "statements": log.count})
    samples: dict[str, list[list[float]]] = {kind: [[] for _ in picks] for kind in kinds}
    for _ in range(repeats):
        gc.collect()
        for index, pick in enumerate(picks):
            for kind in kinds:
                started = time.perf_counter()
                _call(kind, store, pick)
                samples[kind][index].append(time.perf_counter() - started)
    return {kind: _figures(kind, seen[kind], samples[kind], repeats) for kind in kinds}


def _figures(
    kind: str, seen: list[dict[str, int]], samples: list[list[float]], repeats: int
) -> dict[str, Any]:
    percentile = lineage_queries.percentile
    best = [min(s) * 1000 for s in samples]
    figures: dict[str, Any] = {
        "picks": len(samples),
        "repeats": repeats,
        "p50_ms": round(percentile(best, 0.5), 2),
        "p95_ms": round(percentile(best, 0.95), 2),
        "mean_ms": round(statistics.fmean(best), 2),
        "max_ms": round(max(best), 2),
        "meets_target": percentile(best, 0.5) <= TARGET_P50_MS if kind in KINDS else None,
        "statements_median": statistics.median([s["statements"] for s in seen]),
        "best_ms": [round(b, 3) for b in best],
    }
    for key in seen[0]:
        if key != "statements":
            figures[f"{key}_median"] = statistics.median([s[key] for s in seen])
            figures[f"{key}_max"] = max(s[key] for s in seen)
    if kind == "quality":
        figures["suspect_share"] = round(sum(s["suspect"] for s in seen) / len(seen), 3)
    return figures


def measure(
    store: Any,
    plan: synthetic.Plan,
    calls: int,
    repeats: int,
    label: str = "store",
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Add the quality facts to a writable copy of ``store``, then time both queries."""
    with tempfile.TemporaryDirectory(prefix="tl-bench-operations-") as folder:
        with governance_queries.tagging_store(store, Path(folder), log) as (copy, copy_s):
            result: dict[str, Any] = {"quality_facts": add_quality_facts(copy)}
            result["quality_facts"]["store_copy_s"] = round(copy_s, 2)
            picks = lineage_queries.make_pairs(plan, calls)
            kinds = (*KINDS, *BASELINES)
            log(f"  {label}: {', '.join(kinds)}, {calls} picks x {repeats} passes ...")
            for kind, figures in measure_kinds(copy, kinds, picks, repeats).items():
                result[kind if kind in KINDS else f"baseline_{kind}"] = figures
    return result


def run(
    scale: float,
    calls: int,
    repeats: int,
    cache_dir: Path,
    pg_admin_url: str | None,
    profile: str = "auto",
    out_dir: Path = bench_measure.RESULTS_DIR,
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Both databases (PostgreSQL when ``pg_admin_url`` is given). ``profile`` and
    ``out_dir`` are accepted for ``lineage_queries.standalone_main`` (no profiles here)."""

    def workload(store: Any, label: str, plan: synthetic.Plan) -> dict[str, Any]:
        return measure(store, plan, calls, repeats, label, log)

    found = lineage_queries.on_stores(scale, cache_dir, pg_admin_url, {"ops": workload}, log)
    results = found["ops"]
    results.update(
        {
            "target_p50_ms": TARGET_P50_MS,
            "window_hours": WINDOW.total_seconds() / 3600,
            "input_every": INPUT_EVERY,
            "fail_every": FAIL_EVERY,
        }
    )
    return results


def main(argv: list[str] | None = None) -> int:
    """``python bench/operations_queries.py [--scale S] [--calls N] [--no-postgres]``."""
    baselines = tuple(f"baseline_{kind}" for kind in BASELINES)
    return lineage_queries.standalone_main(
        argv, main.__doc__ or "", "calls", run, (*KINDS, *baselines)
    )


if __name__ == "__main__":
    raise SystemExit(main())
