"""Golden cases: each ``golden/<case>.sql`` with its answer in ``golden/<case>.json``.

The JSON holds the inputs (``dialect``, ``schemas`` as of the run, ``output_table``) and
the expected answers (``edges``, ``referenced``, ``error``). Regenerate the answers with
``pytest tests/sql_lineage --update-golden`` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from temporal_lineage.errors import SqlLineageError
from temporal_lineage.sql_lineage import column_lineage, referenced_columns

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.sql"))
SAME_SQL = [
    ("rename_before", "rename_after"),
    ("star_expansion", "star_expansion_other_run"),
]
"""Pairs of cases that run the same SQL against the schemas of two different runs."""


def load(case: str) -> tuple[str, dict[str, Any]]:
    sql = (GOLDEN / f"{case}.sql").read_text(encoding="utf-8")
    path = GOLDEN / f"{case}.json"
    assert path.is_file(), f"no golden answer for {case}: write its inputs, run --update-golden"
    return sql, json.loads(path.read_text(encoding="utf-8"))


def answer(sql: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """The inputs plus what column_lineage and referenced_columns answer for them."""
    dialect, schemas = inputs.get("dialect"), inputs.get("schemas") or {}
    out: dict[str, Any] = {
        "dialect": dialect,
        "output_table": inputs.get("output_table"),
        "schemas": schemas,
        "edges": [],
        "referenced": None,
        "error": None,
    }
    try:
        edges = column_lineage(
            sql, dialect=dialect, schemas=schemas, output_table=inputs.get("output_table")
        )
        out["edges"] = [edge.to_dict() for edge in edges]
    except SqlLineageError as exc:
        out["error"] = {"message": str(exc), "table": exc.table, "column": exc.column}
    try:
        named = referenced_columns(sql, dialect=dialect, schemas=schemas)
        out["referenced"] = {table: sorted(columns) for table, columns in named.items()}
    except SqlLineageError:
        pass  # the same error column_lineage reported
    return out


def render(case: dict[str, Any]) -> str:
    """JSON with one line per table and per edge, so diffs read like the lineage."""

    def block(rows: list[str], open_: str, close: str) -> str:
        return f"{open_}\n" + ",\n".join(f"    {r}" for r in rows) + f"\n  {close}"

    parts = []
    for key, value in case.items():
        if key in ("schemas", "referenced") and value:
            text = block([f"{json.dumps(t)}: {json.dumps(c)}" for t, c in value.items()], "{", "}")
        elif key == "edges" and value:
            text = block([json.dumps(edge) for edge in value], "[", "]")
        else:
            text = json.dumps(value, indent=2).replace("\n", "\n  ")
        parts.append(f"  {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, request: pytest.FixtureRequest) -> None:
    sql, expected = load(case)
    got = answer(sql, expected)
    if request.config.getoption("--update-golden"):
        (GOLDEN / f"{case}.json").write_text(render(got), encoding="utf-8")
        return
    assert got == expected


def test_every_answer_has_its_sql() -> None:
    stale = {p.stem for p in GOLDEN.glob("*.json")} - set(CASES)
    assert not stale, f"golden answers without a .sql: {stale}"


@pytest.mark.parametrize(("before", "after"), SAME_SQL)
def test_pairs_run_the_same_sql(before: str, after: str) -> None:
    assert load(before)[0] == load(after)[0]
    assert load(before)[1]["schemas"] != load(after)[1]["schemas"]
