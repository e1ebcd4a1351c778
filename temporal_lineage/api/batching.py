"""Group commit for posted events: concurrent requests share one write transaction.

Requests queue their bodies; one writer thread takes everything queued (up to ``limit``)
and ingests it with ``ingest_atomic``: each request stays all or nothing, but a burst of
single-event posts costs one commit instead of one each, and SQLite writers never queue
on its lock. The writer stays off the event loop: a write waiting on SQLite's lock (a sync
writing) must not stall every other request. Each group is answered with one wake-up of the
loop, however many requests it holds.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Sequence
from typing import Any

from temporal_lineage.ingest import IngestReport, Payload, ingest_atomic
from temporal_lineage.store import Store

log = logging.getLogger("temporal_lineage.api")

_STOP = object()

_Waiter = tuple[asyncio.AbstractEventLoop, "asyncio.Future[IngestReport]"]
_Item = tuple[Payload, _Waiter]


class EventBatcher:
    """One writer thread ingesting queued payloads in groups."""

    def __init__(self, store: Store, limit: int = 256) -> None:
        self._store = store
        self._limit = limit
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    def _ensure_running(self) -> None:
        with self._starting:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="event-writer", daemon=True)
                self._thread.start()

    async def ingest(self, payload: Payload) -> IngestReport:
        """Ingest ``payload`` with whatever else is queued; its own answer.

        Raises:
            InvalidEvent: the payload was refused whole (nothing of it stored).
            StoreError: the store failed (nothing of the group stored).
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[IngestReport] = loop.create_future()
        self._ensure_running()
        self._queue.put((payload, (loop, future)))
        return await future

    def close(self) -> None:
        """Finish what is queued, then stop the writer (a later ``ingest`` restarts it)."""
        with self._starting:
            thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            self._queue.put(_STOP)
            thread.join(60)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            group = [self._queue.get()]
            while len(group) < self._limit:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if _STOP in group:
                stopping = True
                group = [item for item in group if item is not _STOP]
            if group:
                self._write(group)  # type: ignore[arg-type]

    def _write(self, group: list[_Item]) -> None:
        answers: Sequence[IngestReport | BaseException]
        try:
            answers = ingest_atomic(self._store, [payload for payload, _ in group])
        except Exception as exc:  # noqa: BLE001 - every waiting request gets the failure
            log.warning("event write failed for %d request(s): %s", len(group), exc)
            answers = [exc] * len(group)
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[IngestReport], Any]]]
        by_loop = {}
        for (_, (loop, future)), answer in zip(group, answers, strict=True):
            by_loop.setdefault(loop, []).append((future, answer))
        for loop, settled in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, settled)
            except RuntimeError:  # the loop is closed: nobody waits any more
                log.debug("event loop closed before %d answer(s)", len(settled))


def _settle(settled: list[tuple[asyncio.Future[IngestReport], Any]]) -> None:
    """Answer the waiting requests (on their loop)."""
    for future, answer in settled:
        if future.cancelled():
            continue
        if isinstance(answer, BaseException):
            future.set_exception(answer)
        else:
            future.set_result(answer)
