"""Timing and memory helpers shared by the benchmarks.

Every figure the suite prints is a RATIO against a baseline measured in the same run, on the
same (shared, noisy) machine: absolute milliseconds are reported for context only.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
CACHE_DIR = BENCH_DIR / ".cache"
RESULTS_DIR = BENCH_DIR / "results"

T = TypeVar("T")


@dataclass(frozen=True)
class Timing:
    """Wall-clock samples of one operation, in seconds."""

    samples: tuple[float, ...]

    @property
    def best(self) -> float:
        """The fastest sample: the least disturbed by other load on the machine."""
        return min(self.samples)

    @property
    def median(self) -> float:
        """The median sample."""
        ordered = sorted(self.samples)
        middle = len(ordered) // 2
        if len(ordered) % 2:
            return ordered[middle]
        return (ordered[middle - 1] + ordered[middle]) / 2

    def as_json(self) -> dict[str, Any]:
        """Milliseconds, for ``latest.json``."""
        return {
            "best_ms": round(self.best * 1000, 3),
            "median_ms": round(self.median * 1000, 3),
            "samples_ms": [round(s * 1000, 3) for s in self.samples],
        }


@dataclass(frozen=True)
class Case:
    """One timed operation: ``run(setup())`` is timed, ``teardown`` is not."""

    run: Callable[[Any], object]
    setup: Callable[[], Any] = lambda: None
    teardown: Callable[[Any], object] | None = None


def _sample(case: Case) -> float:
    state = case.setup()
    try:
        gc.collect()
        started = time.perf_counter()
        case.run(state)
        return time.perf_counter() - started
    finally:
        if case.teardown is not None:
            case.teardown(state)


def interleaved(repeats: int, cases: dict[str, Case]) -> dict[str, Timing]:
    """Time every case ``repeats`` times, alternating them (A B A B ...).

    Alternating spreads the machine's load over a figure and its baseline alike, which is
    what a ratio measured on a shared machine needs. A full garbage collection happens
    before each sample so that one sample's garbage is not collected in the next one's clock.
    """
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, case in cases.items():
            samples[name].append(_sample(case))
    return {name: Timing(tuple(values)) for name, values in samples.items()}


def best_of(
    repeats: int,
    run: Callable[[T], object],
    setup: Callable[[], T],
    teardown: Callable[[T], object] | None = None,
) -> Timing:
    """Time ``run(setup())`` ``repeats`` times; only ``run`` is inside the clock."""
    return interleaved(repeats, {"only": Case(run, setup, teardown)})["only"]


def time_call(run: Callable[[], T]) -> tuple[T, float]:
    """``run()`` and how long it took, in seconds."""
    started = time.perf_counter()
    result = run()
    return result, time.perf_counter() - started


def time_processes(
    commands: dict[str, Sequence[str]], repeats: int, cwd: Path | None = None
) -> dict[str, Timing]:
    """Wall-clock time of whole processes (start-up included), alternating the commands.

    Raises:
        RuntimeError: a process failed.
    """

    def run(command: Sequence[str]) -> None:
        done = subprocess.run(list(command), capture_output=True, text=True, cwd=cwd)
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()[-2000:]}"
            )

    def case(command: Sequence[str]) -> Case:
        return Case(lambda _: run(command))

    return interleaved(repeats, {name: case(command) for name, command in commands.items()})


def judged(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Target rows with their ``status``: PASS when ``value <= target`` (``>=`` for a row
    marked ``at_least``), else MISS; the rows are returned, marked in place."""
    for row in rows:
        value, target = row["value"], row["target"]
        met = value >= target if row.get("at_least") else value <= target
        row["status"] = "PASS" if met else "MISS"
    return rows


def verdict_lines(rows: list[dict[str, Any]]) -> list[str]:
    """One ``PASS name: value unit (target)`` line per target row."""
    return [
        f"{row['status']} {row['name']}: {row['value']} {row['unit']} "
        f"(target {'>=' if row.get('at_least') else '<='} {row['target']})"
        for row in judged(rows)
    ]


def ratio(value: float, baseline: float) -> float:
    """``value / baseline`` (infinite when the baseline is zero)."""
    return value / baseline if baseline > 0 else float("inf")


# -- memory ------------------------------------------------------------------------------


