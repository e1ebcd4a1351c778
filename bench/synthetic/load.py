"""What writing the synthetic store into SQLite or PostgreSQL shares: the migration, the
table-by-table load and the record of what it took."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .plan import Plan
from .rows import RowMaker, Rows

Log = Callable[[str], None]


@dataclass
class Generated:
    """A generated store and what it took."""

    url: str
    plan: Plan
    rows: dict[str, int]
    seconds: dict[str, float]
    cached: bool
    path: Path | None = None

    def as_json(self) -> dict[str, Any]:
        """Counts and timings, for ``latest.json``."""
        return {
            "tables": len(self.plan.tables),
            "snapshots": self.plan.snapshots,
            "runs": self.plan.runs,
            "rows": self.rows,
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
            "cached": self.cached,
            "file_mb": round(self.path.stat().st_size / 2**20, 1) if self.path else None,
        }


def migrate(url: str) -> float:
    """Create the store's schema at ``url`` with the product's own migration; the seconds."""
    from temporal_lineage.store import open_store

    started = time.perf_counter()
    store = open_store(url)
    store.close()
    return time.perf_counter() - started


def load(
    plan: Plan, write: Callable[[Rows], int], log: Log
) -> tuple[dict[str, int], dict[str, float]]:
    """Every table's rows of ``plan`` through ``write`` (one call per table, returning the
    count): the counts and the seconds per table."""
    counts: dict[str, int] = {}
    seconds: dict[str, float] = {}
    for rows in RowMaker(plan).all():
        name = rows.table.name
        started = time.perf_counter()
        counts[name] = write(rows)
        seconds[name] = time.perf_counter() - started
        log(f"  {name}: {counts[name]:,} rows in {seconds[name]:.1f} s")
    return counts, seconds
