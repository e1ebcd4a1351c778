"""The audit document of a table as of a time, read from the store (CLI and API)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from temporal_lineage.governance_config import Governance
from temporal_lineage.model import TableRef
from temporal_lineage.operations_config import FreshnessRule
from temporal_lineage.query import shapes
from temporal_lineage.query.freshness import freshness
from temporal_lineage.query.lineage import Direction, lineage
from temporal_lineage.query.operations_shapes import freshness_json, health_json
from temporal_lineage.query.provenance import provenance
from temporal_lineage.query.run_health import DEFAULT_WINDOW, table_health
from temporal_lineage.report.audit import audit_document
from temporal_lineage.report.governance import governance_of
from temporal_lineage.store import Store
from temporal_lineage.times import now

NO_GOVERNANCE: Final = Governance()
"""No classify rules and no policies: tags come from stored facts only."""


def audit_of(
    store: Store,
    table: TableRef,
    as_of: datetime,
    *,
    known_at: datetime | None,
    depth: int,
    governance: Governance = NO_GOVERNANCE,
    freshness_rules: Sequence[FreshnessRule] = (),
    health_window: timedelta = DEFAULT_WINDOW,
) -> dict[str, Any]:
    """Upstream lineage (to ``depth``) and provenance of ``table`` as of ``as_of``, the
    classification of every stored table in them and the policy check, under ``governance``
    (``Settings.governance``); the run health of ``table`` over the ``health_window`` before
    ``as_of`` and the freshness of every stored table of the provenance, against
    ``freshness_rules`` (``Settings.freshness``).

    Raises:
        TableNotFound: the store has never seen ``table``.
    """
    graph = lineage(
        store, table, as_of, direction=Direction.UPSTREAM, depth=depth, known_at=known_at
    )
    closure = provenance(store, table, as_of, known_at=known_at)
    parts = governance_of(store, governance, graph, closure)
    health = table_health(
        store, table, as_of=as_of, known_at=known_at, window=health_window, rules=freshness_rules
    )
    stored = [table, *sorted({n.table.ref for n in closure.nodes if n.table is not None}, key=str)]
    fresh = freshness(
        store, list(dict.fromkeys(stored)), as_of=as_of, known_at=known_at, rules=freshness_rules
    )
    return audit_document(
        root=str(table),
        as_of=as_of,
        known_at=known_at,
        generated_at=now(),
        store=store.url,
        lineage=shapes.lineage_json(graph),
        provenance=shapes.provenance_json(closure),
        classification=parts.classification,
        policies=parts.policies,
        health=health_json(health),
        freshness=freshness_json(fresh),
    )