def _status_kb(key: str, pid: int | str = "self") -> int | None:
    """A ``kB`` line of ``/proc/<pid>/status`` (``VmRSS``, ``VmHWM``), None off Linux or
    once the process is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (Linux >= 4.0); False when it cannot be reset."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


class ChildPeak:
    """The peak RSS of a child process's own program, sampled from ``/proc`` every 10 ms.

    ``ru_maxrss`` of a child (``wait4``) is no measure: Linux carries the parent's peak
    over through fork and exec, so a child of a 300 MB parent "peaks" at 300 MB whatever
    it does. ``VmHWM`` belongs to the program exec started; it only grows, so the last
    sample before the exit is the peak, short by what the last 10 ms added at most.
    """

    def __init__(self, pid: int) -> None:
        self.peak_kb = 0
        self._pid = pid
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.is_set():
            found = _status_kb("VmHWM", self._pid)
            if found is not None:
                self.peak_kb = max(self.peak_kb, found)
            self._done.wait(0.01)

    def stop(self, fallback_kb: int) -> float:
        """Stop sampling; the peak in MB (``fallback_kb`` when ``/proc`` gave nothing)."""
        self._done.set()
        self._thread.join()
        return round((self.peak_kb or fallback_kb) / 1024, 1)


@contextmanager
def rss_window() -> Iterator[dict[str, Any]]:
    """Measure resident memory around a block: yields a dict filled in when the block ends.

    ``peak_mb`` is the process's peak RSS during the block (the kernel's high-water mark
    is reset at the start when the kernel allows it, else it is the lifetime peak),
    ``before_mb`` the RSS when the block started and ``growth_mb`` the difference.
    """
    gc.collect()
    figures: dict[str, Any] = {}
    before = _status_kb("VmRSS")
    figures["peak_reset"] = _reset_peak_rss()
    yield figures
    peak = _status_kb("VmHWM")
    if peak is None or not figures["peak_reset"]:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    figures["before_mb"] = round((before or 0) / 1024, 2)
    figures["peak_mb"] = round(peak / 1024, 2)
    figures["growth_mb"] = round((peak - (before or 0)) / 1024, 2)


@contextmanager
def heap_window() -> Iterator[dict[str, Any]]:
    """Measure Python allocations in a block with tracemalloc (slow: never time this block).

    Yields a dict that gets ``peak_mb`` (tracemalloc peak) and ``retained_mb`` (still
    allocated when the block ended).
    """
    import tracemalloc

    gc.collect()
    figures: dict[str, Any] = {}
    tracemalloc.start()
    try:
        yield figures
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    figures["peak_mb"] = round(peak / 2**20, 2)
    figures["retained_mb"] = round(current / 2**20, 2)


def run_memory_child(arguments: Sequence[str]) -> dict[str, Any]:
    """Run ``memory_child.py`` with ``arguments`` in a fresh interpreter; its JSON answer.

    Each measurement gets its own process so that one workload's peak cannot hide
    another's, and so that tracemalloc never slows a timed run.

    Raises:
        RuntimeError: the child failed.
    """
    command = [sys.executable, str(BENCH_DIR / "memory_child.py"), *arguments]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"memory child {arguments} failed: {done.stderr.strip()[-3000:]}")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def environment() -> dict[str, Any]:
    """What the figures were measured on."""
    import platform
    from importlib import metadata

    versions: dict[str, str] = {}
    for name in ("temporal-lineage", "pyiceberg", "deltalake", "pyarrow", "SQLAlchemy"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "?"
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in load] if load else None,
        "packages": versions,
    }


# -- stores and configs ------------------------------------------------------------------


def write_config(folder: Path, sources: Sequence[dict[str, Any]], store_url: str) -> Path:
    """Write a ``lineage.yaml`` in ``folder``; returns its path."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "lineage.yaml"
    path.write_text(
        yaml.safe_dump({"store": store_url, "sources": list(sources)}, sort_keys=False),
        encoding="utf-8",
    )
    return path


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file (absolute)."""
    return f"sqlite:///{path.resolve()}"


def remove_sqlite(path: Path) -> None:
    """Delete a SQLite database and its WAL / shared-memory files."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@dataclass
class SyncRun:
    """One timed initial sync: a freshly migrated store and what the sync reported."""

    store: Any
    db_path: Path
    open_seconds: float
    report: Any = None


