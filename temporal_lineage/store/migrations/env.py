"""Alembic environment: migrations run on the connection the product hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from temporal_lineage.store.tables import metadata

target_metadata = metadata
UNMANAGED = {"scheduler_jobs"}
"""Tables others create in the store's database (APScheduler's job store): never migrated."""


def _include_name(name: str | None, type_: str, _parents: object) -> bool:
    return not (type_ == "table" and name in UNMANAGED)


def run() -> None:
    """Run migrations online, on the given connection or on ``sqlalchemy.url``."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_name=_include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "set sqlalchemy.url to run alembic from its command line"
    with create_engine(url).begin() as conn:
        context.configure(
            connection=conn,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_name=_include_name,
        )
        with context.begin_transaction():
            context.run_migrations()


run()
