"""Answers that are graphs as of a time: ``lineage``, ``provenance`` and the ``audit`` document
that carries both (``query/shapes.py`` and ``report/audit.py`` build them)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from temporal_lineage.api.responses.common import EvidenceList, FreeMap, Instant, Wire
from temporal_lineage.api.responses.governance import ClassificationAnswer, PolicyAnswer
from temporal_lineage.api.responses.operations import TableFreshness, TableHealthAnswer
from temporal_lineage.model import RunState
from temporal_lineage.query.lineage import Direction


class LineageNode(Wire):
    """A table with its snapshot as of the time asked, or a dataset no table matched."""

    table: str = Field(description="The table reference, or namespace/name of a dataset")
    matched: bool = Field(description="Whether the dataset is a table the store knows")
    snapshot: int | None = Field(description="Its snapshot as of the time (null: none)")
    committed_at: Instant | None = Field(description="When that snapshot was committed")


class LineageEdge(Wire):
    """A job's run read one dataset and wrote another."""

    from_: str = Field(alias="from", description="The dataset read")
    to: str = Field(description="The dataset written")
    job: str = Field(description="The job, namespace/name")
    run: str = Field(description="The run that shows the edge")
    evidence: EvidenceList = Field(description="Why the edge is believed")


class LineageAnswer(Wire):
    """Tables and jobs around a table as of a time."""

    root: str = Field(description="The table asked about")
    ref: str = Field(description="The branch or tag of the root (main by default)")
    as_of: Instant = Field(description="The time asked about")
    known_at: Instant | None = Field(description="Facts recorded after this were ignored")
    direction: Direction = Field(description="Which way lineage was followed")
    depth: int = Field(description="How many hops were followed")
    nodes: list[LineageNode] = Field(description="The datasets, the root first")
    edges: list[LineageEdge] = Field(description="Who read what and wrote what")


class ProvenanceNode(Wire):
    """A table at a snapshot, with the run that produced it (when known) and why."""

    table: str = Field(description="The table reference, or namespace/name of a dataset")
    snapshot: int | None = Field(description="The snapshot (null: a dataset without one)")
    committed_at: Instant | None = Field(description="When it was committed")
    schema_id: int | None = Field(description="The schema its data was written with")
    run: str | None = Field(description="The run that produced it (null: unknown)")
    job: str | None = Field(description="That run's job, namespace/name")
    code_version: str | None = Field(description="That run's code version")
    job_version: str | None = Field(description="A digest of that run's code identity")
    parameters: FreeMap | None = Field(description="That run's parameters")
    run_state: RunState | None = Field(description="That run's state")
    started_at: Instant | None = Field(description="When that run started")
    ended_at: Instant | None = Field(description="When that run ended")
    evidence: EvidenceList = Field(description="Why that run is believed to be the producer")
    maintenance_run: str | None = Field(
        description="The run of a data-preserving commit (compaction, restore), if known"
    )


class ProvenanceEdge(Wire):
    """A run read one snapshot and wrote another (or a commit kept its parent's data)."""

    from_table: str = Field(description="The dataset read")
    from_snapshot: int | None = Field(description="The snapshot read (null: not known)")
    to_table: str = Field(description="The table written")
    to_snapshot: int | None = Field(description="The snapshot written")
    run: str | None = Field(description="The run (null for a maintenance commit's own edge)")
    evidence: EvidenceList = Field(description="Why the link is believed")


class ProvenanceAnswer(Wire):
    """Every snapshot that went into the root's snapshot as of a time."""

    root: str = Field(description="The table asked about")
    ref: str = Field(description="The branch or tag of the root (main by default)")
    as_of: Instant = Field(description="The time asked about")
    known_at: Instant | None = Field(description="Facts recorded after this were ignored")
    nodes: list[ProvenanceNode] = Field(description="The snapshots, the root's first")
    edges: list[ProvenanceEdge] = Field(description="Which snapshot went into which")


class EvidenceCounts(Wire):
    """Links per evidence kind they carry (a link with two kinds counts under both); other
    kinds (openlineage_event, data_unchanged, ..., none for links without) appear when
    present."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, int] = Field(init=False)

    commit_property: int = Field(description="Links named in the commit itself")
    dataset_version: int = Field(description="Links named by a version facet or report")
    inferred: int = Field(description="Links inferred from time windows")


class AuditSummary(Wire):
    """Counts an auditor reads first (of the provenance, then of the lineage)."""

    tables: int = Field(description="Distinct tables in the provenance")
    snapshots: int = Field(description="Snapshots in the provenance")
    links: int = Field(description="Links in the provenance")
    evidence: EvidenceCounts = Field(description="Provenance links per evidence kind")
    inferred_only_links: int = Field(description="Links known by inference only")
    links_without_evidence: int = Field(description="Links with no evidence at all")
    snapshots_without_run: int = Field(description="Snapshots whose producer is unknown")
    runs: int = Field(description="Distinct runs")
    code_versions: list[str] = Field(description="Distinct code versions, sorted")
    lineage_tables: int = Field(description="Distinct tables in the lineage")
    lineage_edges: int = Field(description="Edges in the lineage")
    lineage_evidence: EvidenceCounts = Field(description="Lineage edges per evidence kind")
    inferred_only_lineage_edges: int = Field(description="Lineage edges known by inference")


class AuditDocument(Wire):
    """The audit report as JSON: upstream lineage and provenance as of a time, with the
    evidence of every link (the HTML report draws the same document)."""

    report: Literal["temporal-lineage audit"] = Field(description="What this document is")
    version: Literal[1] = Field(description="The version of this document's shape")
    root: str = Field(description="The table audited")
    as_of: Instant = Field(description="The time audited")
    known_at: Instant | None = Field(description="Facts recorded after this were ignored")
    generated_at: Instant = Field(description="When the document was made")
    store: str = Field(description="The store's URL, without its password")
    lineage: LineageAnswer = Field(description="Upstream lineage of the root")
    provenance: ProvenanceAnswer = Field(description="The provenance of the root")
    classification: list[ClassificationAnswer] = Field(
        description="Every stored table of the report: its columns' tags as of A"
    )
    policies: PolicyAnswer | None = Field(
        description="The policy check as of A (None: no check was made)"
    )
    health: TableHealthAnswer | None = Field(
        description="The root's commits, lag and producing runs in the window before A"
    )
    freshness: list[TableFreshness] = Field(
        description="Freshness as of A of the root and every stored table of the provenance"
    )
    summary: AuditSummary = Field(description="Counts an auditor reads first")
