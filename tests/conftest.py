"""Shared fixtures: real stores on SQLite and PostgreSQL, real sample warehouses."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from temporal_lineage.store import Store, open_store
from warehouse_fixtures import build_warehouse
from warehouse_fixtures.timeline import Timeline

PG_ENV = "TEMPORAL_LINEAGE_TEST_PG_URL"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Every property test draws the same cases each run, so CI is stable; TL_FUZZ_EXPLORE=1
# draws fresh random ones (tests/fuzz/mutations.py multiplies its budgets too).
settings.register_profile("suite", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile("suite" if os.environ.get("TL_FUZZ_EXPLORE", "") in ("", "0") else "explore")


def _pg_admin_url() -> str:
    return os.environ.get(PG_ENV, PG_DEFAULT)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A database of this test run's own on the PostgreSQL server, dropped at the end.

    Outside CI a missing server skips the PostgreSQL half of the contract suites; in CI
    (``CI=true``) it fails them.
    """
    admin_url = _pg_admin_url()
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"tl_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        engine.dispose()
        reason = f"PostgreSQL not reachable at {admin_url} ({str(exc.orig).strip()[:120]})"
        if IN_CI:
            pytest.fail(f"CI=true requires PostgreSQL: {reason}")
        pytest.skip(f"{reason}; set {PG_ENV} to run the PostgreSQL half of the suite")
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
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


def _reset_pg(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store URL: a SQLite file, or a clean schema in this run's PostgreSQL db."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("pg_database")
    _reset_pg(url)
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An open, migrated store on each database."""
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """An open, migrated SQLite store (for tests about sources rather than databases)."""
    opened = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Timeline:
    """The sample warehouse, built once per run (read-only for the tests that share it)."""
    return build_warehouse(tmp_path_factory.mktemp("warehouse") / "wh")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite the golden JSON answers")
