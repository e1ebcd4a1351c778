"""The audit document: lineage and provenance as of a time, with a summary of their evidence,
the classification of its tables, the policy check and the root table's run health."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from temporal_lineage.redaction import redact
from temporal_lineage.report.evidence import (
    NONE,
    SUMMARY_KINDS,
    display_value,
    kinds_of,
    normalize_evidence,
    only_inferred,
    strength_rank,
)
from temporal_lineage.times import format_time

REPORT_NAME = "temporal-lineage audit"
REPORT_VERSION = 1


def _iso(instant: datetime | None) -> str | None:
    if instant is not None and instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return format_time(instant)


def _plain(value: Any) -> Any:
    """A deep copy made of dicts and lists only, so the document serializes as JSON."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return _iso(value)
    return value


def _redacted(value: Any) -> Any:
    """A plain copy (see ``_plain``) whose every string has its passwords hidden."""
    if isinstance(value, Mapping):
        return {str(key): _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    return redact(value) if isinstance(value, str) else _plain(value)


def _rows(section: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    rows = section.get(key)
    if not isinstance(rows, Sequence) or isinstance(rows, str):
        return []
    return [row for row in rows if isinstance(row, Mapping)]


def _distinct(values: Iterable[Any]) -> list[Any]:
    """Distinct non-null values in first-seen order, compared by their display text."""
    seen: dict[str, Any] = {}
    for value in values:
        if value is None or value == "":
            continue
        seen.setdefault(display_value(value), value)
    return list(seen.values())


def _evidence_counts(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(SUMMARY_KINDS, 0)
    for row in rows:
        for kind in kinds_of(normalize_evidence(row.get("evidence"))):
            counts[kind] = counts.get(kind, 0) + 1
    extra = sorted((kind for kind in counts if kind not in SUMMARY_KINDS), key=strength_rank)
    return {**{kind: counts[kind] for kind in SUMMARY_KINDS}, **{k: counts[k] for k in extra}}


def summarize(lineage: Mapping[str, Any], provenance: Mapping[str, Any]) -> dict[str, Any]:
    """Counts an auditor reads first.

    ``tables``, ``links``, ``evidence``, ``runs`` and ``code_versions`` describe the
    provenance (the snapshot-level closure); ``evidence`` counts links per kind they carry
    (a link with two kinds counts under both, a link without evidence under ``none``).
    """
    nodes = _rows(provenance, "nodes")
    links = _rows(provenance, "edges")
    lineage_nodes = _rows(lineage, "nodes")
    lineage_edges = _rows(lineage, "edges")
    tables = _distinct(
        [node.get("table") for node in nodes]
        + [link.get(key) for link in links for key in ("from_table", "to_table")]
    )
    runs = _distinct([node.get("run") for node in nodes] + [link.get("run") for link in links])
    code_versions = sorted(_distinct(node.get("code_version") for node in nodes), key=display_value)
    lineage_tables = _distinct(
        [node.get("table") for node in lineage_nodes]
        + [edge.get(key) for edge in lineage_edges for key in ("from", "to")]
    )
    return {
        "tables": len(tables),
        "snapshots": len(nodes),
        "links": len(links),
        "evidence": _evidence_counts(links),
        "inferred_only_links": sum(
            only_inferred(normalize_evidence(link.get("evidence"))) for link in links
        ),
        "links_without_evidence": sum(
            kinds_of(normalize_evidence(link.get("evidence"))) == (NONE,) for link in links
        ),
        "snapshots_without_run": sum(node.get("run") in (None, "") for node in nodes),
        "runs": len(runs),
        "code_versions": code_versions,
        "lineage_tables": len(lineage_tables),
        "lineage_edges": len(lineage_edges),
        "lineage_evidence": _evidence_counts(lineage_edges),
        "inferred_only_lineage_edges": sum(
            only_inferred(normalize_evidence(edge.get("evidence"))) for edge in lineage_edges
        ),
    }


def audit_document(
    *,
    root: str,
    as_of: datetime,
    known_at: datetime | None,
    generated_at: datetime,
    store: str,
    lineage: Mapping[str, Any],
    provenance: Mapping[str, Any],
    classification: Sequence[Mapping[str, Any]] = (),
    policies: Mapping[str, Any] | None = None,
    health: Mapping[str, Any] | None = None,
    freshness: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The JSON form of the audit report (``render_html`` draws the same document).

    Times become ISO-8601 UTC with ``Z`` (a naive time is UTC); the store URL loses its
    password; ``lineage`` and ``provenance`` are copied as given; ``classification`` (one
    ``classification_json`` per stored table of the report) and ``policies`` (a
    ``policy_json`` document, None when no check was made) are copied with every password
    in their text hidden; so are ``health`` (the root's ``health_json``, None when not
    asked) and ``freshness`` (``freshness_json`` of the report's stored tables).

    >>> doc = audit_document(root="lake.a", as_of=datetime(2026, 3, 3, tzinfo=UTC),
    ...     known_at=None, generated_at=datetime(2026, 3, 4, tzinfo=UTC),
    ...     store="sqlite:///l.db", lineage={}, provenance={})
    >>> doc["as_of"], doc["summary"]["evidence"]
    ('2026-03-03T00:00:00.000Z', {'commit_property': 0, 'dataset_version': 0, 'inferred': 0})
    """
    return {
        "report": REPORT_NAME,
        "version": REPORT_VERSION,
        "root": root,
        "as_of": _iso(as_of),
        "known_at": _iso(known_at),
        "generated_at": _iso(generated_at),
        "store": redact(store),
        "lineage": _plain(lineage),
        "provenance": _plain(provenance),
        "classification": _redacted(list(classification)),
        "policies": _redacted(policies),
        "health": _redacted(health),
        "freshness": _redacted(list(freshness)),
        "summary": summarize(lineage, provenance),
    }