class FreshStores:
    """Setup / run / teardown for ``best_of``: each sample syncs into a new SQLite store.

    Opening (creating + migrating) the store happens in the setup, outside the clock; its
    duration is kept in ``open_seconds``.
    """

    def __init__(self, folder: Path, config: Path, source: str | None = None) -> None:
        from temporal_lineage.config import load_settings

        self.folder = folder
        self.settings = load_settings(config)
        self.source = source
        self.open_seconds: list[float] = []
        self.reports: list[Any] = []
        self._count = 0

    def setup(self) -> SyncRun:
        from temporal_lineage.store import open_store

        self._count += 1
        db_path = self.folder / f"fresh-{self._count}.db"
        remove_sqlite(db_path)
        store, seconds = time_call(lambda: open_store(sqlite_url(db_path)))
        self.open_seconds.append(seconds)
        return SyncRun(store, db_path, seconds)

    def run(self, state: SyncRun) -> None:
        from temporal_lineage.sync import sync

        state.report = sync(state.store, self.settings, source=self.source)

    def teardown(self, state: SyncRun) -> None:
        state.store.close()
        remove_sqlite(state.db_path)
        if state.report is not None:
            self.reports.append(state.report)


def check_report(report: Any, *, tables: int, new_snapshots: int | None) -> None:
    """Fail loudly when a sync did not do the work the benchmark believes it timed.

    Raises:
        RuntimeError: errors, or other counts than expected.
    """
    if report.errors:
        raise RuntimeError(f"sync reported errors: {report.errors[:3]}")
    if report.tables != tables:
        raise RuntimeError(f"sync checked {report.tables} tables, expected {tables}")
    if new_snapshots is not None and report.new_snapshots != new_snapshots:
        raise RuntimeError(
            f"sync recorded {report.new_snapshots} new snapshots, expected {new_snapshots}"
        )


# -- profiling ---------------------------------------------------------------------------


def profile_initial_sync(config: Path, folder: Path, out: Path, top: int = 20) -> dict[str, Any]:
    """cProfile one initial sync into a fresh store; writes the full listing to ``out``.

    Returns the ``top`` functions by own time, and every ``temporal_lineage`` function by
    cumulative time (which phase of the sync the time goes to).
    """
    import cProfile

    stores = FreshStores(folder, config)
    state = stores.setup()
    profiler = cProfile.Profile()
    try:
        profiler.enable()
        stores.run(state)
        profiler.disable()
    finally:
        stores.teardown(state)
    return profile_summary(profiler, out, top)


def profile_summary(profiler: Any, out: Path, top: int = 20) -> dict[str, Any]:
    """Summarise a finished ``cProfile.Profile``; the full listing goes to ``out``."""
    import io
    import pstats

    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer)
    stats.sort_stats("tottime").print_stats(60)
    stats.sort_stats("cumulative").print_stats(80)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(buffer.getvalue(), encoding="utf-8")
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = max((row[3] for row in raw.values()), default=0.0)

    def row(key: Any, value: Any) -> dict[str, Any]:
        filename, line, name = key
        _cc, calls, tottime, cumtime, _callers = value
        return {
            "function": f"{_short(filename)}:{line}({name})",
            "calls": calls,
            "tottime_s": round(tottime, 4),
            "cumtime_s": round(cumtime, 4),
            "cum_share": round(cumtime / total, 3) if total else 0.0,
        }

    by_own = sorted(raw.items(), key=lambda item: item[1][2], reverse=True)[:top]
    product = sorted(
        ((k, v) for k, v in raw.items() if "temporal_lineage" in k[0]),
        key=lambda item: item[1][3],
        reverse=True,
    )[: top * 2]
    by_cumulative = sorted(raw.items(), key=lambda item: item[1][3], reverse=True)[:top]
    return {
        "total_s": round(total, 4),
        "listing": str(out),
        "by_own_time": [row(k, v) for k, v in by_own],
        "by_cumulative_time": [row(k, v) for k, v in by_cumulative],
        "product_by_cumulative_time": [row(k, v) for k, v in product],
    }


def _short(filename: str) -> str:
    for marker in ("site-packages/", "lib/python3.11/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    if str(REPO_ROOT) in filename:
        return filename.replace(str(REPO_ROOT) + "/", "")
    return filename
