"""The ``temporal-lineage`` command line."""

from __future__ import annotations
