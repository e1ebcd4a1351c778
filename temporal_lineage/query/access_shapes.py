"""The documented JSON of ``access`` (the CLI's ``--output json`` and ``/api/v1/access``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from temporal_lineage.query.access import Read
from temporal_lineage.times import format_time


def access_json(reads: Sequence[Read]) -> list[dict[str, Any]]:
    """``[{"at", "run", "job", "principal", "snapshot", "columns", "evidence"}]``.

    >>> from datetime import datetime, UTC
    >>> access_json([Read(datetime(2024, 1, 1, tzinfo=UTC), None, None, "bob", 7, ("id",),
    ...                   "rest scan-report 1")])[0]["columns"]
    ['id']
    """
    return [
        {
            "at": format_time(r.at),
            "run": r.run,
            "job": r.job,
            "principal": r.principal,
            "snapshot": r.snapshot,
            "columns": list(r.columns) if r.columns is not None else None,
            "evidence": r.evidence,
        }
        for r in reads
    ]
