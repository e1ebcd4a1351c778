"""Small HTML pieces the audit report's sections share: escaped text, cells, tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from temporal_lineage.report.evidence import display_value

MISSING = '<span class="missing">\u2014</span>'
"""What an empty cell shows."""


def esc(value: Any) -> str:
    """Escaped display text of any user value.

    >>> esc('<a href="x">')
    '&lt;a href=&quot;x&quot;&gt;'
    """
    return escape(display_value(value), quote=True)


def plural(number: Any, noun: str) -> str:
    """``1 link``, ``2 links`` (escaped; a missing count shows as ``?``).

    >>> plural(1, "link"), plural(3, "lineage edge"), plural(None, "run")
    ('1 link', '3 lineage edges', '? runs')
    """
    shown = esc(number) or "?"
    return f"{shown} {noun}{'' if number == 1 else 's'}"


def cell(value: Any, css: str = "") -> str:
    """One ``<td>`` of a value (a dash when it is empty)."""
    text = display_value(value)
    attr = f' class="{css}"' if css else ""
    return f"<td{attr}>{escape(text, quote=True) if text else MISSING}</td>"


def rows_of(section: Any, key: str) -> list[Mapping[str, Any]]:
    """The mappings listed under ``key`` of ``section`` (anything else is skipped)."""
    if not isinstance(section, Mapping):
        return []
    return mappings(section.get(key))


def mappings(value: Any) -> list[Mapping[str, Any]]:
    """The mappings of a list (nothing when ``value`` is not a list)."""
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    return [row for row in value if isinstance(row, Mapping)]


def table_html(headers: Sequence[str], body: Sequence[str], empty: str) -> str:
    """A table of ``body`` rows under ``headers``, or the ``empty`` note when there is none."""
    if not body:
        return f'<p class="missing">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
