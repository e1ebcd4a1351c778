"""The SQLite store's settings hold on every connection, not only the first one."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Connection

from temporal_lineage.store import open_store

WANTED = {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1, "busy_timeout": 30000}
"""``synchronous`` 1 is NORMAL (the README's store section says why)."""


def _settings(conn: Connection) -> dict[str, object]:
    return {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in WANTED}


def test_every_connection_gets_wal_and_synchronous_normal(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        seen: list[dict[str, object]] = []
        with store.connect() as first, store.connect() as second:  # two pooled connections
            seen += [_settings(first), _settings(second)]
        with store.begin() as conn:  # a write transaction
            seen.append(_settings(conn))

        def other_thread() -> None:
            with store.connect() as conn:
                seen.append(_settings(conn))

        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
        store.engine.dispose()  # connections opened anew after the pool is emptied
        with store.connect() as conn:
            seen.append(_settings(conn))
        assert seen == [WANTED] * 5
    finally:
        store.close()
