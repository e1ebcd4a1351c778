"""Printing answers: one JSON document on stdout, or a readable table."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

PIPED_WIDTH = 240
"""Piped output keeps whole lines: a terminal's width does not apply to a file."""
_RICH_MARKUP = re.compile(r"\[|:[\w+-]+:")
"""Text rich would read as markup or an emoji code."""


def _console() -> Console:
    from rich.console import Console

    return Console(soft_wrap=False, width=None if sys.stdout.isatty() else PIPED_WIDTH)


def print_json(document: Any) -> None:
    """One JSON document on stdout."""
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def print_rows(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    title: str | None = None,
    empty: str = "(none)",
) -> None:
    """A table of ``rows`` showing ``columns``."""
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    if rows and title is None and not sys.stdout.isatty():
        plain = plain_table(cells, columns)
        if plain is not None:
            sys.stdout.write(plain)
            return
    from rich.table import Table

    console = _console()
    if not rows:
        console.print(empty)
        return
    table = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for line in cells:
        table.add_row(*line)
    console.print(table)


def plain_table(cells: Sequence[Sequence[str]], columns: Sequence[str]) -> str | None:
    """The table rich prints to a pipe, drawn directly (rich's layout costs ~0.3 ms a row);
    None when rich would do more than draw it: markup, wide or control characters, or a
    table wider than the pipe's width (then rich folds it)."""
    texts = [list(columns), *cells]
    if any(
        not t.isascii() or not t.isprintable() or _RICH_MARKUP.search(t) for r in texts for t in r
    ):
        return None
    widths = [max(len(r[i]) for r in texts) for i in range(len(columns))]
    if sum(widths) + 3 * len(widths) + 1 > PIPED_WIDTH:
        return None

    def line(left: str, fill: str, middle: str, right: str) -> str:
        return left + middle.join(fill * (w + 2) for w in widths) + right

    def row(values: Sequence[str], bar: str) -> str:
        return bar + bar.join(f" {v.ljust(w)} " for v, w in zip(values, widths, strict=True)) + bar

    out = [line("┏", "━", "┳", "┓"), row(columns, "┃"), line("┡", "━", "╇", "┩")]
    out.extend(row(values, "│") for values in cells)
    out.append(line("└", "─", "┴", "┘"))
    return "\n".join(out) + "\n"


def print_mapping(document: Mapping[str, Any], keys: Sequence[str]) -> None:
    """``key: value`` lines for a small answer."""
    console = _console()
    for key in keys:
        console.print(f"[bold]{key}[/bold]: {_cell(document.get(key))}")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
