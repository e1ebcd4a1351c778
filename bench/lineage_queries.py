"""Latency of ``lineage`` (upstream, depth 10) and ``provenance`` as of random times.

On the synthetic store of ``synthetic_store.py`` (10,000 tables, 1,000,000 snapshots,
100,000 runs at scale 1), on SQLite (the cached file) and on PostgreSQL (generated into a
fresh database of this run, dropped at the end):

* ``pairs`` random (table, as-of) pairs: tables uniform over all tables (so over all layers:
  most tables are near the bottom), as-of uniform from the end of the first daily cycle to
  the end of the history (every table has a head by then);
* one untimed pass over every pair warms the caches and records, per call, the size of the
  answer (nodes, edges), the SQL statements issued (SQLAlchemy ``before_cursor_execute``)
  and the time spent inside the driver's ``execute`` (``after_cursor_execute``);
* ``repeats`` timed passes (each pair: lineage then provenance); a pair's figure is its best
  sample (the least disturbed by the shared machine), p50 / p95 / mean are over the pairs.
  The median of all samples is kept too, and a fit ``ms = fixed + per_node x nodes`` says
  how the cost grows with the closure.

A query kind whose p50 misses the target is profiled: cProfile of its pair nearest the p95,
with every statement attributed to the product function that issued it and to that
function's caller (N+1 loops show as a statement count equal to the closure size), and the
plan (``EXPLAIN QUERY PLAN`` / ``EXPLAIN ANALYZE``) of the statements that cost the most.
"""

from __future__ import annotations

import gc
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import measure
import synthetic_store as synthetic

DEPTH = 10
TARGET_P50_MS = 50.0
KINDS = ("lineage", "provenance")


@dataclass(frozen=True)
class Pair:
    """One query point: a table and an as-of time."""

    table_id: int
    source: str
    identifier: str
    layer: int
    as_of: datetime


def make_pairs(plan: synthetic.Plan, count: int, seed: int = 7) -> list[Pair]:
    """``count`` random (table, as-of) pairs over the plan's tables and history."""
    rng = random.Random(seed)
    start, end = plan.span
    pairs = []
    for _ in range(count):
        table = rng.choice(plan.tables)
        at = rng.randrange(start + synthetic.DAY, end)
        pairs.append(
            Pair(
                table.id,
                table.source,
                table.identifier,
                table.layer,
                synthetic.EPOCH + timedelta(microseconds=at - at % synthetic.MS),
            )
        )
    return pairs


# -- statements ---------------------------------------------------------------------------


def _product_frames(limit: int = 2) -> list[str]:
    """The innermost ``temporal_lineage`` functions on the stack (the store call, its caller)."""
    found: list[str] = []
    frame = sys._getframe(2)
    while frame is not None and len(found) < limit:
        filename = frame.f_code.co_filename
        if "/temporal_lineage/" in filename and not filename.endswith("store/database.py"):
            module = filename.rsplit("/temporal_lineage/", 1)[1].removesuffix(".py")
            found.append(f"{module.replace('/', '.')}.{frame.f_code.co_name}")
        frame = frame.f_back  # type: ignore[assignment]
    return found


def shape(statement: str) -> str:
    """A statement's kind and the tables it reads: ``SELECT runs+jobs``."""
    verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
    tables = re.findall(r'(?:FROM|JOIN|INTO|UPDATE)\s+"?(\w+)"?', statement)
    return f"{verb} {'+'.join(dict.fromkeys(tables))}"


