"""How fresh each source is, from the record of sync passes (``sync_runs``).

A pass is recorded per source (a scheduled worker's job, ``sync --source S``) or for every
source at once (``source`` NULL: a plain ``sync``). An all-source pass counts for a source
as a failure when it recorded an error under the source's very name (the source could not
be listed, the pass raised while on it, or stopped before it), else as a success. A pass
that has not finished (running, or its process died) counts only as an attempt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, func, select

from temporal_lineage.store import tables as t

RECENT_RUNS = 500
"""Runs looked at per source for its current state (consecutive failures count up to it)."""

_runs = t.sync_runs.c


@dataclass(frozen=True)
class SourceFreshness:
    """The sync state of one source at ``at``."""

    source: str
    at: datetime
    last_attempt_at: datetime | None
    """Start of the latest pass covering the source (finished or not)."""
    last_success_at: datetime | None
    """End of the latest pass that synced the source without failing."""
    lag: timedelta | None
    """``at - last_success_at``: how far behind the store may be."""
    consecutive_failures: int
    """Failed passes since the last success."""
    last_error: str | None
    """The error of the latest pass, when it failed."""
    last_duration: timedelta | None
    """How long the latest finished pass took."""
    last_worker: str | None
    """Who ran the latest pass."""


@dataclass(frozen=True)
class SyncTotals:
    """Everything recorded for one ``sync_runs.source`` value (None: all-source passes)."""

    source: str | None
    runs: int
    failed_runs: int
    tables_checked: int
    snapshots_added: int
    schema_versions_added: int
    errors: int
    """Errors recorded (tables that failed, sources that could not be listed)."""


@dataclass(frozen=True)
class _Run:
    source: str | None
    started_at: datetime
    ended_at: datetime | None
    errors: list[dict[str, Any]]
    worker: str | None
    failed: bool | None


def _recent(conn: Connection, source: str | None, limit: int) -> list[_Run]:
    mine = _runs.source.is_(None) if source is None else _runs.source == source
    rows = conn.execute(
        select(
            _runs.source, _runs.started_at, _runs.ended_at, _runs.errors, _runs.worker, _runs.failed
        )
        .where(mine)
        .order_by(_runs.started_at.desc(), _runs.id.desc())
        .limit(limit)
    )
    return [_Run(*row) for row in rows]


def recorded_sources(conn: Connection) -> list[str]:
    """Every source named by a recorded pass."""
    return list(
        conn.execute(
            select(_runs.source).where(_runs.source.is_not(None)).distinct().order_by(_runs.source)
        ).scalars()
    )


def source_freshness(
    conn: Connection, at: datetime, sources: Sequence[str] | None = None
) -> list[SourceFreshness]:
    """The freshness of each of ``sources`` (default: every source with a recorded pass).

    A source without any pass is listed with no times (``lag`` None).
    """
    names = list(sources) if sources is not None else recorded_sources(conn)
    shared = _recent(conn, None, RECENT_RUNS)
    return [
        _freshness(name, at, _merge(_recent(conn, name, RECENT_RUNS), shared)) for name in names
    ]


def _merge(own: list[_Run], shared: list[_Run]) -> list[_Run]:
    merged = sorted([*own, *shared], key=lambda r: r.started_at, reverse=True)
    return merged[:RECENT_RUNS]


def _outcome(run: _Run, source: str) -> bool | None:
    """True: synced the source; False: failed on it; None: not finished."""
    if run.ended_at is None:
        return None
    if run.source is not None:
        return not run.failed
    return not any(e.get("table") == source for e in run.errors)


def _error_of(run: _Run, source: str) -> str | None:
    """The error that failed the pass for ``source`` (a table error only if nothing else)."""
    for error in run.errors:
        if error.get("table") == source:
            return str(error.get("error"))
    return str(run.errors[0].get("error")) if run.source is not None and run.errors else None


def _freshness(source: str, at: datetime, runs: Iterable[_Run]) -> SourceFreshness:
    last_attempt: _Run | None = None
    last_finished: _Run | None = None
    success: _Run | None = None
    failures = 0
    last_error: str | None = None
    for run in runs:
        outcome = _outcome(run, source)
        last_attempt = last_attempt or run
        if run.ended_at is not None and outcome is not None:
            last_finished = last_finished or run
        if outcome is True:
            success = run
            break
        if outcome is False:
            if failures == 0:
                last_error = _error_of(run, source)
            failures += 1
    ended = success.ended_at if success is not None else None
    duration = None
    if last_finished is not None and last_finished.ended_at is not None:
        duration = last_finished.ended_at - last_finished.started_at
    return SourceFreshness(
        source=source,
        at=at,
        last_attempt_at=last_attempt.started_at if last_attempt else None,
        last_success_at=ended,
        lag=at - ended if ended is not None else None,
        consecutive_failures=failures,
        last_error=last_error,
        last_duration=duration,
        last_worker=last_attempt.worker if last_attempt else None,
    )


def sync_totals(conn: Connection) -> list[SyncTotals]:
    """Totals of every recorded pass, per ``sync_runs.source`` (None for all-source passes)."""
    failed = func.sum(case((_runs.failed.is_(True), 1), else_=0))
    errors = func.sum(func.json_array_length(_runs.errors))
    rows = conn.execute(
        select(
            _runs.source,
            func.count(),
            failed,
            func.sum(_runs.tables_checked),
            func.sum(_runs.snapshots_added),
            func.sum(_runs.schema_versions_added),
            errors,
        )
        .group_by(_runs.source)
        .order_by(_runs.source)
    )
    return [SyncTotals(row[0], *(int(value or 0) for value in row[1:])) for row in rows]
