"""Opt-in per-table gauges for ``/metrics`` (``service: {table_metrics: true}``): each
table's lag and SLA breach, computed at scrape time from the store's heads in one statement.

Cardinality is bounded by ``service.table_metrics_limit``: over it, the late tables and then
the most lagging ones get gauges, and one gauge counts the tables left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from temporal_lineage.config import Settings
from temporal_lineage.query.freshness import Freshness, table_lags
from temporal_lineage.store import Store
from temporal_lineage.times import now

PREFIX = "temporal_lineage_table"


def table_metrics_text(store: Store, settings: Settings, *, at: datetime | None = None) -> bytes:
    """The Prometheus text of the table gauges (empty unless ``service.table_metrics``)."""
    if not settings.service.table_metrics:
        return b""
    items = table_lags(store, as_of=at or now(), rules=settings.freshness)
    return render_table_metrics(items, settings.service.table_metrics_limit)


def render_table_metrics(items: Sequence[Freshness], limit: int) -> bytes:
    """Gauges of at most ``limit`` tables: late ones first, then by lag, largest first."""
    ranked = sorted(
        items,
        key=lambda f: (not f.late, -(f.lag.total_seconds() if f.lag else 0.0), str(f.table)),
    )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_TableCollector(ranked[:limit], items, len(ranked) - len(ranked[:limit])))
    return generate_latest(registry)


class _TableCollector(Collector):
    def __init__(
        self, shown: Sequence[Freshness], every: Sequence[Freshness], omitted: int
    ) -> None:
        self.shown = shown
        self.every = every
        self.omitted = omitted

    def collect(self) -> list[Metric]:
        lag = GaugeMetricFamily(
            f"{PREFIX}_lag_seconds",
            "Time since the commit of the table's current head.",
            labels=["table"],
        )
        breach = GaugeMetricFamily(
            f"{PREFIX}_sla_breach",
            "1 when the table's lag exceeds its freshness SLA, else 0 (tables with an SLA).",
            labels=["table"],
        )
        for item in self.shown:
            label = [str(item.table)]
            if item.lag is not None:
                lag.add_metric(label, item.lag.total_seconds())
            if item.sla is not None:
                breach.add_metric(label, 1.0 if item.late else 0.0)
        late = GaugeMetricFamily(
            f"{PREFIX}_sla_breaches",
            "Tables whose lag exceeds their freshness SLA (all tables, shown or not).",
            value=sum(item.late for item in self.every),
        )
        omitted = GaugeMetricFamily(
            f"{PREFIX}_metrics_omitted",
            "Tables left out of the per-table gauges by service.table_metrics_limit.",
            value=self.omitted,
        )
        return [lag, breach, late, omitted]