@dataclass
class StatementLog:
    """What one block of work asked the database (filled by the engine's event listeners).

    ``driver`` time is the DB-API ``execute`` call alone: on SQLite that returns after the
    first step of the statement, the rest of its work happens in ``fetchone``. So with
    ``detail`` each statement also gets a ``span``: the time from its start to the start of
    the next statement (or the end of the block), i.e. the statement, the fetching of its
    rows and the Python that handles them before the next one is sent.
    """

    detail: bool = False
    count: int = 0
    db_seconds: float = 0.0
    by_caller: dict[tuple[str, ...], list[float]] = field(default_factory=dict)
    by_shape: dict[str, list[float]] = field(default_factory=dict)
    examples: dict[str, tuple[str, Any]] = field(default_factory=dict)
    first_at: float | None = None
    _started: float = 0.0
    _open: tuple[tuple[str, ...], str] | None = None

    def _entries(self, key: tuple[str, ...], name: str) -> list[list[float]]:
        return [
            self.by_caller.setdefault(key, [0, 0.0, 0.0]),
            self.by_shape.setdefault(name, [0, 0.0, 0.0]),
        ]

    def close(self) -> None:
        """End the span of the statement in flight (the next one starts, or the block ends)."""
        if self._open is not None:
            spent = time.perf_counter() - self._started
            for entry in self._entries(*self._open):
                entry[2] += spent
            self._open = None

    def before(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        self.count += 1
        if self.detail:
            self.close()
            key, name = tuple(_product_frames()), shape(statement)
            self.examples.setdefault(name, (statement, parameters))
            for entry in self._entries(key, name):
                entry[0] += 1
            self._open = (key, name)
        self._started = time.perf_counter()
        if self.first_at is None:
            self.first_at = self._started

    def after(self, *_: Any) -> None:
        spent = time.perf_counter() - self._started
        self.db_seconds += spent
        if self._open is not None:
            for entry in self._entries(*self._open):
                entry[1] += spent


@contextmanager
def statements(engine: Any, detail: bool = False) -> Iterator[StatementLog]:
    """Count (and with ``detail``, attribute) the statements issued inside the block."""
    from sqlalchemy import event

    log = StatementLog(detail)
    event.listen(engine, "before_cursor_execute", log.before)
    event.listen(engine, "after_cursor_execute", log.after)
    try:
        with _driver_statements(log):
            yield log
        log.close()
    finally:
        event.remove(engine, "before_cursor_execute", log.before)
        event.remove(engine, "after_cursor_execute", log.after)


@contextmanager
def _driver_statements(log: StatementLog) -> Iterator[None]:
    """Count the statements the store sends straight to the driver (``store/bulk.Driver``:
    the sync's and the event writes' hot paths), which SQLAlchemy's events do not see."""
    from temporal_lineage.store import bulk

    def counted(original: Any, text_of: Any) -> Any:
        def call(driver: Any, first: Any, *rest: Any) -> Any:
            log.before(None, None, text_of(first), rest[:1])
            try:
                return original(driver, first, *rest)
            finally:
                log.after()

        return call

    names = {
        "run": lambda sql: sql,
        "many": lambda sql: sql,
        "copy": lambda table: f'COPY "{table.name}"',
    }
    originals = {name: getattr(bulk.Driver, name) for name in names if hasattr(bulk.Driver, name)}
    for name, original in originals.items():
        setattr(bulk.Driver, name, counted(original, names[name]))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(bulk.Driver, name, original)


# -- figures ------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    place = (len(ordered) - 1) * q
    low = int(place)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (place - low)


def _fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least squares ``y = a + b x``."""
    if len(xs) < 2 or len(set(xs)) < 2:
        return (statistics.fmean(ys) if ys else 0.0, 0.0)
    slope, intercept = statistics.linear_regression(xs, ys)
    return intercept, slope


def _call(kind: str, store: Any, pair: Pair) -> Any:
    from temporal_lineage.model import TableRef
    from temporal_lineage.query.lineage import Direction, lineage
    from temporal_lineage.query.provenance import provenance

    ref = TableRef(pair.source, pair.identifier)
    if kind == "lineage":
        return lineage(store, ref, pair.as_of, direction=Direction.UPSTREAM, depth=DEPTH)
    return provenance(store, ref, pair.as_of)


def _warm_pass(store: Any, pairs: list[Pair]) -> dict[str, list[dict[str, Any]]]:
    """Each call once, untimed: answer sizes, statements and driver time per call."""
    seen: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for pair in pairs:
        for kind in KINDS:
            with statements(store.engine) as log:
                started = time.perf_counter()
                answer = _call(kind, store, pair)
                spent = time.perf_counter() - started
            evidence = Counter(
                e.kind.value
                for n in getattr(answer, "nodes", ())
                for e in getattr(n, "evidence", ())
            )
            seen[kind].append(
                {
                    "nodes": len(answer.nodes),
                    "edges": len(answer.edges),
                    "statements": log.count,
                    "execute_share": log.db_seconds / spent if spent else 0.0,
                    "evidence": dict(evidence),
                    "linked": sum(1 for n in answer.nodes if getattr(n, "run_id", None)),
                }
            )
    return seen


def _timed(store: Any, pairs: list[Pair], repeats: int) -> dict[str, list[list[float]]]:
    samples: dict[str, list[list[float]]] = {kind: [[] for _ in pairs] for kind in KINDS}
    for _ in range(repeats):
        gc.collect()
        for index, pair in enumerate(pairs):
            for kind in KINDS:
                started = time.perf_counter()
                _call(kind, store, pair)
                samples[kind][index].append(time.perf_counter() - started)
    return samples


def _summary(per_pair: list[list[float]], seen: list[dict[str, Any]]) -> dict[str, Any]:
    best = [min(s) * 1000 for s in per_pair]
    everything = [x * 1000 for s in per_pair for x in s]
    nodes = [float(s["nodes"]) for s in seen]
    fixed, per_node = _fit(nodes, best)
    stmt_fixed, stmt_per_node = _fit(nodes, [float(s["statements"]) for s in seen])
    return {
        "p50_ms": round(percentile(best, 0.5), 2),
        "p95_ms": round(percentile(best, 0.95), 2),
        "mean_ms": round(statistics.fmean(best), 2),
        "max_ms": round(max(best), 2),
        "p50_all_samples_ms": round(percentile(everything, 0.5), 2),
        "p95_all_samples_ms": round(percentile(everything, 0.95), 2),
        "nodes_median": statistics.median(nodes),
        "nodes_p95": round(percentile(nodes, 0.95), 1),
        "edges_median": statistics.median([s["edges"] for s in seen]),
        "edges_p95": round(percentile([float(s["edges"]) for s in seen], 0.95), 1),
        "statements_median": statistics.median([s["statements"] for s in seen]),
        "statements_p95": round(percentile([float(s["statements"]) for s in seen], 0.95), 1),
        "execute_share_median": round(statistics.median([s["execute_share"] for s in seen]), 3),
        "fit_fixed_ms": round(fixed, 2),
        "fit_ms_per_node": round(per_node, 3),
        "fit_statements_fixed": round(stmt_fixed, 1),
        "fit_statements_per_node": round(stmt_per_node, 2),
        "best_ms": [round(b, 3) for b in best],
    }


# -- profile ------------------------------------------------------------------------------


def _explain(store: Any, statement: str, parameters: Any) -> list[str]:
    """The database's plan of one captured statement."""
    prefix = "EXPLAIN QUERY PLAN " if store.dialect == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + statement, parameters).all()
    if store.dialect == "sqlite":
        return [f"{'  ' * (1 if r[1] else 0)}{r[-1]}" for r in rows]
    return [r[0] for r in rows]


