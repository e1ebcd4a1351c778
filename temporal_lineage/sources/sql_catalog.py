"""A pyiceberg SQL catalog's table pointers, read with one query on its database.

Polling asks a catalog only where each table's current metadata file is. For a SQL catalog
that is one ``SELECT`` on its ``iceberg_tables`` table (the schema pyiceberg's
``SqlCatalog`` keeps), with SQLAlchemy Core: no pyiceberg import (about 0.6 s) on a poll
that finds nothing new. Catalogs this module cannot tell apart from the properties alone
(another type, a pyiceberg configuration file or environment that may give the type) are
left to pyiceberg.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from temporal_lineage.errors import SourceUnavailable, one_line

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

_INFERRED_SQL = ("sqlite", "postgresql")
"""URI prefixes pyiceberg takes for a SQL catalog when no ``type`` is given."""
_CONFIG_FILE = ".pyiceberg.yaml"


def sql_catalog_uri(
    name: str,
    properties: Mapping[str, str],
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """The database URI when ``properties`` alone make catalog ``name`` a SQL catalog.

    None when pyiceberg has to decide: another catalog type, a ``py-catalog-impl``, no
    ``uri`` of its own, or no ``type`` while pyiceberg's environment variables or
    configuration file (``PYICEBERG_HOME``, home, current folder) might give one.

    >>> sql_catalog_uri("lake", {"type": "sql", "uri": "sqlite:///c.db"}, {})
    'sqlite:///c.db'
    >>> sql_catalog_uri("lake", {"type": "rest", "uri": "http://cat"}, {}) is None
    True
    >>> env = {"PYICEBERG_CATALOG__LAKE__TYPE": "rest"}
    >>> sql_catalog_uri("lake", {"uri": "sqlite:///c.db"}, env) is None
    True
    """
    uri = properties.get("uri")
    if not uri or properties.get("py-catalog-impl"):
        return None
    kind = properties.get("type")
    if kind:
        return uri if kind.lower() == "sql" else None
    if not uri.startswith(_INFERRED_SQL):
        return None
    env = os.environ if environ is None else environ
    if _configured_elsewhere(name, env):
        return None
    return uri


def _configured_elsewhere(name: str, env: Mapping[str, str]) -> bool:
    """Whether pyiceberg may read more about this catalog than its properties."""
    prefix = f"pyiceberg_catalog__{name.lower()}__"
    if any(key.lower().startswith(prefix) for key in env):
        return True
    folders = [env.get("PYICEBERG_HOME"), os.path.expanduser("~"), os.getcwd()]
    return any(f and os.path.isfile(os.path.join(f, _CONFIG_FILE)) for f in folders)


def query_pointers(connection: Connection, catalog_name: str) -> dict[str, str | None]:
    """``namespace.table`` -> metadata location of every table of ``catalog_name``.

    Raises:
        sqlalchemy.exc.DBAPIError: the catalog's tables are not there (or not readable).
    """
    from sqlalchemy import column, select, table

    iceberg_tables = table(
        "iceberg_tables",
        column("catalog_name"),
        column("table_namespace"),
        column("table_name"),
        column("metadata_location"),
    )
    query = select(
        iceberg_tables.c.table_namespace,
        iceberg_tables.c.table_name,
        iceberg_tables.c.metadata_location,
    ).where(iceberg_tables.c.catalog_name == catalog_name)
    return {f"{ns}.{name}": location for ns, name, location in connection.execute(query)}


class CatalogDatabase:
    """The database of one SQL catalog, read directly (one connection per read, not kept)."""

    def __init__(self, source: str, uri: str) -> None:
        self.source = source
        self.uri = uri
        self._engine: Engine | None = None

    def pointers(self, catalog_name: str) -> dict[str, str | None] | None:
        """Every table's pointer, or None when pyiceberg should be asked instead.

        None when the URI is one SQLAlchemy cannot open (pyiceberg words that error as it
        always did) or the database holds no catalog tables yet (pyiceberg creates them).

        Raises:
            SourceUnavailable: the database cannot be reached (the error pyiceberg gives).
        """
        from sqlalchemy import create_engine
        from sqlalchemy.exc import DBAPIError, SQLAlchemyError
        from sqlalchemy.pool import NullPool

        if self._engine is None:
            try:
                self._engine = create_engine(self.uri, poolclass=NullPool)
            except Exception:  # noqa: BLE001 - a bad URI or missing driver: pyiceberg says which
                return None
        try:
            connection = self._engine.connect()
        except SQLAlchemyError as exc:
            raise SourceUnavailable(
                f"source {self.source}: cannot load catalog: {one_line(exc)}"
            ) from exc
        with connection:
            try:
                return query_pointers(connection, catalog_name)
            except DBAPIError:
                return None

    def close(self) -> None:
        """Release the engine."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
