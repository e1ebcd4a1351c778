"""Which type changes are safe widenings (Iceberg promotion, Delta type widening)."""

from __future__ import annotations

import re

_INTEGERS = {"byte": 1, "tinyint": 1, "short": 2, "smallint": 2, "int": 3, "integer": 3}
_INTEGERS |= {"long": 4, "bigint": 4}
_DIGITS = {1: 3, 2: 5, 3: 10, 4: 20}
_DECIMAL = re.compile(r"^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$")


def _decimal(text: str) -> tuple[int, int] | None:
    match = _DECIMAL.match(text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def is_widening(old: str, new: str) -> bool:
    """True when every value of ``old`` is exactly representable as ``new``.

    >>> is_widening("int", "long"), is_widening("long", "int")
    (True, False)
    >>> is_widening("decimal(10, 2)", "decimal(12,2)"), is_widening("float", "double")
    (True, True)
    >>> is_widening("date", "timestamp_ntz"), is_widening("string", "int")
    (True, False)
    """
    old, new = old.strip().lower(), new.strip().lower()
    if old == new:
        return True
    if old in _INTEGERS and new in _INTEGERS:
        return _INTEGERS[new] >= _INTEGERS[old]
    if old in _INTEGERS and new == "double":
        return _INTEGERS[old] <= 3  # Delta widens byte/short/int to double; long loses digits
    if old == "float" and new == "double":
        return True
    if old == "date" and new in ("timestamp_ntz", "timestamp"):
        return True
    old_dec, new_dec = _decimal(old), _decimal(new)
    if new_dec is not None:
        precision, scale = new_dec
        if old_dec is not None:
            return scale >= old_dec[1] and precision - scale >= old_dec[0] - old_dec[1]
        if old in _INTEGERS:
            return precision - scale >= _DIGITS[_INTEGERS[old]]
    return False