def _driver_seconds(profiler: Any) -> float:
    """Own time of the DB-API driver in a profile: sqlite3's methods, or psycopg's code.

    That is where the database's work is waited for (``sqlite3.Cursor.fetchone`` runs the
    statement's steps; psycopg waits for the server inside its send and wait functions).
    """
    import pstats

    raw: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    spent = 0.0
    for (filename, _line, name), (_cc, _calls, tottime, _cum, _callers) in raw.items():
        if "sqlite3.Cursor" in name or "sqlite3.Connection" in name:
            spent += tottime
        elif "/psycopg/" in filename or "psycopg_binary" in filename or "psycopg" in name:
            spent += tottime
    return round(spent, 4)


def profile_call(
    store: Any,
    call: Callable[[], Any],
    out: Path,
    title: str,
    sizes: Callable[[Any], dict[str, int]],
    warm: bool = True,
) -> dict[str, Any]:
    """cProfile one call, with every statement attributed to the product code that issued it.

    ``sizes`` says how big the answer is (``{"nodes": 12, "edges": 11}``); the listing, headed
    by ``title``, is written to ``out``. ``warm``: call it once first, unprofiled (leave that
    out for a call that takes long and whose caches are warm already).
    """
    import cProfile

    if warm:
        call()
    profiler = cProfile.Profile()
    with statements(store.engine, detail=True) as log:
        started = time.perf_counter()
        profiler.enable()
        answer = call()
        profiler.disable()
        total = time.perf_counter() - started
    summary = measure.profile_summary(profiler, out)
    summary["driver_calls_s"] = _driver_seconds(profiler)
    callers = sorted(log.by_caller.items(), key=lambda item: item[1][2], reverse=True)
    shapes = sorted(log.by_shape.items(), key=lambda item: item[1][2], reverse=True)
    plans = {}
    for name, _ in shapes[:3]:
        statement, parameters = log.examples[name]
        try:
            plans[name] = _explain(store, statement, parameters)
        except Exception as exc:  # noqa: BLE001 - a plan is context, never a failure
            plans[name] = [f"(no plan: {type(exc).__name__}: {str(exc).splitlines()[0][:160]})"]
    size = sizes(answer)
    lines = [title]
    lines.append(
        f"{', '.join(f'{v} {k}' for k, v in size.items())}; {log.count} statements, "
        f"{log.db_seconds * 1000:.1f} ms in the driver's execute of {total * 1000:.1f} ms "
        f"(under cProfile); {summary['driver_calls_s'] * 1000:.1f} ms in driver calls "
        "(execute + fetch, by cProfile)"
    )
    lines.append(
        "statements by issuing function <- its caller (count, execute ms, span ms = until "
        "the next statement):"
    )
    for key, (count, spent, span) in callers:
        lines.append(f"  {count:6d} {spent * 1000:9.2f} {span * 1000:9.2f}  {' <- '.join(key)}")
    lines.append("statements by shape (count, execute ms, span ms):")
    for name, (count, spent, span) in shapes:
        lines.append(f"  {count:6d} {spent * 1000:9.2f} {span * 1000:9.2f}  {name}")
    for name, plan in plans.items():
        lines.append(f"plan of {name}: {log.examples[name][0][:400]}")
        lines.extend(f"    {line}" for line in plan)
    out.write_text("\n".join(lines) + "\n\n" + out.read_text(encoding="utf-8"), encoding="utf-8")
    summary.update(
        {
            **size,
            "statements": log.count,
            "execute_ms": round(log.db_seconds * 1000, 2),
            "wall_ms_under_profile": round(total * 1000, 2),
            "statements_by_caller": [
                {
                    "caller": " <- ".join(key),
                    "count": int(count),
                    "execute_ms": round(spent * 1000, 2),
                    "span_ms": round(span * 1000, 2),
                }
                for key, (count, spent, span) in callers
            ],
            "statements_by_shape": [
                {
                    "shape": name,
                    "count": int(count),
                    "execute_ms": round(spent * 1000, 2),
                    "span_ms": round(span * 1000, 2),
                }
                for name, (count, spent, span) in shapes
            ],
            "plans": plans,
        }
    )
    return summary


