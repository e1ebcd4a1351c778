"""Evidence of a link as the report shows it: tolerant reading, strength order, display text."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from temporal_lineage.model import EvidenceKind

OPENLINEAGE_EVENT = "openlineage_event"
"""A lineage edge seen in an OpenLineage event (table level, no snapshot named)."""
UNKNOWN = "unknown"
"""An evidence item whose kind could not be read."""
NONE = "none"
"""A link that carries no evidence at all."""

SUMMARY_KINDS: tuple[str, ...] = (
    EvidenceKind.COMMIT_PROPERTY.value,
    EvidenceKind.DATASET_VERSION.value,
    EvidenceKind.INFERRED.value,
)
"""Kinds the summary always counts, present or not."""

STRENGTH: tuple[str, ...] = (
    EvidenceKind.COMMIT_PROPERTY.value,
    EvidenceKind.DATASET_VERSION.value,
    OPENLINEAGE_EVENT,
    EvidenceKind.INFERRED.value,
)
"""Known kinds, strongest first; any other kind ranks after these, then ``none``."""


@dataclass(frozen=True)
class EvidenceItem:
    """One piece of evidence: its kind and a human-readable detail (may be empty)."""

    kind: str
    detail: str


def display_value(value: Any) -> str:
    """Text for any JSON value: strings as they are, ``None`` as empty, the rest as JSON.

    >>> display_value({"b": 1, "a": "x"})
    '{"a": "x", "b": 1}'
    >>> display_value(None)
    ''
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def _item(value: Any) -> EvidenceItem:
    if isinstance(value, Mapping):
        kind = value.get("kind")
        rest = {k: v for k, v in value.items() if k not in ("kind", "detail")}
        detail = value.get("detail")
        if detail is None and rest:
            detail = rest
        return EvidenceItem(str(kind) if kind not in (None, "") else UNKNOWN, display_value(detail))
    if isinstance(value, str):
        return EvidenceItem(value or UNKNOWN, "")
    return EvidenceItem(UNKNOWN, display_value(value))


def normalize_evidence(value: Any) -> tuple[EvidenceItem, ...]:
    """Read evidence given as a list of ``{"kind", "detail"}``, one mapping, a string or null.

    >>> normalize_evidence("inferred")
    (EvidenceItem(kind='inferred', detail=''),)
    >>> normalize_evidence(None)
    ()
    >>> normalize_evidence([{"kind": "commit_property", "detail": "lineage.run-id"}])[0].kind
    'commit_property'
    """
    if value is None:
        return ()
    if isinstance(value, str | Mapping):
        return (_item(value),)
    if isinstance(value, Sequence):
        return tuple(_item(item) for item in value)
    return (_item(value),)


def kinds_of(items: Sequence[EvidenceItem]) -> tuple[str, ...]:
    """Distinct kinds of some evidence, strongest first; ``("none",)`` when there is none.

    >>> kinds_of(normalize_evidence(["inferred", "commit_property", "inferred"]))
    ('commit_property', 'inferred')
    """
    if not items:
        return (NONE,)
    distinct = {item.kind for item in items}
    return tuple(sorted(distinct, key=strength_rank))


def strength_rank(kind: str) -> tuple[int, str]:
    """Sort key putting the strongest kind first (unknown kinds by name, ``none`` last)."""
    if kind in STRENGTH:
        return (STRENGTH.index(kind), "")
    if kind == NONE:
        return (len(STRENGTH) + 1, "")
    return (len(STRENGTH), kind)


def only_inferred(items: Sequence[EvidenceItem]) -> bool:
    """True when every piece of evidence is ``inferred`` (and there is at least one)."""
    return bool(items) and all(item.kind == EvidenceKind.INFERRED.value for item in items)
