"""OpenLineage facets from openlineage-python's generated classes, stamped with our producer."""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from openlineage.client.facet_v2 import (
    DatasetFacet,
    JobFacet,
    RunFacet,
    dataset_version_dataset,
    error_message_run,
    nominal_time_run,
    parent_run,
    source_code_location_job,
    sql_job,
    symlinks_dataset,
)

from temporal_lineage.instrument.columns import column_lineage_facet
from temporal_lineage.instrument.datasets import RecordedDataset
from temporal_lineage.openlineage.column_edges import INSTRUMENT_PRODUCER

PRODUCER = INSTRUMENT_PRODUCER
"""The ``producer`` of every event and facet this package emits (its column mappings are
stored as declared)."""

PARAMETERS_FACET = "parameters"
PARAMETERS_SCHEMA_URL = f"{PRODUCER}/ParametersRunFacet.json#/$defs/ParametersRunFacet"
"""``_schemaURL`` of the custom ``parameters`` run facet (name -> string value)."""


@dataclass(frozen=True)
class ParentRun:
    """The run that spawned a run (a DAG run for its tasks): its id and its job."""

    run_id: str
    namespace: str
    job: str


def event_time(moment: datetime) -> str:
    """Format an aware datetime as ISO-8601 UTC with milliseconds and a trailing Z.

    >>> event_time(datetime(2026, 1, 5, 9, 30, 0, 123456, tzinfo=UTC))
    '2026-01-05T09:30:00.123Z'
    """
    if moment.tzinfo is None:
        raise ValueError(f"event times must be timezone-aware, got {moment!r}")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def dataset_facets(
    recorded: RecordedDataset, with_version: bool, with_columns: bool = False
) -> dict[str, DatasetFacet]:
    """The ``version`` (when known and reported), ``symlinks`` and ``columnLineage`` facets.

    ``columnLineage`` is sent only WITH_COLUMNS and when column lineage was declared.
    """
    facets: dict[str, DatasetFacet] = {}
    if with_version and recorded.version is not None:
        facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=recorded.version, producer=PRODUCER
        )
    if recorded.dataset.symlinks:
        facets["symlinks"] = symlinks_dataset.SymlinksDatasetFacet(
            identifiers=[
                symlinks_dataset.Identifier(namespace=s.namespace, name=s.name, type=s.type)
                for s in recorded.dataset.symlinks
            ],
            producer=PRODUCER,
        )
    if with_columns and recorded.columns:
        facets["columnLineage"] = column_lineage_facet(recorded.columns, PRODUCER)
    return facets


def job_facets(
    source_url: str | None, code_version: str | None, sql: str | None, sql_dialect: str | None
) -> dict[str, JobFacet]:
    """The ``sourceCodeLocation`` (git URL + SHA) and ``sql`` job facets that were given."""
    facets: dict[str, JobFacet] = {}
    if source_url is not None:
        facets["sourceCodeLocation"] = source_code_location_job.SourceCodeLocationJobFacet(
            type="git", url=source_url, version=code_version, producer=PRODUCER
        )
    if sql is not None:
        facets["sql"] = sql_job.SQLJobFacet(query=sql, dialect=sql_dialect, producer=PRODUCER)
    return facets


def parent_facet(parent: ParentRun) -> parent_run.ParentRunFacet:
    """The ``parent`` run facet pointing at PARENT."""
    return parent_run.ParentRunFacet(
        run=parent_run.Run(runId=parent.run_id),
        job=parent_run.Job(namespace=parent.namespace, name=parent.job),
        producer=PRODUCER,
    )


def nominal_time_facet(
    start: datetime, end: datetime | None
) -> nominal_time_run.NominalTimeRunFacet:
    """The ``nominalTime`` run facet (the scheduled time the run stands for)."""
    return nominal_time_run.NominalTimeRunFacet(
        nominalStartTime=event_time(start),
        nominalEndTime=None if end is None else event_time(end),
        producer=PRODUCER,
    )


def parameters_facet(parameters: Mapping[str, str]) -> RunFacet:
    """The custom ``parameters`` run facet: ``{"_producer", "_schemaURL", name: value, ...}``.

    openlineage-python's ``with_additional_properties`` compiles each key into Python code,
    so a key such as ``start-date`` raises SyntaxError there. The facet is therefore a plain
    mapping; ``Serde`` serialises mappings and attrs facets alike.

    >>> parameters_facet({"start-date": "2026-01-05"})["start-date"]
    '2026-01-05'
    """
    for name in parameters:
        if not name or name.startswith("_"):
            raise ValueError(f"parameter names must be non-empty and not start with '_': {name!r}")
    body: dict[str, str] = {"_producer": PRODUCER, "_schemaURL": PARAMETERS_SCHEMA_URL}
    body.update({name: str(value) for name, value in parameters.items()})
    return cast(RunFacet, body)


def error_facet(error: BaseException | str) -> error_message_run.ErrorMessageRunFacet:
    """The ``errorMessage`` run facet of a failed run (message and Python stack trace)."""
    if isinstance(error, str):
        message, stack = error, None
    else:
        message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        stack = "".join(traceback.format_exception(error))
    return error_message_run.ErrorMessageRunFacet(
        message=message, programmingLanguage="python", stackTrace=stack, producer=PRODUCER
    )
