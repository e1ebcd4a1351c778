"""Operations answers: ``freshness``, a table's run health and a job's run health
(``query/operations_shapes.py`` builds them)."""

from __future__ import annotations

from pydantic import Field

from temporal_lineage.api.responses.common import Instant, Wire
from temporal_lineage.model import RunState


class UpstreamFreshness(Wire):
    """A late table upstream of the one asked about."""

    table: str = Field(description="The table reference")
    last_commit: Instant | None = Field(description="Commit time of its head as of A")
    lag_seconds: float | None = Field(description="A minus last_commit")
    sla_seconds: float | None = Field(description="Its SLA (first matching freshness rule)")
    late: bool = Field(description="lag_seconds > sla_seconds")


class TableFreshness(Wire):
    """One table's freshness as of A."""

    table: str = Field(description="The table reference")
    last_commit: Instant | None = Field(description="Commit time of its head as of A")
    lag_seconds: float | None = Field(description="A minus last_commit")
    sla_seconds: float | None = Field(
        description="Its SLA from freshness: in lineage.yaml (null: no rule matches)"
    )
    late: bool = Field(description="lag_seconds > sla_seconds")
    late_upstream: list[UpstreamFreshness] = Field(
        description="Upstream tables (lineage in force at A) that are late, nearest first"
    )


class HealthCommit(Wire):
    """A snapshot committed in the window."""

    snapshot: int = Field(description="Snapshot id (Delta: version)")
    committed_at: Instant = Field(description="When it was committed")
    operation: str | None = Field(description="The commit's operation")
    run: str | None = Field(description="The run that produced it, when known")


class LagPoint(Wire):
    """The table's lag at an instant: just before and at each commit, and at A."""

    at: Instant = Field(description="The instant")
    lag_seconds: float = Field(description="Time since the previous commit then")


class RunHealth(Wire):
    """One run as of A."""

    run: str = Field(description="The OpenLineage run id")
    job: str = Field(description="The job, namespace/name")
    state: RunState = Field(description="Its state as of A (RUNNING if it ended later)")
    started_at: Instant | None = Field(description="Its first event")
    ended_at: Instant | None = Field(description="Its terminal event, by A")
    duration_seconds: float | None = Field(description="ended_at - started_at")
    attempt: int = Field(
        description="Which try it was: Airflow's try_number, else its rank among its job's "
        "runs with the same parent run or nominal time"
    )


class JobStats(Wire):
    """A job's runs in the window."""

    job: str = Field(description="The job, namespace/name")
    runs: int = Field(description="Runs in the window")
    failed: int = Field(description="Runs that failed or were aborted")
    failure_rate: float | None = Field(description="failed / ended runs (null: none ended)")
    retries: int = Field(description="Runs that were a second or later attempt")
    duration_p50_seconds: float | None = Field(description="Median duration of ended runs")
    duration_p95_seconds: float | None = Field(description="95th percentile duration")


class TableHealthAnswer(Wire):
    """A table's commits, lag against its SLA and producing runs over a window."""

    table: str = Field(description="The table reference")
    as_of: Instant = Field(description="The end of the window (A)")
    window_seconds: float = Field(description="The window's length before A")
    commits: list[HealthCommit] = Field(description="Snapshots committed in the window")
    freshness: TableFreshness = Field(description="Its freshness as of A")
    lag_series: list[LagPoint] = Field(description="The lag saw-tooth to plot against the SLA")
    runs: list[RunHealth] = Field(description="Runs that produced or wrote it in the window")
    jobs: list[JobStats] = Field(description="Statistics of those runs' jobs")


class JobHealthAnswer(Wire):
    """A job's runs in the window before A, with durations, failures and retries."""

    job: str = Field(description="The job, namespace/name")
    as_of: Instant = Field(description="The end of the window (A)")
    window_seconds: float = Field(description="The window's length before A")
    runs: list[RunHealth] = Field(description="Its runs in the window, by start")
    stats: JobStats = Field(description="Their statistics")
