"""Starting the sync scheduler: in the background of ``serve``, or as a blocking worker.

One APScheduler 3 ``BackgroundScheduler`` per process, its jobs in the store's database
(``scheduler_jobs``, one worker's rows each, see ``jobstore.py``): one job per source, id
``sync:<source>``, every ``poll_interval`` with a little jitter, never two runs of a job at
once (``max_instances=1``), missed runs coalesced into one, and the first run right at
start (a restarted worker finds the tables that are not due yet and skips them cheaply).
"""

from __future__ import annotations

import logging
import math
import re
import signal
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError

from scheduler.jobs import (
    MAX_BACKOFF,
    Backoff,
    JobContext,
    describe_error,
    install,
    job_id,
    sync_job,
    uninstall,
)
from scheduler.jobstore import WorkerJobStore
from temporal_lineage.config import Settings, SourceConfig
from temporal_lineage.errors import ConfigError, LineageError, StoreError, one_line
from temporal_lineage.redaction import redact_logs
from temporal_lineage.store import Store, open_store
from temporal_lineage.sync import local_holder
from temporal_lineage.times import now

log = logging.getLogger("temporal_lineage.scheduler")

JITTER_FRACTION = 0.1
"""Each run starts up to this fraction of the interval late (workers drift apart)."""
MAX_JITTER = timedelta(seconds=30)
MAX_THREADS = 4
"""Sources synced at the same time by one worker."""
ABANDONED_AFTER = timedelta(days=1)
"""Job rows of a worker that has not run for this long (beyond its back-off) are removed."""
_WORKER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@-]{0,199}")


def default_worker_id() -> str:
    """``worker:<host>:<pid>``: unique among live workers, and checkable for liveness."""
    return local_holder("worker")


def check_worker_id(worker: str) -> str:
    """``worker`` if it is a valid worker id.

    Raises:
        ConfigError: not 1-200 letters, digits, ``_ . : @ -`` (starting with a letter/digit).
    """
    if not _WORKER_ID.fullmatch(worker):
        raise ConfigError(
            f"invalid worker id {worker!r}: use letters, digits, '_', '.', ':', '@' or '-'"
        )
    return worker


class SchedulerHandle:
    """A running sync scheduler."""

    def __init__(
        self,
        scheduler: Any,
        context: JobContext,
        jobstore: WorkerJobStore,
        sources: tuple[str, ...],
        jobs_store: Store,
    ) -> None:
        self.scheduler = scheduler
        """The APScheduler ``BackgroundScheduler`` (for inspection)."""
        self.sources = sources
        """The sources this worker syncs."""
        self._context = context
        self._jobstore = jobstore
        self._jobs_store = jobs_store
        self._stopped = False

    @property
    def done(self) -> threading.Event:
        """Set once every source had its ``passes`` (never without a limit)."""
        return self._context.all_done

    @property
    def worker(self) -> str:
        """The worker id: lease holder and owner of this scheduler's job rows."""
        return self._context.worker

    def passes(self, source: str) -> int:
        """How many passes of ``source`` finished (or raised) since the start."""
        with self._context.lock:
            return self._context.passes[source]

    def all_passes(self) -> dict[str, int]:
        """Passes finished per source."""
        with self._context.lock:
            return {s: self._context.passes[s] for s in self.sources}

    def backoff(self, source: str) -> Backoff | None:
        """The back-off of ``source`` after failed passes; None while it succeeds."""
        with self._context.lock:
            return self._context.backoffs.get(source)

    def next_run_time(self, source: str) -> datetime | None:
        """When the job of ``source`` runs next, as the job store has it."""
        job = self._jobstore.lookup_job(job_id(source))
        return None if job is None else job.next_run_time

    def shutdown(self, wait: bool = True) -> None:
        """Stop scheduling; with ``wait``, let the running passes finish first."""
        if self._stopped:
            return
        self._stopped = True
        with self._context.lock:
            # A finishing job must not reschedule itself now: shutdown holds the lock of the
            # job store while it waits for the jobs.
            self._context.stopping = True
        try:
            self.scheduler.shutdown(wait=wait)
        finally:
            uninstall(self._context)
            self._jobs_store.close()


