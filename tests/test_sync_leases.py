"""Sync passes through table leases, on both databases: due tables, held tables, records."""

from __future__ import annotations

import socket
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from temporal_lineage.config import Settings
from temporal_lineage.errors import SourceUnavailable
from temporal_lineage.model import TableRef
from temporal_lineage.query import history
from temporal_lineage.store import Store, leases
from temporal_lineage.store import tables as t
from temporal_lineage.sync import sync
from temporal_lineage.times import now
from tests.scheduler.support import delta_commits, sync_runs, write_settings

TABLES = ("t0", "t1", "t2")


@pytest.fixture
def settings(tmp_path: Path, store_url: str) -> Settings:
    for index, name in enumerate(TABLES):
        delta_commits(tmp_path / "delta" / name, [index])
    return write_settings(
        tmp_path,
        store_url,
        [
            {"name": "dl", "format": "delta", "root": "delta", "poll_interval": "1h"},
            {"name": "bad", "format": "delta", "root": "missing", "poll_interval": "1h"},
            {"name": "boom", "format": "delta", "root": "bogus://x/y", "poll_interval": "1h"},
        ],
    )


def hold(store: Store, holder: str, identifiers: set[str]) -> None:
    """Let ``holder`` hold these tables of ``dl`` for an hour; every table is due now."""
    with store.begin() as conn:
        conn.execute(update(t.table_leases).values(due_at=now() - timedelta(seconds=1)))
        claimed = leases.claim(
            conn, "dl", holder, now(), next_due=now(), due_only=True, term=timedelta(hours=1)
        )
        others = [c.lease_id for c in claimed if c.identifier not in identifiers]
        leases.release(conn, holder, now(), failed=others)


def test_a_worker_syncs_only_due_tables_a_manual_pass_every_table(
    store: Store, settings: Settings
) -> None:
    first = sync(store, settings, source="dl", worker="w1")
    assert (first.tables, first.new_snapshots, first.errors) == (3, 3, [])
    again = sync(store, settings, source="dl", worker="w2")
    assert again.tables == 0  # synced moments ago: due in 45 minutes
    manual = sync(store, settings, source="dl")
    assert (manual.tables, manual.skipped) == (3, [])
    runs = sync_runs(store, "dl")
    assert [r.worker for r in runs][:2] == ["w1", "w2"]
    assert runs[2].worker.startswith(f"manual:{socket.gethostname()}:")
    assert [r.failed for r in runs] == [False, False, False]
    with store.connect() as conn:
        found = leases.lease_states(conn, "dl")
    assert [s.identifier for s in found] == list(TABLES)
    assert {(s.holder, s.last_holder) for s in found} == {(None, runs[2].worker)}


def test_a_manual_pass_skips_tables_another_worker_holds(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    sync(store, settings, source="dl")
    for index, name in enumerate(TABLES):
        delta_commits(tmp_path / "delta" / name, [10 + index])
    hold(store, "busy-worker", {"t1"})
    report = sync(store, settings, source="dl")
    assert report.tables == 2 and report.new_snapshots == 2
    (skipped,) = report.skipped
    assert (skipped.source, skipped.path) == ("dl", "dl.t1")
    assert skipped.reason.startswith("leased by worker busy-worker until ")
    assert len(history.list_snapshots(store, TableRef("dl", "t1"))) == 1  # left to its holder
    with store.begin() as conn:
        assert leases.break_leases(conn, "dl", "busy-worker") == 1
    report = sync(store, settings, source="dl")
    assert (report.tables, report.new_snapshots, report.skipped) == (3, 1, [])


def test_leases_of_a_killed_process_of_this_host_are_freed(
    store: Store, settings: Settings
) -> None:
    sync(store, settings, source="dl")
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = f"manual:{socket.gethostname()}:{int(gone.stdout)}"
    hold(store, dead, {"t0", "t1"})
    hold(store, "worker:elsewhere:1", {"t2"})  # another host's: only its lease running out frees it
    report = sync(store, settings, source="dl")
    assert report.tables == 2
    assert [s.path for s in report.skipped] == ["dl.t2"]


def test_every_pass_is_recorded_with_its_worker_and_failure(
    store: Store, settings: Settings
) -> None:
    report = sync(store, settings, source="bad", worker="w1")
    assert report.failed_sources == ["bad"]
    with pytest.raises(SourceUnavailable, match="bogus://x/y"):
        sync(store, settings, source="boom", worker="w1")
    sync(store, settings, source="dl", worker="w1")
    bad, boom, good = (sync_runs(store, name)[0] for name in ("bad", "boom", "dl"))
    assert (bad.failed, bad.worker, bad.ended_at is not None) == (True, "w1", True)
    assert bad.errors == [{"table": "bad", "error": report.errors[0].error}]
    assert (boom.failed, boom.ended_at is not None) == (True, True)
    assert boom.errors[0]["table"] == "boom" and "bogus://x/y" in boom.errors[0]["error"]
    assert (good.failed, good.tables_checked, good.snapshots_added) == (False, 3, 3)
    dl, bad_config, boom_config = settings.sources
    everything = sync(store, replace(settings, sources=(dl, bad_config)))
    assert everything.failed_sources == ["bad"]
    assert sync_runs(store)[-1].source is None and sync_runs(store)[-1].failed is True
    with pytest.raises(SourceUnavailable):
        sync(store, replace(settings, sources=(boom_config, dl)))
    stopped = sync_runs(store)[-1]
    assert stopped.source is None and stopped.failed is True
    assert [e["table"] for e in stopped.errors] == ["boom", "dl"]
    assert stopped.errors[1]["error"] == "not synced: the pass stopped at source boom"


def test_a_failing_table_is_released_and_tried_again(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    log = tmp_path / "delta" / "t1" / "_delta_log" / "00000000000000000000.json"
    log.write_text('{"commitInfo": {"timestamp": 1}}\n{"metaData": nope\n')
    first = sync(store, settings, source="dl", worker="w1")
    assert [e.table for e in first.errors] == ["dl.t1"] and first.tables == 3
    with store.connect() as conn:
        found = {s.identifier: s for s in leases.lease_states(conn, "dl")}
    assert found["t1"].holder is None and found["t1"].last_synced_at is None
    assert found["t0"].last_holder == "w1" and found["t0"].last_synced_at is not None
    again = sync(store, settings, source="dl")
    assert [e.table for e in again.errors] == ["dl.t1"]
