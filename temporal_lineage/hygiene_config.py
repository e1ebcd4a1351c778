"""Typed cost-hygiene settings from the ``hygiene:`` key of ``lineage.yaml``: the default
window, what a small commit is, how many make a compaction candidate, and how long a
snapshot may stay readable in the source (DESIGN.md, *Access and operations*)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from temporal_lineage.errors import ConfigError
from temporal_lineage.governance_config import parse_age

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGTP]?)(i?B)?\s*$", re.IGNORECASE)
_POWERS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5}
_KEYS = {"window", "small_commit_bytes", "small_commits_min", "retain"}
MIB = 1024 * 1024


def parse_size(value: object, where: str) -> int:
    """A size in bytes: ``8MB``, ``512KiB``, ``1.5GB``, ``4096`` (units are powers of 1024,
    as engines mean them; ``B`` and ``iB`` may be left out).

    >>> parse_size("8MB", "x"), parse_size("512k", "x"), parse_size(100, "x")
    (8388608, 524288, 100)

    Raises:
        ConfigError: naming ``where`` and the value.
    """
    match = _SIZE.match(str(value)) if not isinstance(value, bool) else None
    if match is None:
        raise ConfigError(f"{where}: not a size: {value!r:.60} (e.g. 8MB, 512KB, 1GB)")
    size = float(match.group(1)) * 1024 ** _POWERS[match.group(2).lower()]
    if size < 1 or size >= 2**63:
        raise ConfigError(f"{where}: size {value!r:.60} must be at least one byte")
    return int(size)


@dataclass(frozen=True)
class HygieneConfig:
    """What ``hygiene`` counts as unused, small and retained too long."""

    window: timedelta = timedelta(days=30)
    """The default window before A in which reads, downstream runs and commits count."""
    small_commit_bytes: int = 8 * MIB
    """A table whose commits in the window added less than this (median) commits small."""
    small_commits_min: int = 10
    """Fewer data commits than this in the window is never a compaction candidate."""
    retain: timedelta = timedelta(days=7)
    """Snapshots older than this still readable in the source are retained too long."""


def parse_hygiene(raw: object, where: str) -> HygieneConfig:
    """The ``hygiene:`` mapping of a config file (``where`` names it in errors).

    Raises:
        ConfigError: one line naming the key and what is wrong with it.
    """
    if raw is None:
        return HygieneConfig()
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: hygiene must be a mapping")
    unknown = {str(k) for k in raw} - _KEYS
    if unknown:
        raise ConfigError(f"{where}: hygiene: unknown key(s): {', '.join(sorted(unknown))}")
    defaults = HygieneConfig()
    at = f"{where}: hygiene"
    minimum = raw.get("small_commits_min", defaults.small_commits_min)
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 1:
        raise ConfigError(f"{at}.small_commits_min must be a whole number >= 1, not {minimum!r}")
    return HygieneConfig(
        window=parse_age(raw["window"], f"{at}.window") if "window" in raw else defaults.window,
        small_commit_bytes=(
            parse_size(raw["small_commit_bytes"], f"{at}.small_commit_bytes")
            if "small_commit_bytes" in raw
            else defaults.small_commit_bytes
        ),
        small_commits_min=minimum,
        retain=parse_age(raw["retain"], f"{at}.retain") if "retain" in raw else defaults.retain,
    )