def start_background(
    settings: Settings,
    store: Store,
    *,
    worker: str | None = None,
    sources: Sequence[str] | None = None,
    max_backoff: timedelta = MAX_BACKOFF,
    passes: int | None = None,
) -> SchedulerHandle:
    """Start syncing every configured source (or ``sources``) on its ``poll_interval``.

    The passes run in background threads on ``store``; call ``shutdown()`` on the returned
    handle to stop. One scheduler per process.

    Args:
        worker: the worker id (lease holder); default ``worker:<host>:<pid>``. Ids must
            differ between live workers.
        sources: names of the configured sources to sync (default: all).
        max_backoff: the longest wait after failed passes.
        passes: sync each source this many times only (``handle.done`` is set then).

    Raises:
        ConfigError: an unknown source or an invalid worker id.
        StoreError: the job table cannot be created.
    """
    worker = check_worker_id(worker) if worker is not None else default_worker_id()
    configs = _configs(settings, sources)
    # The job store gets its own engine: APScheduler disposes of it at shutdown.
    jobs_store = open_store(store.engine.url.render_as_string(hide_password=False), migrate=False)
    jobstore = WorkerJobStore(jobs_store.engine, worker)
    scheduler = BackgroundScheduler(
        timezone=UTC,
        jobstores={"default": jobstore},
        executors={"default": ThreadPoolExecutor(max(1, min(MAX_THREADS, len(configs))))},
        job_defaults={"coalesce": True, "max_instances": 1},
    )

    def reschedule(source: str, at: datetime) -> None:
        try:
            scheduler.modify_job(job_id(source), next_run_time=at)
        except JobLookupError:
            pass  # removed meanwhile

    context = JobContext(
        settings,
        store,
        worker,
        reschedule,
        max_backoff=max_backoff,
        max_passes=passes,
        sources=tuple(c.name for c in configs),
    )
    install(context)
    try:
        jobstore.create_table(jobs_store)
        scheduler.add_listener(
            _listener(context), EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES
        )
        scheduler.start(paused=True)
        jobstore.forget_abandoned(now(), ABANDONED_AFTER + max_backoff)
        scheduler.remove_all_jobs()  # this worker's jobs of an older configuration
        for config in configs:
            _add_job(scheduler, config)
        scheduler.resume()
    except BaseException as exc:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        uninstall(context)
        jobs_store.close()
        if isinstance(exc, SQLAlchemyError):  # APScheduler's job store talks SQL directly
            reason = one_line(getattr(exc, "orig", None) or exc)
            raise StoreError(f"cannot start the scheduler on {store.url}: {reason}") from exc
        raise
    log.info(
        "scheduler started: worker %s, sources %s",
        worker,
        ", ".join(c.name for c in configs) or "(none)",
    )
    return SchedulerHandle(scheduler, context, jobstore, tuple(c.name for c in configs), jobs_store)


def _configs(settings: Settings, sources: Sequence[str] | None) -> list[SourceConfig]:
    if sources is None:
        return list(settings.sources)
    return [settings.source(name) for name in dict.fromkeys(sources)]


def _add_job(scheduler: Any, config: SourceConfig) -> None:
    seconds = config.poll_interval.total_seconds()
    jitter = min(seconds * JITTER_FRACTION, MAX_JITTER.total_seconds())
    scheduler.add_job(
        sync_job,
        trigger=IntervalTrigger(seconds=seconds, jitter=jitter or None, timezone=UTC),
        args=[config.name],
        id=job_id(config.name),
        name=f"sync {config.name}",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        # A run late by up to one interval still happens (coalesced with any other missed).
        misfire_grace_time=max(1, math.ceil(seconds)),
        next_run_time=datetime.now(UTC),
    )


def _listener(context: JobContext) -> Any:
    def on_event(event: JobExecutionEvent) -> None:
        source = event.job_id.removeprefix("sync:")
        if event.code == EVENT_JOB_ERROR:
            with context.lock:
                backoff = context.backoffs.get(source)
            retry = f"; next attempt in {backoff.delay}" if backoff is not None else ""
            log.error(
                "sync %s by %s raised %s%s", source, context.worker, describe_error(event), retry
            )
            if not isinstance(event.exception, LineageError):
                log.debug("sync %s traceback:\n%s", source, event.traceback)
        elif event.code == EVENT_JOB_MISSED:
            log.warning("sync %s: the run due at %s was missed", source, event.scheduled_run_time)
        else:  # EVENT_JOB_MAX_INSTANCES: a submission event, with the run times it skipped
            skipped = ", ".join(str(at) for at in getattr(event, "scheduled_run_times", ()))
            log.info("sync %s: still running, the run due at %s is skipped", source, skipped)

    return on_event


def run_until_stopped(
    settings: Settings,
    store: Store,
    *,
    worker: str | None = None,
    sources: Sequence[str] | None = None,
    passes: int | None = None,
    max_backoff: timedelta = MAX_BACKOFF,
    stop: threading.Event | None = None,
) -> dict[str, int]:
    """Run the scheduler until SIGTERM/SIGINT (or ``stop``), or ``passes`` passes per source.

    The running passes are let finish before it returns. Signals are handled only when
    called from the main thread.

    Returns:
        the passes finished per source.

    Raises:
        ConfigError: an unknown source, an invalid worker id, or no source to sync.
    """
    stop = stop or threading.Event()
    handle = start_background(
        settings, store, worker=worker, sources=sources, max_backoff=max_backoff, passes=passes
    )
    if not handle.sources:
        handle.shutdown()
        raise ConfigError("no source to sync (configure sources in lineage.yaml)")
    previous = _on_signals(stop)
    try:
        while not stop.wait(0.1) and not handle.done.is_set():
            pass
    finally:
        log.info("scheduler stopping: waiting for running passes")
        handle.shutdown(wait=True)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return handle.all_passes()


def _on_signals(stop: threading.Event) -> dict[int, Any]:
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s", signal.Signals(signum).name)
        stop.set()

    return {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}


def configure_logging(level: int = logging.INFO) -> None:
    """One line per sync on stderr; APScheduler's own chatter (and duplicate tracebacks) off."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redact_logs()
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    logging.getLogger("apscheduler.executors").setLevel(logging.CRITICAL)
