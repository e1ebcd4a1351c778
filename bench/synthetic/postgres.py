"""The synthetic store in PostgreSQL: ``COPY`` into a fresh database of the run's own."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .layout import encode
from .load import Generated, Log, load, migrate
from .plan import SEED, make_plan
from .rows import Rows

if TYPE_CHECKING:
    import psycopg

PG_ENV = "TEMPORAL_LINEAGE_TEST_PG_URL"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def default_pg_url() -> str:
    """The PostgreSQL server to create benchmark databases on (the tests' variable)."""
    import os

    return os.environ.get(PG_ENV, PG_DEFAULT)


def _copy(connection: psycopg.Connection[Any], rows: Rows) -> int:
    """``COPY`` one table's rows in a transaction of its own; how many there were."""
    encoded = encode(rows.table, rows.rows(), "postgresql")
    if encoded is None:
        return 0
    names = ", ".join(f'"{name}"' for name in encoded.columns)
    count = 0
    with connection.transaction(), connection.cursor() as cursor:
        with cursor.copy(f'COPY "{encoded.table}" ({names}) FROM STDIN') as copy:
            for row in encoded.rows:
                copy.write_row(row)
                count += 1
        serial = rows.table.autoincrement_column
        if count and serial is not None:
            # Rows came with their ids: the next one the product inserts follows them.
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{encoded.table}\"', '{serial.name}'), "
                f'(SELECT max("{serial.name}") FROM "{encoded.table}"))'
            )
    return count


def generate_postgres(
    url: str, scale: float, seed: int = SEED, log: Log = lambda _: None
) -> Generated:
    """Generate the store at ``scale`` into the (empty) PostgreSQL database at ``url``."""
    import psycopg
    from sqlalchemy.engine import make_url

    started = time.perf_counter()
    plan = make_plan(scale, seed)
    seconds = {"plan": time.perf_counter() - started, "migrate": migrate(url)}
    parsed = make_url(url)
    conninfo = psycopg.conninfo.make_conninfo(
        host=parsed.host or "",
        port=parsed.port or 5432,
        user=parsed.username or "",
        password=parsed.password or "",
        dbname=parsed.database or "",
    )
    with psycopg.connect(conninfo, autocommit=True) as connection:
        counts, table_seconds = load(plan, lambda rows: _copy(connection, rows), log)
        seconds |= table_seconds
        vacuum_started = time.perf_counter()
        connection.execute("VACUUM (ANALYZE)")
        seconds["vacuum_analyze"] = time.perf_counter() - vacuum_started
    seconds["total"] = time.perf_counter() - started
    return Generated(url, plan, counts, seconds, False)


@contextmanager
def pg_database(admin_url: str, purpose: str) -> Iterator[str]:
    """A database of this run's own on the server of ``admin_url``, dropped at the end."""
    import os

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"tl_bench_{purpose}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        engine.dispose()
