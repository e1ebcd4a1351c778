"""What the app holds for its lifetime: settings and the store (one engine, pooled)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from fastapi import Request

from temporal_lineage.config import Settings
from temporal_lineage.store import Store


@dataclass
class AppState:
    """The settings the app serves and its store."""

    settings: Settings
    store: Store
    extras: dict[str, Any] = field(default_factory=dict)


def app_state(request: Request) -> AppState:
    """The state of the app serving ``request``."""
    return cast(AppState, request.app.state.lineage)
