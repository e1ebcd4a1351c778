"""Fuzz: mutated lineage.yaml files. Loading gives settings or one ``ConfigError`` line,
never anything else; the command line answers them with exit code 0 or 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from temporal_lineage.cli.main import cli
from temporal_lineage.config import load_settings
from temporal_lineage.errors import ConfigError
from tests.test_config import DOCUMENTED as CONTRACT_EXAMPLE

from .mutations import Mutation, byte_mutations, fuzz_settings, json_mutations, one_line

DOCUMENTED = (
    CONTRACT_EXAMPLE
    + "    run_id_keys: [lineage.run-id, job.runId]\n"
    + "service: {host: 127.0.0.1, port: 8750, open_reads: false, max_body_mb: 16,"
    + " scheduler: true}\n"
)
"""DESIGN.md's example with every other key a source and the service take."""
FUZZ = fuzz_settings(150)


def _mutated(data: st.DataObject) -> Mutation:
    if data.draw(st.booleans(), label="structured"):
        mutation: Mutation = data.draw(json_mutations(yaml.safe_load(DOCUMENTED)))
        text = yaml.safe_dump(mutation.value, allow_unicode=False, width=10_000)
        return Mutation(text.encode("utf-8", "surrogatepass"), mutation.what)
    return data.draw(byte_mutations(DOCUMENTED.encode()))


@given(data=st.data())
@FUZZ
def test_a_mutated_config_loads_or_is_one_config_error(data: st.DataObject, tmp_path: Path) -> None:
    mutation = _mutated(data)
    path = tmp_path / "lineage.yaml"
    path.write_bytes(mutation.value)
    try:
        load_settings(path, environ={})
    except ConfigError as exc:
        assert one_line(str(exc)) and str(path) in str(exc), (mutation.what, str(exc))


@given(data=st.data())
@fuzz_settings(30)
def test_the_command_line_answers_a_mutated_config_in_one_line(
    data: st.DataObject, tmp_path: Path
) -> None:
    mutation = _mutated(data)
    path = tmp_path / "lineage.yaml"
    path.write_bytes(mutation.value)
    store = f"sqlite:///{tmp_path / 'store.db'}"
    result = CliRunner().invoke(cli, ["tables", "--config", str(path), "--store", store])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        mutation.what,
        result.output,
    )
    assert result.exit_code in (0, 2), (mutation.what, result.output)
    if result.exit_code:
        assert one_line(result.stderr.rstrip("\n")), (mutation.what, result.stderr)
