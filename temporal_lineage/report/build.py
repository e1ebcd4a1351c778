"""The audit document of a table as of a time, read from the store (CLI and API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from temporal_lineage.governance_config import Governance
from temporal_lineage.model import TableRef
from temporal_lineage.query import shapes
from temporal_lineage.query.lineage import Direction, lineage
from temporal_lineage.query.provenance import provenance
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
) -> dict[str, Any]:
    """Upstream lineage (to ``depth``) and provenance of ``table`` as of ``as_of``, the
    classification of every stored table in them and the policy check, under ``governance``
    (``Settings.governance``).

    Raises:
        TableNotFound: the store has never seen ``table``.
    """
    graph = lineage(
        store, table, as_of, direction=Direction.UPSTREAM, depth=depth, known_at=known_at
    )
    closure = provenance(store, table, as_of, known_at=known_at)
    parts = governance_of(store, governance, graph, closure)
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
    )
