"""Mutations of real inputs, as hostile or just unusual producers would send them.

``json_mutations(value)`` draws a mutated copy of a decoded JSON document: a key dropped, a
value of the wrong type, a lone surrogate or NUL inside a string, a huge string, a huge
integer, deep nesting. ``byte_mutations(raw)`` draws mutated bytes: truncation, garbage
bytes, a broken gzip wrapper. Each draw says what it did (``Mutation.what``) so a failing
example reads as a sentence.
"""

from __future__ import annotations

import copy
import gzip
import os
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXPLORE = os.environ.get("TL_FUZZ_EXPLORE", "") not in ("", "0")
"""``TL_FUZZ_EXPLORE=1``: random seeds and ten times the examples (hunting, not CI)."""


def fuzz_settings(max_examples: int) -> settings:
    """Bounded fuzzing in the suite; ``TL_FUZZ_EXPLORE=1`` explores ten times further.

    Reproducible (the same cases every run) by the hypothesis profile of tests/conftest.py,
    which ``TL_FUZZ_EXPLORE=1`` switches to fresh random cases."""
    return settings(
        max_examples=max_examples * (10 if EXPLORE else 1),
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


Path = tuple[str | int, ...]

UNSTORABLE = ("\ud800", "\udfff", "\udc80", "\x00")
"""Valid JSON escapes (``\\ud800``, ``\\u0000``) that no driver can bind as text."""


@dataclass(frozen=True)
class Mutation:
    """A mutated value and what was done to it."""

    value: Any
    what: str


def paths(value: Any, prefix: Path = ()) -> list[Path]:
    """Every path into a decoded JSON document (the root included)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(paths(item, (*prefix, index)))
    return found


def _get(value: Any, path: Path) -> Any:
    for part in path:
        value = value[part]
    return value


def _set(root: Any, path: Path, new: Any) -> Any:
    if not path:
        return new
    _get(root, path[:-1])[path[-1]] = new
    return root


def _drop(root: Any, path: Path) -> Any:
    parent = _get(root, path[:-1])
    del parent[path[-1]]
    return root


def _deep(levels: int) -> Any:
    nested: Any = "bottom"
    for _ in range(levels):
        nested = [nested]
    return nested


WRONG_VALUES: tuple[Any, ...] = (
    None,
    True,
    0,
    -1,
    2**70,
    1.5e308,
    "",
    "x",
    [],
    {},
    [1, "two"],
    {"a": None},
)


@st.composite
def _unstorable_string(draw: st.DrawFn, original: Any) -> Any:
    text = original if isinstance(original, str) else draw(st.text(max_size=8))
    bad = draw(st.sampled_from(UNSTORABLE))
    at = draw(st.integers(0, len(text)))
    return text[:at] + bad + text[at:]


@st.composite
def json_mutations(draw: st.DrawFn, document: Any, *, depth: int = 300) -> Mutation:
    """One mutation of ``document`` (a deep copy; the original is untouched)."""
    root = copy.deepcopy(document)
    path = draw(st.sampled_from(paths(root)))
    kind = draw(
        st.sampled_from(["drop", "wrong_type", "unstorable", "unstorable_key", "huge", "deep"])
    )
    where = ".".join(str(p) for p in path) or "<root>"
    if kind == "drop" and path:
        return Mutation(_drop(root, path), f"dropped {where}")
    if kind == "unstorable_key":
        parent_paths = [p for p in paths(root) if isinstance(_get(root, p), dict) and _get(root, p)]
        if parent_paths:
            target = draw(st.sampled_from(parent_paths))
            obj = _get(root, target)
            key = draw(st.sampled_from(sorted(obj)))
            bad_key = draw(_unstorable_string(key))
            obj[bad_key] = obj.pop(key)
            return Mutation(root, f"key {key!r} of {target} became {bad_key!r}")
    if kind == "unstorable":
        new = draw(_unstorable_string(_get(root, path)))
        return Mutation(_set(root, path, new), f"{where} = {new!r}")
    if kind == "huge":
        new = draw(st.sampled_from(["h" * 200_000, 10**40, -(10**40)]))
        return Mutation(_set(root, path, new), f"{where} = huge {type(new).__name__}")
    if kind == "deep":
        return Mutation(_set(root, path, _deep(depth)), f"{where} nested {depth} deep")
    new = draw(st.sampled_from(WRONG_VALUES))
    return Mutation(_set(root, path, new), f"{where} = {new!r:.40}")


def _truncate(raw: bytes, at: int) -> bytes:
    return raw[: at % (len(raw) + 1)]


@st.composite
def byte_mutations(draw: st.DrawFn, raw: bytes) -> Mutation:
    """One mutation of ``raw`` bytes."""
    kind = draw(st.sampled_from(["truncate", "garbage", "flip", "gzip_broken", "empty", "deep"]))
    at = draw(st.integers(0, max(len(raw), 1)))
    if kind == "truncate":
        return Mutation(_truncate(raw, at), f"truncated at byte {at % (len(raw) + 1)}")
    if kind == "garbage":
        junk = draw(st.binary(min_size=1, max_size=64))
        return Mutation(raw[:at] + junk + raw[at:], f"{len(junk)} garbage bytes at {at}")
    if kind == "flip":
        data = bytearray(raw or b"\x00")
        position = at % len(data)
        data[position] ^= draw(st.integers(1, 255))
        return Mutation(bytes(data), f"byte {position} flipped")
    if kind == "gzip_broken":
        packed = gzip.compress(raw)
        cut = 10 + at % max(len(packed) - 10, 1)
        return Mutation(packed[:cut], f"gzip cut at byte {cut}")
    if kind == "deep":  # deeper than any recursive parser's stack
        levels = draw(st.sampled_from([1_000, 100_000]))
        nested = b"[" * levels + b"]" * levels
        return Mutation(raw[:at] + nested + raw[at:], f"{levels} nested arrays at byte {at}")
    return Mutation(b"", "empty")


def one_line(text: str) -> bool:
    """No line break: what users see of an error is one line."""
    return "\n" not in text and "\r" not in text


def string_paths(value: Any, skip: tuple[str, ...] = ()) -> list[Path]:
    """The paths of every string value in a decoded JSON document (but under ``skip`` keys)."""
    return [
        path
        for path in paths(value)
        if isinstance(_get(value, path), str) and not any(key in path for key in skip)
    ]


@st.composite
def unstorable_strings(
    draw: st.DrawFn, document: Any, skip: tuple[str, ...] = ()
) -> tuple[Any, str]:
    """``document`` with a lone surrogate or NUL put into one of its strings; the dotted
    field path it was put at (``inputs[0].name`` style)."""
    root = copy.deepcopy(document)
    path = draw(st.sampled_from(string_paths(root, skip)))
    _set(root, path, draw(_unstorable_string(_get(root, path))))
    dotted = ""
    for part in path:
        dotted = (
            f"{dotted}[{part}]"
            if isinstance(part, int)
            else (f"{dotted}.{part}" if dotted else str(part))
        )
    return root, dotted