def profile_query(store: Any, kind: str, pair: Pair, out: Path) -> dict[str, Any]:
    """cProfile one lineage or provenance call (see ``profile_call``)."""
    summary = profile_call(
        store,
        lambda: _call(kind, store, pair),
        out,
        f"{kind} of {pair.source}.{pair.identifier} as of {pair.as_of.isoformat()}",
        lambda answer: {"nodes": len(answer.nodes), "edges": len(answer.edges)},
    )
    summary.update(
        {
            "query": kind,
            "table": f"{pair.source}.{pair.identifier}",
            "as_of": pair.as_of.isoformat(),
        }
    )
    return summary


# -- the workload -------------------------------------------------------------------------


def measure_store(
    store: Any,
    pairs: list[Pair],
    repeats: int,
    profile: str,
    out_dir: Path,
    label: str,
) -> dict[str, Any]:
    """Warm pass, timed passes and (when asked or missed) profiles, on one open store."""
    seen = _warm_pass(store, pairs)
    samples = _timed(store, pairs, repeats)
    result: dict[str, Any] = {"pairs": len(pairs), "repeats": repeats}
    for kind in KINDS:
        result[kind] = _summary(samples[kind], seen[kind])
    evidence: Counter[str] = Counter()
    for call in seen["provenance"]:
        evidence.update(call["evidence"])
    result["provenance"]["evidence"] = dict(evidence)
    result["provenance"]["linked_nodes"] = sum(c["linked"] for c in seen["provenance"])
    result["profiles"] = {}
    for kind in KINDS:
        missed = result[kind]["p50_ms"] > TARGET_P50_MS
        if profile == "always" or (profile == "auto" and missed):
            best = result[kind]["best_ms"]
            p95 = percentile(best, 0.95)
            index = min(range(len(pairs)), key=lambda i: abs(best[i] - p95))
            result["profiles"][kind] = profile_query(
                store, kind, pairs[index], out_dir / f"profile-{kind}-{label}.txt"
            )
    return result


Measure = Callable[[Any, str, synthetic.Plan], dict[str, Any]]
"""One workload on an open store: ``(store, database label, plan) -> figures``."""


