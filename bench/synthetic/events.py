"""OpenLineage RunEvents as the synthetic warehouse's jobs send them (shared with
``ingestion.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from .plan import COLUMNS, DATASET_LEVEL, EPOCH, ColumnLineage, ColumnSource

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.24.2/integration/spark"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
FACET_URL = "https://openlineage.io/spec/facets/1-0-1/{}.json#/$defs/{}"
COLUMN_LINEAGE_URL = (
    "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json"
    "#/$defs/ColumnLineageDatasetFacet"
)


def iso(us: int) -> str:
    """An OpenLineage ``eventTime`` (millisecond precision, ``Z``)."""
    return (EPOCH + timedelta(microseconds=us)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _facet(name: str, **body: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": FACET_URL.format(name, name), **body}


def dataset(
    namespace: str,
    name: str,
    *,
    version: str | None = None,
    schema: bool = False,
    side: str = "input",
    column_lineage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One OpenLineage input or output, with a version facet (a schema, column lineage) when
    asked."""
    facets: dict[str, Any] = {}
    if schema:
        facets["schema"] = _facet(
            "SchemaDatasetFacet",
            fields=[
                {"name": c, "type": "long" if c in ("id", "customer_id") else "string"}
                for c in COLUMNS
            ],
        )
    if column_lineage is not None:
        facets["columnLineage"] = column_lineage
    if version is not None:
        facets["version"] = _facet("DatasetVersionDatasetFacet", datasetVersion=version)
    item: dict[str, Any] = {"namespace": namespace, "name": name, "facets": facets}
    if side == "output":
        item["outputFacets"] = {
            "outputStatistics": _facet(
                "OutputStatisticsOutputDatasetFacet", rowCount=1000, size=65_536
            )
        }
    return item


def run_event(
    event_type: str,
    run_id: str,
    at: int,
    job: tuple[str, str],
    inputs: Sequence[dict[str, Any]],
    outputs: Sequence[dict[str, Any]],
    *,
    code_version: str,
    code_path: str,
    sql: str | None = None,
    parent: tuple[str, str, str] | None = None,
    spark_app_id: str | None = None,
) -> dict[str, Any]:
    """A RunEvent as openlineage-spark / Airflow send it (job facets on every event)."""
    run_facets: dict[str, Any] = {}
    if parent is not None:
        parent_run, parent_namespace, parent_name = parent
        run_facets["parent"] = _facet(
            "ParentRunFacet",
            run={"runId": parent_run},
            job={"namespace": parent_namespace, "name": parent_name},
        )
    if spark_app_id is not None:
        run_facets["spark_applicationDetails"] = _facet(
            "SparkApplicationDetailsFacet", applicationId=spark_app_id, master="yarn"
        )
    job_facets: dict[str, Any] = {
        "sourceCodeLocation": _facet(
            "SourceCodeLocationJobFacet",
            type="git",
            url="https://git.example.com/data/pipelines",
            repoUrl="https://git.example.com/data/pipelines.git",
            path=code_path,
            version=code_version,
            branch="main",
        ),
        "jobType": _facet(
            "JobTypeJobFacet", processingType="BATCH", integration="SPARK", jobType="JOB"
        ),
    }
    if sql is not None:
        job_facets["sql"] = _facet("SQLJobFacet", query=sql, dialect="spark")
    return {
        "eventType": event_type,
        "eventTime": iso(at),
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
        "run": {"runId": run_id, "facets": run_facets},
        "job": {"namespace": job[0], "name": job[1], "facets": job_facets},
        "inputs": list(inputs),
        "outputs": list(outputs),
    }


def column_facet(mapping: Sequence[ColumnLineage]) -> dict[str, Any]:
    """The ``columnLineage`` facet of a mapping (``fields``, and ``dataset`` for ``*``)."""

    def entries(inputs: Sequence[ColumnSource]) -> list[dict[str, Any]]:
        return [
            {
                "namespace": s.namespace,
                "name": s.name,
                "field": s.field,
                "transformations": [
                    {"type": kind, "subtype": subtype, "masking": False}
                    for kind, subtype in s.transformations
                ],
            }
            for s in inputs
        ]

    fields = {
        m.field: {"inputFields": entries(m.inputs)} for m in mapping if m.field != DATASET_LEVEL
    }
    dataset_level = [s for m in mapping if m.field == DATASET_LEVEL for s in m.inputs]
    body: dict[str, Any] = {"fields": fields}
    if dataset_level:
        body["dataset"] = entries(dataset_level)
    return {"_producer": PRODUCER, "_schemaURL": COLUMN_LINEAGE_URL, **body}
