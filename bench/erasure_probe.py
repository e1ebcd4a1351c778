"""Counting the rows of a pinned snapshot that match an erasure predicate, against the
format library's own filtered read of the same snapshot.

Real tables in a temporary folder (or ``folder``): an Iceberg table (pyiceberg SQL catalog
on SQLite) and a Delta table (``write_deltalake``) of ``rows`` customers (200,000 by
default) written in ``files`` appends (one data file each), with a wide ``notes`` column a
predicate never names. The snapshot counted is the one after all but the last append (not
the head). For each predicate (an id, an email, countries AND an id range):

* measure: ``SNAPSHOT_DATA[fmt].count(table, location, snapshot, {}, predicate)``, the
  product's count (metadata loaded afresh, predicate pushed down, only its columns read);
* baseline: the library alone, from the same metadata file / table root:
  ``StaticTable.from_metadata(...).scan(row_filter=..., snapshot_id=...).to_arrow().num_rows``
  (every column of the matching rows) and ``QueryBuilder`` ``select count(*) ... where``
  on ``DeltaTable(root, version=n)``.

The two are sampled alternately ``repeats`` times; p50 / p95 of each and the ratio of the
p50s are reported, per format and predicate. Both must count the same rows.

Target: ratio <= 1.2 for every predicate.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lineage_queries
import pyarrow as pa
from measure import Case, Timing, interleaved, ratio

TARGET_RATIO = 1.2
PREDICATES = (
    "customer_id = 123457",
    "email = 'u4242@x.org'",
    "country IN ('DE', 'FR') AND customer_id < 1000",
)
"""Predicate text (the product parses it; the baselines take it as their own SQL / filter)."""


def customers(start: int, count: int) -> pa.Table:
    """Customers ``start .. start+count-1``: id, email, country and a wide unrelated column."""
    ids = range(start, start + count)
    return pa.table(
        {
            "customer_id": pa.array(ids, pa.int64()),
            "email": pa.array([f"u{i}@x.org" for i in ids], pa.string()),
            "country": pa.array([("DE", "FR", "IT", "ES", None)[i % 5] for i in ids]),
            "notes": pa.array([f"note {i} " * 12 for i in ids], pa.string()),
        }
    )


@dataclass(frozen=True)
class Pinned:
    """One table's pinned snapshot: where the product and the library read it from."""

    table: str
    location: str
    snapshot_id: int


def build_iceberg(folder: Path, rows: int, files: int) -> Pinned:
    """``lake.crm.customers``: ``files`` appends; pinned before the last one."""
    from pyiceberg.catalog.sql import SqlCatalog

    folder.mkdir(parents=True, exist_ok=True)
    catalog = SqlCatalog("lake", uri=f"sqlite:///{folder}/catalog.db", warehouse=f"file://{folder}")
    try:
        catalog.create_namespace("crm")
        table = catalog.create_table("crm.customers", schema=customers(0, 1).schema)
        per_file = rows // files
        for k in range(files):
            table.append(customers(k * per_file, per_file))
        pinned = table.metadata.snapshots[-2].snapshot_id
        return Pinned("lake.crm.customers", str(table.metadata_location), pinned)
    finally:
        catalog.engine.dispose()


def build_delta(folder: Path, rows: int, files: int) -> Pinned:
    """``deltas.customers``: ``files`` commits of one file each; pinned before the last."""
    from deltalake import write_deltalake

    per_file = rows // files
    for k in range(files):
        mode = "error" if k == 0 else "append"
        write_deltalake(str(folder), customers(k * per_file, per_file), mode=mode)
    return Pinned("deltas.customers", str(folder), files - 2)


def _iceberg_baseline(pinned: Pinned, text: str) -> Callable[[Any], int]:
    from pyiceberg.table import StaticTable

    def run(_: Any) -> int:
        static = StaticTable.from_metadata(pinned.location)
        scan = static.scan(row_filter=text, snapshot_id=pinned.snapshot_id)
        return int(scan.to_arrow().num_rows)

    return run


def _delta_baseline(pinned: Pinned, text: str) -> Callable[[Any], int]:
    from deltalake import DeltaTable, QueryBuilder

    def run(_: Any) -> int:
        table = DeltaTable(pinned.location, version=pinned.snapshot_id)
        result = QueryBuilder().register("t", table).execute(f"select count(*) from t where {text}")
        return int(pa.table(result.read_all()).column(0)[0].as_py())

    return run


