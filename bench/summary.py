"""The benchmark summary: targets met or missed, and the report ``bench/run.py`` prints."""

from __future__ import annotations

from typing import Any

import access_queries
import erasure_probe
import governance_queries
import http_service
import impact_queries
import ingestion
import lineage_queries
import measure
import noop
import operations_queries
import scale
import startup
import warehouse_sync
import wide_impact

TARGET_RATIO = 3.0
TARGET_NOOP_MS = 1.0
TARGET_QUERY_P50_MS = lineage_queries.TARGET_P50_MS
TARGET_IMPACT_P50_MS = impact_queries.TARGET_P50_MS
TARGET_EVENTS_PER_S = ingestion.TARGET_EVENTS_PER_S
TARGET_CLASSIFICATION_P50_MS = governance_queries.TARGET_CLASSIFICATION_P50_MS
TARGET_POLICY_S = governance_queries.TARGET_POLICY_S
TARGET_ERASURE_RATIO = erasure_probe.TARGET_RATIO


_MODULE_TARGETS: tuple[tuple[str, Any], ...] = (
    ("noop", noop),
    ("warehouse", warehouse_sync),
    ("startup", startup),
    ("scale", scale),
    ("http", http_service),
)
"""Sections whose module gives its own target rows (``module.targets(result)``)."""


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows = sync_targets(results) if "iceberg" in results else []
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
    rows.extend(_governance_targets(results.get("governance")))
    rows.extend(_erasure_targets(results.get("erasure")))
    rows.extend(_operations_targets(results.get("operations")))
    rows.extend(_access_targets(results.get("access")))
    for section, module in _MODULE_TARGETS:
        if results.get(section):
            rows.extend(module.targets(results[section]))
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
    return measure.judged(rows)


