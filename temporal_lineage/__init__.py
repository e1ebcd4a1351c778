"""temporal-lineage: the exact, bitemporal memory of an Iceberg / Delta lakehouse."""

from __future__ import annotations

__version__ = "0.1.0"
