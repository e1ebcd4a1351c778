"""``temporal-lineage scheduler run`` as real processes: passes, SIGTERM, two workers sharing.

The scale-out test runs two worker processes over 200 Delta tables on one store. Both are
held at a gate (a lock on the store) until both have started (PostgreSQL: both recorded the
start of their first pass), so that both claim tables at once; with an interval of an hour
each does exactly one pass, and every table must then have been synced exactly once, by one
of them.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from temporal_lineage.config import Settings
from temporal_lineage.store import Store, leases, open_store
from temporal_lineage.store import tables as t
from temporal_lineage.sync import sync
from tests.scheduler.support import delta_commits, sync_runs, wait_until, write_settings

FLEET = 200


def worker_command(settings: Settings, worker: str, *extra: str) -> list[str]:
    script = Path(sys.executable).with_name("temporal-lineage")
    prefix = [str(script)] if script.is_file() else [sys.executable, "-m", "temporal_lineage"]
    assert settings.config_path is not None
    return [
        *prefix,
        "scheduler",
        "run",
        "--config",
        str(settings.config_path),
        "--worker-id",
        worker,
        "--format",
        "json",
        *extra,
    ]


def spawn(settings: Settings, worker: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        worker_command(settings, worker, *extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 300) -> dict[str, Any]:
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"worker did not stop: {err[-2000:]}") from None
    assert process.returncode == 0, err[-2000:]
    document: dict[str, Any] = json.loads(out)
    document["log"] = err
    return document


def one_source(tmp_path: Path, store_url: str, root: Path, interval: str) -> Settings:
    return write_settings(
        tmp_path,
        store_url,
        [{"name": "dl", "format": "delta", "root": str(root), "poll_interval": interval}],
    )


def test_a_worker_stops_after_its_passes(tmp_path: Path, store_url: str, store: Store) -> None:
    delta_commits(tmp_path / "delta" / "t", [1, 2])
    settings = one_source(tmp_path, store_url, tmp_path / "delta", "0.2s")
    done = finish(spawn(settings, "cli", "--passes", "2"))
    assert (done["worker"], done["passes"]) == ("cli", {"dl": 2})
    assert done["log"].count("sync dl by cli: ") == 2  # one line per pass
    runs = sync_runs(store, "dl")
    assert [(r.worker, r.failed) for r in runs] == [("cli", False), ("cli", False)]
    assert runs[0].snapshots_added == 2


def test_sigterm_stops_a_worker_after_its_running_pass(
    tmp_path: Path, store_url: str, store: Store
) -> None:
    delta_commits(tmp_path / "delta" / "t", [1])
    settings = one_source(tmp_path, store_url, tmp_path / "delta", "0.2s")
    process = spawn(settings, "sig")
    try:
        wait_until(lambda: len(sync_runs(store, "dl")) >= 2, "two passes")
    finally:
        process.send_signal(signal.SIGTERM)
    done = finish(process, timeout=120)
    assert done["passes"]["dl"] >= 2 and "received SIGTERM" in done["log"]
    runs = sync_runs(store, "dl")
    assert all(r.ended_at is not None for r in runs)  # no pass was cut short


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 Delta tables of two commits each (read-only for the tests)."""
    root = tmp_path_factory.mktemp("fleet") / "delta"
    for index in range(FLEET):
        delta_commits(root / f"t{index:03d}", [index, 1000 + index])
    return root


@contextmanager
def gate(store: Store, url: str) -> Iterator[None]:
    """Hold the workers' first write to the leases until the block ends."""
    if store.dialect == "postgresql":
        with store.begin() as conn:
            conn.execute(text("LOCK TABLE table_leases IN EXCLUSIVE MODE"))
            yield
        return
    raw = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
    try:
        raw.execute("BEGIN IMMEDIATE")  # the database's write lock
        yield
        raw.execute("ROLLBACK")
    finally:
        raw.close()


def holds_open(pid: int, path: str) -> bool:
    """Whether process ``pid`` has the file ``path`` open."""
    try:
        return any(
            os.path.realpath(os.path.join(f"/proc/{pid}/fd", fd)) == path
            for fd in os.listdir(f"/proc/{pid}/fd")
        )
    except OSError:
        return False


