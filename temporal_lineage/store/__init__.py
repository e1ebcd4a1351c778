"""The store: SQLAlchemy 2 tables, alembic migrations, and the repository over them.

Outside the store, reads go through a :class:`StoreReader` (``Store.reader()``) and return
model values or the store's own read values below; no SQLAlchemy object leaves this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from temporal_lineage.store.database import Store, open_store
from temporal_lineage.store.reader import StoreReader
from temporal_lineage.store.reads import StoredTable

if TYPE_CHECKING:
    from temporal_lineage.store.edge_reads import ColumnEdgeRow
    from temporal_lineage.store.run_reads import RunDataset

__all__ = ["ColumnEdgeRow", "RunDataset", "Store", "StoreReader", "StoredTable", "open_store"]

_LAZY = {
    "ColumnEdgeRow": "temporal_lineage.store.edge_reads",
    "RunDataset": "temporal_lineage.store.run_reads",
}


def __getattr__(name: str) -> Any:
    """The read values whose modules are imported on first use (see ``lazy_module``)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
