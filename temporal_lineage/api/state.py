"""What the app holds for its lifetime: settings and the store (one engine, pooled)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar, cast

from fastapi import Request

from scheduler import SchedulerHandle
from temporal_lineage.config import Settings
from temporal_lineage.store import Store

T = TypeVar("T")


@dataclass
class AppState:
    """The settings the app serves and its store."""

    settings: Settings
    store: Store
    scheduler: SchedulerHandle | None = None
    """The background sync of this process (None when ``serve`` runs without it)."""
    _writes: threading.Lock = field(default_factory=threading.Lock)

    def write(self, work: Callable[[], T]) -> T:
        """Run ``work`` (a write transaction): one at a time on SQLite.

        SQLite admits one writer; threads that find the file locked sleep in its busy
        handler (in growing steps), so queueing them here is much faster under concurrent
        posts. PostgreSQL writes run concurrently.
        """
        if self.store.dialect != "sqlite":
            return work()
        with self._writes:
            return work()


def app_state(request: Request) -> AppState:
    """The state of the app serving ``request``."""
    return cast(AppState, request.app.state.lineage)
