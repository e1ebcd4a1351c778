"""CLI start-up: ``--help`` and ``tables`` against the imports every command needs anyway.

Baseline: ``python -c "import click, sqlalchemy, yaml"`` (the CLI framework, the store's
driver layer and the config parser: what any command pays before doing anything). Timed
against it, alternating, best of N, each sample a fresh process:

* ``temporal-lineage --help`` (target <= 1.3x the baseline);
* ``temporal-lineage tables --config X`` on a store holding ``TABLES`` tables (target
  <= 1.6x): real Delta tables written with deltalake (one commit each), synced once by the
  CLI; the folder is cached under ``bench/.cache/``, keyed by ``VERSION`` and the size.

Every process runs with a bytecode cache (``PYTHONPYCACHEPREFIX`` in the cache folder,
warmed by one untimed run of each command) as an installed package has, even where the
environment sets ``PYTHONDONTWRITEBYTECODE``: compiling the sources on every run is not
what a user of the package pays. The result also lists, for each command, the top
imports by cumulative time from one ``-X importtime`` run, and the own time per package.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import measure

VERSION = "v1"
"""Bump when the way the store is built changes (invalidates the cache)."""
TABLES = 300
TARGET_HELP = 1.3
TARGET_TABLES = 1.6
BASELINE_IMPORTS = "import click, sqlalchemy, yaml"
COMPLETE = "complete.json"
TOP_IMPORTS = 15


@dataclass(frozen=True)
class StartupStore:
    """A folder with ``lineage.yaml``, its Delta tables and the synced store."""

    folder: Path
    tables: int
    built_now: bool

    @property
    def config(self) -> Path:
        """The config of the store and its one Delta source."""
        return self.folder / "lineage.yaml"


def cli_prefix() -> list[str]:
    """The venv's console script, else ``python -m temporal_lineage``."""
    script = Path(sys.executable).with_name("temporal-lineage")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "temporal_lineage"]


