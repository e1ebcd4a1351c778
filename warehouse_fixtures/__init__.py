"""Builds a small real Iceberg + Delta ML-pipeline warehouse together with its ground truth."""

from __future__ import annotations

from warehouse_fixtures.build import WarehouseDirectoryError, build_warehouse
from warehouse_fixtures.timeline import Timeline, load_timeline

__all__ = ["Timeline", "WarehouseDirectoryError", "build_warehouse", "load_timeline"]
