"""Golden JSON: the CLI's answers over the real-world corpus never change unnoticed.

Regenerate with ``pytest tests/cli/test_golden.py --update-golden`` and review the diff.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from temporal_lineage.cli.main import cli

REALWORLD = Path(__file__).resolve().parents[2].parent / "shared" / "realworld"
GOLDEN = Path(__file__).resolve().parent / "golden"


def answer(*argv: str) -> Any:
    result = CliRunner().invoke(cli, [*argv, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    assert REALWORLD.is_dir(), f"the real-world corpus is missing: {REALWORLD}"
    root = tmp_path_factory.mktemp("corpus")
    for kind in ("iceberg", "delta"):
        shutil.copytree(REALWORLD / kind, root / kind, copy_function=shutil.copyfile)
    (root / "lineage.yaml").write_text(
        "store: sqlite:///lineage.db\nsources:\n"
        "  - {name: rwi, format: iceberg, root: iceberg}\n"
        "  - {name: rwd, format: delta, root: delta}\n",
        encoding="utf-8",
    )
    config = str(root / "lineage.yaml")
    synced = answer("sync", "--config", config)
    assert synced["errors"] == []
    return [config, *[row["table"] for row in answer("tables", "--config", config)]]


def document(corpus: list[str]) -> dict[str, Any]:
    config, *tables = corpus
    out: dict[str, Any] = {}
    for table in tables:
        snaps = answer("snapshots", table, "--config", config)
        out[table] = {
            "snapshots": [{k: v for k, v in s.items() if k not in ("summary",)} for s in snaps],
            "schema": answer("schema", table, "--config", config),
            "schema_history": answer("schema-history", table, "--config", config),
        }
    return out


def test_realworld_answers_match_golden(corpus: list[str], request: pytest.FixtureRequest) -> None:
    got = document(corpus)
    for table, value in got.items():
        path = GOLDEN / f"{table}.json"
        text = json.dumps(value, indent=2, sort_keys=True) + "\n"
        if request.config.getoption("--update-golden"):
            GOLDEN.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            continue
        assert path.is_file(), f"no golden file for {table}: run with --update-golden"
        assert json.loads(path.read_text(encoding="utf-8")) == json.loads(text), table
    if not request.config.getoption("--update-golden"):
        stale = {p.stem for p in GOLDEN.glob("*.json")} - set(got)
        assert not stale, f"golden files for tables no longer in the corpus: {stale}"
