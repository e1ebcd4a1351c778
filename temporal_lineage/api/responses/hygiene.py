"""The cost-hygiene answer (``query/hygiene_shapes.py`` builds it)."""

from __future__ import annotations

from pydantic import Field

from temporal_lineage.api.responses.common import Instant, Wire


class UnusedTable(Wire):
    """A table with no read and no downstream run in the window."""

    table: str = Field(description="The table reference")
    bytes: int | None = Field(description="Its size at as_of (null: the summaries do not say)")
    last_read: Instant | None = Field(description="Its last read at or before as_of (null: never)")
    last_write: Instant | None = Field(description="Its last commit at or before as_of")


class RedundantJobs(Wire):
    """Jobs whose last runs in the window read the same tables with the same column lineage
    but wrote different outputs."""

    jobs: list[str] = Field(description="The jobs, namespace/name")
    inputs: list[str] = Field(description="The tables (or namespace/name datasets) they read")
    outputs: list[str] = Field(description="What they wrote, all together")


class SmallCommits(Wire):
    """A compaction candidate: many data commits in the window, each adding little."""

    table: str = Field(description="The table reference")
    commits: int = Field(description="Data commits (adding files) in the window")
    median_bytes: int = Field(description="The median bytes of data files one of them added")


class RetainedSnapshots(Wire):
    """Snapshots still readable in the source past the retention age."""

    table: str = Field(description="The table reference")
    snapshots: int = Field(description="How many (besides the head and refs' snapshots)")
    oldest: Instant = Field(description="The commit time of the oldest of them")
    max_age_seconds: float = Field(description="The retention age (hygiene.retain)")


class HygieneAnswer(Wire):
    """What costs storage and nobody reads, as of a time, each list worst first."""

    as_of: Instant = Field(description="The time asked about")
    known_at: Instant | None = Field(description="Facts recorded after this are ignored")
    window_seconds: float = Field(description="How far before as_of reads and commits count")
    unused: list[UnusedTable] = Field(description="Unused tables, largest first")
    redundant: list[RedundantJobs] = Field(description="Groups of jobs computing the same thing")
    small_commits: list[SmallCommits] = Field(description="Tables with many small commits")
    retained: list[RetainedSnapshots] = Field(description="Snapshots kept past the policy")
