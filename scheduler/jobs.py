"""The scheduled job: one sync pass of one source, and the back-off after failures.

APScheduler stores a job as a reference to a module-level function plus picklable
arguments, so ``sync_job`` takes only the source's name and finds the settings, the store
and the worker id in the process-level context the runner installs (one per process).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from temporal_lineage.config import Settings
from temporal_lineage.errors import one_line
from temporal_lineage.model import SyncReport
from temporal_lineage.store import Store
from temporal_lineage.sync import sync
from temporal_lineage.times import now

log = logging.getLogger("temporal_lineage.scheduler")

MAX_BACKOFF = timedelta(hours=1)
"""The longest wait between attempts of a failing source."""


def job_id(source: str) -> str:
    """The id of a source's job."""
    return f"sync:{source}"


def backoff_delay(interval: timedelta, failures: int, cap: timedelta = MAX_BACKOFF) -> timedelta:
    """How long to wait after ``failures`` failed passes in a row: ``interval * 2**failures``.

    >>> backoff_delay(timedelta(seconds=60), 1)
    datetime.timedelta(seconds=120)
    >>> backoff_delay(timedelta(seconds=60), 10)
    datetime.timedelta(seconds=3600)
    """
    if failures <= 0:
        return interval
    # 2**failures overflows timedelta long before any sane cap: stop doubling at the cap.
    delay = interval
    for _ in range(failures):
        delay *= 2
        if delay >= cap:
            return max(cap, interval)
    return delay


@dataclass(frozen=True)
class Backoff:
    """The back-off of a source after its latest failed pass."""

    failures: int
    """Failed passes in a row."""
    delay: timedelta
    next_run_at: datetime
    """When the job was rescheduled to run next."""


@dataclass
class JobContext:
    """What the scheduled jobs of this process run with (installed by the runner)."""

    settings: Settings
    store: Store
    worker: str
    reschedule: Callable[[str, datetime], None]
    """Moves a source's next run (the scheduler's ``modify_job``)."""
    max_backoff: timedelta = MAX_BACKOFF
    failures: dict[str, int] = field(default_factory=dict)
    backoffs: dict[str, Backoff] = field(default_factory=dict)
    passes: Counter[str] = field(default_factory=Counter)
    max_passes: int | None = None
    """Passes per source after which its job does nothing more (``--passes``)."""
    sources: tuple[str, ...] = ()
    all_done: threading.Event = field(default_factory=threading.Event)
    """Set once every one of ``sources`` has had ``max_passes`` passes."""
    stopping: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def finished(self, source: str, report: SyncReport | None, seconds: float) -> None:
        """Record one pass (``report`` None: it raised) and back off if it failed."""
        failed = report is None or bool(report.failed_sources)
        if report is not None:
            log.info(
                "sync %s by %s: %.2f s, %d tables, %d new snapshots, %d errors%s",
                source,
                self.worker,
                seconds,
                report.tables,
                report.new_snapshots,
                len(report.errors),
                f" (cannot list: {report.errors[0].error})" if report.failed_sources else "",
            )
        with self.lock:
            self.passes[source] += 1
            if failed:
                self._back_off(source)
            else:
                self.failures.pop(source, None)
                self.backoffs.pop(source, None)
            if self.max_passes is not None and all(
                self.passes[s] >= self.max_passes for s in self.sources
            ):
                self.all_done.set()

    def wants_pass(self, source: str) -> bool:
        """Whether ``source`` is still to be synced (it has not had ``max_passes`` yet)."""
        with self.lock:
            return self.max_passes is None or self.passes[source] < self.max_passes

    def _back_off(self, source: str) -> None:
        failures = self.failures.get(source, 0) + 1
        self.failures[source] = failures
        interval = next(
            (s.poll_interval for s in self.settings.sources if s.name == source), MAX_BACKOFF
        )
        delay = backoff_delay(interval, failures, self.max_backoff)
        next_run_at = now() + delay
        self.backoffs[source] = Backoff(failures, delay, next_run_at)
        if not self.stopping:  # the scheduler waits for this job while shutting down
            self.reschedule(source, next_run_at)


_context: JobContext | None = None
_context_lock = threading.Lock()


def install(context: JobContext) -> None:
    """Make ``context`` the one the jobs of this process run with.

    Raises:
        RuntimeError: another scheduler runs in this process.
    """
    global _context
    with _context_lock:
        if _context is not None:
            raise RuntimeError("a sync scheduler already runs in this process")
        _context = context


def uninstall(context: JobContext) -> None:
    """Forget ``context`` (the scheduler is shut down)."""
    global _context
    with _context_lock:
        if _context is context:
            _context = None


def current() -> JobContext:
    """The context the runner installed.

    Raises:
        RuntimeError: no scheduler runs in this process.
    """
    found = _context
    if found is None:
        raise RuntimeError("no sync scheduler runs in this process")
    return found


def sync_job(source: str) -> None:
    """One sync pass of ``source`` by this process's worker (the scheduled job)."""
    context = current()
    if not context.wants_pass(source):
        return
    started = time.monotonic()
    report: SyncReport | None = None
    try:
        report = sync(context.store, context.settings, source=source, worker=context.worker)
    finally:
        # A pass that raised is a failure too; the exception goes on to the scheduler,
        # which reports it (EVENT_JOB_ERROR) and keeps running.
        context.finished(source, report, time.monotonic() - started)


def describe_error(event: Any) -> str:
    """One line for a job that raised."""
    exception, name = event.exception, type(event.exception).__name__
    return f"{name}: {one_line(exception)}" if str(exception).strip() else name
