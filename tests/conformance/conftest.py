"""Fixtures of the real-world conformance suite.

* The corpus is ``<repo>/../shared/realworld``; a missing corpus FAILS every test.
* The corpus is never touched: it is copied (writable) into a temporary folder first.
* One session-wide ``sync`` runs over the copy; read-only CLI queries are memoised.
* Every table folder discovered in the corpus becomes a parameter of the tests that ask
  for ``iceberg_table`` / ``delta_table`` / ``iceberg_non_table``.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .oracle import (
    CORPUS_ROOT,
    TableExpectation,
    delta_root,
    delta_table_names,
    expectation,
    iceberg_non_table_names,
    iceberg_root,
    iceberg_table_names,
)

Json = Any
CORPUS_MISSING = "corpus-missing"
CLI_TIMEOUT_S = 300
REPO_ROOT = Path(__file__).resolve().parents[2]

CONFIG_TEMPLATE = """\
store: sqlite:///lineage.db
sources:
{sources}"""
ICEBERG_SOURCE_YAML = """\
  - name: rw_iceberg
    format: iceberg
    root: iceberg
"""
DELTA_SOURCE_YAML = """\
  - name: rw_delta
    format: delta
    root: delta
"""


def _or_missing(names: list[str]) -> list[str]:
    # A missing corpus must fail, not silently collect zero tests: keep one parameter
    # whose fixtures fail loudly.
    return names if CORPUS_ROOT.is_dir() else [CORPUS_MISSING]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "iceberg_table" in metafunc.fixturenames:
        metafunc.parametrize("iceberg_table", _or_missing(iceberg_table_names(CORPUS_ROOT)))
    if "delta_table" in metafunc.fixturenames:
        metafunc.parametrize("delta_table", _or_missing(delta_table_names(CORPUS_ROOT)))
    if "iceberg_non_table" in metafunc.fixturenames:
        metafunc.parametrize("iceberg_non_table", _or_missing(iceberg_non_table_names(CORPUS_ROOT)))


# --------------------------------------------------------------------------- files


def copy_tree_writable(src: Path, dst: Path) -> None:
    """copytree, then make every copied file and folder writable (the corpus is read-only)."""
    shutil.copytree(src, dst, copy_function=shutil.copyfile)
    for p in [dst, *dst.rglob("*")]:
        if p.is_symlink():
            continue
        extra = stat.S_IRUSR | stat.S_IWUSR | (stat.S_IXUSR if p.is_dir() else 0)
        p.chmod(p.stat().st_mode | extra)


def write_config(folder: Path, iceberg: bool = True, delta: bool = True) -> Path:
    sources = (ICEBERG_SOURCE_YAML if iceberg else "") + (DELTA_SOURCE_YAML if delta else "")
    config = folder / "lineage.yaml"
    config.write_text(CONFIG_TEMPLATE.format(sources=sources))
    return config


# --------------------------------------------------------------------------- CLI


def _clip(text: str, limit: int = 6000) -> str:
    return text if len(text) <= limit else text[: limit // 2] + "\n...\n" + text[-limit // 2 :]


def run_cli(config: Path, *args: str) -> Json:
    """Run ``temporal-lineage ARGS --config C --format json``; return the parsed JSON.

    The command line runs in-process through click (the same argv contract, a fraction of
    the time of ~400 interpreter starts); ``CONFORMANCE_SUBPROCESS=1`` runs each call as
    ``python -m temporal_lineage`` instead. Fails the test with the command, exit code,
    stdout and stderr on any problem.
    """
    argv = [*args, "--config", str(config), "--format", "json"]
    shown = "temporal-lineage " + " ".join(argv)
    if os.environ.get("CONFORMANCE_SUBPROCESS") == "1":
        code, stdout, stderr = _run_subprocess(config, argv, shown)
    else:
        from click.testing import CliRunner

        from temporal_lineage.cli.main import cli

        result = CliRunner().invoke(cli, argv)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        code, stdout, stderr = result.exit_code, result.stdout, result.stderr
    if code != 0:
        pytest.fail(
            f"CLI exited with {code}: {shown}\n--- stdout ---\n{_clip(stdout)}"
            f"\n--- stderr ---\n{_clip(stderr)}",
            pytrace=False,
        )
    try:
        return json.loads(stdout)
    except json.JSONDecodeError as exc:
        pytest.fail(
            f"CLI printed no single JSON document ({exc}): {shown}\n--- stdout ---\n"
            f"{_clip(stdout)}\n--- stderr ---\n{_clip(stderr)}",
            pytrace=False,
        )


def _run_subprocess(config: Path, argv: list[str], shown: str) -> tuple[int, str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "temporal_lineage", *argv],
            cwd=config.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"CLI timed out after {CLI_TIMEOUT_S}s: {shown}\nstderr:\n{exc.stderr!r}")
    return proc.returncode, proc.stdout, proc.stderr


@dataclass
class Workspace:
    """A writable copy of (part of) the corpus, its config and its store."""

    root: Path
    config: Path
    first_sync: Json = None
    _cache: dict[tuple[str, ...], Json] = field(default_factory=dict)
    _oracle: dict[tuple[str, str], TableExpectation] = field(default_factory=dict)

    def cli(self, *args: str) -> Json:
        return run_cli(self.config, *args)

    def query(self, *args: str) -> Json:
        """A memoised read-only query (never use for ``sync``)."""
        if args not in self._cache:
            self._cache[args] = run_cli(self.config, *args)
        return self._cache[args]

    def sync(self) -> Json:
        self._cache.clear()
        result = run_cli(self.config, "sync")
        if not isinstance(result, dict):
            pytest.fail(f"sync printed {result!r}, expected a JSON object", pytrace=False)
        return result

    def table_dir(self, table_format: str, name: str) -> Path:
        return (iceberg_root if table_format == "iceberg" else delta_root)(self.root) / name

    def expect(self, table_format: str, name: str) -> TableExpectation:
        """The oracle's view of a table, computed from this workspace's (copied) files."""
        key = (table_format, name)
        if key not in self._oracle:
            self._oracle[key] = expectation(self.table_dir(table_format, name), table_format)
        return self._oracle[key]

    def forget_oracle(self) -> None:
        self._oracle.clear()


def make_workspace(
    corpus: Path, folder: Path, iceberg: Iterable[str] | None, delta: Iterable[str] | None
) -> Workspace:
    """Copy the named tables (None = the whole format folder) and write the config."""
    folder.mkdir(parents=True, exist_ok=True)
    used: dict[str, bool] = {}
    for fmt, names in (("iceberg", iceberg), ("delta", delta)):
        src_root = corpus / fmt
        if names is None:
            copy_tree_writable(src_root, folder / fmt)
            used[fmt] = True
            continue
        chosen = list(names)
        used[fmt] = bool(chosen)
        for name in chosen:
            copy_tree_writable(src_root / name, folder / fmt / name)
    return Workspace(folder, write_config(folder, used["iceberg"], used["delta"]))


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def corpus_root() -> Path:
    if not CORPUS_ROOT.is_dir():
        pytest.fail(
            f"real-world corpus not found at {CORPUS_ROOT} (expected <repo>/../shared/realworld)",
            pytrace=False,
        )
    for sub in ("iceberg", "delta"):
        if not (CORPUS_ROOT / sub).is_dir():
            pytest.fail(f"corpus folder {CORPUS_ROOT / sub} is missing", pytrace=False)
    return CORPUS_ROOT


@pytest.fixture(scope="session")
def corpus_copy(corpus_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A writable copy of the whole corpus plus its config, not yet synced."""
    return make_workspace(corpus_root, tmp_path_factory.mktemp("conformance"), None, None)


@pytest.fixture(scope="session")
def workspace(corpus_copy: Workspace) -> Workspace:
    """The corpus copy after one ``sync`` (its JSON result is ``first_sync``)."""
    if corpus_copy.first_sync is None:
        corpus_copy.first_sync = corpus_copy.sync()
    return corpus_copy


@pytest.fixture
def new_workspace(
    corpus_root: Path, tmp_path: Path
) -> Callable[[Iterable[str] | None, Iterable[str] | None], Workspace]:
    """Factory of private workspaces holding only some tables: ``new_workspace(ice, delta)``."""
    counter = iter(range(1_000))

    def factory(iceberg: Iterable[str] | None, delta: Iterable[str] | None) -> Workspace:
        return make_workspace(corpus_root, tmp_path / f"ws{next(counter)}", iceberg, delta)

    return factory
