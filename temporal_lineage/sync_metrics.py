"""Sync freshness for ``/health`` and Prometheus metrics for ``/metrics``.

Everything is read from the store (``sync_runs``, ``table_leases``), so any process (the API,
another worker) reports the same figures. The Prometheus text is rendered from a
``CollectorRegistry`` of its own per call: nothing is registered in the global registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from temporal_lineage.config import Settings
from temporal_lineage.store import Store
from temporal_lineage.store.sync_reads import (
    SourceFreshness,
    SyncTotals,
    recorded_sources,
    source_freshness,
    sync_totals,
)
from temporal_lineage.times import format_time, now

PROMETHEUS_CONTENT_TYPE = CONTENT_TYPE_LATEST
"""The ``Content-Type`` of ``prometheus_text``."""
ALL_SOURCES = "*"
"""The ``source`` label of passes over every source."""


def freshness(
    store: Store, settings: Settings, *, at: datetime | None = None
) -> list[SourceFreshness]:
    """The freshness of every configured source (plus any other with recorded passes)."""
    configured = [s.name for s in settings.sources]
    with store.connect() as conn:
        names = configured + [n for n in recorded_sources(conn) if n not in configured]
        return source_freshness(conn, at or now(), names)


def freshness_json(item: SourceFreshness) -> dict[str, Any]:
    """One source's freshness as JSON (times ISO-8601 UTC, durations in seconds)."""
    return {
        "source": item.source,
        "last_attempt_at": format_time(item.last_attempt_at),
        "last_success_at": format_time(item.last_success_at),
        "lag_seconds": item.lag.total_seconds() if item.lag is not None else None,
        "consecutive_failures": item.consecutive_failures,
        "last_error": item.last_error,
        "last_duration_seconds": (
            item.last_duration.total_seconds() if item.last_duration is not None else None
        ),
        "last_worker": item.last_worker,
    }


def prometheus_text(store: Store, settings: Settings, *, at: datetime | None = None) -> bytes:
    """The Prometheus exposition of the sync state, read from ``store`` now."""
    fresh = freshness(store, settings, at=at)
    with store.connect() as conn:
        totals = sync_totals(conn)
    return render_prometheus(fresh, totals)


def render_prometheus(freshness: Sequence[SourceFreshness], totals: Sequence[SyncTotals]) -> bytes:
    """Prometheus text (format 0.0.4) of these figures, from a registry of its own."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_SyncCollector(freshness, totals))
    return generate_latest(registry)


class _SyncCollector(Collector):
    def __init__(self, freshness: Sequence[SourceFreshness], totals: Sequence[SyncTotals]) -> None:
        self.freshness = freshness
        self.totals = totals

    def collect(self) -> list[Metric]:
        prefix = "temporal_lineage_sync"
        labels = ["source"]
        gauges = {
            "last_attempt": GaugeMetricFamily(
                f"{prefix}_last_attempt_timestamp_seconds",
                "Start of the latest sync pass of the source (Unix time).",
                labels=labels,
            ),
            "last_success": GaugeMetricFamily(
                f"{prefix}_last_success_timestamp_seconds",
                "End of the latest successful sync pass of the source (Unix time).",
                labels=labels,
            ),
            "lag": GaugeMetricFamily(
                f"{prefix}_lag_seconds",
                "Time since the latest successful sync pass of the source.",
                labels=labels,
            ),
            "failures": GaugeMetricFamily(
                f"{prefix}_consecutive_failures",
                "Failed sync passes of the source since its last success.",
                labels=labels,
            ),
            "duration": GaugeMetricFamily(
                f"{prefix}_last_duration_seconds",
                "Duration of the latest finished sync pass of the source.",
                labels=labels,
            ),
        }
        for item in self.freshness:
            label = [item.source]
            gauges["failures"].add_metric(label, item.consecutive_failures)
            if item.last_attempt_at is not None:
                gauges["last_attempt"].add_metric(label, item.last_attempt_at.timestamp())
            if item.last_success_at is not None:
                gauges["last_success"].add_metric(label, item.last_success_at.timestamp())
            if item.lag is not None:
                gauges["lag"].add_metric(label, item.lag.total_seconds())
            if item.last_duration is not None:
                gauges["duration"].add_metric(label, item.last_duration.total_seconds())
        counters = {
            "runs": CounterMetricFamily(f"{prefix}_runs", "Sync passes recorded.", labels=labels),
            "failed_runs": CounterMetricFamily(
                f"{prefix}_failed_runs",
                "Sync passes that raised or could not list a source.",
                labels=labels,
            ),
            "tables_checked": CounterMetricFamily(
                f"{prefix}_tables_checked", "Tables checked by sync passes.", labels=labels
            ),
            "snapshots_added": CounterMetricFamily(
                f"{prefix}_snapshots_added", "New snapshots recorded by sync passes.", labels=labels
            ),
            "schema_versions_added": CounterMetricFamily(
                f"{prefix}_schema_versions_added",
                "New schema versions recorded by sync passes.",
                labels=labels,
            ),
            "errors": CounterMetricFamily(
                f"{prefix}_errors",
                "Errors recorded by sync passes (failed tables, unlisted sources).",
                labels=labels,
            ),
        }
        for total in self.totals:
            label = [total.source if total.source is not None else ALL_SOURCES]
            for key, family in counters.items():
                family.add_metric(label, getattr(total, key))
        return [*gauges.values(), *counters.values()]