def _governance_targets(governance: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for database in ("sqlite", "postgresql"):
        if not governance or database not in governance:
            continue
        figures = governance[database]
        rows.append(
            {
                "name": f"classification_p50_{database}",
                "what": f"classification p50, mid-depth table, {governance['tables']:,} tables, "
                f"{figures['tagging']['tags']:,} tags, {database}",
                "value": figures["classification"]["p50_ms"],
                "unit": "ms",
                "target": TARGET_CLASSIFICATION_P50_MS,
            }
        )
        rows.append(
            {
                "name": f"policy_check_{database}",
                "what": f"policy check of the whole store (2 policies) p50, "
                f"{governance['tables']:,} tables, {database}",
                "value": figures["policy"]["p50_s"],
                "unit": "s",
                "target": TARGET_POLICY_S,
            }
        )
    return rows


def _operations_targets(operations: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for database in ("sqlite", "postgresql"):
        if not operations or database not in operations:
            continue
        for kind in operations_queries.KINDS:
            figures = operations[database][kind]
            rows.append(
                {
                    "name": f"{kind}_p50_{database}",
                    "what": f"{kind} p50, {figures['picks']} (table, as-of) picks, {database}",
                    "value": figures["p50_ms"],
                    "unit": "ms",
                    "target": operations_queries.TARGET_P50_MS,
                }
            )
    return rows


def _access_targets(access: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for database in ("sqlite", "postgresql"):
        if not access or database not in access:
            continue
        figures = access[database]
        rows.append(
            {
                "name": f"access_p50_{database}",
                "what": f"access of one table, whole history, {access['records']:,} read "
                f"records, {database}",
                "value": figures["access"]["history"]["p50_ms"],
                "unit": "ms",
                "target": access_queries.TARGET_P50_MS,
            }
        )
        rows.append(
            {
                "name": f"scan_report_ingestion_{database}",
                "what": f"scan-report ingestion (batch write path), {database}",
                "value": figures["ingestion"]["batch_reports_per_s"],
                "unit": "reports/s",
                "target": access_queries.TARGET_REPORTS_PER_S,
                "at_least": True,
            }
        )
    return rows


def _erasure_targets(erasure: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for fmt in ("iceberg", "delta"):
        if not erasure or fmt not in erasure:
            continue
        predicates = erasure[fmt]["predicates"]
        rows.append(
            {
                "name": f"erasure_count_{fmt}",
                "what": f"erasure count of a pinned {fmt.capitalize()} snapshot / library's "
                f"filtered read, worst of {len(predicates)} predicates, {erasure['rows']:,} rows",
                "value": max(f["ratio"] for f in predicates.values()),
                "unit": "x",
                "target": TARGET_ERASURE_RATIO,
            }
        )
    return rows


def sync_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
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


def _governance_lines(governance: dict[str, Any]) -> list[str]:
    databases = [d for d in ("sqlite", "postgresql") if d in governance]
    first = governance[databases[0]]
    tagging = first["tagging"]
    out = [
        f"Governance on the same synthetic store: manual {governance['tag']} tags on "
        f"{tagging['tags']:,} of the {tagging['source_columns']:,} source columns "
        f"({tagging['source_tables']:,} tables without inputs), through Store.write_tag; "
        f"classification of {len(first['classification']['tables'])} tables of layers "
        f"{'/'.join(str(n) for n in first['classification']['layers'])} "
        f"({first['classification']['picks']} (table, as-of) picks, best of "
        f"{first['classification']['repeats']} passes per pick), and policy check of the whole "
        f"store as of {first['policy']['as_of']} (confined to {governance['confined_to']}: "
        f"{tagging['confined_share'] * 100:.0f}% of the tables; owner required):"
    ]
    rows = []
    for database in databases:
        f = governance[database]["classification"]
        rows.append(
            [
                f"classification ({database})",
                _ms(f["p50_ms"]),
                _ms(f["p95_ms"]),
                _ms(f["mean_ms"]),
                f"{f['tagged_columns_median']:g}",
                f"{f['upstream_tables_median']:g} (max {f['upstream_tables_max']})",
                f"{f['statements_median']:g} ({f['statements_p95']:g})",
                f"{f['answers_unlike_plan']}",
                f"{f['fit_fixed_ms']:.1f} + {f['fit_ms_per_upstream_table']:.2f}/table",
            ]
        )
    out.append(
        _table(
            rows,
            [
                "query",
                "p50",
                "p95",
                "mean",
                "tagged columns median",
                "upstream tables median",
                "SQL statements median (p95)",
                "answers unlike the plan",
                "fit ms",
            ],
        )
    )
    rows = []
    for database in databases:
        f = governance[database]["policy"]
        found = ", ".join(f"{k} {v:,}" for k, v in f["violations"].items())
        rows.append(
            [
                f"policy check ({database})",
                f"{f['p50_s']:.2f} s",
                " / ".join(f"{x:.2f}" for x in f["samples_s"]) + " s",
                f"{f['untimed_run_s']:.2f} s",
                f"{f['statements']:,}",
                found + ("" if f["matches_plan"] else f" (plan: {f['expected_violations']})"),
            ]
        )
    out.append(
        _table(
            rows,
            ["query", "p50", "runs", "untimed first run", "SQL statements", "violations"],
        )
    )
    holding = first["policy"]
    writes = ", ".join(
        f"{d} {governance[d]['tagging']['write_ms_per_tag']:.2f} ms/tag" for d in databases
    )
    copied = governance.get("sqlite", {}).get("tagging", {}).get("store_copy_s")
    out.append(
        f"Tags held as of the policy check: {holding['columns_holding']:,} columns of "
        f"{holding['tables_holding']:,} tables; tag writes {writes}"
        + (f"; SQLite store copied (to be tagged) in {copied:.1f} s" if copied else "")
    )
    out.append("")
    return out


def _erasure_lines(erasure: dict[str, Any]) -> list[str]:
    return [
        f"Erasure count of a pinned snapshot (SNAPSHOT_DATA[fmt].count, predicate pushed down) "
        f"vs the library's own filtered read of it: {erasure['rows']:,} customers in "
        f"{erasure['files']} files, p50 of {erasure['repeats']} alternated samples:",
        erasure_probe.summary(erasure),
        "",
    ]


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
            if "size" in prof:
                size = prof["size"]
            elif "nodes" in prof:
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
            if "size" in prof:
                out.append("  all functions by cumulative time (the bench's own frames left out):")
                rows = [r for r in prof["by_cumulative_time"] if "bench/" not in r["function"]]
                for row in rows[:15]:
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


def _operations_lines(operations: dict[str, Any]) -> list[str]:
    rows = []
    for database in ("sqlite", "postgresql"):
        for kind, figures in sorted(operations.get(database, {}).items()):
            if not isinstance(figures, dict) or "p50_ms" not in figures:
                continue
            rows.append(
                [
                    f"{kind} ({database})",
                    _ms(figures["p50_ms"]),
                    _ms(figures["p95_ms"]),
                    _ms(figures["mean_ms"]),
                    f"{figures['statements_median']:g}",
                ]
            )
    return [
        "Operations on the same synthetic store (quality facts on a share of the runs; "
        "baseline_* are the provenance / lineage calls they build on):",
        _table(rows, ["query", "p50", "p95", "mean", "SQL statements median"]),
        "",
    ]


def _access_lines(access: dict[str, Any]) -> list[str]:
    rows = []
    for database in ("sqlite", "postgresql"):
        if database not in access:
            continue
        figures = access[database]
        for label in ("history", "week"):
            f = figures["access"][label]
            rows.append(
                [
                    f"access, {label} ({database})",
                    _ms(f["p50_ms"]),
                    _ms(f["p95_ms"]),
                    f"{f['mean_reads']:g}",
                ]
            )
        ingestion = figures["ingestion"]
        rows.append(
            [
                f"scan reports ({database})",
                f"{ingestion['batch_reports_per_s']:,.0f}/s batch",
                f"{ingestion['http_reports_per_s']:,.0f}/s over HTTP, one at a time",
                "",
            ]
        )
    return [
        f"Access over {access['records']:,} read records on {access['tables']:,} tables:",
        _table(rows, ["query", "p50", "p95", "reads per answer"]),
        "",
    ]


def _mb(value: float) -> str:
    return f"{value / 1e6:,.1f} MB"


def _scale_lines(result: dict[str, Any]) -> list[str]:
    """A generated warehouse: initial sync, no-op, size per snapshot, memory, scale-out."""
    house = result.get("warehouse", {})
    rows = []
    for database in ("sqlite", "postgresql"):
        f = result.get(database)
        if not f:
            continue
        rows.append(
            [
                database,
                f"{f['initial_sync_cli_s']:.1f} s",
                f"{f['initial_ms_per_table']:.2f} ms",
                f"{f['noop_in_process_s']:.3f} s / {f['noop_cli_s']:.2f} s",
                f"{f['bytes_per_snapshot']:,.0f} B ({_mb(f['store_bytes'])})",
                f"{f['initial_peak_rss_mb']:,.0f} MB",
            ]
        )
    lines = [
        f"Generated warehouse: {house.get('tables', 0):,} tables, "
        f"{house.get('snapshots', 0):,} snapshots (CLI sync, start-up excluded per table):",
        _table(
            rows,
            [
                "store",
                "initial sync",
                "per table",
                "no-op in process / CLI",
                "store per snapshot",
                "peak RSS",
            ],
        ),
    ]
    out = result.get("scale_out")
    if out:
        lines.append("One pass of N `scheduler run` workers on PostgreSQL (fresh store each):")
        lines.append(
            _table(
                [
                    [
                        str(p["workers"]),
                        f"{p['initial_wall_s']:.1f} s",
                        f"{p['speedup']:.2f}x",
                        f"{p['noop_wall_s']:.2f} s",
                        "yes" if p["every_table_once"] else "NO",
                    ]
                    for p in out["passes"].values()
                ],
                ["workers", "initial pass", "speed-up", "no-op pass", "each table once"],
            )
        )
    lines.append("")
    return lines


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
    if results.get("scale"):
        out.extend(_scale_lines(results["scale"]))
    if results.get("lineage"):
        out.extend(_lineage_lines(results["lineage"]))
    if results.get("impact"):
        out.extend(_impact_lines(results["impact"]))
    if results.get("governance"):
        out.extend(_governance_lines(results["governance"]))
    if results.get("erasure"):
        out.extend(_erasure_lines(results["erasure"]))
    if results.get("operations"):
        out.extend(_operations_lines(results["operations"]))
    if results.get("access"):
        out.extend(_access_lines(results["access"]))
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
    out.extend(_query_profile_lines(results.get("governance")))
    out.extend(_ingestion_profile_lines(results.get("ingestion")))
    out.append("")
    out.append(
        f"Total run time {results['total_s']:.1f} s (load average at the end "
        f"{results.get('load_average_at_end')}); results in {results['output']}"
    )
    return "\n".join(out)
