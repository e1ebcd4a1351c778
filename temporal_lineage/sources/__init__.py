"""Sources: read table history from Iceberg and Delta (the only modules importing them)."""

from __future__ import annotations
