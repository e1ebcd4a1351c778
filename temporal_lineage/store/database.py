"""Opening a store: engine set-up per dialect and automatic alembic migration."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DataError, SQLAlchemyError

from temporal_lineage import jsontext
from temporal_lineage.errors import StoreError, ValueRefused, one_line
from temporal_lineage.redaction import redact
from temporal_lineage.store import bulk, tokens
from temporal_lineage.store.reader import StoreReader

if TYPE_CHECKING:
    from temporal_lineage.store import access_writes, governance_writes
    from temporal_lineage.store.access_writes import MetricsReport
    from temporal_lineage.store.governance_writes import ManualTag
    from temporal_lineage.store.reads import StoredTable
    from temporal_lineage.store.tokens import Scope
else:  # imported on first use: few commands write tags, erasure checks or metrics
    from temporal_lineage.store.lazy_module import LazyModule

    access_writes = LazyModule("temporal_lineage.store.access_writes")
    governance_writes = LazyModule("temporal_lineage.store.governance_writes")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEAD_REVISION = "0007"
"""The newest migration; checked against alembic's scripts by the tests.

Knowing it here lets every command check the store without importing alembic (a third of
the command line's start-up time).
"""


def _alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest migration among alembic's scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite commits implicitly before DDL; take transactions over (see _sqlite_begin) so a
    # migration killed half-way leaves nothing behind.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers (queries, the HTTP API) run while a sync writes; busy_timeout waits
    # for another writer instead of failing at once.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: an initial sync writes megabytes
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


_MIGRATE_LOCK = 0x7E3A_11E0_0001
"""PostgreSQL advisory lock key taken while migrating."""
_WRITE = "temporal_lineage_write"
"""Execution option marking a connection opened by ``Store.begin`` (a write transaction)."""


def _sqlite_begin(connection: Connection) -> None:
    # A write transaction takes the write lock up front (waiting up to busy_timeout): a
    # deferred one that reads first fails at once with "database is locked" when another
    # process or thread wrote in between (WAL cannot upgrade a stale read snapshot).
    write = connection.get_execution_options().get(_WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Store:
    """A connection pool to one store database, migrated to this version's schema."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def url(self) -> str:
        """The store's URL with any password hidden."""
        return redact(self.engine.url.render_as_string(hide_password=True))

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def create_token(self, scope: Scope, at: datetime, name: str | None = None) -> str:
        """A new API token of ``scope`` (the secret is returned once; its hash is kept)."""
        with self.begin() as conn:
            return tokens.create_token(conn, scope, at, name)

    def revoke_token(self, prefix: str, at: datetime) -> bool:
        """Revoke the live token with this prefix; False when there is none."""
        with self.begin() as conn:
            return tokens.revoke_token(conn, prefix, at)

    def write_tag(self, tag: ManualTag, at: datetime) -> int:
        """Record a manual tag fact (``tag add|remove``); returns its id."""
        with self.begin() as conn:
            return governance_writes.insert_manual_tag(conn, tag, at)

    def record_erasure_check(
        self,
        table: StoredTable,
        predicate: str,
        complete: bool,
        method: str,
        report: Any,
        at: datetime,
    ) -> int:
        """Record one erasure verification as a fact; returns its id."""
        with self.begin() as conn:
            return governance_writes.insert_erasure_check(
                conn, table, predicate, complete, method, report, at
            )

    def record_metrics_reports(self, reports: Sequence[MetricsReport], at: datetime) -> int:
        """Record Iceberg scan/commit reports received at ``at``; returns how many matched."""
        with self.begin() as conn:
            return access_writes.insert_reports(conn, reports, at)

    @contextmanager
    def reader(self) -> Iterator[StoreReader]:
        """Typed reads over one connection (see ``store/reader.py``)."""
        with self.connect() as conn:
            yield StoreReader(conn)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        try:
            with self.engine.connect() as connection:
                connection.execution_options(**{_WRITE: True})
                with connection.begin():
                    yield connection
        except SQLAlchemyError as exc:
            raise self.error(exc) from exc

    @contextmanager
    def savepoint(self, connection: Connection) -> Iterator[Connection]:
        """A part of a ``begin`` transaction that is all or nothing on its own.

        Raises:
            ValueRefused, StoreError: what ``begin`` raises for the same failure; the
                transaction goes on without the part.
        """
        # Driver-level statements: SQLAlchemy's nested transaction cost a quarter of a small
        # table's whole write (bench/warehouse_sync.py).
        db = bulk.Driver(connection)
        try:
            db.run("SAVEPOINT table_write", ())
            try:
                yield connection
            except BaseException:
                db.run("ROLLBACK TO SAVEPOINT table_write", ())
                db.run("RELEASE SAVEPOINT table_write", ())
                raise
            db.run("RELEASE SAVEPOINT table_write", ())
        except SQLAlchemyError as exc:
            raise self.error(exc) from exc
        finally:
            db.close()

    def error(self, exc: SQLAlchemyError) -> StoreError:
        """The store's error for a database failure (``ValueRefused`` for a refused value)."""
        if isinstance(exc, DataError):
            return ValueRefused(f"store {self.url}: value refused: {_first_line(exc)}")
        return StoreError(f"store {self.url}: {_first_line(exc)}")

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A read connection (a transaction that is rolled back at the end)."""
        try:
            with self.engine.connect() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise StoreError(f"store {self.url}: {_first_line(exc)}") from exc

    def current_revision(self) -> str | None:
        """The migration the database is at (None for an empty database)."""
        with self.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def migrate(self) -> bool:
        """Bring the database to the newest schema; True when something was applied."""
        if self.current_revision() == HEAD_REVISION:
            return False
        from alembic import command

        with self.begin() as connection:
            if self.dialect == "postgresql":
                # Workers started together on a new database: one migrates, the others
                # wait here and then find nothing left to do.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATE_LOCK}
                )
            command.upgrade(_alembic_config(connection), "head")
        return True

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()


def _first_line(exc: BaseException) -> str:
    """The driver's own message when SQLAlchemy wraps one (its wrapper quotes the SQL)."""
    return one_line(getattr(exc, "orig", None) or exc)


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Open (and by default create or migrate) the store at ``url``.

    Raises:
        StoreError: the database cannot be reached or migrated.
    """
    try:
        if url.startswith("sqlite"):
            target = url.split("///", 1)[1] if "///" in url else ""
            if target and target != ":memory:" and not target.startswith("file:"):
                Path(target).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(
                url, json_serializer=jsontext.dumps, json_deserializer=jsontext.loads
            )
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = create_engine(
                url,
                pool_pre_ping=True,
                json_serializer=jsontext.dumps,
                json_deserializer=jsontext.loads,
            )
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreError(f"cannot open store {redact(url)}: {_first_line(exc)}") from exc
    store = Store(engine)
    if migrate:
        try:
            store.migrate()
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot migrate store {store.url}: {_first_line(exc)}") from exc
    return store
