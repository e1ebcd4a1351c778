"""Printing answers: one JSON document on stdout, or a readable table."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table


def _console() -> Console:
    # Piped output keeps whole lines: a terminal's width does not apply to a file.
    return Console(soft_wrap=False, width=None if sys.stdout.isatty() else 240)


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
    console = _console()
    if not rows:
        console.print(empty)
        return
    table = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    console.print(table)


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
