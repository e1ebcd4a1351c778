"""Running the service: ``/health``, ``/metrics``, a sync pass on demand and posted
OpenLineage events (``sync_metrics.py``, ``query/shapes.py`` and ``api/ingest_routes.py``
build them)."""

from __future__ import annotations

from typing import Literal

from fastapi.responses import PlainTextResponse
from pydantic import Field

from temporal_lineage.api.responses.common import Instant, SchemaChange, Wire
from temporal_lineage.sync_metrics import PROMETHEUS_CONTENT_TYPE


class PrometheusText(PlainTextResponse):
    """The Prometheus text exposition (the media type ``/metrics`` documents)."""

    media_type = PROMETHEUS_CONTENT_TYPE


class SourceFreshness(Wire):
    """The sync state of one configured source."""

    source: str = Field(description="The source's name")
    last_attempt_at: Instant | None = Field(description="Start of the latest pass over it")
    last_success_at: Instant | None = Field(description="End of the latest pass that worked")
    lag_seconds: float | None = Field(description="How far behind the store may be")
    consecutive_failures: int = Field(description="Failed passes since the last success")
    last_error: str | None = Field(description="The latest pass's error, when it failed")
    last_duration_seconds: float | None = Field(description="How long the latest pass took")
    last_worker: str | None = Field(description="Who ran the latest pass")


class Health(Wire):
    """Ready: the store answers."""

    status: Literal["ok"] = Field(description="Always ok (503 otherwise)")
    revision: str | None = Field(description="The store's migration revision")
    scheduler: str | None = Field(
        description="The worker id of this app's background sync (null: none here)"
    )
    sources: list[SourceFreshness] = Field(description="Freshness per configured source")


class HealthUnavailable(Wire):
    """Not ready: the store does not answer."""

    status: Literal["unavailable"] = Field(description="Always unavailable")
    error: str = Field(description="Why, on one line")


class SyncError(Wire):
    """A table that could not be synced."""

    table: str = Field(description="The table")
    error: str = Field(description="Why, on one line")


class SkippedPath(Wire):
    """A path below a source root that is not a table."""

    source: str = Field(description="The source")
    path: str = Field(description="The path")
    reason: str = Field(description="Why it is not a table")


class Repair(Wire):
    """A string of a table's metadata stored with unstorable characters replaced."""

    table: str = Field(description="The table")
    field: str = Field(description="Where the string was, e.g. version 3: commitInfo.userName")
    replaced: str = Field(description="What was replaced")


class _SyncChangeHead(Wire):
    table: str = Field(description="The table whose schema changed")
    effective_at: Instant = Field(description="When the change took effect")


class SyncSchemaChange(SchemaChange, _SyncChangeHead):
    """A schema change the pass found, with how much downstream it touches."""

    affected_columns: int = Field(description="Downstream columns just before the change")
    affected_tables: int = Field(description="Downstream tables just before the change")


class SyncAnswer(Wire):
    """What one sync pass added."""

    tables: int = Field(description="Tables synced")
    new_snapshots: int = Field(description="Snapshots new to the store")
    new_schema_versions: int = Field(description="Schema versions new to the store")
    errors: list[SyncError] = Field(description="Tables that could not be synced")
    skipped: list[SkippedPath] = Field(description="Paths that are not tables")
    repaired: list[Repair] = Field(description="Strings stored with characters replaced")
    schema_changes: list[SyncSchemaChange] = Field(description="Schema changes found")


class IngestAnswer(Wire):
    """Every event of the payload was stored (a payload is all or nothing)."""

    accepted: int = Field(description="Events stored")
    duplicates: int = Field(description="Events the store already had (not stored twice)")