def dump(store: Store) -> dict[str, list[Any]]:
    """The history of every table, without surrogate keys and transaction times."""
    with store.connect() as conn:
        names = dict(conn.execute(select(t.tables.c.id, t.tables.c.identifier)).all())
        incarnations = {
            r.id: (names[r.table_id], r.uuid) for r in conn.execute(select(t.incarnations))
        }
        return {
            "tables": sorted(names.values()),
            "snapshots": sorted(
                (incarnations[r.incarnation_id], r.snapshot_id, r.parent_id, r.committed_at)
                for r in conn.execute(select(t.snapshots))
            ),
            "heads": sorted(
                (names[r.table_id], r.snapshot_id, r.started_at)
                for r in conn.execute(select(t.heads))
            ),
            "schemas": sorted(
                (incarnations[r.incarnation_id], r.schema_id, r.fingerprint)
                for r in conn.execute(select(t.schema_versions))
            ),
        }


@pytest.mark.slow
@pytest.mark.parametrize(
    "store_url",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)
def test_two_workers_share_the_tables_and_sync_each_exactly_once(
    fleet: Path, tmp_path: Path, store_url: str, store: Store
) -> None:
    settings = one_source(tmp_path, store_url, fleet, "1h")
    workers = ("a", "b")
    with gate(store, store_url):
        processes = [spawn(settings, name, "--passes", "1") for name in workers]

        def ready() -> bool:
            if store.dialect == "postgresql":  # both recorded the start of their pass
                return {r.worker for r in sync_runs(store, "dl")} == set(workers)
            # Both opened the database: their first write then waits for the lock.
            path = os.path.realpath(store_url.split("///", 1)[1])
            return all(holds_open(p.pid, path) for p in processes)

        try:
            wait_until(ready, "both workers at the gate")
        except AssertionError as exc:
            logs = []
            for process in processes:
                process.kill()
                logs.append(process.communicate()[1][-1500:])
            raise AssertionError(f"{exc}; worker logs: {logs}") from None
    outputs = [finish(process) for process in processes]
    assert [o["passes"] for o in outputs] == [{"dl": 1}, {"dl": 1}]

    runs = {r.worker: r for r in sync_runs(store, "dl")}
    assert sorted(runs) == list(workers)
    assert all(r.failed is False and r.errors == [] for r in runs.values())
    with store.connect() as conn:
        states = leases.lease_states(conn, "dl")
        snapshots = conn.execute(select(func.count()).select_from(t.snapshots)).scalar_one()
        distinct = conn.execute(
            select(func.count()).select_from(
                select(t.snapshots.c.incarnation_id, t.snapshots.c.snapshot_id)
                .distinct()
                .subquery()
            )
        ).scalar_one()
    # Every table was claimed once and synced by the worker that holds the record of it ...
    assert len(states) == FLEET
    assert all(s.holder is None and s.last_synced_at is not None for s in states)
    by_worker = {w: sum(s.last_holder == w for s in states) for w in workers}
    assert sum(by_worker.values()) == FLEET
    if store.dialect == "postgresql":
        # Both claimed at once (SKIP LOCKED) and both did work. On SQLite one writer at a
        # time holds the database, and its lock is not fair: a worker that got going first
        # may claim every batch before the other's first write gets through; the tables are
        # still synced exactly once, which is what the rest of this test checks.
        assert all(count > 0 for count in by_worker.values()), by_worker
    # ... and checked by nobody else: each worker's pass checked exactly its own tables.
    assert {w: runs[w].tables_checked for w in workers} == by_worker
    assert sum(r.snapshots_added for r in runs.values()) == 2 * FLEET
    assert snapshots == distinct == 2 * FLEET  # no snapshot twice

    single = open_store(f"sqlite:///{tmp_path / 'single.db'}")
    try:
        report = sync(single, settings)
        assert (report.tables, report.errors) == (FLEET, [])
        assert dump(single) == dump(store)
    finally:
        single.close()
