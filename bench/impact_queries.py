"""Latency of column ``impact`` (downstream, depth 10) as of random times.

On the synthetic store of ``synthetic_store.py`` (10,000 tables, 100,000 runs and about
1,030,000 column edges at scale 1: each run's output fields from its inputs, and its
JOIN / FILTER / GROUP_BY dependencies at dataset level), on SQLite (the cached
file) and on PostgreSQL (the database the lineage measurement runs on, when both run):

* ``picks`` random (table, column, as-of) triples that have downstream consumers: as-of
  uniform from the end of the first daily cycle to the end of the history, the table uniform
  over the tables some job reads, the column uniform over those that the jobs in force at
  the as-of (their latest run completed by then, as ``impact`` counts them) have column
  edges from (``Plan.column_mapping``); a draw with none is drawn again;
* one untimed pass warms the caches and records, per call, the affected columns, the
  tables they are in, the deepest level reached and the SQL statements issued;
* ``repeats`` timed passes; a pick's figure is its best sample, p50 / p95 / mean are over
  the picks, and a fit ``ms = fixed + per_column x affected`` says how the cost grows with
  the answer.

Target: p50 <= 100 ms. A miss is profiled like the lineage queries (the pick nearest the
p95, every statement attributed to the product function that issued it, the plans of the
costliest statements).
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import lineage_queries
import measure
import synthetic_store as synthetic

DEPTH = 10
TARGET_P50_MS = 100.0


@dataclass(frozen=True)
class Pick:
    """One query point: a column of a table and an as-of time."""

    table_id: int
    source: str
    identifier: str
    layer: int
    column: str
    as_of: datetime


def consumers(plan: synthetic.Plan) -> dict[int, list[synthetic.TablePlan]]:
    """The tables whose job reads each table (in any of its runs)."""
    found: dict[int, list[synthetic.TablePlan]] = {}
    for table in plan.tables:
        for input_id in table.inputs:
            found.setdefault(input_id, []).append(table)
    return found


def run_in_force(plan: synthetic.Plan, table: synthetic.TablePlan, at: int) -> int | None:
    """The run of the table's job in force at ``at``: its latest run completed by then (every
    synthetic run completes), else the latest started, else None."""
    started = None
    for run in range(synthetic.RUNS_PER_JOB):
        window = plan.window(table, run)
        if window.end <= at:
            started = run
        elif window.start <= at:
            return run if started is None else started
    return started


def read_columns(
    plan: synthetic.Plan, readers: list[synthetic.TablePlan], table_id: int, at: int
) -> set[str]:
    """The columns of ``table_id`` that the jobs in force at ``at`` have column edges from."""
    columns: set[str] = set()
    for reader in readers:
        run = run_in_force(plan, reader, at)
        if run is None:
            continue
        for lineage in plan.column_mapping(reader, run):
            columns.update(s.field for s in lineage.inputs if s.table_id == table_id)
    return columns


def make_picks(plan: synthetic.Plan, count: int, seed: int = 13) -> list[Pick]:
    """``count`` random (table, column, as-of) picks with a downstream consumer."""
    rng = random.Random(seed)
    start, end = plan.span
    readers = consumers(plan)
    candidates = sorted(readers)
    picks: list[Pick] = []
    while len(picks) < count:
        table = plan.table(rng.choice(candidates))
        at = rng.randrange(start + synthetic.DAY, end)
        at -= at % synthetic.MS
        columns = read_columns(plan, readers[table.id], table.id, at)
        if not columns:
            continue
        picks.append(
            Pick(
                table.id,
                table.source,
                table.identifier,
                table.layer,
                rng.choice(sorted(columns)),
                synthetic.EPOCH + timedelta(microseconds=at),
            )
        )
    return picks


def _call(store: Any, pick: Pick) -> Any:
    from temporal_lineage.model import TableRef
    from temporal_lineage.query.impact import impact

    ref = TableRef(pick.source, pick.identifier)
    return impact(store, ref, pick.column, as_of=pick.as_of, depth=DEPTH)


def _sizes(answer: Any) -> dict[str, int]:
    return {
        "affected columns": len(answer.affected),
        "tables": len({str(a.node) for a in answer.affected}),
        "levels": max((a.depth for a in answer.affected), default=0),
    }


def _warm_pass(store: Any, picks: list[Pick]) -> list[dict[str, Any]]:
    """Each call once, untimed: answer sizes, statements and driver time per call."""
    seen: list[dict[str, Any]] = []
    for pick in picks:
        with lineage_queries.statements(store.engine) as log:
            started = time.perf_counter()
            answer = _call(store, pick)
            spent = time.perf_counter() - started
        sizes = _sizes(answer)
        seen.append(
            {
                "affected": sizes["affected columns"],
                "tables": sizes["tables"],
                "levels": sizes["levels"],
                "dataset_level": sum(1 for a in answer.affected if a.column == "*"),
                "statements": log.count,
                "execute_share": log.db_seconds / spent if spent else 0.0,
            }
        )
    return seen


def _timed(store: Any, picks: list[Pick], repeats: int) -> list[list[float]]:
    samples: list[list[float]] = [[] for _ in picks]
    for _ in range(repeats):
        gc.collect()
        for index, pick in enumerate(picks):
            started = time.perf_counter()
            _call(store, pick)
            samples[index].append(time.perf_counter() - started)
    return samples


def _summary(per_pick: list[list[float]], seen: list[dict[str, Any]]) -> dict[str, Any]:
    percentile = lineage_queries.percentile
    best = [min(s) * 1000 for s in per_pick]
    everything = [x * 1000 for s in per_pick for x in s]
    affected = [float(s["affected"]) for s in seen]
    fixed, per_column = lineage_queries._fit(affected, best)

    def spread(key: str) -> tuple[float, float]:
        values = [float(s[key]) for s in seen]
        return statistics.median(values), round(percentile(values, 0.95), 1)

    return {
        "p50_ms": round(percentile(best, 0.5), 2),
        "p95_ms": round(percentile(best, 0.95), 2),
        "mean_ms": round(statistics.fmean(best), 2),
        "max_ms": round(max(best), 2),
        "p50_all_samples_ms": round(percentile(everything, 0.5), 2),
        "p95_all_samples_ms": round(percentile(everything, 0.95), 2),
        "affected_median": spread("affected")[0],
        "affected_p95": spread("affected")[1],
        "affected_max": int(max(affected)),
        "tables_median": spread("tables")[0],
        "tables_p95": spread("tables")[1],
        "levels_median": spread("levels")[0],
        "levels_max": max(s["levels"] for s in seen),
        "dataset_level_median": spread("dataset_level")[0],
        "empty_answers": sum(1 for s in seen if not s["affected"]),
        "statements_median": spread("statements")[0],
        "statements_p95": spread("statements")[1],
        "execute_share_median": round(statistics.median([s["execute_share"] for s in seen]), 3),
        "fit_fixed_ms": round(fixed, 2),
        "fit_ms_per_column": round(per_column, 3),
        "best_ms": [round(b, 3) for b in best],
    }


def measure_store(
    store: Any, picks: list[Pick], repeats: int, profile: str, out_dir: Path, label: str
) -> dict[str, Any]:
    """Warm pass, timed passes and (when asked or missed) a profile, on one open store."""
    seen = _warm_pass(store, picks)
    samples = _timed(store, picks, repeats)
    result: dict[str, Any] = {"picks": len(picks), "repeats": repeats}
    result["impact"] = _summary(samples, seen)
    result["columns_picked"] = {
        c: sum(1 for p in picks if p.column == c) for c in synthetic.COLUMNS
    }
    result["profiles"] = {}
    missed = result["impact"]["p50_ms"] > TARGET_P50_MS
    if profile == "always" or (profile == "auto" and missed):
        best = result["impact"]["best_ms"]
        p95 = lineage_queries.percentile(best, 0.95)
        index = min(range(len(picks)), key=lambda i: abs(best[i] - p95))
        pick = picks[index]
        summary = lineage_queries.profile_call(
            store,
            lambda: _call(store, pick),
            out_dir / f"profile-impact-{label}.txt",
            f"impact of {pick.source}.{pick.identifier}.{pick.column} as of "
            f"{pick.as_of.isoformat()} (depth {DEPTH})",
            _sizes,
        )
        summary.update(
            {
                "query": "impact",
                "table": f"{pick.source}.{pick.identifier}",
                "column": pick.column,
                "as_of": pick.as_of.isoformat(),
            }
        )
        result["profiles"]["impact"] = summary
    return result


def impact_measure(
    pick_count: int,
    repeats: int,
    profile: str = "auto",
    out_dir: Path = measure.RESULTS_DIR,
    log: Callable[[str], None] = lambda _: None,
) -> lineage_queries.Measure:
    """The impact workload, for ``lineage_queries.on_stores``."""

    def run_measure(store: Any, label: str, plan: synthetic.Plan) -> dict[str, Any]:
        out_dir.mkdir(parents=True, exist_ok=True)
        log(f"  {label}: column impact, {pick_count} picks x {repeats} passes ...")
        picks = make_picks(plan, pick_count)
        return measure_store(store, picks, repeats, profile, out_dir, label)

    return run_measure


def finish(results: dict[str, Any]) -> dict[str, Any]:
    """Add the workload's constants to what ``on_stores`` returned for it."""
    results.update({"depth": DEPTH, "target_p50_ms": TARGET_P50_MS})
    return results


def run(
    scale: float,
    pick_count: int,
    repeats: int,
    cache_dir: Path,
    pg_admin_url: str | None,
    profile: str = "auto",
    out_dir: Path = measure.RESULTS_DIR,
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Both databases (PostgreSQL when ``pg_admin_url`` is given)."""
    workload = impact_measure(pick_count, repeats, profile, out_dir, log)
    results = lineage_queries.on_stores(scale, cache_dir, pg_admin_url, {"impact": workload}, log)
    return finish(results["impact"])


def main(argv: list[str] | None = None) -> int:
    """``python bench/impact_queries.py [--scale S] [--picks N] [--no-postgres]``."""
    return lineage_queries.standalone_main(argv, main.__doc__ or "", "picks", run, ("impact",))


if __name__ == "__main__":
    raise SystemExit(main())
