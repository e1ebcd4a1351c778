"""The temporal-lineage benchmark suite: ``python bench/run.py [--quick]``.

Prints each figure next to a baseline measured in the same run (plain-json parsing of the
same metadata), the ratio, and the issue's targets with PASS/MISS; writes everything to
``bench/results/latest.json``. Targets:

* initial sync of an Iceberg table with 10,000 snapshots <= 3x the json floor;
* initial sync of a Delta table with 1,000 real commits <= 3x the json floor;
* no-op re-sync <= 1 ms per table (>= 300 tables);
* peak memory of both initial syncs is reported (no target);
* ``lineage`` (upstream, depth 10) and ``provenance`` as of random times on a synthetic
  store of 10,000 tables, 1,000,000 snapshots and 100,000 runs: p50 <= 50 ms, on SQLite
  and on PostgreSQL (``lineage_queries.py``, store from ``synthetic_store.py``);
* column ``impact`` (downstream, depth 10) of random (table, column, as-of) picks on the same
  store, which also holds about 1,000,000 column edges: p50 <= 100 ms, on SQLite and on
  PostgreSQL (``impact_queries.py``);
* ingestion of 100,000 OpenLineage events as NDJSON >= 2,000 events/s on SQLite
  (``ingestion.py``; PostgreSQL reported);
* the service over HTTP (``http_service.py``, no target): OpenLineage events posted one per
  request by the real ``openlineage-python`` client to ``temporal-lineage serve`` (1 and 8
  concurrent senders, events/s vs in-process ingestion), and lineage p50/p95 under 8
  concurrent HTTP readers on the synthetic store (vs the same queries in process).

A missed target is profiled (cProfile of one more sync or query; ``--profile never`` to
skip) and the listing is written next to ``latest.json``. ``--skip
syncs|lineage|impact|ingestion|http`` leaves a group of sections out (lineage and impact share
the synthetic store: it is made once when both run); ``--no-postgres`` leaves PostgreSQL
out.
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

import delta_history
import http_service
import iceberg_history
import impact_queries
import ingestion
import lineage_queries
import measure
import noop
import synthetic_store
import wide_impact

TARGET_RATIO = 3.0
TARGET_NOOP_MS = 1.0
TARGET_QUERY_P50_MS = lineage_queries.TARGET_P50_MS
TARGET_IMPACT_P50_MS = impact_queries.TARGET_P50_MS
TARGET_EVENTS_PER_S = ingestion.TARGET_EVENTS_PER_S
SECTIONS = ("syncs", "lineage", "impact", "ingestion", "http")


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
        help="leave out a group of sections: syncs (Iceberg, Delta, no-op, memory), lineage "
        "(synthetic store + lineage/provenance latency), impact (synthetic store + column "
        "impact latency), ingestion (repeatable)",
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


def _targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows = _sync_targets(results) if "iceberg" in results else []
    queries = results.get("lineage")
    if queries:
        for database in ("sqlite", "postgresql"):
            if database not in queries:
                continue
            for kind in lineage_queries.KINDS:
                figures = queries[database][kind]
                rows.append(
                    {
                        "name": f"{kind}_p50_{database}",
                        "what": f"{kind} p50, {queries['tables']:,} tables, {database}"
                        + (" (depth 10)" if kind == "lineage" else ""),
                        "value": figures["p50_ms"],
                        "unit": "ms",
                        "target": TARGET_QUERY_P50_MS,
                    }
                )
    impact = results.get("impact")
    if impact:
        for database in ("sqlite", "postgresql"):
            if database in impact:
                rows.append(
                    {
                        "name": f"impact_p50_{database}",
                        "what": f"column impact p50, {impact['column_edges']:,} column edges, "
                        f"{database} (depth {impact['depth']})",
                        "value": impact[database]["impact"]["p50_ms"],
                        "unit": "ms",
                        "target": TARGET_IMPACT_P50_MS,
                    }
                )
    wide = results.get("impact_wide")
    for database in ("sqlite", "postgresql"):
        if wide and database in wide:
            rows.append(
                {
                    "name": f"impact_wide_p50_{database}",
                    "what": f"column impact p50, {wide[database]['affected']} affected columns, "
                    f"{database} ({wide[database]['statements']} statements)",
                    "value": wide[database]["p50_ms"],
                    "unit": "ms",
                    "target": wide_impact.TARGET_P50_MS,
                }
            )
    ingest = results.get("ingestion")
    if ingest:
        rows.append(
            {
                "name": "ingestion_sqlite",
                "what": f"ingestion, {ingest['events']:,} events, fresh SQLite store",
                "value": ingest["sqlite"]["events_per_s"],
                "unit": "events/s",
                "target": TARGET_EVENTS_PER_S,
                "at_least": True,
            }
        )
    for row in rows:
        met = (
            row["value"] >= row["target"] if row.get("at_least") else row["value"] <= row["target"]
        )
        row["status"] = "PASS" if met else "MISS"
    return rows


def _sync_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    ice, dl, nop = results["iceberg"], results["delta"], results["noop"]
    return [
        {
            "name": "iceberg_initial_sync",
            "what": f"Iceberg initial sync, {ice['snapshots']:,} snapshots / json floor",
            "value": ice["ratio"],
            "unit": "x",
            "target": TARGET_RATIO,
        },
        {
            "name": "delta_initial_sync",
            "what": f"Delta initial sync, {dl['commits']:,} commits / json floor",
            "value": dl["ratio"],
            "unit": "x",
            "target": TARGET_RATIO,
        },
        {
            "name": "noop_sync_call",
            "what": f"no-op re-sync, {nop['tables']} tables, sync() call",
            "value": nop["ms_per_table"],
            "unit": "ms/table",
            "target": TARGET_NOOP_MS,
        },
        {
            "name": "noop_cli_process",
            "what": f"no-op re-sync, {nop['tables']} tables, CLI process (start-up incl.)",
            "value": nop["cli_ms_per_table"],
            "unit": "ms/table",
            "target": TARGET_NOOP_MS,
        },
    ]


def _ms(value: float) -> str:
    return f"{value:,.1f} ms" if value >= 10 else f"{value:,.3f} ms"


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    return "\n".join(lines)


def _sync_lines(results: dict[str, Any]) -> list[str]:
    ice, dl, nop, mem = results["iceberg"], results["delta"], results["noop"], results["memory"]
    out: list[str] = []
    out.append(
        _table(
            [
                [
                    f"Iceberg initial sync, {ice['snapshots']:,} snapshots",
                    _ms(ice["sync"]["best_ms"]),
                    f"json floor {_ms(ice['floor']['best_ms'])}",
                    f"{ice['ratio']:.2f}x",
                ],
                [
                    f"Delta initial sync, {dl['commits']:,} commits",
                    _ms(dl["sync"]["best_ms"]),
                    f"json floor {_ms(dl['floor']['best_ms'])}",
                    f"{dl['ratio']:.2f}x",
                ],
                [
                    f"no-op re-sync, {nop['tables']} tables, sync()",
                    f"{nop['ms_per_table']:.3f} ms/table",
                    f"total {_ms(nop['sync']['best_ms'])}",
                    "",
                ],
                [
                    f"no-op re-sync, {nop['tables']} tables, CLI",
                    f"{nop['cli_ms_per_table']:.3f} ms/table",
                    f"total {_ms(nop['cli']['best_ms'])}; "
                    f"no-source CLI {_ms(nop['cli_empty_config']['best_ms'])}",
                    f"slope {nop['cli_per_table_slope_ms']:.3f} ms/table (noisy) "
                    f"+ fixed {_ms(nop['cli_fixed_ms'])}",
                ],
            ],
            ["figure", "measured", "baseline", "ratio"],
        )
    )
    out.append("")
    out.append(
        f"Iceberg: metadata file {ice['metadata_file_bytes'] / 2**20:.1f} MiB "
        f"({ice['real_snapshots']} real + {ice['snapshots'] - ice['real_snapshots']:,} "
        f"generated snapshots, {ice['schemas']} schemas); open_store (create + migrate, not "
        f"timed in the sync) {_ms(ice['open_store']['best_ms'])}; samples "
        f"{ice['sync']['samples_ms']} ms"
    )
    out.append(
        f"Delta: {dl['log_json_bytes'] / 2**20:.2f} MiB of JSON log, {dl['checkpoints']} "
        f"checkpoint(s), table {'from cache' if dl['cached'] else 'built now'} "
        f"({dl['build_s']:.1f} s); open_store {_ms(dl['open_store']['best_ms'])}; samples "
        f"{dl['sync']['samples_ms']} ms"
    )
    per_source = ", ".join(
        f"{name} {v['ms_per_table']:.3f} ms/table ({v['tables']})"
        for name, v in nop["per_source"].items()
    )
    out.append(
        f"No-op: {nop['delta_tables']} Delta + {nop['iceberg_tables']} Iceberg tables (path "
        f"root and SQL catalog); initial sync {nop['initial_sync_s']:.2f} s; per source: "
        f"{per_source}"
    )
    imports = ", ".join(f"{k} {v:,.0f} ms" for k, v in nop.get("cli_import_ms", {}).items())
    out.append(f"CLI start-up imports (cumulative, nested, one run): {imports}")
    out.append("")
    mem_rows = []
    for key in ("iceberg", "delta"):
        m = mem[key]
        mem_rows.append(
            [
                m["workload"],
                f"{m['sync']['rss']['peak_mb']:.1f} MiB",
                f"{m['sync']['rss']['growth_mb']:.1f} MiB",
                f"{m['floor']['rss']['growth_mb']:.1f} MiB",
                f"{m['sync']['heap']['peak_mb']:.1f} MiB",
                f"{m['floor']['heap']['peak_mb']:.1f} MiB",
                f"{m['heap_ratio']:.2f}x",
            ]
        )
    out.append("Peak memory (one process per figure):")
    out.append(
        _table(
            mem_rows,
            [
                "workload",
                "sync peak RSS",
                "sync RSS growth",
                "floor RSS growth",
                "sync tracemalloc peak",
                "floor tracemalloc peak",
                "heap ratio",
            ],
        )
    )
    out.append("")
    return out


def _lineage_lines(queries: dict[str, Any]) -> list[str]:
    out: list[str] = []
    databases = [d for d in ("sqlite", "postgresql") if d in queries]
    rows = []
    for database in databases:
        figures = queries[database]
        for kind in lineage_queries.KINDS:
            f = figures[kind]
            rows.append(
                [
                    f"{kind} ({database})",
                    _ms(f["p50_ms"]),
                    _ms(f["p95_ms"]),
                    _ms(f["mean_ms"]),
                    f"{f['nodes_median']:g} / {f['edges_median']:g}",
                    f"{f['nodes_p95']:g} / {f['edges_p95']:g}",
                    f"{f['statements_median']:g} ({f['statements_p95']:g})",
                    f"{f['fit_fixed_ms']:.1f} + {f['fit_ms_per_node']:.2f}/node",
                ]
            )
    first = queries[databases[0]]
    out.append(
        f"Lineage (upstream, depth {queries['depth']}) and provenance as of random times: "
        f"synthetic store of {queries['tables']:,} tables, {queries['snapshots']:,} snapshots, "
        f"{queries['runs']:,} runs; {first['pairs']} random (table, as-of) pairs, best of "
        f"{first['repeats']} passes per pair, warm caches:"
    )
    out.append(
        _table(
            rows,
            [
                "query",
                "p50",
                "p95",
                "mean",
                "median nodes / edges",
                "p95 nodes / edges",
                "SQL statements median (p95)",
                "fit ms",
            ],
        )
    )
    for database in databases:
        gen = queries[database]["generation"]
        secs = gen["seconds"]
        if gen["cached"]:
            how = (
                f"cached file ({gen['file_mb']:,} MiB), generated earlier in {secs['total']:.0f} s"
            )
        else:
            slow = sorted(
                ((k, v) for k, v in secs.items() if k not in ("total", "plan", "migrate")),
                key=lambda item: -item[1],
            )[:3]
            detail = ", ".join(f"{k} {v:.0f} s" for k, v in slow)
            how = f"generated in {secs['total']:.0f} s ({detail})"
        rows_total = sum(gen["rows"].values())
        out.append(f"{database} store: {rows_total:,} rows, {how}")
    evidence = first["provenance"].get("evidence", {})
    if evidence:
        out.append(
            "Provenance links found (all pairs, warm pass): "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(evidence.items()))
        )
    out.append("")
    return out


def _impact_lines(impact: dict[str, Any]) -> list[str]:
    databases = [d for d in ("sqlite", "postgresql") if d in impact]
    rows = []
    for database in databases:
        f = impact[database]["impact"]
        rows.append(
            [
                f"impact ({database})",
                _ms(f["p50_ms"]),
                _ms(f["p95_ms"]),
                _ms(f["mean_ms"]),
                f"{f['affected_median']:g} ({f['affected_p95']:g}, max {f['affected_max']})",
                f"{f['tables_median']:g} ({f['tables_p95']:g})",
                f"{f['levels_median']:g} (max {f['levels_max']})",
                f"{f['statements_median']:g} ({f['statements_p95']:g})",
                f"{f['fit_fixed_ms']:.1f} + {f['fit_ms_per_column']:.2f}/column",
            ]
        )
    first = impact[databases[0]]
    out = [
        f"Column impact (downstream, depth {impact['depth']}) as of random times: the same "
        f"synthetic store, {impact['column_edges']:,} column edges; {first['picks']} random "
        f"(table, column, as-of) picks with a downstream consumer, best of {first['repeats']} "
        "passes per pick, warm caches:",
        _table(
            rows,
            [
                "query",
                "p50",
                "p95",
                "mean",
                "affected columns median (p95)",
                "tables median (p95)",
                "levels median",
                "SQL statements median (p95)",
                "fit ms",
            ],
        ),
    ]
    empty = {d: impact[d]["impact"]["empty_answers"] for d in databases}
    picked = ", ".join(f"{c} {n}" for c, n in first["columns_picked"].items())
    out.append(
        f"Columns picked: {picked}; empty answers: "
        + ", ".join(f"{d} {n}" for d, n in empty.items())
    )
    if "lineage" not in impact.get("shared_with", ()):
        for database in databases:
            gen = impact[database]["generation"]
            how = (
                "cached file" if gen["cached"] else f"generated in {gen['seconds']['total']:.0f} s"
            )
            out.append(
                f"{database} store: {sum(gen['rows'].values()):,} rows, {how} (column_edges "
                f"{gen['seconds'].get('column_edges', 0):.0f} s of it)"
            )
    out.append("")
    return out


def _ingestion_lines(ingest: dict[str, Any]) -> list[str]:
    out = [
        f"Ingestion of {ingest['events']:,} OpenLineage events as NDJSON "
        f"({ingest['payload_mb']} MiB), ingest_payload into a fresh store, best of "
        f"{ingest['repeats']}:"
    ]
    rows = []
    labels = {
        "sqlite": "SQLite, empty store",
        "sqlite_known_tables": f"SQLite, {ingest['known_tables']:,} tables known",
        "postgresql": "PostgreSQL, empty store",
    }
    parse_ms = ingest["parse"]["best_ms"]
    for key, label in labels.items():
        if key not in ingest:
            continue
        f = ingest[key]
        rows.append(
            [
                label,
                f"{f['events_per_s']:,.0f} events/s",
                f"{f['us_per_event']:,.0f} us/event",
                f"{f['parse_share'] * 100:.0f}%",
            ]
        )
    out.append(_table(rows, ["store", "throughput", "per event", "share of it parsing (baseline)"]))
    out.append(
        f"Parse baseline (parse_payload of the same bytes): {_ms(parse_ms)} = "
        f"{parse_ms * 1000 / ingest['events']:,.0f} us/event"
    )
    out.append("")
    return out


def _query_profile_lines(queries: dict[str, Any] | None) -> list[str]:
    out: list[str] = []
    for database in ("sqlite", "postgresql"):
        for kind, prof in ((queries or {}).get(database, {}).get("profiles") or {}).items():
            if "nodes" in prof:
                size = f"{prof['nodes']} nodes, {prof['edges']} edges"
            else:
                size = f"{prof['affected columns']} affected columns in {prof['tables']} tables"
            what = f"{prof['table']}.{prof['column']}" if "column" in prof else prof["table"]
            out.append("")
            out.append(
                f"Profile of {kind} on {database}: {what} as of {prof['as_of']} "
                f"({size}, {prof['statements']} "
                f"statements; {prof['wall_ms_under_profile']:.0f} ms under cProfile, "
                f"{prof['driver_calls_s'] * 1000:.0f} ms in driver calls; {prof['listing']}):"
            )
            out.append("  statements by issuing function <- caller (count, span ms):")
            for row in prof["statements_by_caller"][:8]:
                out.append(f"    {row['count']:6d} {row['span_ms']:9.1f} ms  {row['caller']}")
            out.append("  temporal_lineage functions by cumulative time:")
            for row in prof["product_by_cumulative_time"][:8]:
                out.append(
                    f"    {row['cumtime_s']:8.3f} s {row['cum_share'] * 100:5.1f}%  "
                    f"{row['calls']:>7}  {row['function']}"
                )
    return out


def _ingestion_profile_lines(ingest: dict[str, Any] | None) -> list[str]:
    prof = (ingest or {}).get("profile")
    if not prof:
        return []
    out = [
        "",
        f"Per-event cost of ingestion ({prof['events']:,}-event slice, fresh SQLite store, "
        f"statement listener on: {prof['wall_us_per_event']:,.0f} us/event; "
        f"{prof['listing']}):",
        f"  parsing before the first statement {prof['before_first_statement_us_per_event']:,.0f}"
        f" us/event; {prof['statements_per_event']:.2f} statements/event, "
        f"{prof['execute_us_per_event']:,.0f} us/event inside the driver's execute",
        "  per statement shape (statements/event, execute us/event, span us/event):",
    ]
    for row in prof["by_shape"][:10]:
        out.append(
            f"    {row['per_event']:6.3f} {row['execute_us_per_event']:8.1f} "
            f"{row['span_us_per_event']:8.1f}  {row['shape']}"
        )
    out.append("  temporal_lineage functions by cumulative time (under cProfile):")
    for row in prof["product_by_cumulative_time"][:8]:
        out.append(
            f"    {row['cumtime_s']:8.3f} s {row['cum_share'] * 100:5.1f}%  "
            f"{row['calls']:>7}  {row['function']}"
        )
    return out


def report_text(results: dict[str, Any]) -> str:
    """The human-readable summary of ``results`` (as written to ``latest.json``)."""
    env = results["environment"]
    out: list[str] = []
    out.append(
        f"temporal-lineage benchmark ({results['mode']}) - {results['started_at']} - "
        f"python {env['python']}, {env['cpus']} CPUs, load {env['load_average_at_start']}"
    )
    code = results.get("code")
    if code:
        out.append(f"Code: {code['commit']}{' + uncommitted changes' if code['dirty'] else ''}")
    out.append("All times: best of N in this run; ratios are against baselines of this run.\n")
    if "iceberg" in results:
        out.extend(_sync_lines(results))
    if results.get("lineage"):
        out.extend(_lineage_lines(results["lineage"]))
    if results.get("impact"):
        out.extend(_impact_lines(results["impact"]))
    if results.get("ingestion"):
        out.extend(_ingestion_lines(results["ingestion"]))
    if results.get("http"):
        out.extend(http_service.report_lines(results["http"]))
        out.append("")
    out.append("Targets:")
    out.append(
        _table(
            [
                [
                    t["what"],
                    f"{t['value']:.3f} {t['unit']}",
                    f"{'>=' if t.get('at_least') else '<='} {t['target']:g} {t['unit']}",
                    t["status"],
                ]
                for t in results["targets"]
            ],
            ["target", "measured", "wanted", "status"],
        )
    )
    for name, prof in results.get("profiles", {}).items():
        out.append("")
        out.append(
            f"Profile of {name} ({prof['total_s']:.3f} s under cProfile; {prof['listing']}):"
        )
        out.append("  temporal_lineage functions by cumulative time:")
        for row in prof["product_by_cumulative_time"][:12]:
            out.append(
                f"    {row['cumtime_s']:8.3f} s {row['cum_share'] * 100:5.1f}%  "
                f"{row['calls']:>7}  {row['function']}"
            )
        out.append("  all functions by own time:")
        for row in prof["by_own_time"][:12]:
            out.append(f"    {row['tottime_s']:8.3f} s  {row['calls']:>7}  {row['function']}")
    out.extend(_query_profile_lines(results.get("lineage")))
    out.extend(_query_profile_lines(results.get("impact")))
    out.extend(_ingestion_profile_lines(results.get("ingestion")))
    out.append("")
    out.append(
        f"Total run time {results['total_s']:.1f} s (load average at the end "
        f"{results.get('load_average_at_end')}); results in {results['output']}"
    )
    return "\n".join(out)


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
    targets = _sync_targets(results)
    for row in targets:
        row["status"] = "PASS" if row["value"] <= row["target"] else "MISS"
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
    """Lineage / provenance and column impact on one synthetic store per database."""
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
    queries = [s for s in ("lineage", "impact") if s in sections]
    steps = (
        4 * ("syncs" in sections) + bool(queries) + ("ingestion" in sections) + ("http" in sections)
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
        if queries:
            _run_queries(results, queries, sizes, args, pg_url, step, log)
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
            )
        results["targets"] = _targets(results)
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
    print(report_text(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
