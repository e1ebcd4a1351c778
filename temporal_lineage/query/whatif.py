"""What would break downstream if a column were dropped, renamed or changed type."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from temporal_lineage.errors import ConfigError, LineageError
from temporal_lineage.query.impact import Affected, Impact
from temporal_lineage.type_widening import is_widening

ChangeKindName = Literal["drop", "rename", "type"]


@dataclass(frozen=True)
class ProposedChange:
    """A change to try: ``drop``, ``rename`` or ``type`` (with the new type)."""

    kind: ChangeKindName
    new_type: str | None = None

    @classmethod
    def parse(cls, text: str) -> ProposedChange:
        """``drop``, ``rename`` or ``type:<new type>``.

        >>> ProposedChange.parse("type:long")
        ProposedChange(kind='type', new_type='long')
        """
        if text in ("drop", "rename"):
            return cls(text)  # type: ignore[arg-type]
        if text.startswith("type:") and text[5:].strip():
            return cls("type", text[5:].strip())
        raise ConfigError(f"--change must be drop, rename or type:<new type>, not {text!r}")


@dataclass(frozen=True)
class Verdict:
    """Whether one affected consumer breaks, and why (None: cannot tell)."""

    breaks: bool | None
    reason: str


def sql_names(sql: str | None, column: str) -> bool | None:
    """Whether a consumer's SQL names ``column`` explicitly (None without SQL or unparseable)."""
    if not sql:
        return None
    from temporal_lineage.sql_lineage import referenced_columns

    try:
        referenced = referenced_columns(sql)
    except LineageError:
        return None
    wanted = column.lower()
    return any(wanted in {c.lower() for c in columns} for columns in referenced.values())


def judge(
    answer: Impact,
    change: ProposedChange,
    old_type: str | None,
    names: Callable[[str | None, str], bool | None] = sql_names,
) -> list[tuple[Affected, Verdict]]:
    """A verdict for every affected consumer of ``answer`` under ``change``."""
    verdicts: list[tuple[Affected, Verdict]] = []
    broken_upstream: set[tuple[str, str]] = set()
    for item in answer.affected:
        key = (str(item.node), item.column)
        if item.via in broken_upstream:
            broken_upstream.add(key)
            verdicts.append((item, Verdict(True, f"its input {item.via[0]}.{item.via[1]} breaks")))
            continue
        if change.kind != "type" and item.via != (str(answer.table), answer.column):
            # A deeper consumer reads the column's heir downstream, whose name does not change.
            verdict = Verdict(False, f"reads {item.via[0]}.{item.via[1]}, which keeps its name")
        else:
            verdict = _direct(item, change, old_type, answer.column, names)
        if verdict.breaks:
            broken_upstream.add(key)
        verdicts.append((item, verdict))
    return verdicts


def _direct(
    item: Affected,
    change: ProposedChange,
    old_type: str | None,
    column: str,
    names: Callable[[str | None, str], bool | None],
) -> Verdict:
    if change.kind == "type":
        assert change.new_type is not None
        if old_type is not None and is_widening(old_type, change.new_type):
            return Verdict(
                False, f"{old_type} -> {change.new_type} is a widening the formats allow"
            )
        return Verdict(True, f"{old_type} -> {change.new_type} narrows or changes the type")
    named = names(item.run.sql, column)
    if named is True:
        return Verdict(True, f"the SQL of {item.job} names {column!r}")
    if change.kind == "drop":
        if named is False:
            return Verdict(True, f"{column!r} disappears from what {item.job} reads (via *)")
        return Verdict(True, f"{item.job} reads {column!r}, which would be gone")
    if named is False:
        return Verdict(False, f"the SQL of {item.job} does not name {column!r} (reads it via *)")
    return Verdict(None, f"no SQL recorded for {item.job}: it breaks if it reads by name")
