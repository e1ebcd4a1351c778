"""Typed governance settings from ``lineage.yaml``: ``classify:`` rules, ``governance:`` and
``policies:`` (DESIGN.md, *Governance as of any time*)."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from temporal_lineage.errors import ConfigError

DEFAULT_MASKING_FUNCTIONS = ("sha1", "sha2", "md5", "hash", "mask", "xxhash64", "crc32")
"""Functions whose result no longer carries the tag of their argument."""

_TAG = re.compile(r"^[A-Za-z0-9_.:\-=/]{1,200}$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w|y)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


def check_tag(tag: object, where: str) -> str:
    """A tag name: letters, digits and ``_ . : - = /``, at most 200 characters.

    Raises:
        ConfigError: naming ``where`` and the tag.
    """
    if not isinstance(tag, str) or not _TAG.match(tag):
        raise ConfigError(
            f"{where}: not a tag name: {tag!r:.60} (letters, digits and _ . : - = / only)"
        )
    return tag


@dataclass(frozen=True)
class ClassifyRule:
    """``classify:``: columns whose name matches ``column`` (a regex), of tables whose
    reference matches ``table`` (a glob), of type ``type``, carry ``tag``; a rule without
    ``column`` and ``type`` tags the table itself."""

    tag: str
    column: re.Pattern[str] | None = None
    table: str | None = None
    type: str | None = None

    @property
    def tags_columns(self) -> bool:
        return self.column is not None or self.type is not None

    def matches_table(self, table: str) -> bool:
        return self.table is None or fnmatch.fnmatchcase(table, self.table)

    def matches_column(self, name: str, type_: str) -> bool:
        """Whether a column of a matching table carries the tag (its own name, not its path)."""
        if self.column is not None and self.column.search(name) is None:
            return False
        return self.type is None or type_.lower().startswith(self.type.lower())

    def describe(self) -> str:
        """How answers name the rule, e.g. ``rule pii: column ~ (?i)^email$``."""
        parts = [f"column ~ {self.column.pattern}"] if self.column is not None else []
        if self.table is not None:
            parts.append(f"table {self.table}")
        if self.type is not None:
            parts.append(f"type {self.type}")
        return f"rule {self.tag}: {', '.join(parts)}"


class PolicyKind(StrEnum):
    """The policy kinds (DESIGN.md): where a tag may go, who owns it, how long, who reads."""

    CONFINED = "confined"
    OWNER_REQUIRED = "owner_required"
    RETENTION = "retention"
    ALLOWED_READERS = "allowed_readers"


@dataclass(frozen=True)
class Policy:
    """One named rule over tags, lineage, owners and retention."""

    name: str
    kind: PolicyKind
    tag: str
    namespaces: tuple[str, ...] = ()
    """confined: globs on table references the tag may reach."""
    unless_masked: bool = True
    """confined: a masked arrival (a stop by masking) is no violation."""
    max_age: timedelta | None = None
    """retention: no snapshot older than this may stay readable in the source."""
    jobs: tuple[str, ...] = ()
    """allowed_readers: globs on ``namespace/name`` of the jobs that may read the tag."""

    def allows_table(self, table: str) -> bool:
        return any(fnmatch.fnmatchcase(table, pattern) for pattern in self.namespaces)

    def allows_job(self, job: str) -> bool:
        return any(fnmatch.fnmatchcase(job, pattern) for pattern in self.jobs)


@dataclass(frozen=True)
class Governance:
    """Classification rules, how tags propagate, and the policies."""

    rules: tuple[ClassifyRule, ...] = ()
    masking_functions: tuple[str, ...] = DEFAULT_MASKING_FUNCTIONS
    propagate_indirect: bool = False
    policies: tuple[Policy, ...] = field(default=())
    owners: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """``governance.owners``: table glob -> owners (besides the ``ownership`` facets)."""

    def policy(self, name: str) -> Policy:
        """The policy called ``name``.

        Raises:
            ConfigError: no such policy.
        """
        for policy in self.policies:
            if policy.name == name:
                return policy
        known = ", ".join(p.name for p in self.policies) or "none configured"
        raise ConfigError(f"unknown policy {name!r} (known: {known})")

    def owners_of(self, table: str) -> tuple[str, ...]:
        """The owners configured for ``table``."""
        return tuple(
            owner
            for pattern, owners in self.owners.items()
            if fnmatch.fnmatchcase(table, pattern)
            for owner in owners
        )


def parse_governance(
    classify: object, governance: object, policies: object, where: str
) -> Governance:
    """The three governance keys of a config file (``where`` names it in errors).

    Raises:
        ConfigError: one line naming the key, the item and what is wrong.
    """
    rules = tuple(
        _rule(item, f"{where}: classify[{i}]")
        for i, item in enumerate(_list(classify, f"{where}: classify"))
    )
    settings = _mapping(governance, f"{where}: governance")
    unknown = set(settings) - {"masking_functions", "propagate_indirect", "owners"}
    if unknown:
        raise ConfigError(f"{where}: governance: unknown key(s): {', '.join(sorted(unknown))}")
    functions = settings.get("masking_functions", list(DEFAULT_MASKING_FUNCTIONS))
    if not isinstance(functions, list) or not all(isinstance(f, str) and f for f in functions):
        raise ConfigError(f"{where}: governance.masking_functions must be a list of names")
    indirect = settings.get("propagate_indirect", False)
    if not isinstance(indirect, bool):
        raise ConfigError(f"{where}: governance.propagate_indirect must be true or false")
    owners = _owners(settings.get("owners"), f"{where}: governance.owners")
    items = _list(policies, f"{where}: policies")
    parsed = tuple(_policy(item, f"{where}: policies[{i}]") for i, item in enumerate(items))
    names = [p.name for p in parsed]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"{where}: duplicate policy name(s): {', '.join(twice)}")
    return Governance(
        rules=rules,
        masking_functions=tuple(f.lower() for f in functions),
        propagate_indirect=indirect,
        policies=parsed,
        owners=owners,
    )


def _list(value: object, where: str) -> Sequence[object]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"{where} must be a list")
    return value


def _mapping(value: object, where: str) -> Mapping[str, object]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a mapping")
    return {str(k): v for k, v in value.items()}


def _known_keys(item: Mapping[str, object], allowed: set[str], where: str) -> None:
    unknown = set(item) - allowed
    if unknown:
        raise ConfigError(f"{where}: unknown key(s): {', '.join(sorted(unknown))}")


def _rule(item: object, where: str) -> ClassifyRule:
    raw = _mapping(item, where)
    _known_keys(raw, {"tag", "column", "table", "type"}, where)
    tag = check_tag(raw.get("tag"), where)
    column, table, type_ = raw.get("column"), raw.get("table"), raw.get("type")
    for key, value in (("column", column), ("table", table), ("type", type_)):
        if value is not None and (not isinstance(value, str) or not value):
            raise ConfigError(f"{where}: {key} must be a non-empty string")
    if column is None and table is None and type_ is None:
        raise ConfigError(f"{where}: give at least one of column, table or type")
    pattern = None
    if isinstance(column, str):
        try:
            pattern = re.compile(column)
        except re.error as exc:
            raise ConfigError(f"{where}: column is not a regular expression: {exc}") from None
    return ClassifyRule(
        tag=tag,
        column=pattern,
        table=table if isinstance(table, str) else None,
        type=type_ if isinstance(type_, str) else None,
    )


def _strings(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where} must be a non-empty list of strings")
    return tuple(value)


def _owners(value: object, where: str) -> dict[str, tuple[str, ...]]:
    raw = _mapping(value, where)
    return {pattern: _strings(owners, f"{where}.{pattern}") for pattern, owners in raw.items()}


def parse_age(value: object, where: str) -> timedelta:
    """A retention age: ``30d``, ``12w``, ``7y``, ``36h`` (no upper bound but 1000 years)."""
    match = _DURATION.match(str(value))
    if isinstance(value, bool) or match is None:
        raise ConfigError(f"{where}: not an age: {value!r:.60} (e.g. 30d, 12w, 7y)")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if not 0 < seconds <= 1000 * _UNITS["y"]:
        raise ConfigError(f"{where}: age {value!r:.60} must be positive")
    return timedelta(seconds=seconds)


_POLICY_KEYS = {
    PolicyKind.CONFINED: {"namespaces", "unless_masked"},
    PolicyKind.OWNER_REQUIRED: set(),
    PolicyKind.RETENTION: {"max_age"},
    PolicyKind.ALLOWED_READERS: {"jobs"},
}


def _policy(item: object, where: str) -> Policy:
    raw = _mapping(item, where)
    name = raw.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.\-]{1,200}", name):
        raise ConfigError(f"{where}: name must be letters, digits, '_', '.' or '-'")
    where = f"{where} ({name})"
    try:
        kind = PolicyKind(str(raw.get("kind")))
    except ValueError:
        kinds = ", ".join(k.value for k in PolicyKind)
        raise ConfigError(f"{where}: kind must be one of {kinds}") from None
    _known_keys(raw, {"name", "kind", "tag"} | _POLICY_KEYS[kind], where)
    tag = check_tag(raw.get("tag"), where)
    if kind is PolicyKind.CONFINED:
        masked = raw.get("unless_masked", True)
        if not isinstance(masked, bool):
            raise ConfigError(f"{where}: unless_masked must be true or false")
        namespaces = _strings(raw.get("namespaces"), f"{where}: namespaces")
        return Policy(name, kind, tag, namespaces=namespaces, unless_masked=masked)
    if kind is PolicyKind.RETENTION:
        if "max_age" not in raw:
            raise ConfigError(f"{where}: max_age is required (e.g. 30d)")
        return Policy(name, kind, tag, max_age=parse_age(raw["max_age"], f"{where}: max_age"))
    if kind is PolicyKind.ALLOWED_READERS:
        return Policy(name, kind, tag, jobs=_strings(raw.get("jobs"), f"{where}: jobs"))
    return Policy(name, kind, tag)
