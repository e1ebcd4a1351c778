"""Spacing between commits so every commit gets a distinct millisecond timestamp."""

from __future__ import annotations

import time

DEFAULT_GAP_S = 0.035


class CommitPacer:
    """Sleeps before a commit until a minimum gap has passed since the previous commit ended."""

    def __init__(self, gap_s: float = DEFAULT_GAP_S) -> None:
        self._gap_s = gap_s
        self._last_end: float | None = None

    def before_commit(self) -> None:
        """Wait until at least the gap has elapsed since the last commit finished."""
        if self._last_end is None:
            return
        remaining = self._last_end + self._gap_s - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)

    def after_commit(self) -> None:
        """Remember that a commit just finished."""
        self._last_end = time.monotonic()
