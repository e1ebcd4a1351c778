"""The store: SQLAlchemy 2 tables, alembic migrations, and the repository over them."""

from __future__ import annotations

from temporal_lineage.store.database import Store, open_store

__all__ = ["Store", "open_store"]
