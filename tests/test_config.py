"""Config: typed settings, relative paths, environment, one-line errors naming the field."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from temporal_lineage.config import load_settings
from temporal_lineage.errors import ConfigError
from temporal_lineage.model import Format

ONE = "sources:\n  - {name: a, format: delta, root: x"


DOCUMENTED = """\
store: sqlite:///lineage.db
sources:
  - name: lake
    format: iceberg
    catalog: {type: sql, uri: "sqlite:///wh/catalog.db", warehouse: "file:///abs/wh"}
    namespaces: [raw, features]
    poll_interval: 60s
  - name: hadoop
    format: iceberg
    root: wh/iceberg
  - name: deltas
    format: delta
    root: wh/delta
    storage_options: {}
    poll_interval: 5m
"""
"""The example of DESIGN.md's public contract."""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lineage.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_documented_example_loads(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        DOCUMENTED,
    )
    settings = load_settings(path, environ={})
    assert settings.store_url == f"sqlite:///{tmp_path / 'lineage.db'}"
    lake, hadoop, deltas = settings.sources
    assert lake.format is Format.ICEBERG and lake.namespaces == ("raw", "features")
    assert hadoop.root == str(tmp_path / "wh" / "iceberg")
    assert deltas.poll_interval == timedelta(minutes=5)
    assert lake.run_id_keys == ("lineage.run-id",)


def test_environment_and_flags_take_precedence(tmp_path: Path) -> None:
    path = write(tmp_path, "store: sqlite:///a.db\n")
    env = {"TEMPORAL_LINEAGE_CONFIG": str(path), "TEMPORAL_LINEAGE_STORE": "sqlite:////x/b.db"}
    assert load_settings(environ=env).store_url == "sqlite:////x/b.db"
    flagged = load_settings(environ=env, store="postgresql://u@h/db")
    assert flagged.store_url == "postgresql+psycopg://u@h/db"


def test_no_config_file_is_fine_for_queries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.sources == () and settings.store_url.endswith("lineage.db")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stor: x\n", "unknown key(s): stor"),
        ("sources:\n  - {name: a.b, format: delta, root: x}\n", "no dots"),
        ("sources:\n  - {name: a, format: hudi, root: x}\n", "format must be 'iceberg' or 'delta'"),
        ("sources:\n  - {name: a, format: delta}\n", "exactly one of catalog, root or tables"),
        (
            "sources:\n  - {name: a, format: delta, root: x, poll_interval: soon}\n",
            "not a duration",
        ),
        (
            "sources:\n  - {name: a, format: delta, root: x, colour: red}\n",
            "unknown key(s): colour",
        ),
        (
            "sources:\n  - {name: a, format: delta, root: x}\n"
            "  - {name: a, format: delta, root: y}\n",
            "duplicate source name(s): a",
        ),
        ("sources: [\n", "cannot read config"),
    ],
)
def test_invalid_config_is_one_line_naming_the_field(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(write(tmp_path, text), environ={})
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
