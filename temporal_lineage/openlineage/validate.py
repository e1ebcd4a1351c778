"""Typed reads of JSON values that name the offending field when the value is wrong.

``as_*`` check a value found at a path; ``read_*`` read an optional key of an object (an
absent key or ``null`` gives None); ``need`` reads a required key. All raise ``FieldError``
with a one-line reason such as ``run.runId: not a UUID: 'abc'``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from temporal_lineage.errors import InvalidEvent, InvalidTime
from temporal_lineage.times import parse_time

_SHOWN_CHARS = 60
_UUID = re.compile(
    r"[0-9a-fA-F]{8}(-?)[0-9a-fA-F]{4}\1[0-9a-fA-F]{4}\1[0-9a-fA-F]{4}\1[0-9a-fA-F]{12}"
)
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")


class FieldError(InvalidEvent):
    """One field of an event is missing or malformed; ``str()`` is ``<path>: <reason>``."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(printable(f"{path}: {reason}" if path else reason))


def printable(text: str) -> str:
    r"""Escape line breaks and other unprintable characters so ``text`` stays on one line.

    >>> printable("a\nb\u2028c")
    'a\\nb\\u2028c'
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type.

    >>> json_type([1]), json_type(True), json_type(None), json_type(1.5)
    ('array', 'boolean', 'null', 'number')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, Mapping) else type(value).__name__


def shown(value: Any) -> str:
    """A short one-line rendering of a value for a reason: strings quoted, containers by type.

    >>> shown("x" * 100)[:12], shown({"a": 1}), shown(False)
    ("'xxxxxxxxxxx", 'object', 'false')
    """
    if isinstance(value, str):
        if len(value) > _SHOWN_CHARS:
            return repr(value[: _SHOWN_CHARS - 3] + "...")
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        text = repr(value)
        return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."
    return json_type(value)


def key_path(path: str, key: str) -> str:
    """The path of ``key`` inside the object at ``path``.

    >>> key_path("", "run"), key_path("run", "runId")
    ('run', 'run.runId')
    """
    if len(key) > _SHOWN_CHARS:
        key = key[: _SHOWN_CHARS - 3] + "..."
    return f"{path}.{key}" if path else key


def item_path(path: str, index: int) -> str:
    """The path of element ``index`` of the array at ``path``.

    >>> item_path("inputs", 0)
    'inputs[0]'
    """
    return f"{path}[{index}]"


def need(obj: Mapping[str, Any], key: str, path: str) -> Any:
    """The value of a required key: absent or ``null`` is an error."""
    value = obj.get(key)
    if value is None:
        reason = "missing" if key not in obj else "not allowed: null"
        raise FieldError(key_path(path, key), reason)
    return value


def as_object(value: Any, path: str) -> Mapping[str, Any]:
    """``value`` if it is a JSON object."""
    if not isinstance(value, dict | Mapping):
        raise FieldError(path, f"not an object: {shown(value)}")
    return value


def as_array(value: Any, path: str) -> list[Any]:
    """``value`` if it is a JSON array."""
    if not isinstance(value, list):
        raise FieldError(path, f"not an array: {shown(value)}")
    return value


def as_string(value: Any, path: str, *, non_empty: bool = False) -> str:
    """``value`` if it is a string; with ``non_empty`` an empty or blank one is refused."""
    if not isinstance(value, str):
        raise FieldError(path, f"not a string: {shown(value)}")
    if non_empty and not value.strip():
        raise FieldError(path, f"empty: {shown(value)}")
    return value


def as_instant(value: Any, path: str) -> datetime:
    """An ISO-8601 date-time (offset or ``Z``; naive means UTC) as an aware UTC datetime.

    >>> as_instant("2024-08-06T13:26:54.34Z", "eventTime").isoformat()
    '2024-08-06T13:26:54.340000+00:00'
    """
    text = as_string(value, path)
    reason = f"not an ISO-8601 date-time: {shown(text)}"
    if "T" not in text.upper() and " " not in text.strip():
        raise FieldError(path, reason)
    try:
        return parse_time(text)
    except InvalidTime:
        raise FieldError(path, reason) from None


def as_uuid(value: Any, path: str) -> str:
    """A UUID in lowercase canonical form (8-4-4-4-12); braces and ``urn:uuid:`` are accepted.

    >>> as_uuid("{0192963F-F6F8-71C0-8380-500BC70883EE}", "run.runId")
    '0192963f-f6f8-71c0-8380-500bc70883ee'
    """
    text = as_string(value, path)
    core = text[9:] if text.lower().startswith("urn:uuid:") else text
    if core.startswith("{") and core.endswith("}"):
        core = core[1:-1]
    if not _UUID.fullmatch(core):
        raise FieldError(path, f"not a UUID: {shown(text)}")
    return str(uuid.UUID(core))


def as_uri(value: Any, path: str) -> str:
    """A URI: a scheme, a colon and no whitespace (``https://...``, ``urn:...``)."""
    text = as_string(value, path)
    if not _URI.fullmatch(text):
        raise FieldError(path, f"not a URI: {shown(text)}")
    return text


def as_integer(value: Any, path: str) -> int:
    """An integer sent as a JSON integer or a string of digits.

    Iceberg snapshot ids are 64-bit: a float cannot carry them exactly, so floats are refused.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,20}", value.strip()):
        return int(value)
    raise FieldError(path, f"not an integer: {shown(value)}")


def as_choice(value: Any, path: str, choices: tuple[str, ...]) -> str:
    """A string that must be one of ``choices`` (exact case)."""
    text = as_string(value, path)
    if text not in choices:
        raise FieldError(path, f"not one of {', '.join(choices)}: {shown(text)}")
    return text


def as_name(value: Any, path: str) -> str:
    """A non-empty string: a namespace, a name, a field."""
    return as_string(value, path, non_empty=True)


def read_name(obj: Mapping[str, Any], key: str, path: str) -> str:
    """A required non-empty string under ``key``."""
    value = obj.get(key)
    if isinstance(value, str) and value.strip():
        return value
    return as_name(need(obj, key, path), key_path(path, key))


def read_object(obj: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any] | None:
    """The optional JSON object under ``key``."""
    value = obj.get(key)
    if value is None or isinstance(value, dict):
        return value
    return as_object(value, key_path(path, key))


def read_array(obj: Mapping[str, Any], key: str, path: str) -> list[Any]:
    """The optional JSON array under ``key`` (absent: empty)."""
    value = obj.get(key)
    if value is None:
        return []
    return value if isinstance(value, list) else as_array(value, key_path(path, key))


def read_string(obj: Mapping[str, Any], key: str, path: str) -> str | None:
    """The optional string under ``key``."""
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    return as_string(value, key_path(path, key))


def read_bool(obj: Mapping[str, Any], key: str, path: str) -> bool | None:
    """The optional boolean under ``key``."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise FieldError(key_path(path, key), f"not a boolean: {shown(value)}")
    return value


def read_instant(obj: Mapping[str, Any], key: str, path: str) -> datetime | None:
    """The optional date-time under ``key`` (see ``as_instant``)."""
    value = obj.get(key)
    return None if value is None else as_instant(value, key_path(path, key))


def read_uuid(obj: Mapping[str, Any], key: str, path: str) -> str | None:
    """The optional UUID under ``key`` (see ``as_uuid``)."""
    value = obj.get(key)
    return None if value is None else as_uuid(value, key_path(path, key))


def read_integer(obj: Mapping[str, Any], key: str, path: str) -> int | None:
    """The optional integer under ``key`` (see ``as_integer``)."""
    value = obj.get(key)
    return None if value is None else as_integer(value, key_path(path, key))


def read_facets(obj: Mapping[str, Any], key: str, path: str) -> dict[str, Mapping[str, Any]]:
    """A facets container: an object whose values are objects (a ``null`` facet is dropped)."""
    container = read_object(obj, key, path)
    if container is None:
        return {}
    facets: dict[str, Mapping[str, Any]] = {}
    for name, facet in container.items():
        if isinstance(facet, dict):
            facets[name] = facet
        elif facet is not None:
            facets[name] = as_object(facet, key_path(key_path(path, key), name))
    return facets
