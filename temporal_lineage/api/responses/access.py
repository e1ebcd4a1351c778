"""Access answers: ``access TABLE`` (``query/access_shapes.py`` builds them)."""

from __future__ import annotations

from pydantic import Field

from temporal_lineage.api.responses.common import Instant, Wire


class AccessRead(Wire):
    """One read of a table: a run input (OpenLineage) or an Iceberg scan report."""

    at: Instant = Field(
        description="When: the run's earliest event naming the input, or the scan report's arrival"
    )
    run: str | None = Field(description="The reading run (None: a scan report)")
    job: str | None = Field(description="The run's job, namespace/name")
    principal: str | None = Field(
        description="Who read: the user a facet or report names, else the job's owner, else "
        "the engine (name version); None when nothing names one"
    )
    snapshot: int | None = Field(description="The snapshot read (pinned, else the head then)")
    columns: list[str] | None = Field(description="The columns read (None: unknown)")
    evidence: str = Field(description="Where each part of the answer came from")
