"""Questions about the past, answered from the store."""

from __future__ import annotations
