"""OpenLineage events as frozen, validated values: what ingestion stores and links from.

Mappings on these values (``facets``, ``raw``, ``parameters``, ``engine_ids``) are read-only
views; ``raw`` and ``facets`` are shallow views of the parsed JSON (``dict(event.raw)`` gives
plain JSON back) and are left out of ``repr``, equality and hashing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

EventKind = Literal["run", "dataset", "job"]
"""RunEvent (``run`` and ``job``), DatasetEvent (``dataset`` only) or JobEvent (``job``)."""

RUN_STATES = ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")
"""The values ``eventType`` may take (OpenLineage 2-0-2)."""


@dataclass(frozen=True, order=True)
class DatasetName:
    """A (namespace, name) pair: a dataset, a symlink identifier or a job.

    >>> DatasetName("airflow", "BQ.upload")
    DatasetName(namespace='airflow', name='BQ.upload')
    """

    namespace: str
    name: str


@dataclass(frozen=True)
class Transformation:
    """How one input field contributes to an output field (``DIRECT``/``INDIRECT`` + subtype)."""

    type: str
    subtype: str | None
    description: str | None
    masking: bool | None


@dataclass(frozen=True)
class ColumnLineageInput:
    """One input field of a column-lineage entry."""

    namespace: str
    name: str
    field: str
    transformations: tuple[Transformation, ...]

    @property
    def dataset(self) -> DatasetName:
        """The dataset the input field belongs to."""
        return DatasetName(self.namespace, self.name)


@dataclass(frozen=True)
class ColumnLineage:
    """The inputs of one output field; field ``*`` holds the dataset-level inputs.

    ``transformation_type`` and ``transformation_description`` are the deprecated
    field-level keys of columnLineage 1-0-x, still sent by some producers (Airflow).
    """

    field: str
    inputs: tuple[ColumnLineageInput, ...]
    transformation_type: str | None = None
    transformation_description: str | None = None


@dataclass(frozen=True)
class SchemaField:
    """One field of a ``schema`` facet, with its nested fields."""

    name: str
    type: str | None
    description: str | None
    fields: tuple[SchemaField, ...]


@dataclass(frozen=True)
class DeclaredTag:
    """One tag of a ``tags`` facet: ``key`` is the tag, ``field`` the column it applies to."""

    key: str
    value: str
    source: str | None
    field: str | None = None


@dataclass(frozen=True)
class DeclaredOwner:
    """One owner of an ``ownership`` facet (e.g. ``team:crm``, type ``MAINTAINER``)."""

    name: str
    type: str | None


@dataclass(frozen=True)
class DeclaredPrincipal:
    """Who a run ran as or under: a ``user``, an ``engine`` or an ``owner``, and the facet
    that names it (``source``)."""

    kind: str
    name: str
    source: str


@dataclass(frozen=True)
class QualityResult:
    """One data-quality result an event states (``temporal_lineage.openlineage.quality_facets``).

    ``kind``: ``assertion`` (``dataQualityAssertions``), ``metric`` (``dataQualityMetrics``:
    ``success`` None, ``value`` the number) or ``test`` (the ``test`` run facet).
    """

    kind: str
    check: str
    column: str | None
    success: bool | None
    value: Any = field(default=None, hash=False)
    """JSON: a metric's number, or an assertion's/test's details (severity, expected, ...)."""


