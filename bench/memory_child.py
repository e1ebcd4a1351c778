"""One memory measurement in a fresh interpreter (started by ``measure.run_memory_child``).

    python bench/memory_child.py sync CONFIG STORE_DIR {rss|heap}
    python bench/memory_child.py floor-iceberg METADATA_FILE {rss|heap}
    python bench/memory_child.py floor-delta LOG_DIR {rss|heap}

``rss``: the process's peak resident set during the work (and its growth over the RSS
just before). ``heap``: the tracemalloc peak of the work (Python allocations only; slow, so
the two are separate runs). Imports and opening / migrating the store happen before the
measured window. Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import delta_history
import iceberg_history
import measure


def _work(argv: list[str]) -> tuple[Callable[[], Any], Callable[[], None]]:
    """What to measure, and what to release afterwards."""
    kind = argv[0]
    if kind == "floor-iceberg":
        path = Path(argv[1])
        return (lambda: iceberg_history.floor(path)), (lambda: None)
    if kind == "floor-delta":
        log_dir = Path(argv[1])
        return (lambda: delta_history.floor(log_dir)), (lambda: None)
    if kind == "sync":
        import pyiceberg.exceptions  # noqa: F401 - imported lazily by the sync: not its memory

        from temporal_lineage.config import load_settings
        from temporal_lineage.store import open_store
        from temporal_lineage.sync import sync

        settings = load_settings(argv[1])
        db_path = Path(argv[2]) / "memory.db"
        measure.remove_sqlite(db_path)
        store = open_store(measure.sqlite_url(db_path))

        def release() -> None:
            store.close()
            measure.remove_sqlite(db_path)

        def run() -> Any:
            report = sync(store, settings)
            if report.errors:
                raise RuntimeError(f"sync errors: {report.errors[:3]}")
            return report.new_snapshots

        return run, release
    raise SystemExit(f"unknown measurement {kind!r}")


def main(argv: list[str]) -> int:
    """Run one measurement and print its figures as one JSON line."""
    mode = argv[-1]
    run, release = _work(argv[:-1])
    window: AbstractContextManager[dict[str, Any]]
    if mode == "rss":
        window = measure.rss_window()
    elif mode == "heap":
        window = measure.heap_window()
    else:
        raise SystemExit(f"unknown mode {mode!r} (rss or heap)")
    try:
        with window as figures:
            result = run()
    finally:
        release()
    figures["result"] = result
    figures["mode"] = mode
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
