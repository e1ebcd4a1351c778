"""The background scheduler on both databases: intervals, no overlap, back-off, isolation.

Intervals are short (tenths of a second) and every test waits on a condition with a
generous deadline; nothing asserts on elapsed time.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MAX_INSTANCES
from sqlalchemy import text

from scheduler import JOBS_TABLE, SchedulerHandle, backoff_delay, start_background
from temporal_lineage.config import Settings
from temporal_lineage.errors import ConfigError, SourceUnavailable
from temporal_lineage.store import Store
from temporal_lineage.sync_metrics import freshness
from tests.scheduler.support import (
    delta_commits,
    snapshot_count,
    sync_runs,
    wait_until,
    write_settings,
)

Start = Callable[..., SchedulerHandle]
MS = timedelta(milliseconds=1)


@pytest.fixture
def start(store: Store) -> Iterator[Start]:
    """Start a scheduler on the test's store; every one is shut down at the end."""
    handles: list[SchedulerHandle] = []

    def run(settings: Settings, **kwargs: Any) -> SchedulerHandle:
        handle = start_background(settings, store, **kwargs)
        handles.append(handle)
        return handle

    yield run
    for handle in handles:
        handle.shutdown()


def source(name: str, root: str | Path, interval: str = "0.2s") -> dict[str, str]:
    return {"name": name, "format": "delta", "root": str(root), "poll_interval": interval}


def events(handle: SchedulerHandle, mask: int) -> list[Any]:
    """Every event of ``mask`` from now on."""
    seen: list[Any] = []
    handle.scheduler.add_listener(seen.append, mask)
    return seen


def test_backoff_doubles_up_to_the_cap() -> None:
    second = timedelta(seconds=1)
    assert [backoff_delay(second, n, 10 * second) for n in range(6)] == [
        second,
        2 * second,
        4 * second,
        8 * second,
        10 * second,
        10 * second,
    ]
    assert backoff_delay(second, 10_000) == timedelta(hours=1)  # no overflow


def test_jobs_run_on_their_interval_and_pick_up_new_commits(
    tmp_path: Path, store_url: str, store: Store, start: Start
) -> None:
    delta_commits(tmp_path / "delta" / "t", [1])
    settings = write_settings(tmp_path, store_url, [source("dl", tmp_path / "delta")])
    handle = start(settings, worker="w")
    wait_until(lambda: handle.passes("dl") >= 3, "three passes")
    assert snapshot_count(store) == 1
    delta_commits(tmp_path / "delta" / "t", [2])

    def ended() -> list[Any]:
        return [r for r in sync_runs(store, "dl") if r.ended_at is not None]

    # The pass that stores the new commit records its end after the snapshot is in: wait
    # for its record too, not only for the snapshot.
    wait_until(
        lambda: (
            snapshot_count(store) == 2
            and handle.passes("dl") >= 4
            and sum(r.snapshots_added for r in ended()) == 2
        ),
        "the new commit to be synced",
    )
    runs = ended()
    assert len(runs) >= 4 and sum(r.snapshots_added for r in runs) == 2
    assert {(r.worker, r.failed, tuple(r.errors)) for r in runs} == {("w", False, ())}
    with store.connect() as conn:
        rows = conn.execute(text(f"SELECT id FROM {JOBS_TABLE}")).scalars().all()
    assert rows == ["w/sync:dl"]  # the job lives in the store's database, keyed by worker


class HeldCommit:
    """A table's next commit file as a named pipe: reading it waits until ``serve()``.

    The pass that reads the table is held inside the source read, outside any store
    transaction, for as long as the test wants: a slow pass without a timer.
    """

    def __init__(self, table: Path, twin: Path) -> None:
        name = "00000000000000000001.json"
        self.content = (twin / "_delta_log" / name).read_bytes()
        self.path = table / "_delta_log" / name
        os.mkfifo(self.path)
        self.served = False

    def serve(self) -> None:
        """Hand the commit to the waiting reader; later reads find a plain file."""
        if self.served:
            return
        self.served = True
        with open(self.path, "wb") as pipe:  # the reader is waiting: this does not block
            pipe.write(self.content)
        plain = self.path.with_suffix(".tmp")
        plain.write_bytes(self.content)
        os.replace(plain, self.path)


def test_a_slow_pass_never_overlaps_the_next_run_of_its_job(
    tmp_path: Path, store_url: str, store: Store, start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="temporal_lineage.scheduler")
    delta_commits(tmp_path / "delta" / "slow", [1])
    delta_commits(tmp_path / "twin", [1, 2])
    held = HeldCommit(tmp_path / "delta" / "slow", tmp_path / "twin")
    settings = write_settings(tmp_path, store_url, [source("dl", tmp_path / "delta", "0.05s")])
    handle = start(settings, worker="w")
    skipped = events(handle, EVENT_JOB_MAX_INSTANCES)
    try:
        # The first pass waits on the held commit while the job comes due again and again.
        wait_until(lambda: len(skipped) >= 3, "runs skipped while the first pass is held")
        assert handle.passes("dl") == 0
    finally:
        held.serve()
    wait_until(lambda: handle.passes("dl") >= 3, "three passes")
    runs = [r for r in sync_runs(store, "dl") if r.ended_at is not None]
    assert (runs[0].tables_checked, runs[0].snapshots_added) == (1, 2)
    for earlier, later in zip(runs, runs[1:], strict=False):
        assert later.started_at >= earlier.ended_at, "two runs of one job overlapped"
    assert {e.job_id for e in skipped} == {"sync:dl"}
    # Each skipped run is one line naming when it was due (the listener once raised on it).
    assert "sync dl: still running, the run due at 20" in caplog.text
    assert "Error notifying listener" not in caplog.text


