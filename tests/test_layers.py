"""The layers keep their libraries: no SQLAlchemy above the store, no format branch outside
the sources (STYLE.md: imports flow one way; library objects never leak out of their module)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "temporal_lineage"
ABOVE_THE_STORE = ("query", "report", "api", "cli")


def _modules(*packages: str) -> list[Path]:
    return sorted(p for name in packages for p in (PACKAGE / name).rglob("*.py"))


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", _modules(*ABOVE_THE_STORE), ids=lambda p: p.name)
def test_no_sqlalchemy_above_the_store(path: Path) -> None:
    leaked = {name for name in _imported(path) if name.split(".")[0] == "sqlalchemy"}
    assert not leaked, f"{path.relative_to(PACKAGE)} imports {sorted(leaked)}"


FORMAT_BRANCH = ("Format.DELTA", "Format.ICEBERG")
OUTSIDE_THE_SOURCES = [
    p
    for p in sorted(PACKAGE.rglob("*.py"))
    if "sources" not in p.relative_to(PACKAGE).parts and p.name not in ("model.py", "config.py")
]


@pytest.mark.parametrize("path", OUTSIDE_THE_SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_format_branch_outside_the_sources(path: Path) -> None:
    """Formats are data (``sources/snapshot_data.py``, ``Capabilities``); config only checks
    which keys a format's source takes."""
    text = path.read_text(encoding="utf-8")
    assert not any(name in text for name in FORMAT_BRANCH), path.relative_to(PACKAGE)


@pytest.mark.parametrize("path", _modules(*ABOVE_THE_STORE), ids=lambda p: p.name)
def test_reads_above_the_store_go_through_the_reader(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert ".connect()" not in text and ".begin()" not in text, path.relative_to(PACKAGE)
