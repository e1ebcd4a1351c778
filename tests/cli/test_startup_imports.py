"""Start-up: a command imports only what it uses (the format and service libraries lazily).

Each command runs in a fresh interpreter through a wrapper that calls the CLI's ``main``,
catches its ``SystemExit`` and writes the names in ``sys.modules`` to a file.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest

from temporal_lineage.cli.main import COMMANDS, cli
from warehouse_fixtures.timeline import Timeline

HEAVY = ("pyiceberg", "deltalake", "pyarrow", "polars", "sqlglot", "fastapi", "uvicorn")
"""Libraries neither ``--help`` nor ``tables`` may import."""
UNUSED_BY_TABLES = (
    "access_reads",
    "access_writes",
    "governance_reads",
    "governance_writes",
    "hygiene_reads",
    "operations_reads",
    "quality_reads",
)
"""Store modules ``tables`` does not read through (imported on first use)."""

_WRAPPER = """
import json, sys
out, *argv = sys.argv[1:]
sys.argv = ["temporal-lineage", *argv]
from temporal_lineage.cli.main import main
try:
    main()
    code = 0
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
with open(out, "w", encoding="utf-8") as handle:
    json.dump({"code": code, "modules": sorted(sys.modules)}, handle)
"""


def run_cli(tmp_path: Path, *argv: str) -> dict[str, Any]:
    """Run ``temporal-lineage ARGV`` in a fresh interpreter; its exit code, stdout, the
    modules it imported and their top-level packages (``roots``)."""
    out = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, str(out), *argv],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.is_file(), done.stderr
    answer: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    roots = sorted({name.split(".")[0] for name in answer["modules"]})
    return {**answer, "roots": roots, "stdout": done.stdout, "stderr": done.stderr}


@pytest.fixture(scope="module")
def synced(warehouse: Timeline, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A store with the sample warehouse's tables, synced by a ``sync`` process."""
    folder = tmp_path_factory.mktemp("startup")
    store = f"sqlite:///{folder / 'store.db'}"
    config = str(warehouse.root / "lineage.yaml")
    ran = run_cli(folder, "sync", "--config", config, "--store", store, "--format", "json")
    return {"folder": folder, "options": ["--config", config, "--store", store], **ran}


def test_help_imports_no_format_or_service_library(tmp_path: Path) -> None:
    ran = run_cli(tmp_path, "--help")
    assert ran["code"] == 0, ran["stderr"]
    assert "Commands:" in ran["stdout"]
    assert set(ran["roots"]).isdisjoint(HEAVY), set(ran["roots"]) & set(HEAVY)
    # Nor the store or the configuration: help needs neither.
    assert set(ran["roots"]).isdisjoint({"sqlalchemy", "yaml", "rich"})


def test_tables_imports_no_format_or_service_library(synced: dict[str, Any]) -> None:
    for output in ("table", "json"):
        ran = run_cli(synced["folder"], "tables", *synced["options"], "--format", output)
        assert ran["code"] == 0, ran["stderr"]
        assert set(ran["roots"]).isdisjoint(HEAVY), (output, set(ran["roots"]) & set(HEAVY))
        # Nor the store's read and write modules that listing tables does not use.
        unused = {f"temporal_lineage.store.{name}" for name in UNUSED_BY_TABLES}
        assert unused.isdisjoint(ran["modules"]), (output, unused & set(ran["modules"]))
        assert {"temporal_lineage.store", "sqlalchemy"} <= set(ran["modules"])
        assert "temporal_lineage.sync" not in ran["modules"]
    tables = json.loads(ran["stdout"])
    assert len(tables) == json.loads(synced["stdout"])["tables"] >= 5


def test_sync_still_reads_the_sources(synced: dict[str, Any]) -> None:
    """The command that reads the sources loads them when it runs."""
    assert synced["code"] == 0, synced["stderr"]
    answer = json.loads(synced["stdout"])
    assert answer["errors"] == [] and answer["tables"] >= 5 and answer["new_snapshots"] > 0
    assert {"temporal_lineage.sync", "temporal_lineage.sources.factory"} <= set(synced["modules"])


def _help_paragraph(command: click.Command) -> str:
    return " ".join((command.help or "").partition("\n\n")[0].split())


def test_lazy_table_names_each_command_where_it_is_defined() -> None:
    """Importing the module ``COMMANDS`` names defines the command there, and together
    the modules define no command the table lacks."""
    for name, lazy in COMMANDS.items():
        importlib.import_module(lazy.module)
        command = cli.commands.get(name)
        assert command is not None and command.callback is not None, name
        assert command.callback.__module__ == lazy.module, name
    assert set(cli.commands) == set(COMMANDS)


@pytest.mark.parametrize("limit", [20, 45, 60, 80, 120, 1000])
def test_summaries_show_as_the_loaded_commands_would(limit: int) -> None:
    """``--help`` lists the table's summaries: they shorten exactly like the commands' help."""
    for name, lazy in COMMANDS.items():
        loaded = cli.get_command(click.Context(cli), name)
        assert loaded is not None, name
        stand_in = click.Command(name, help=lazy.summary)
        assert stand_in.get_short_help_str(limit) == loaded.get_short_help_str(limit), name
        assert _help_paragraph(loaded).startswith(lazy.summary), name
