"""The directly drawn table is byte for byte the one rich prints to a pipe, or is not drawn."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table

from temporal_lineage.cli.output import PIPED_WIDTH, plain_table


def _rich(cells: list[list[str]], columns: list[str]) -> str:
    out = io.StringIO()
    table = Table(title=None, show_lines=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in cells:
        table.add_row(*row)
    Console(file=out, soft_wrap=False, width=PIPED_WIDTH).print(table)
    return out.getvalue()


_TEXT = st.text(
    alphabet=st.sampled_from(list("abc XYZ 0129 -_./=,'\"()*#@é:[]")), min_size=0, max_size=40
)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=1, max_value=6).flatmap(
        lambda n: st.tuples(
            st.lists(_TEXT, min_size=n, max_size=n),
            st.lists(st.lists(_TEXT, min_size=n, max_size=n), min_size=1, max_size=8),
        )
    )
)
def test_a_drawn_table_is_what_rich_prints(shape: tuple[list[str], list[list[str]]]) -> None:
    columns, cells = shape
    drawn = plain_table(cells, columns)
    if drawn is not None:
        assert drawn == _rich(cells, columns)


def test_ordinary_answers_are_drawn_and_match() -> None:
    columns = ["table", "format", "snapshots", "location"]
    cells = [
        ["lake.raw.events", "iceberg", "12", "s3://bucket/warehouse/raw/events"],
        ["deltas.training_set", "delta", "7", "/data/deltas/training_set"],
        ["x", "delta", "", "-"],
    ]
    drawn = plain_table(cells, columns)
    assert drawn is not None
    assert drawn == _rich(cells, columns)


def test_markup_wide_characters_and_too_wide_tables_are_left_to_rich() -> None:
    assert plain_table([["[bold]x[/bold]"]], ["a"]) is None
    assert plain_table([[":smile:"]], ["a"]) is None
    assert plain_table([["データ"]], ["a"]) is None
    assert plain_table([["tab\there"]], ["a"]) is None
    assert plain_table([["x" * 120, "y" * 120]], ["a", "b"]) is None