def on_stores(
    scale: float,
    cache_dir: Path,
    pg_admin_url: str | None,
    measures: dict[str, Measure],
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, dict[str, Any]]:
    """Every measure on the synthetic store of each database, made (or opened) once.

    SQLite is the cached file; PostgreSQL (when ``pg_admin_url`` is given) a database of
    this run's own, generated with COPY and dropped at the end. Returns, per measure, its
    figures per database (with how the store was made) and the store's size.
    """
    from temporal_lineage.store import open_store

    results: dict[str, dict[str, Any]] = {name: {"scale": scale} for name in measures}
    log(f"  SQLite: synthetic store at scale {scale} (cached in {cache_dir}) ...")
    generated, seconds = measure.time_call(
        lambda: synthetic.ensure_sqlite(scale, cache_dir, log=log)
    )
    made = generated.as_json()
    made["ensure_s"] = round(seconds, 2)
    store = open_store(generated.url)
    try:
        for name, run_measure in measures.items():
            results[name]["sqlite"] = run_measure(store, "sqlite", generated.plan)
            results[name]["sqlite"]["generation"] = made
    finally:
        store.close()
    if pg_admin_url:
        with synthetic.pg_database(pg_admin_url, "queries") as url:
            log("  PostgreSQL: generating the synthetic store (COPY) ...")
            generated = synthetic.generate_postgres(url, scale, log=log)
            store = open_store(url)
            try:
                for name, run_measure in measures.items():
                    figures = run_measure(store, "postgresql", generated.plan)
                    results[name]["postgresql"] = figures
                    figures["generation"] = generated.as_json()
            finally:
                store.close()
    for figures in results.values():
        figures["tables"] = len(generated.plan.tables)
        figures["snapshots"] = generated.plan.snapshots
        figures["runs"] = generated.plan.runs
        figures["column_edges"] = generated.rows.get("column_edges", 0)
    return results


def lineage_measure(
    pair_count: int,
    repeats: int,
    profile: str = "auto",
    out_dir: Path = measure.RESULTS_DIR,
    log: Callable[[str], None] = lambda _: None,
) -> Measure:
    """The lineage / provenance workload, for ``on_stores``."""

    def run_measure(store: Any, label: str, plan: synthetic.Plan) -> dict[str, Any]:
        out_dir.mkdir(parents=True, exist_ok=True)
        log(f"  {label}: lineage and provenance, {pair_count} pairs x {repeats} passes ...")
        pairs = make_pairs(plan, pair_count)
        return measure_store(store, pairs, repeats, profile, out_dir, label)

    return run_measure


def run(
    scale: float,
    pair_count: int,
    repeats: int,
    cache_dir: Path,
    pg_admin_url: str | None,
    profile: str = "auto",
    out_dir: Path = measure.RESULTS_DIR,
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Both databases (PostgreSQL when ``pg_admin_url`` is given)."""
    workload = lineage_measure(pair_count, repeats, profile, out_dir, log)
    results = on_stores(scale, cache_dir, pg_admin_url, {"lineage": workload}, log)["lineage"]
    results.update({"depth": DEPTH, "target_p50_ms": TARGET_P50_MS})
    return results


def standalone_main(
    argv: list[str] | None,
    usage: str,
    count_flag: str,
    run_workload: Callable[..., dict[str, Any]],
    kinds: tuple[str, ...],
) -> int:
    """The command line of a query benchmark run on its own: JSON results on stdout."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=usage)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument(f"--{count_flag}", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cache-dir", type=Path, default=measure.CACHE_DIR)
    parser.add_argument("--pg-url", default=synthetic.default_pg_url())
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto")
    args = parser.parse_args(argv)
    results = run_workload(
        args.scale,
        getattr(args, count_flag),
        args.repeats,
        args.cache_dir,
        None if args.no_postgres else args.pg_url,
        args.profile,
        log=lambda line: print(line, file=sys.stderr),
    )
    for database in ("sqlite", "postgresql"):
        for kind in kinds:
            if database in results:
                results[database][kind].pop("best_ms", None)
    print(json.dumps(results, indent=2, default=str))
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python bench/lineage_queries.py [--scale S] [--pairs N] [--no-postgres]``."""
    return standalone_main(argv, main.__doc__ or "", "pairs", run, KINDS)


if __name__ == "__main__":
    raise SystemExit(main())
