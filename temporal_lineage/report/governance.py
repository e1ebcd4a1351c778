"""The governance part of the audit report: the classification of every stored table of the
report as of A (known at K), from one tag map, and the policy check."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from temporal_lineage.governance_config import Governance
from temporal_lineage.query.classification import Classification, classify_tables, upstream_of
from temporal_lineage.query.governance_shapes import classification_json, policy_json
from temporal_lineage.query.lineage import Lineage
from temporal_lineage.query.policy import PolicyReport, policy_check
from temporal_lineage.query.provenance import Provenance
from temporal_lineage.store import Store, StoredTable, StoreReader


@dataclass(frozen=True)
class GovernanceParts:
    """The report's ``classification`` (one per stored table node) and ``policies`` keys."""

    classification: list[dict[str, Any]]
    policies: dict[str, Any]


def governance_of(
    store: Store, governance: Governance, graph: Lineage, closure: Provenance
) -> GovernanceParts:
    """Classification of the tables of ``graph`` and ``closure``, and every policy, as of
    the time (and knowledge) ``graph`` was asked at, as JSON-ready values.

    Raises:
        TableNotFound: the store has never seen the graph's root.
    """
    classified = classify_report(store, governance, graph, closure)
    report = (
        policy_check(store, governance, graph.as_of, graph.known_at)
        if governance.policies
        else PolicyReport(graph.as_of, graph.known_at, ())  # spares a store-wide tag flow
    )
    return GovernanceParts([classification_json(c) for c in classified], policy_json(report))


def classify_report(
    store: Store, governance: Governance, graph: Lineage, closure: Provenance
) -> list[Classification]:
    """One classification per stored table of the report (the root first, then by name),
    all read from a single tag map over those tables and everything upstream of them.

    Raises:
        TableNotFound: the store has never seen the graph's root.
    """
    as_of, known_at = graph.as_of, graph.known_at
    with store.reader() as reader:
        root = reader.get_table(graph.root)
        reached = {t.table_id: t for t in upstream_of(reader, root, as_of, known_at)}
        tables = report_tables(reader, root, graph, closure, reached.values())
        return classify_tables(reader, governance, tables, as_of, known_at, reached)


def report_tables(
    reader: StoreReader,
    root: StoredTable,
    graph: Lineage,
    closure: Provenance,
    known: Iterable[StoredTable] = (),
) -> list[StoredTable]:
    """The stored tables among the nodes of the lineage and the provenance: ``root`` first,
    the others sorted by reference (datasets no table matched are left out).

    ``known``: tables already read, looked up by reference before asking the store.
    """
    by_ref = {table.ref: table for table in known}
    found = {root.table_id: root}
    for node in closure.nodes:
        if node.table is not None:
            found.setdefault(node.table.table_id, node.table)
    for lineage_node in graph.nodes:
        ref = lineage_node.node.table
        table = None if ref is None else by_ref.get(ref) or reader.find_table(ref)
        if table is not None:
            found.setdefault(table.table_id, table)
    others = sorted(
        (t for t in found.values() if t.table_id != root.table_id), key=lambda t: str(t.ref)
    )
    return [root, *others]
