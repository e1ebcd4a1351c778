"""The type string a schema answer shows for a field, in both formats' JSON schemas."""

from __future__ import annotations

from typing import Any


def type_name(kind: Any) -> str:
    """A primitive's own spelling (``long``, ``decimal(10,2)``), or the nested kind's name.

    >>> type_name("long"), type_name({"type": "struct", "fields": []})
    ('long', 'struct')
    """
    if isinstance(kind, str):
        return kind
    if isinstance(kind, dict) and isinstance(kind.get("type"), str):
        return str(kind["type"])
    raise ValueError(f"unknown type {kind!r}")
