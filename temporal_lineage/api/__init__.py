"""The HTTP interface (FastAPI): routes and wire models only; answers come from ``query``."""

from __future__ import annotations

from temporal_lineage.api.app import create_app

__all__ = ["create_app"]
