"""The command line: JSON shapes of the public contract, one-line errors, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from temporal_lineage.cli.main import cli
from temporal_lineage.store.database import HEAD_REVISION
from warehouse_fixtures.timeline import Timeline


def run(*args: str, expect: int = 0) -> Any:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == expect, (result.stdout, result.stderr)
    return (
        json.loads(result.stdout)
        if "--format" in args and "json" in args and expect in (0, 1)
        else result
    )


@pytest.fixture(scope="module")
def config(warehouse: Timeline, tmp_path_factory: pytest.TempPathFactory) -> str:
    store = tmp_path_factory.mktemp("cli") / "store.db"
    path = str(warehouse.root / "lineage.yaml")
    run("sync", "--config", path, "--store", f"sqlite:///{store}", "--format", "json")
    return f"--config={path}\n--store=sqlite:///{store}"


def args(config: str, *rest: str) -> list[str]:
    return [*rest, *config.split("\n")]


def test_init_creates_then_reports_the_revision(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    first = run("init", "--store", url, "--format", "json")
    again = run("init", "--store", url, "--format", "json")
    assert first["migrated"] is True and again["migrated"] is False
    assert first["revision"] == again["revision"] == HEAD_REVISION


def test_sync_answer_shape(warehouse: Timeline, tmp_path: Path) -> None:
    answer = run(
        "sync",
        "--config",
        str(warehouse.root / "lineage.yaml"),
        "--store",
        f"sqlite:///{tmp_path / 's.db'}",
        "--format",
        "json",
    )
    assert set(answer) == {
        "tables",
        "new_snapshots",
        "new_schema_versions",
        "errors",
        "skipped",
        "repaired",
        "schema_changes",
    }
    assert answer["tables"] == 7 and answer["errors"] == [] and answer["new_snapshots"] == 41


def test_tables_answer_shape(config: str) -> None:
    answer = run(*args(config, "tables", "--format", "json"))
    assert [row["table"] for row in answer] == [
        "deltas.customer_emails_hashed",
        "deltas.marketing_contacts",
        "deltas.training_set",
        "deltas.users",
        "lake.crm.customers",
        "lake.features.user_features",
        "lake.raw.events",
    ]
    assert set(answer[0]) == {"table", "format", "location", "snapshots", "current_snapshot"}


def test_snapshots_answer_shape_and_as_of(config: str, warehouse: Timeline) -> None:
    answer = run(*args(config, "snapshots", "lake.raw.events", "--format", "json"))
    contract = {"snapshot", "parent", "committed_at", "operation", "schema_id", "run", "evidence"}
    assert contract | {"expired_in_source"} <= set(answer[0])
    truth = warehouse.table("lake.raw.events")
    assert [row["snapshot"] for row in answer] == [s.snapshot for s in truth.snapshots]
    first = truth.heads[0]
    at_first = run(
        *args(config, "snapshots", "lake.raw.events", "--as-of", first.start, "--format", "json")
    )
    assert [row["snapshot"] for row in at_first] == [first.snapshot]
    assert (
        run(
            *args(
                config, "snapshots", "lake.raw.events", "--as-of", "2000-01-01", "--format", "json"
            )
        )
        == []
    )


def test_schema_and_history_answer_shapes(config: str) -> None:
    schema = run(*args(config, "schema", "lake.features.user_features", "--format", "json"))
    assert {"table", "schema_id", "fields"} <= set(schema)
    assert {"id", "name", "path", "type", "nullable"} <= set(schema["fields"][0])
    history = run(
        *args(config, "schema-history", "lake.features.user_features", "--format", "json")
    )
    assert {"schema_id", "effective_at", "snapshot", "changes"} <= set(history[0])
    change = history[1]["changes"][0]
    assert {"kind", "field_id", "path", "old_path", "old_type", "new_type"} <= set(change)
    assert (change["kind"], change["old_path"], change["path"]) == (
        "renamed",
        "amount_sum",
        "total_amount",
    )


def test_table_format_is_readable(config: str) -> None:
    result = run(*args(config, "snapshots", "deltas.users"))
    assert "committed_at" in result.stdout and "RENAME COLUMN" in result.stdout


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["snapshots", "lake.nope"], 3, "error: unknown table lake.nope"),
        (["schema", "nodots"], 2, "not a table reference"),
        (["snapshots", "lake.raw.events", "--as-of", "yesterday"], 2, "not an ISO-8601 time"),
        (["tables", "--config", "/nonexistent/lineage.yaml"], 2, "config file not found"),
        (["tables", "--store", "postgresql+psycopg://nobody@127.0.0.1:1/x"], 4, "error: "),
        (["sync", "--source", "nope"], 2, "unknown source 'nope'"),
    ],
)
def test_errors_are_one_line_with_an_exit_code(
    config: str, argv: list[str], code: int, message: str
) -> None:
    base = [] if "--config" in argv or "--store" in argv else config.split("\n")
    result = CliRunner().invoke(cli, [*argv, *base])
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 or code == 2  # click usage adds a hint


def test_a_bad_table_fails_the_sync_but_not_the_others(tmp_path: Path) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake

    write_deltalake(tmp_path / "d" / "ok", pa.table({"a": [1]}))
    write_deltalake(tmp_path / "d" / "bad", pa.table({"a": [1]}))
    (tmp_path / "d" / "bad" / "_delta_log" / "00000000000000000000.json").write_text("garbage")
    (tmp_path / "lineage.yaml").write_text("sources:\n  - {name: d, format: delta, root: d}\n")
    result = CliRunner().invoke(
        cli, ["sync", "--config", str(tmp_path / "lineage.yaml"), "--format", "json"]
    )
    assert result.exit_code == 1
    answer = json.loads(result.stdout)
    assert [e["table"] for e in answer["errors"]] == ["d.bad"] and answer["tables"] == 2
    assert result.stderr.startswith("error: d.bad: malformed Delta log")


def test_module_entry_point_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "temporal_lineage", "init", "--store", f"sqlite:///{tmp_path}/x.db"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"revision {HEAD_REVISION}" in done.stdout