def child_env(cache_dir: Path) -> dict[str, str]:
    """The environment of every timed process: the same for the baseline and the CLI."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str((cache_dir / f"startup-pycache-{VERSION}").resolve())
    return env


def _run(command: list[str], env: dict[str, str], cwd: Path | None = None) -> str:
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def ensure(cache_dir: Path, tables: int = TABLES) -> StartupStore:
    """The cached store of ``tables`` Delta tables, written and synced first if missing."""
    folder = (cache_dir / f"startup-{tables}t-{VERSION}").resolve()
    if (folder / COMPLETE).is_file():
        return StartupStore(folder, tables, built_now=False)
    import pyarrow as pa
    from deltalake import write_deltalake

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    batch = pa.table({"id": pa.array([1, 2], pa.int64()), "name": pa.array(["a", "b"])})
    for index in range(tables):
        write_deltalake(str(folder / "delta" / f"tbl_{index:04d}"), batch, mode="append")
    store = StartupStore(folder, tables, built_now=True)
    store.config.write_text(
        "store: sqlite:///lineage.db\nsources:\n  - {name: dl, format: delta, root: delta}\n",
        encoding="utf-8",
    )
    report = json.loads(
        _run(
            [*cli_prefix(), "sync", "--config", str(store.config), "--format", "json"],
            {**os.environ},
        )
    )
    if report["errors"] or report["tables"] != tables:
        raise RuntimeError(
            f"sync of the start-up store: {report['tables']} tables, {report['errors'][:3]}"
        )
    (folder / COMPLETE).write_text(json.dumps({"tables": tables}), encoding="utf-8")
    return store


def import_profile(
    arguments: list[str], env: dict[str, str], top: int = TOP_IMPORTS
) -> dict[str, Any]:
    """One ``python -X importtime`` run of ``arguments`` (``-c CODE`` or ``-m MODULE ...``):
    the ``top`` imports by cumulative time and every package's own import time (ms)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *arguments], capture_output=True, text=True, env=env
    )
    if done.returncode != 0:
        raise RuntimeError(f"importtime {arguments}: {done.stderr[-2000:]}")
    rows: list[tuple[str, int, int]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own_us, cumulative_us, module = line.split(":", 1)[1].split("|")
        rows.append((module.strip(), int(own_us), int(cumulative_us)))
    by_package: dict[str, int] = defaultdict(int)
    for name, own, _ in rows:
        by_package[name.split(".")[0]] += own
    biggest = sorted(rows, key=lambda row: row[2], reverse=True)[:top]
    packages = sorted(by_package.items(), key=lambda item: item[1], reverse=True)[:top]
    return {
        "modules": len(rows),
        "total_own_ms": round(sum(own for _, own, _ in rows) / 1000, 1),
        "top_cumulative_ms": [{"module": n, "ms": round(c / 1000, 1)} for n, _, c in biggest],
        "by_package_own_ms": {name: round(own / 1000, 1) for name, own in packages},
    }


def run(
    workdir: Path, repeats: int = 15, cache_dir: Path | None = None, tables: int = TABLES
) -> dict[str, Any]:
    """Start-up figures: best of ``repeats`` alternated samples of each command, and ratios.

    Raises:
        RuntimeError: a command failed, or ``tables`` did not list every table.
    """
    cache = cache_dir or measure.CACHE_DIR
    workdir.mkdir(parents=True, exist_ok=True)
    store = ensure(cache, tables)
    env = child_env(cache)
    commands = {
        "baseline": [sys.executable, "-c", BASELINE_IMPORTS],
        "help": [*cli_prefix(), "--help"],
        "tables": [*cli_prefix(), "tables", "--config", str(store.config)],
    }
    listed = json.loads(_run([*commands["tables"], "--format", "json"], env, workdir))
    if len(listed) != tables:
        raise RuntimeError(f"tables listed {len(listed)} tables, expected {tables}")
    for command in commands.values():  # warm the bytecode cache and the file cache
        _run(command, env, workdir)

    def case(command: list[str]) -> measure.Case:
        return measure.Case(lambda _: _run(command, env, workdir))

    timings = measure.interleaved(repeats, {name: case(c) for name, c in commands.items()})
    baseline = timings["baseline"].best
    module = ["-m", "temporal_lineage"]
    return {
        "tables": tables,
        "cached": not store.built_now,
        "repeats": repeats,
        "bytecode_cache": env["PYTHONPYCACHEPREFIX"],
        "commands": {name: " ".join(c) for name, c in commands.items()},
        "timings": {name: t.as_json() for name, t in timings.items()},
        "help_ratio": round(measure.ratio(timings["help"].best, baseline), 3),
        "tables_ratio": round(measure.ratio(timings["tables"].best, baseline), 3),
        "imports": {
            "baseline": import_profile(["-c", BASELINE_IMPORTS], env),
            "help": import_profile([*module, "--help"], env),
            "tables": import_profile([*module, "tables", "--config", str(store.config)], env),
        },
    }


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's start-up targets among ``run``'s figures (rows for the summary)."""
    if "help_ratio" not in result:
        return []
    base = f'python -c "{BASELINE_IMPORTS}"'
    return [
        {
            "name": "startup_help",
            "what": f"temporal-lineage --help, wall time / {base}",
            "value": result["help_ratio"],
            "target": TARGET_HELP,
            "unit": "x",
        },
        {
            "name": "startup_tables",
            "what": f"temporal-lineage tables ({result['tables']} tables), wall time / {base}",
            "value": result["tables_ratio"],
            "target": TARGET_TABLES,
            "unit": "x",
        },
    ]


def main(argv: list[str] | None = None) -> int:
    """``python bench/startup.py [--repeats 15] [--tables 300]``: start-up ratios and targets."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--tables", type=int, default=TABLES)
    parser.add_argument("--cache-dir", type=Path, default=measure.CACHE_DIR)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tl-startup-") as folder:
        result = run(Path(folder), args.repeats, args.cache_dir, args.tables)
    result["targets"] = measure.judged(targets(result))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