@dataclass(frozen=True)
class DatasetObservation:
    """What one event says about one dataset (an input, an output or a static dataset).

    Facets are read from ``facets`` merged with ``inputFacets``/``outputFacets`` (those win
    on a name clash).
    """

    namespace: str
    name: str
    symlinks: tuple[DatasetName, ...]
    """``symlinks`` facet identifiers, in the order sent."""
    version: str | None
    """``version`` facet ``datasetVersion``; ``''`` or a facet without it is None."""
    snapshot_id: int | None
    """``icebergCommitReport.snapshotId`` (outputs) or ``icebergScanReport.snapshotId``
    (inputs); never guessed from ``version``."""
    storage_layer: str | None
    file_format: str | None
    schema: tuple[SchemaField, ...] | None
    """``schema`` facet fields; None when the facet is absent."""
    column_lineage: tuple[ColumnLineage, ...]
    lifecycle_state: str | None
    """``lifecycleStateChange.lifecycleStateChange``: CREATE, DROP, OVERWRITE, RENAME, ..."""
    facets: Mapping[str, Any] = field(repr=False, compare=False, hash=False)
    previous_name: DatasetName | None = None
    """``lifecycleStateChange.previousIdentifier`` (a RENAME's old name)."""
    tags: tuple[DeclaredTag, ...] = ()
    """``tags`` facet: the dataset's and its columns' tags."""
    owners: tuple[DeclaredOwner, ...] | None = None
    """``ownership`` facet (None: not sent)."""
    quality: tuple[QualityResult, ...] = ()
    """``dataQualityAssertions`` and ``dataQualityMetrics`` results about this dataset."""

    @property
    def dataset(self) -> DatasetName:
        """The dataset's own (namespace, name)."""
        return DatasetName(self.namespace, self.name)


@dataclass(frozen=True)
class ParsedEvent:
    """One valid OpenLineage event, normalised.

    ``run_id`` and parent/root run ids are lowercase canonical UUIDs; times are aware UTC.
    """

    kind: EventKind
    event_type: str | None
    """A value of ``RUN_STATES`` (run events only), or None when not sent."""
    event_time: datetime
    producer: str
    schema_url: str
    run_id: str | None
    job: DatasetName | None
    parent_run_id: str | None
    parent_job: DatasetName | None
    nominal_start: datetime | None
    nominal_end: datetime | None
    code_version: str | None
    """Job facet ``sourceCodeLocation.version`` (a git SHA)."""
    source_url: str | None
    """Job facet ``sourceCodeLocation.url`` (or ``repoUrl``), joined with its ``path``."""
    sql: str | None
    sql_dialect: str | None
    parameters: Mapping[str, str] = field(hash=False)
    """Run facet ``parameters`` (name -> value) and ``executionParameters`` (key -> value)."""
    engine_ids: Mapping[str, str] = field(hash=False)
    """Engine ids of this run by canonical name (see ``temporal_lineage.openlineage.engines``)."""
    inputs: tuple[DatasetObservation, ...]
    outputs: tuple[DatasetObservation, ...]
    dataset: DatasetObservation | None
    """The dataset of a DatasetEvent (None for run and job events)."""
    raw: Mapping[str, Any] = field(repr=False, compare=False, hash=False)
    """The event as received."""
    fingerprint: str
    """sha256 (hex) of the canonical JSON of ``raw`` (sorted keys): equal for duplicates."""
    root_run_id: str | None = None
    """Parent facet ``root.run.runId`` (e.g. the Airflow DAG run of a task run)."""
    root_job: DatasetName | None = None
    job_tags: tuple[DeclaredTag, ...] = ()
    run_tags: tuple[DeclaredTag, ...] = ()
    job_owners: tuple[DeclaredOwner, ...] | None = None
    """Job ``ownership`` facet (None: not sent)."""
    run_quality: tuple[QualityResult, ...] = ()
    """The ``test`` run facet's results (not attributed to one dataset)."""
    principals: tuple[DeclaredPrincipal, ...] = ()
    """Who the run ran as (``temporal_lineage.openlineage.access_facets``)."""


@dataclass(frozen=True)
class RejectedEvent:
    """An element of a payload that is not a valid event, and the one-line reason.

    >>> RejectedEvent(3, "event 3: run.runId: not a UUID: 'abc'").error
    "event 3: run.runId: not a UUID: 'abc'"
    """

    index: int
    """0-based position of the element in the payload (array index or NDJSON line count,
    blank lines not counted)."""
    error: str
    origin: str = ""
    """Where the payload came from (a file name), as given to ``parse_payload``."""
