"""What the app holds for its lifetime: settings and the store (one engine, pooled)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from fastapi import Request

from scheduler import SchedulerHandle
from temporal_lineage.api.batching import EventBatcher
from temporal_lineage.config import Settings
from temporal_lineage.store import Store


@dataclass
class AppState:
    """The settings the app serves and its store."""

    settings: Settings
    store: Store
    scheduler: SchedulerHandle | None = None
    """The background sync of this process (None when ``serve`` runs without it)."""
    events: EventBatcher = field(init=False)
    """Posted events are written by one thread, in groups (see ``batching``)."""

    def __post_init__(self) -> None:
        self.events = EventBatcher(self.store)


def app_state(request: Request) -> AppState:
    """The state of the app serving ``request``."""
    return cast(AppState, request.app.state.lineage)
