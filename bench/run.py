"""The temporal-lineage benchmark suite: ``python bench/run.py [--quick]``.

Prints each figure next to a baseline measured in the same run (plain-json parsing of the
same metadata), the ratio, and the issue's targets with PASS/MISS; writes everything to
``bench/results/latest.json``. Targets:

* initial sync of an Iceberg table with 10,000 snapshots <= 3x the json floor;
* initial sync of a Delta table with 1,000 real commits <= 3x the json floor;
* no-op re-sync <= 1 ms per table (>= 300 tables); of 300 Iceberg tables in one SQL catalog
  + 1 Delta table <= 0.3 s as a CLI minus its start-up (``noop.py``);
* initial sync of a warehouse (an Iceberg table of 10,000 snapshots, 300 small Iceberg tables
  in a SQL catalog, a Delta table of 1,000 commits) <= 3x its json floor, in process and as a
  CLI minus start-up, the big table alone <= 2x (``warehouse_sync.py``);
* CLI start-up: ``--help`` <= 1.3x and ``tables`` <= 1.6x ``python -c "import click,
  sqlalchemy, yaml"`` (``startup.py``);
* a generated warehouse of 10,000 tables (``scale.py``): initial sync, per-table cost, no-op
  (<= 1 s in process), store size per snapshot and peak memory on SQLite and PostgreSQL, and
  one pass with 1, 2 and 4 ``scheduler run`` workers on PostgreSQL (reported);
* peak memory of both initial syncs is reported (no target);
* ``lineage`` (upstream, depth 10) and ``provenance`` as of random times on a synthetic
  store of 10,000 tables, 1,000,000 snapshots and 100,000 runs: p50 <= 50 ms, on SQLite
  and on PostgreSQL (``lineage_queries.py``, store from ``synthetic_store.py``);
* column ``impact`` (downstream, depth 10) of random (table, column, as-of) picks on the same
  store, which also holds about 1,000,000 column edges: p50 <= 100 ms, on SQLite and on
  PostgreSQL (``impact_queries.py``);
* governance on the same store with manual ``pii`` tags on 5 % of the source columns:
  ``classification`` of a mid-depth table downstream of them p50 <= 100 ms, and
  ``policy_check`` of the whole store (a ``confined`` and an ``owner_required`` policy)
  <= 30 s, on SQLite and on PostgreSQL (``governance_queries.py``);
* counting the rows of a pinned Iceberg / Delta snapshot that match an erasure predicate
  <= 1.2x the format library's own filtered read of it, for every predicate
  (``erasure_probe.py``);
* operations on the same store with data-quality facts on a share of the runs: ``quality``
  and ``triage`` of random (table, as-of) picks p50 <= 100 ms each, on SQLite and PostgreSQL
  (``operations_queries.py``);
* ``access`` of a table over 1,000,000 read records (run inputs and Iceberg scan reports)
  p50 <= 100 ms, and ingestion of scan reports >= 2,000 reports/s, on SQLite and PostgreSQL
  (``access_queries.py``);
* ingestion of 100,000 OpenLineage events as NDJSON >= 2,000 events/s on SQLite
  (``ingestion.py``; PostgreSQL reported);
* the service over HTTP (``http_service.py``, no target): OpenLineage events posted one per
  request by the real ``openlineage-python`` client to ``temporal-lineage serve`` (1 and 8
  concurrent senders, events/s vs in-process ingestion), and lineage p50/p95 under 8
  concurrent HTTP readers on the synthetic store (vs the same queries in process).

A missed target is profiled (cProfile of one more sync or query; ``--profile never`` to
skip) and the listing is written next to ``latest.json``. ``--skip
syncs|warehouse|startup|scale|lineage|impact|governance|operations|erasure|access|ingestion|http``
leaves a group of
sections out (lineage, impact, governance and operations share the synthetic store: it is made
once for all of them);
``--no-postgres`` leaves PostgreSQL out.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import access_queries
import delta_history
import erasure_probe
import governance_queries
import http_service
import iceberg_history
import impact_queries
import ingestion
import lineage_queries
import measure
import noop
import operations_queries
import scale
import startup
import summary
import synthetic_store
import warehouse_sync
import wide_impact

SECTIONS = (
    "syncs",
    "warehouse",
    "startup",
    "scale",
    "lineage",
    "impact",
    "governance",
    "operations",
    "erasure",
    "access",
    "ingestion",
    "http",
)
QUERIES = ("lineage", "impact", "governance", "operations")
"""The sections that run on the synthetic store (made once for all of them)."""


@dataclass(frozen=True)
class Sizes:
    """How big each workload is."""

    snapshots: int
    commits: int
    delta_tables: int
    iceberg_tables: int
    repeats: int
    noop_repeats: int
    cli_repeats: int
    scale: float = 1.0
    pairs: int = 200
    picks: int = 200
    query_repeats: int = 3
    events: int = 100_000
    ingest_repeats: int = 1
    calls: int = 20
    policy_runs: int = 3
    erasure_rows: int = 200_000
    erasure_repeats: int = 9
    read_records: int = 1_000_000
    scan_reports: int = 5_000
    noop_issue_tables: int = 300
    warehouse_small_tables: int = 300
    startup_repeats: int = 15
    startup_tables: int = 300
    scale_tables: int = 10_000


FULL = Sizes(10_000, 1_000, 200, 100, repeats=3, noop_repeats=5, cli_repeats=5)
QUICK = Sizes(
    1_000,
    100,
    30,
    15,
    repeats=3,
    noop_repeats=5,
    cli_repeats=3,
    scale=0.01,
    pairs=50,
    picks=50,
    query_repeats=3,
    events=5_000,
    ingest_repeats=2,
    calls=20,
    policy_runs=3,
    erasure_rows=20_000,
    erasure_repeats=5,
    read_records=50_000,
    scan_reports=500,
    noop_issue_tables=30,
    warehouse_small_tables=30,
    startup_repeats=5,
    startup_tables=30,
    scale_tables=200,
)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (under a minute)")
    parser.add_argument(
        "--profile",
        choices=("auto", "always", "never"),
        default="auto",
        help="cProfile the syncs whose target is missed (auto), all of them, or none",
    )
    parser.add_argument(
        "--output", type=Path, default=measure.RESULTS_DIR / "latest.json", help="JSON results"
    )
    parser.add_argument(
        "--cache-dir", type=Path, default=measure.CACHE_DIR, help="built tables kept here"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="samples of each initial sync and its floor (default 3; best is kept)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--skip",
        action="append",
        choices=SECTIONS,
        default=[],
        help="leave out a group of sections: syncs (Iceberg, Delta, no-op, memory), warehouse "
        "(the mixed warehouse's initial sync), startup (CLI start-up), scale (10,000 tables), "
        "lineage "
        "(synthetic store + lineage/provenance latency), impact (synthetic store + column "
        "impact latency), governance (synthetic store + classification and policy check), "
        "operations (synthetic store + quality and triage), erasure (erasure count vs the "
        "format libraries), access (access over read records, scan-report ingestion), "
        "ingestion, http (repeatable)",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=None,
        help="size of the synthetic store (1 = 10,000 tables; default 1, --quick 0.01)",
    )
    parser.add_argument(
        "--pairs", type=int, default=None, help="random (table, as-of) pairs (default 200)"
    )
    parser.add_argument(
        "--picks",
        type=int,
        default=None,
        help="random (table, column, as-of) picks of the impact query (default 200)",
    )
    parser.add_argument(
        "--calls",
        type=int,
        default=None,
        help="(table, as-of) picks of the classification query (default 20)",
    )
    parser.add_argument(
        "--policy-runs", type=int, default=None, help="timed policy checks (default 3)"
    )
    parser.add_argument(
        "--erasure-rows",
        type=int,
        default=None,
        help="rows of the erasure probe's tables (default 200,000; --quick 20,000)",
    )
    parser.add_argument(
        "--events", type=int, default=None, help="events to ingest (default 100,000)"
    )
    parser.add_argument(
        "--pg-url",
        default=synthetic_store.default_pg_url(),
        help="PostgreSQL server to create the benchmark's databases on (dropped at the end; "
        f"default ${synthetic_store.PG_ENV} or {synthetic_store.PG_DEFAULT})",
    )
    parser.add_argument(
        "--no-postgres", action="store_true", help="SQLite only for lineage and ingestion"
    )
    return parser.parse_args(argv)


def _memory(workload: str, sync_args: list[str], floor_args: list[str]) -> dict[str, Any]:
    """Peak RSS and tracemalloc peak of a sync and of its json floor, one process each."""
    figures: dict[str, Any] = {}
    for name, arguments in (("sync", sync_args), ("floor", floor_args)):
        figures[name] = {
            "rss": measure.run_memory_child([*arguments, "rss"]),
            "heap": measure.run_memory_child([*arguments, "heap"]),
        }
    figures["heap_ratio"] = round(
        measure.ratio(figures["sync"]["heap"]["peak_mb"], figures["floor"]["heap"]["peak_mb"]), 2
    )
    figures["rss_growth_ratio"] = round(
        measure.ratio(
            figures["sync"]["rss"]["growth_mb"], max(figures["floor"]["rss"]["growth_mb"], 0.01)
        ),
        2,
    )
    figures["workload"] = workload
    return figures


def _code_version() -> dict[str, Any] | None:
    """The commit measured, and whether the work tree differs from it (read-only git)."""
    import subprocess

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=measure.REPO_ROOT
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            cwd=measure.REPO_ROOT,
        ).stdout.strip()
    except OSError:
        return None
    return {"commit": commit or "?", "dirty": bool(status)}


def _sizes(args: argparse.Namespace) -> Sizes:
    sizes = QUICK if args.quick else FULL
    if args.repeats is not None:
        sizes = replace(sizes, repeats=max(1, args.repeats))
    if args.scale is not None:
        sizes = replace(sizes, scale=args.scale)
    if args.pairs is not None:
        sizes = replace(sizes, pairs=max(1, args.pairs))
    if args.picks is not None:
        sizes = replace(sizes, picks=max(1, args.picks))
    if args.calls is not None:
        sizes = replace(sizes, calls=max(1, args.calls))
    if args.policy_runs is not None:
        sizes = replace(sizes, policy_runs=max(1, args.policy_runs))
    if args.erasure_rows is not None:
        sizes = replace(sizes, erasure_rows=max(80, args.erasure_rows))
    if args.events is not None:
        sizes = replace(sizes, events=max(20, args.events))
    return sizes


def _run_syncs(
    results: dict[str, Any], sizes: Sizes, args: argparse.Namespace, workdir: Path, step: Any
) -> None:
    """The Iceberg, Delta, no-op and memory sections (and their profiles when missed)."""
    step(f"Iceberg, {sizes.snapshots:,} snapshots")
    ice_dir = workdir / "iceberg"
    results["iceberg"] = iceberg_history.run(ice_dir, sizes.snapshots, sizes.repeats)
    step(f"Delta, {sizes.commits:,} commits")
    dl_dir = workdir / "delta"
    results["delta"] = delta_history.run(dl_dir, sizes.commits, sizes.repeats, args.cache_dir)
    step(f"no-op, {sizes.delta_tables} Delta + {sizes.iceberg_tables} Iceberg")
    noop_dir = workdir / "noop"
    noop_dir.mkdir()
    results["noop"] = noop.run(
        noop_dir,
        sizes.delta_tables,
        sizes.iceberg_tables,
        sizes.noop_repeats,
        sizes.cli_repeats,
        args.cache_dir,
        issue_tables=sizes.noop_issue_tables,
    )
    step("memory")
    mem_dir = workdir / "memory"
    mem_dir.mkdir()
    results["memory"] = {
        "iceberg": _memory(
            f"Iceberg {sizes.snapshots:,} snapshots",
            ["sync", results["iceberg"]["config"], str(mem_dir)],
            ["floor-iceberg", results["iceberg"]["metadata_file"]],
        ),
        "delta": _memory(
            f"Delta {sizes.commits:,} commits",
            ["sync", results["delta"]["config"], str(mem_dir)],
            ["floor-delta", str(Path(results["delta"]["root"]) / "events" / "_delta_log")],
        ),
    }
    targets = measure.judged(summary.sync_targets(results))
    missed = {t["name"] for t in targets if t["status"] == "MISS"}
    wanted = {
        "never": set(),
        "auto": missed,
        "always": {t["name"] for t in targets},
    }[args.profile]
    profiles: dict[str, Any] = {}
    out_dir = args.output.parent
    if "iceberg_initial_sync" in wanted:
        print("profiling the Iceberg sync ...", file=sys.stderr)
        profiles["iceberg_initial_sync"] = measure.profile_initial_sync(
            Path(results["iceberg"]["config"]),
            ice_dir / "stores",
            out_dir / "profile-iceberg.txt",
        )
    if "delta_initial_sync" in wanted:
        print("profiling the Delta sync ...", file=sys.stderr)
        profiles["delta_initial_sync"] = measure.profile_initial_sync(
            Path(results["delta"]["config"]), dl_dir / "stores", out_dir / "profile-delta.txt"
        )
    if wanted & {"noop_sync_call", "noop_cli_process"}:
        print("profiling the no-op sync ...", file=sys.stderr)
        profiles["noop_sync"] = noop.profile(noop_dir, out_dir / "profile-noop.txt")
    results["profiles"] = profiles


def _run_queries(
    results: dict[str, Any],
    queries: list[str],
    sizes: Sizes,
    args: argparse.Namespace,
    pg_url: str | None,
    step: Any,
    log: Any,
) -> None:
    """Lineage / provenance, column impact and governance on one synthetic store per
    database."""
    out_dir = args.output.parent
    measures: dict[str, lineage_queries.Measure] = {}
    what = []
    if "lineage" in queries:
        measures["lineage"] = lineage_queries.lineage_measure(
            sizes.pairs, sizes.query_repeats, args.profile, out_dir, log
        )
        what.append(f"lineage and provenance ({sizes.pairs} pairs)")
    if "impact" in queries:
        measures["impact"] = impact_queries.impact_measure(
            sizes.picks, sizes.query_repeats, args.profile, out_dir, log
        )
        what.append(f"column impact ({sizes.picks} picks)")
    if "governance" in queries:
        measures["governance"] = governance_queries.governance_measure(
            sizes.calls, sizes.query_repeats, sizes.policy_runs, args.profile, out_dir, log
        )
        what.append(f"classification ({sizes.calls} calls) and policy check")
    if "operations" in queries:

        def operations(store: Any, label: str, plan: Any) -> dict[str, Any]:
            return operations_queries.measure(
                store, plan, sizes.calls, sizes.query_repeats, label, log
            )

        measures["operations"] = operations
        what.append(f"quality and triage ({sizes.calls} picks)")
    step(f"{' and '.join(what)}, synthetic store at scale {sizes.scale:g}")
    found = lineage_queries.on_stores(sizes.scale, args.cache_dir, pg_url, measures, log)
    if "lineage" in found:
        found["lineage"].update(
            {"depth": lineage_queries.DEPTH, "target_p50_ms": lineage_queries.TARGET_P50_MS}
        )
        results["lineage"] = found["lineage"]
    if "impact" in found:
        results["impact"] = impact_queries.finish(found["impact"])
        results["impact"]["shared_with"] = [q for q in queries if q != "impact"]
        with tempfile.TemporaryDirectory(prefix="tl-bench-wide-") as folder:
            results["impact_wide"] = wide_impact.run(Path(folder), pg_url, log=log)
    if "governance" in found:
        results["governance"] = governance_queries.finish(found["governance"])
        results["governance"]["shared_with"] = [q for q in queries if q != "governance"]
    if "operations" in found:
        results["operations"] = {
            **found["operations"],
            "target_p50_ms": operations_queries.TARGET_P50_MS,
        }


def main(argv: list[str]) -> int:
    """Run every benchmark, print the summary and write the JSON results."""
    args = _parse(argv)
    sizes = _sizes(args)
    sections = [s for s in SECTIONS if s not in args.skip]
    pg_url = None if args.no_postgres else args.pg_url
    started = time.perf_counter()
    results: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, "bench/run.py", *argv]),
        "sizes": sizes.__dict__,
        "sections": sections,
        "postgresql": pg_url is not None,
        "environment": measure.environment(),
        "code": _code_version(),
    }
    queries: list[str] = [s for s in QUERIES if s in sections]
    steps = (
        4 * ("syncs" in sections)
        + bool(queries)
        + sum(
            s in sections
            for s in ("warehouse", "startup", "scale", "erasure", "access", "ingestion", "http")
        )
    )
    done = [0]

    def step(what: str) -> None:
        done[0] += 1
        print(f"[{done[0]}/{steps}] {what} ...", file=sys.stderr)

    def log(line: str) -> None:
        print(line, file=sys.stderr)

    workdir = Path(tempfile.mkdtemp(prefix="tl-bench-"))
    out_dir = args.output.parent
    try:
        if "syncs" in sections:
            _run_syncs(results, sizes, args, workdir, step)
        if "warehouse" in sections:
            step(
                f"warehouse initial sync: 1 Iceberg table of {sizes.snapshots:,} snapshots, "
                f"{sizes.warehouse_small_tables} small Iceberg tables in a SQL catalog, "
                f"a Delta table of {sizes.commits:,} commits"
            )
            results["warehouse"] = warehouse_sync.run(
                workdir / "warehouse",
                sizes.repeats,
                args.cache_dir,
                pg_url,
                small_tables=sizes.warehouse_small_tables,
                snapshots=sizes.snapshots,
                commits=sizes.commits,
            )
        if "startup" in sections:
            step(f"CLI start-up ({sizes.startup_repeats} samples of each command)")
            results["startup"] = startup.run(
                workdir / "startup", sizes.startup_repeats, args.cache_dir, sizes.startup_tables
            )
        if "scale" in sections:
            step(f"scale: a generated warehouse of {sizes.scale_tables:,} tables")
            results["scale"] = scale.run(
                workdir / "scale", args.cache_dir, sizes.scale_tables, pg_url, log=log
            )
        if queries:
            _run_queries(results, queries, sizes, args, pg_url, step, log)
        if "erasure" in sections:
            step(
                f"erasure probe, {sizes.erasure_rows:,} rows: count of a pinned snapshot vs "
                "the library's filtered read"
            )
            results["erasure"] = erasure_probe.measure(
                workdir / "erasure", sizes.erasure_rows, repeats=sizes.erasure_repeats, log=log
            )
        if "access" in sections:
            step(
                f"access over {sizes.read_records:,} read records, "
                f"{sizes.scan_reports:,} scan reports ingested"
            )
            results["access"] = access_queries.measure(
                sizes.read_records,
                picks=min(sizes.calls, 50),
                repeats=sizes.query_repeats,
                reports=sizes.scan_reports,
                pg_admin_url=pg_url,
                log=log,
            )
        if "ingestion" in sections:
            step(f"ingestion, {sizes.events:,} events")
            results["ingestion"] = ingestion.run(
                workdir / "ingestion",
                sizes.events,
                sizes.ingest_repeats,
                pg_url,
                args.profile,
                out_dir,
                log,
            )
        if "http" in sections:
            step("HTTP service: ingestion with the real client, lineage under 8 readers")
            results["http"] = http_service.run(
                workdir,
                events=min(sizes.events, 5_000 if not args.quick else 1_000),
                scale=sizes.scale,
                pairs=sizes.pairs,
                pg_url=pg_url,
            )
        results["targets"] = summary.targets(results)
    finally:
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    results["total_s"] = round(time.perf_counter() - started, 1)
    results["load_average_at_end"] = measure.environment()["load_average_at_start"]
    results["output"] = str(args.output)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(summary.report_text(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