@dataclass(frozen=True)
class Seen:
    failures: int
    delay: timedelta
    planned: datetime
    stored: datetime | None


def test_a_failing_source_backs_off_exponentially_and_recovers(
    tmp_path: Path, store_url: str, store: Store, start: Start
) -> None:
    root = tmp_path / "later"
    settings = write_settings(tmp_path, store_url, [source("bad", root, "0.1s")])
    handle = start(settings, worker="w", max_backoff=timedelta(seconds=0.8))
    seen: list[Seen] = []
    lock = threading.Lock()

    def after_run(event: Any) -> None:
        backoff = handle.backoff("bad")
        if backoff is not None:
            with lock:
                seen.append(
                    Seen(
                        backoff.failures,
                        backoff.delay,
                        backoff.next_run_at,
                        handle.next_run_time("bad"),
                    )
                )

    handle.scheduler.add_listener(after_run, EVENT_JOB_EXECUTED)
    wait_until(lambda: len(seen) >= 5, "five failed passes")
    with lock:
        first = seen[:5]
    failures = [s.failures for s in first]
    assert failures == list(range(failures[0], failures[0] + 5))
    second = timedelta(seconds=1)
    assert [s.delay for s in first] == [
        backoff_delay(second / 10, n, second * 0.8) for n in failures
    ]
    assert [s.delay for s in seen[-2:]] == [second * 0.8] * 2  # capped
    for item in first:  # the job store holds the backed-off run time
        assert item.stored is not None and abs(item.stored - item.planned) < MS
    assert all(a.planned < b.planned for a, b in zip(first, first[1:], strict=False))
    # The source comes back: the next pass succeeds and the back-off is forgotten.
    delta_commits(root / "t", [1])
    wait_until(lambda: snapshot_count(store) == 1, "the source to be synced")
    wait_until(lambda: handle.backoff("bad") is None, "the back-off to be reset")
    (state,) = freshness(store, settings)
    assert state.consecutive_failures == 0 and state.last_success_at is not None
    runs = sync_runs(store, "bad")
    assert runs[0].failed is True and "root not found" in runs[0].errors[0]["error"]


def test_a_job_raising_never_stops_the_other_jobs(
    tmp_path: Path, store_url: str, store: Store, start: Start
) -> None:
    delta_commits(tmp_path / "delta" / "t", [1])
    settings = write_settings(
        tmp_path,
        store_url,
        # bogus:// cannot even be opened: the pass raises (SourceUnavailable).
        [source("good", tmp_path / "delta"), source("boom", "bogus://x/y")],
    )
    handle = start(settings, worker="w", max_backoff=timedelta(seconds=0.4))
    errors = events(handle, EVENT_JOB_ERROR)
    wait_until(lambda: len(errors) >= 3, "three raising runs")
    passes = handle.passes("good")
    delta_commits(tmp_path / "delta" / "t", [2])
    wait_until(
        lambda: snapshot_count(store) == 2 and handle.passes("good") >= passes + 2,
        "the healthy source to go on syncing",
    )
    assert handle.scheduler.running
    assert {e.job_id for e in errors} == {"sync:boom"}
    assert all(isinstance(e.exception, SourceUnavailable) for e in errors)
    boom = [r for r in sync_runs(store, "boom") if r.ended_at is not None]
    assert boom and all(r.failed for r in boom)
    assert "bogus://x/y" in boom[0].errors[0]["error"]
    states = {f.source: f for f in freshness(store, settings)}
    assert states["good"].consecutive_failures == 0 and states["good"].lag is not None
    assert states["boom"].consecutive_failures >= 3 and states["boom"].last_success_at is None
    assert "bogus://x/y" in (states["boom"].last_error or "")


def test_each_worker_keeps_its_own_jobs(
    tmp_path: Path, store_url: str, store: Store, start: Start
) -> None:
    for name in ("a", "b"):
        delta_commits(tmp_path / name / "t", [1])
    settings = write_settings(
        tmp_path, store_url, [source("a", tmp_path / "a", "1h"), source("b", tmp_path / "b", "1h")]
    )

    def job_rows() -> list[str]:
        with store.connect() as conn:
            return sorted(conn.execute(text(f"SELECT id FROM {JOBS_TABLE}")).scalars())

    one = start(settings, worker="one", sources=["a"])
    wait_until(lambda: one.passes("a") == 1, "one's first pass")
    with pytest.raises(RuntimeError, match="already runs"):
        start_background(settings, store, worker="other")
    one.shutdown()
    two = start(settings, worker="two")
    wait_until(lambda: two.all_passes() == {"a": 1, "b": 1}, "two's first passes")
    assert sorted(j.id for j in two.scheduler.get_jobs()) == ["sync:a", "sync:b"]
    assert job_rows() == ["one/sync:a", "two/sync:a", "two/sync:b"]
    two.shutdown()
    # "one" restarts with another configuration: its job of source a is dropped.
    again = start(replace(settings, sources=settings.sources[1:]), worker="one")
    assert job_rows() == ["one/sync:b", "two/sync:a", "two/sync:b"]
    again.shutdown()
    with pytest.raises(ConfigError, match="unknown source"):
        start_background(settings, store, sources=["nope"])
    with pytest.raises(ConfigError, match="invalid worker id"):
        start_background(settings, store, worker="a/b")
