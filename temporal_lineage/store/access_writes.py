"""Writing Iceberg metrics reports (scan and commit reports of the REST catalog protocol) as
facts, matched to a stored table when one is known (append only; ``rematch_scan_reports``
matches the others once their table is synced)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from temporal_lineage.store import tables as t
from temporal_lineage.store.columns import check_widths


@dataclass(frozen=True)
class MetricsReport:
    """One ReportMetricsRequest, validated: a ``scan`` or a ``commit`` report of one table."""

    kind: str
    namespace: str
    """The namespace of the REST path, its levels joined with dots."""
    name: str
    """The table of the REST path."""
    table_name: str
    """The report's ``table-name`` (the client's fully qualified name)."""
    prefix: str | None
    snapshot_id: int | None
    schema_id: int | None = None
    projected_field_ids: tuple[int, ...] = ()
    projected_field_names: tuple[str, ...] = ()
    filter: str | None = None
    """The scan's filter expression as JSON text."""
    operation: str | None = None
    sequence_number: int | None = None
    principal: str | None = None
    metrics: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def identifier(self) -> str:
        """``namespace.table``, the catalog identifier."""
        return f"{self.namespace}.{self.name}"


def _sources_named(report: MetricsReport) -> list[str]:
    """The sources a report names: its REST prefix, then the catalog of its ``table-name``
    (``source.namespace.table``) when that names the same table as the REST path."""
    sources = [report.prefix] if report.prefix else []
    if report.table_name.endswith(f".{report.identifier}"):
        sources.append(report.table_name[: -len(report.identifier) - 1])
    return sources


def _matches(conn: Connection, reports: Sequence[MetricsReport]) -> list[int | None]:
    """The table each report names: in a source it names, else the one table with its
    identifier (None: no table, or several).

    One report (a request) is looked up by (source, identifier), the tables' unique index;
    a batch by its identifiers in one statement: building a whole ``DatasetMatcher`` per
    request would cost more than the insert."""
    query = select(t.tables.c.id, t.tables.c.identifier, t.sources.c.name).join(
        t.sources, t.sources.c.id == t.tables.c.source_id
    )
    identifiers = sorted({r.identifier for r in reports})
    if len(reports) == 1 and _sources_named(reports[0]):
        query = query.where(t.sources.c.name.in_(_sources_named(reports[0])))
    found: dict[str, dict[str, int]] = {}
    for start in range(0, len(identifiers), 500):
        chunk = identifiers[start : start + 500]
        for table_id, identifier, source in conn.execute(
            query.where(t.tables.c.identifier.in_(chunk))
        ):
            found.setdefault(identifier, {})[source] = int(table_id)
    if len(reports) == 1 and reports[0].identifier not in found:
        found = _any_source(conn, reports[0].identifier)
    answers: list[int | None] = []
    for report in reports:
        by_source = found.get(report.identifier, {})
        named = [by_source[s] for s in _sources_named(report) if s in by_source]
        if named:
            answers.append(named[0])
        else:
            answers.append(next(iter(by_source.values())) if len(by_source) == 1 else None)
    return answers


def _any_source(conn: Connection, identifier: str) -> dict[str, dict[str, int]]:
    rows = conn.execute(
        select(t.tables.c.id, t.sources.c.name)
        .join(t.sources, t.sources.c.id == t.tables.c.source_id)
        .where(t.tables.c.identifier == identifier)
        .limit(2)
    ).all()
    return {identifier: {name: int(table_id) for table_id, name in rows}}


def insert_reports(conn: Connection, reports: Sequence[MetricsReport], now: datetime) -> int:
    """Record metrics reports as arriving at ``now``; returns how many matched a table.

    Raises:
        ValueRefused: a value is wider than its column.
    """
    if not reports:
        return 0
    rows: list[dict[str, Any]] = []
    for report, found in zip(reports, _matches(conn, reports), strict=True):
        metrics = dict(report.metrics)
        if report.sequence_number is not None:
            metrics = {**metrics, "sequence-number": report.sequence_number}
        rows.append(
            {
                "report_kind": report.kind,
                "namespace": report.namespace,
                "name": report.name,
                "table_id": found,
                "snapshot_id": report.snapshot_id,
                "schema_id": report.schema_id,
                "projected_field_ids": list(report.projected_field_ids),
                "projected_field_names": list(report.projected_field_names),
                "filter": report.filter,
                "operation": report.operation,
                "principal": report.principal,
                "metrics": metrics,
                "report_metadata": dict(report.metadata),
                "reported_at": now,
                "matched_at": now if found is not None else None,
                "recorded_at": now,
            }
        )
    check_widths(t.scan_reports, rows)
    conn.execute(insert(t.scan_reports), rows)
    return sum(1 for row in rows if row["table_id"] is not None)
