"""JSON in and out, fast (orjson) with the standard library's leniency as the fallback."""

from __future__ import annotations

import json
from typing import Any

import orjson


def loads(data: bytes | str) -> Any:
    """Parse JSON; falls back to ``json`` for what orjson refuses (NaN, integers over 64 bits).

    >>> loads(b'{"a": 9223372036854775807, "b": NaN}')["a"]
    9223372036854775807
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def dumps(value: Any) -> str:
    """Compact JSON text (the store's JSON columns and wire answers)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, separators=(",", ":"), default=str)
