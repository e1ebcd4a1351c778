"""Data-quality and triage answers: ``quality`` and ``triage`` (``query/quality_shapes.py``
and ``query/triage_shapes.py`` build them)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from temporal_lineage.api.responses.common import EvidenceList, Instant, Wire
from temporal_lineage.query.triage import CauseKind


class QualityResultItem(Wire):
    """One data-quality result, attached to the snapshot it describes."""

    check: str = Field(description="The assertion (not_null, unique, ...), metric or test name")
    kind: str = Field(description="assertion, metric or test")
    column: str | None = Field(description="The column it is about (None: the whole dataset)")
    success: bool | None = Field(description="False: issues found; None: a metric or skip")
    value: Any = Field(description="A metric's value, or the result's details")
    run: str = Field(description="The run whose event stated it")
    table: str = Field(description="The table it describes")
    snapshot: int = Field(description="The snapshot it describes")
    direction: str = Field(description="input, output or run: where the event stated it")
    at: Instant = Field(description="The event time of the result")
    evidence: EvidenceList = Field(description="Why it describes this snapshot")


class SuspectStep(Wire):
    """One provenance edge from a failed snapshot towards the asked one."""

    from_table: str = Field(description="The table read")
    from_snapshot: int | None = Field(description="The snapshot read")
    to_table: str = Field(description="The table written")
    to_snapshot: int | None = Field(description="The snapshot produced")
    run: str | None = Field(description="The run that read and produced")


class SuspectBecause(Wire):
    """A failed result upstream and the path from its snapshot down to the asked one."""

    table: str = Field(description="The table whose snapshot failed")
    snapshot: int = Field(description="The snapshot the failed result describes")
    assertion: str = Field(description="The failed assertion or test")
    kind: str = Field(description="assertion or test")
    column: str | None = Field(description="The column it is about")
    run: str = Field(description="The run that stated it")
    at: Instant = Field(description="When it was stated")
    path: list[SuspectStep] = Field(description="Provenance edges, failed snapshot first")


class QualityAnswer(Wire):
    """A table's head as of A, its results, and whether (and why) it is suspect."""

    table: str = Field(description="The table reference")
    as_of: Instant = Field(description="The time asked about")
    known_at: Instant | None = Field(description="Facts recorded after this were ignored")
    snapshot: int | None = Field(description="The head at as_of (None: no commit yet)")
    results: list[QualityResultItem] = Field(description="The results about that snapshot")
    failed: bool = Field(description="One of its own results failed")
    suspect: bool = Field(description="Produced from a snapshot with a failed result")
    because: list[SuspectBecause] = Field(description="Each failed upstream result and path")


class CauseEvidence(Wire):
    """One fact behind a cause."""

    kind: str = Field(description="snapshot, schema_history, job_version, run_event, ...")
    detail: str = Field(description="What the fact says")


class TriageCause(Wire):
    """One candidate cause, ranked."""

    rank: int = Field(description="1 is the most likely cause")
    kind: CauseKind = Field(description="What changed")
    table: str | None = Field(description="The upstream table (None for a job's run)")
    snapshot: int | None = Field(description="The snapshot it concerns, if any")
    run: str | None = Field(description="The run it concerns, if any")
    job: str | None = Field(description="The job (code, parameter and failed-run causes)")
    at: Instant = Field(description="When it happened")
    detail: str = Field(description="What changed, and how the score was made")
    distance: int = Field(description="Lineage hops from the asked table (0: itself)")
    score: float = Field(description="weight x 1/(1+distance) x nearness in time")
    evidence: list[CauseEvidence] = Field(description="The facts behind it")


class UpstreamTable(Wire):
    """A table triage looked at."""

    table: str = Field(description="The table reference")
    distance: int = Field(description="Lineage hops from the asked table")


class TriageAnswer(Wire):
    """What changed upstream of a table in the window before a time, best cause first."""

    table: str = Field(description="The table reference")
    at: Instant = Field(description="When it broke")
    known_at: Instant | None = Field(description="Facts recorded after this were ignored")
    window_seconds: int = Field(description="How far back from at")
    causes: list[TriageCause] = Field(description="Ranked causes")
    upstream: list[UpstreamTable] = Field(description="Every table looked at")
    late_checked: bool = Field(description="Freshness rules were configured (late causes)")