def _product(fmt: Any, pinned: Pinned, text: str) -> Callable[[Any], int]:
    from temporal_lineage.sources.snapshot_data import SNAPSHOT_DATA
    from temporal_lineage.sql_lineage.predicate_parse import parse_predicate

    count = SNAPSHOT_DATA[fmt].count
    predicate = parse_predicate(text)

    def run(_: Any) -> int:
        return count(pinned.table, pinned.location, pinned.snapshot_id, {}, predicate)

    return run


def _figures(timing: Timing) -> dict[str, Any]:
    return {
        "p50_s": round(timing.median, 5),
        "p95_s": round(lineage_queries.percentile(list(timing.samples), 0.95), 5),
        **timing.as_json(),
    }


def measure_one(
    product: Callable[[Any], int], library: Callable[[Any], int], repeats: int
) -> dict[str, Any]:
    """Both counts (they must agree), then both timed alternately ``repeats`` times.

    Raises:
        RuntimeError: the product and the library count different rows.
    """
    counted, expected = product(None), library(None)  # also warms caches and imports
    if counted != expected:
        raise RuntimeError(f"the product counted {counted} rows, the library {expected}")
    timings = interleaved(repeats, {"product": Case(product), "library": Case(library)})
    ours, theirs = timings["product"], timings["library"]
    return {
        "rows_matched": counted,
        "product": _figures(ours),
        "library": _figures(theirs),
        "ratio": round(ratio(ours.median, theirs.median), 3),
    }


def measure(
    folder: Path | None = None,
    rows: int = 200_000,
    files: int = 8,
    repeats: int = 9,
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Build both tables in ``folder`` (a temporary one when None) and time every predicate.

    Returns per format and predicate the rows matched, p50 / p95 of the product's count and
    of the library's own filtered read, and their p50 ratio; ``worst_ratio`` and ``ok``
    (every ratio within ``TARGET_RATIO``).
    """
    from temporal_lineage.model import Format

    with tempfile.TemporaryDirectory(prefix="erasure-") as scratch:
        root = folder or Path(scratch)
        log(f"  building Iceberg and Delta tables of {rows:,} rows in {files} files ...")
        tables = {
            "iceberg": (Format.ICEBERG, build_iceberg(root / "iceberg", rows, files)),
            "delta": (Format.DELTA, build_delta(root / "delta" / "customers", rows, files)),
        }
        baselines = {"iceberg": _iceberg_baseline, "delta": _delta_baseline}
        results: dict[str, Any] = {"rows": rows, "files": files, "repeats": repeats}
        worst = 0.0
        for name, (fmt, pinned) in tables.items():
            results[name] = {"snapshot_id": pinned.snapshot_id, "predicates": {}}
            for text in PREDICATES:
                log(f"  {name}: {text} x {repeats} ...")
                figures = measure_one(
                    _product(fmt, pinned, text), baselines[name](pinned, text), repeats
                )
                results[name]["predicates"][text] = figures
                worst = max(worst, figures["ratio"])
    results.update({"target_ratio": TARGET_RATIO, "worst_ratio": worst})
    results["ok"] = worst <= TARGET_RATIO
    return results


def summary(results: dict[str, Any]) -> str:
    """One line per format and predicate: p50 of each, the ratio; then the verdict."""
    lines = [f"{'format':8} {'predicate':50} {'matched':>8} {'ours p50':>10} {'lib p50':>10} ratio"]
    for name in ("iceberg", "delta"):
        for text, f in results[name]["predicates"].items():
            lines.append(
                f"{name:8} {text:50} {f['rows_matched']:>8} {f['product']['p50_s']:>9.4f}s "
                f"{f['library']['p50_s']:>9.4f}s {f['ratio']:.3f}"
            )
    verdict = "PASS" if results["ok"] else "MISS"
    lines.append(f"worst ratio {results['worst_ratio']:.3f} (target <= {TARGET_RATIO}): {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python bench/erasure_probe.py [--rows N] [--files F] [--repeats R] [--folder DIR]``:
    JSON results on stdout, a summary table on stderr."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--folder", type=Path, default=None, help="build the tables here")
    args = parser.parse_args(argv)
    results = measure(
        args.folder, args.rows, args.files, args.repeats, log=lambda s: print(s, file=sys.stderr)
    )
    print(json.dumps(results, indent=2))
    print(summary(results), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
