"""Typed operations settings from ``lineage.yaml``: the ``freshness:`` SLAs (DESIGN.md,
*Access and operations*)."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from temporal_lineage.errors import ConfigError
from temporal_lineage.governance_config import parse_age

_RULE_KEYS = {"table", "sla"}


@dataclass(frozen=True)
class FreshnessRule:
    """Tables whose reference matches ``table`` (a glob, e.g. ``lake.raw.*``) must have a
    commit at most ``sla`` old."""

    table: str
    sla: timedelta

    def matches(self, table: str) -> bool:
        """Whether the rule covers the table reference ``table``."""
        return fnmatch.fnmatchcase(table, self.table)


def sla_of(rules: Sequence[FreshnessRule], table: str) -> timedelta | None:
    """The SLA of ``table``: that of the first rule matching it, None when none does.

    >>> rules = (FreshnessRule("lake.raw.*", timedelta(hours=1)),
    ...          FreshnessRule("lake.*", timedelta(days=1)))
    >>> sla_of(rules, "lake.raw.events"), sla_of(rules, "deltas.x")
    (datetime.timedelta(seconds=3600), None)
    """
    return next((rule.sla for rule in rules if rule.matches(table)), None)


def parse_freshness(raw: object, path: str) -> tuple[FreshnessRule, ...]:
    """``freshness:``: a list of ``{table: GLOB, sla: DURATION}`` (``30m``, ``1h``, ``2d``).

    Raises:
        ConfigError: one line naming the entry (``freshness[i]``) and what is wrong.
    """
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: freshness must be a list of {{table, sla}} entries")
    return tuple(_rule(item, f"{path}: freshness[{i}]") for i, item in enumerate(raw))


def _rule(item: object, where: str) -> FreshnessRule:
    if not isinstance(item, Mapping):
        raise ConfigError(f"{where} must be a mapping with table and sla")
    unknown = set(item) - _RULE_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s): {', '.join(sorted(map(str, unknown)))}")
    table = item.get("table")
    if not isinstance(table, str) or not table.strip():
        raise ConfigError(f"{where}: table must be a table reference or glob, e.g. lake.raw.*")
    where = f"{where} ({table})"
    if "sla" not in item:
        raise ConfigError(f"{where}: sla is required (e.g. 30m, 1h, 2d)")
    return FreshnessRule(table.strip(), parse_age(item["sla"], f"{where}: sla"))
