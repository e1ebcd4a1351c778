"""The temporal-lineage benchmark suite: ``python bench/run.py [--quick]``.

Prints each figure next to a baseline measured in the same run (plain-json parsing of the
same metadata), the ratio, and the issue's targets with PASS/MISS; writes everything to
``bench/results/latest.json``. Targets:

* initial sync of an Iceberg table with 10,000 snapshots <= 3x the json floor;
* initial sync of a Delta table with 1,000 real commits <= 3x the json floor;
* no-op re-sync <= 1 ms per table (>= 300 tables);
* peak memory of both initial syncs is reported (no target).

A missed target is profiled (cProfile of one more sync; ``--profile never`` to skip) and
the listing is written next to ``latest.json``.
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
import iceberg_history
import measure
import noop

TARGET_RATIO = 3.0
TARGET_NOOP_MS = 1.0


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


FULL = Sizes(10_000, 1_000, 200, 100, repeats=3, noop_repeats=5, cli_repeats=5)
QUICK = Sizes(1_000, 100, 30, 15, repeats=3, noop_repeats=5, cli_repeats=3)


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
    ice, dl, nop = results["iceberg"], results["delta"], results["noop"]
    rows = [
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
    for row in rows:
        row["status"] = "PASS" if row["value"] <= row["target"] else "MISS"
    return rows


def _ms(value: float) -> str:
    return f"{value:,.1f} ms" if value >= 10 else f"{value:,.3f} ms"


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    return "\n".join(lines)


def report_text(results: dict[str, Any]) -> str:
    """The human-readable summary of ``results`` (as written to ``latest.json``)."""
    ice, dl, nop, mem = results["iceberg"], results["delta"], results["noop"], results["memory"]
    env = results["environment"]
    out: list[str] = []
    out.append(
        f"temporal-lineage benchmark ({results['mode']}) - {results['started_at']} - "
        f"python {env['python']}, {env['cpus']} CPUs, load {env['load_average_at_start']}"
    )
    out.append("All times: best of N in this run; ratios are against baselines of this run.\n")
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
    out.append("Targets:")
    out.append(
        _table(
            [
                [
                    t["what"],
                    f"{t['value']:.3f} {t['unit']}",
                    f"<= {t['target']:g} {t['unit']}",
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
    out.append("")
    out.append(
        f"Total run time {results['total_s']:.1f} s (load average at the end "
        f"{results.get('load_average_at_end')}); results in {results['output']}"
    )
    return "\n".join(out)


def main(argv: list[str]) -> int:
    """Run every benchmark, print the summary and write the JSON results."""
    args = _parse(argv)
    sizes = QUICK if args.quick else FULL
    if args.repeats is not None:
        sizes = replace(sizes, repeats=max(1, args.repeats))
    started = time.perf_counter()
    results: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, "bench/run.py", *argv]),
        "sizes": sizes.__dict__,
        "environment": measure.environment(),
    }
    workdir = Path(tempfile.mkdtemp(prefix="tl-bench-"))
    try:
        print(f"[1/4] Iceberg, {sizes.snapshots:,} snapshots ...", file=sys.stderr)
        ice_dir = workdir / "iceberg"
        results["iceberg"] = iceberg_history.run(ice_dir, sizes.snapshots, sizes.repeats)
        print(f"[2/4] Delta, {sizes.commits:,} commits ...", file=sys.stderr)
        dl_dir = workdir / "delta"
        results["delta"] = delta_history.run(dl_dir, sizes.commits, sizes.repeats, args.cache_dir)
        print(
            f"[3/4] no-op, {sizes.delta_tables} Delta + {sizes.iceberg_tables} Iceberg ...",
            file=sys.stderr,
        )
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
        print("[4/4] memory ...", file=sys.stderr)
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
        results["targets"] = _targets(results)
        missed = {t["name"] for t in results["targets"] if t["status"] == "MISS"}
        wanted = {
            "never": set(),
            "auto": missed,
            "always": {t["name"] for t in results["targets"]},
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
