"""Pausing Python's cyclic garbage collector around bursts of small, acyclic allocations."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block (restored after, even on error).

    Reading a table's history or a file of events allocates tens of thousands of small,
    acyclic objects; the collector's passes over them cost a third of an initial sync and
    two thirds of a large ingestion (measured in bench/ and the ingestion tests).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
