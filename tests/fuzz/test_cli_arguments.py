"""Fuzz: time and table arguments of the command line, over a real synced store.

Every answer is exit code 0 or a documented one with one line on stderr, never a traceback;
a lone surrogate (what Python makes of a non-UTF-8 byte in argv) or a NUL is refused.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from temporal_lineage.cli.exit_codes import EXIT_CODES, SYNC_HAD_ERRORS
from temporal_lineage.cli.main import cli
from tests.conftest import _reset_pg as reset_pg

from .mutations import UNSTORABLE, fuzz_settings, one_line

DOCUMENTED_EXITS = {0, SYNC_HAD_ERRORS, *EXIT_CODES.values()}
FUZZ = fuzz_settings(60)
_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=["Cs"]), max_size=20)
_TIMES = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(
        [
            "2026-03-03",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "2026-02-30",
            "",
            "now",
            "2026-03-03\x00",
        ]
    ),
    _TEXT,
    _TEXT.flatmap(lambda t: st.sampled_from(UNSTORABLE).map(lambda bad: t + bad)),
)
_TABLES = st.one_of(
    st.sampled_from(["dl.t", "dl.missing", "nosource.t", "dl", ".", "dl..t", "a.b.c.d"]),
    _TEXT,
    st.sampled_from(UNSTORABLE).map(lambda bad: f"dl.t{bad}"),
)
_COMMANDS = st.sampled_from(
    [
        ("snapshots", "{table}", "--as-of", "{time}"),
        ("schema", "{table}", "--as-of", "{time}"),
        ("schema-history", "{table}"),
        ("lineage", "{table}", "--as-of", "{time}", "--known-at", "{time}"),
        ("provenance", "{table}", "--as-of", "{time}"),
        ("diff", "{table}", "--from", "{time}", "--to", "{time}"),
        ("impact", "{table}", "{column}", "--as-of", "{time}"),
        ("propagation", "{table}"),
    ]
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def synced(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str]:
    """A lineage.yaml over one real Delta table, synced into a store on each database."""
    from deltalake import write_deltalake

    folder = tmp_path_factory.mktemp("cli-fuzz")
    store = f"sqlite:///{folder / 'store.db'}"
    if request.param == "postgresql":
        store = request.getfixturevalue("pg_database")
        reset_pg(store)
    for value in (1, 2):
        write_deltalake(folder / "delta" / "t", pa.table({"a": [value]}), mode="append")
    config = folder / "lineage.yaml"
    config.write_text(f"store: {store}\nsources:\n  - {{name: dl, format: delta, root: delta}}\n")
    done = CliRunner().invoke(cli, ["sync", "--config", str(config)])
    assert done.exit_code == 0, done.output
    return config, "a"


@given(data=st.data())
@FUZZ
def test_time_and_table_arguments_are_answered_or_refused_in_one_line(
    data: st.DataObject, synced: tuple[Path, str]
) -> None:
    config, column = synced
    template = data.draw(_COMMANDS)
    table = data.draw(_TABLES, label="table")
    args = [
        part.format(
            table=table,
            time=data.draw(_TIMES, label="time"),
            column=data.draw(st.one_of(st.just(column), _TEXT), label="column"),
        )
        for part in template
    ]
    result = CliRunner().invoke(cli, [*args, "--config", str(config), "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args,
        repr(result.exception),
    )
    assert result.exit_code in DOCUMENTED_EXITS, (args, result.output)
    if result.exit_code == 0:
        json.loads(result.stdout)
    else:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert lines and all(one_line(line) for line in lines), (args, result.stderr)
        assert "Traceback" not in result.stderr, (args, result.stderr)


def test_a_non_utf8_byte_in_argv_is_refused_naming_the_argument(
    synced: tuple[Path, str],
) -> None:
    """Regression: a table argument from a non-UTF-8 shell reached the driver and crashed."""
    config, _ = synced
    argv = [
        sys.executable,
        "-m",
        "temporal_lineage",
        "snapshots",
        b"dl.t\xff".decode("utf-8", "surrogateescape"),
        "--config",
        str(config),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, errors="replace", check=False)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "TABLE': table: not valid Unicode" in errors[0], done.stderr
