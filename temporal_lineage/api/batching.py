"""Group commit for posted events: concurrent requests share one write transaction.

Requests queue their bodies; one writer thread takes everything queued (up to ``limit``)
and ingests it with ``ingest_atomic``: each request stays all or nothing, but a burst of
single-event posts costs one commit instead of one each, and SQLite writers never queue
on its lock.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from concurrent.futures import Future

from temporal_lineage.errors import InvalidEvent
from temporal_lineage.ingest import IngestReport, Payload, ingest_atomic
from temporal_lineage.store import Store

log = logging.getLogger("temporal_lineage.api")

_STOP = object()


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
        future: Future[IngestReport] = Future()
        self._ensure_running()
        self._queue.put((payload, future))
        return await asyncio.wrap_future(future)

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

    def _write(self, group: list[tuple[Payload, Future[IngestReport]]]) -> None:
        try:
            answers = ingest_atomic(self._store, [payload for payload, _ in group])
        except Exception as exc:  # noqa: BLE001 - every waiting request gets the failure
            log.warning("event write failed for %d request(s): %s", len(group), exc)
            for _, future in group:
                future.set_exception(exc)
            return
        for (_, future), answer in zip(group, answers, strict=True):
            if isinstance(answer, InvalidEvent):
                future.set_exception(answer)
            else:
                future.set_result(answer)
