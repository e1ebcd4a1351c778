"""Text the store can keep: no lone UTF-16 surrogates, no NUL characters.

JSON allows ``"\\ud800"`` (Java writers produce it) and ``"\\u0000"``; neither can be bound
to a text column (the drivers encode strictly to UTF-8, and PostgreSQL text has no NUL).
Events carrying such a string are refused (``find_unstorable``); commit metadata, a fact that
must never be lost, is kept with each bad character replaced by U+FFFD (``repaired``).

>>> find_unstorable({"job": {"name": "etl\\ud800"}})
('job.name', 'not valid Unicode: lone surrogate U+D800 at character 3')
>>> value, repairs = repaired({"operation": "WR\\x00ITE", "n": [1, "ok"]}, "commitInfo")
>>> value
{'operation': 'WR\\ufffdITE', 'n': [1, 'ok']}
>>> repairs[0].field, repairs[0].detail.split(" (")[0]
('commitInfo.operation', 'NUL character U+0000 at character 2')
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from temporal_lineage.model import TextRepair

REPLACEMENT = "\ufffd"
REF_NAME_WIDTH = 255
"""The longest branch or tag name the store keeps."""
OPERATION_WIDTH = 200
"""The longest commit operation name the store keeps (the whole one stays in the summary)."""


def _bad(char: str) -> bool:
    return char == "\x00" or "\ud800" <= char <= "\udfff"


def text_problem(text: str) -> str | None:
    """What makes ``text`` unstorable (the first bad character), or None."""
    if text.isascii():
        if "\x00" not in text:
            return None
    elif "\x00" not in text:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            pass
        else:
            return None
    for position, char in enumerate(text):
        if _bad(char):
            if char == "\x00":
                return f"NUL character U+0000 at character {position} (the store cannot keep it)"
            return f"not valid Unicode: lone surrogate U+{ord(char):04X} at character {position}"
    return None  # pragma: no cover - one of the checks above found a bad character


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string in a decoded JSON value (keys too), with its field path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str):
                yield _join(path, key) + " (key)", key
            yield from _strings(item, _join(path, str(key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, _join(path, index))


def find_unstorable(value: Any, path: str = "") -> tuple[str, str] | None:
    """The field path and reason of the first string in ``value`` the store cannot keep."""
    for where, text in _strings(value, path):
        problem = text_problem(text)
        if problem is not None:
            return where, problem
    return None


def check_text(text: str, name: str) -> str:
    """``text`` when the store can keep it.

    Raises:
        ValueError: it holds a lone surrogate or NUL; the message names ``name``.

    >>> check_text("lake.raw\\x00", "table")
    Traceback (most recent call last):
    ...
    ValueError: table: NUL character U+0000 at character 8 (the store cannot keep it)
    """
    problem = text_problem(text)
    if problem is not None:
        raise ValueError(f"{name}: {problem}")
    return text


def clean(text: str) -> str:
    """``text`` with every lone surrogate and NUL replaced by U+FFFD."""
    if text_problem(text) is None:
        return text
    return "".join(REPLACEMENT if _bad(c) else c for c in text)


def repaired(value: Any, path: str = "", *, label: str = "") -> tuple[Any, list[TextRepair]]:
    """``value`` (decoded JSON, found at ``path``) with unstorable characters replaced, and
    what was replaced; each repair's field is ``label`` + its path (``version 3: ``)."""
    repairs: list[TextRepair] = []
    kept = _repair(value, path, repairs)
    return kept, [TextRepair(label + r.field, r.detail) for r in repairs] if label else repairs


def _repair(value: Any, path: str, repairs: list[TextRepair]) -> Any:
    if isinstance(value, str):
        problem = text_problem(value)
        if problem is None:
            return value
        repairs.append(TextRepair(path, f"{problem}: replaced by U+FFFD"))
        return clean(value)
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            new_key = key
            problem = text_problem(key) if isinstance(key, str) else None
            if problem is not None:
                new_key = clean(key)
                repairs.append(TextRepair(f"{_join(path, new_key)} (key)", f"{problem}: replaced"))
            out[new_key] = _repair(item, _join(path, str(new_key)), repairs)
        return out
    if isinstance(value, list):
        return [_repair(item, _join(path, i), repairs) for i, item in enumerate(value)]
    return value


def may_hold_escapes(raw: bytes) -> bool:
    """Whether JSON text could decode to an unstorable string (only ``\\u`` escapes can)."""
    return b"\\u" in raw


def operation_name(value: Any, field: str) -> tuple[str | None, TextRepair | None]:
    """A commit's operation as the store keeps it: a string of at most ``OPERATION_WIDTH``.

    Anything else is None (the summary keeps the original); a longer name is cut, and the
    repair says so.

    >>> operation_name("append", "x")
    ('append', None)
    >>> operation_name(7, "x")
    (None, None)
    >>> name, repair = operation_name("o" * 300, "version 2: commitInfo.operation")
    >>> len(name), repair.detail
    (200, '300 characters: cut to 200')
    """
    if not isinstance(value, str):
        return None, None
    if len(value) <= OPERATION_WIDTH:
        return value, None
    return value[:OPERATION_WIDTH], TextRepair(
        field, f"{len(value)} characters: cut to {OPERATION_WIDTH}"
    )
