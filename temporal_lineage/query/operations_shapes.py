"""The documented JSON of freshness, table health and job health (DESIGN.md public contract):
times ISO-8601 UTC, durations in seconds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from temporal_lineage.query.freshness import Freshness
from temporal_lineage.query.run_health import JobHealth, JobStats, RunHealth, TableHealth
from temporal_lineage.times import format_time


def seconds(value: timedelta | None) -> float | None:
    """A duration in seconds (None stays None)."""
    return value.total_seconds() if value is not None else None


def _fresh(item: Freshness) -> dict[str, Any]:
    return {
        "table": str(item.table),
        "last_commit": format_time(item.last_commit),
        "lag_seconds": seconds(item.lag),
        "sla_seconds": seconds(item.sla),
        "late": item.late,
    }


def freshness_item_json(item: Freshness) -> dict[str, Any]:
    """One table's freshness, with its late upstream tables nearest first."""
    return {**_fresh(item), "late_upstream": [_fresh(u) for u in item.late_upstream]}


def freshness_json(items: Sequence[Freshness]) -> list[dict[str, Any]]:
    """The answer of ``freshness``."""
    return [freshness_item_json(item) for item in items]


def run_health_json(run: RunHealth) -> dict[str, Any]:
    """One run of a health answer."""
    return {
        "run": run.run_id,
        "job": str(run.job),
        "state": run.state.value,
        "started_at": format_time(run.started_at),
        "ended_at": format_time(run.ended_at),
        "duration_seconds": seconds(run.duration),
        "attempt": run.attempt,
    }


def job_stats_json(stats: JobStats) -> dict[str, Any]:
    """One job's statistics over the window."""
    return {
        "job": str(stats.job),
        "runs": stats.runs,
        "failed": stats.failed,
        "failure_rate": stats.failure_rate,
        "retries": stats.retries,
        "duration_p50_seconds": seconds(stats.duration_p50),
        "duration_p95_seconds": seconds(stats.duration_p95),
    }


def health_json(health: TableHealth) -> dict[str, Any]:
    """The answer of ``/tables/{table}/health``."""
    return {
        "table": str(health.table),
        "as_of": format_time(health.as_of),
        "window_seconds": health.window.total_seconds(),
        "commits": [
            {
                "snapshot": c.snapshot.snapshot.snapshot_id,
                "committed_at": format_time(c.snapshot.snapshot.committed_at),
                "operation": c.snapshot.snapshot.operation,
                "run": c.run_id,
            }
            for c in health.commits
        ],
        "freshness": freshness_item_json(health.freshness),
        "lag_series": [
            {"at": format_time(p.at), "lag_seconds": p.lag.total_seconds()}
            for p in health.lag_series
        ],
        "runs": [run_health_json(r) for r in health.runs],
        "jobs": [job_stats_json(j) for j in health.jobs],
    }


def job_json(health: JobHealth) -> dict[str, Any]:
    """The answer of ``job``: ``{"job", "as_of", "window_seconds", "runs", "stats"}``."""
    return {
        "job": str(health.job),
        "as_of": format_time(health.as_of),
        "window_seconds": health.window.total_seconds(),
        "runs": [run_health_json(r) for r in health.runs],
        "stats": job_stats_json(health.stats),
    }
