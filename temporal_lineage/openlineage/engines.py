"""Ids an engine gives a run, found in run facets, under the names commits carry them.

A commit can name the run that made it by an engine id (``temporal_lineage.commit_keys``);
this module finds the same ids in OpenLineage run facets. Where they really are:

- ``spark.app.id``: the ``appId`` of ``gcp_dataproc_spark`` (openlineage-spark on
  Dataproc, e.g. ``application_1729097245443_0002``), the ``applicationId`` of
  ``spark_applicationDetails`` (openlineage-spark 1.2x), or a literal ``spark.app.id``
  property (``spark_properties.properties`` when captured).
- ``flink.job-id``: the ``jobId`` of the ``flink_job`` facet (openlineage-flink).
- ``trino_query_id``: ``queryId``/``query_id`` of a ``trino_*`` facet (Trino's
  OpenLineage listener: ``trino_metadata.query_id``), or ``externalQuery.externalQueryId``
  when its ``source`` is a ``trino`` URI (Airflow's Trino operators).
- ``job.runId`` (Databricks job run): ``spark.databricks.job.runId`` inside the
  ``environment-properties`` facet (openlineage-spark on Databricks), or ``runId``/
  ``jobRunId`` of a ``databricks*`` facet.

Rules: a literal canonical key (``spark.app.id``, ``flink.job-id``, ``trino_query_id``,
``job.runId``, ``spark.databricks.job.runId``) counts in any run facet; an engine-specific
key (``appId``, ``jobId``, ...) counts only in a facet whose name contains the engine's
name, so Dataproc's own ``jobId`` is never taken for a Flink job id. Nested objects are
searched to depth 4 (the facet itself is depth 1); arrays are not searched. Values must be
non-empty strings or integers; the first value found for a name wins, literal keys first.
Engine ids are hints for linking, so a facet without them is never an error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

SPARK_APP_ID = "spark.app.id"
FLINK_JOB_ID = "flink.job-id"
TRINO_QUERY_ID = "trino_query_id"
DATABRICKS_RUN_ID = "job.runId"

MAX_DEPTH = 4

LITERAL_KEYS: Mapping[str, str] = {
    SPARK_APP_ID: SPARK_APP_ID,
    FLINK_JOB_ID: FLINK_JOB_ID,
    TRINO_QUERY_ID: TRINO_QUERY_ID,
    DATABRICKS_RUN_ID: DATABRICKS_RUN_ID,
    "spark.databricks.job.runId": DATABRICKS_RUN_ID,
}
"""Keys naming an engine id wherever they appear."""

SCOPED_KEYS: Mapping[str, Mapping[str, str]] = {
    "spark": {"appId": SPARK_APP_ID, "applicationId": SPARK_APP_ID},
    "flink": {"jobId": FLINK_JOB_ID, "job-id": FLINK_JOB_ID},
    "trino": {"queryId": TRINO_QUERY_ID, "query_id": TRINO_QUERY_ID},
    "databricks": {"runId": DATABRICKS_RUN_ID, "jobRunId": DATABRICKS_RUN_ID},
}
"""Keys naming an engine id inside a facet whose (lowercased) name contains the engine."""


def _id_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _entries(facet: Mapping[str, Any], depth: int = 1) -> Iterator[tuple[str, Any]]:
    """Every (key, value) of a facet and its nested objects, depth-first, to ``MAX_DEPTH``."""
    for key, value in facet.items():
        yield key, value
        if isinstance(value, dict) and depth < MAX_DEPTH:
            yield from _entries(value, depth + 1)


def engine_ids(run_facets: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """The engine ids in a run's facets, by canonical name.

    >>> engine_ids({"gcp_dataproc_spark": {"appId": "app-1", "jobId": "dataproc-job"},
    ...             "flink_job": {"jobId": "f00"}})
    {'spark.app.id': 'app-1', 'flink.job-id': 'f00'}
    >>> engine_ids({"environment-properties": {"environment-properties": {
    ...     "spark.databricks.job.runId": "123"}}})
    {'job.runId': '123'}
    """
    found: dict[str, str] = {}
    for facet in run_facets.values():
        for key, value in _entries(facet):
            canonical = LITERAL_KEYS.get(key)
            text = _id_text(value) if canonical else None
            if canonical and text and canonical not in found:
                found[canonical] = text
    for name, facet in run_facets.items():
        lowered = name.lower()
        for engine, keys in SCOPED_KEYS.items():
            if engine not in lowered:
                continue
            for key, value in _entries(facet):
                canonical = keys.get(key)
                text = _id_text(value) if canonical else None
                if canonical and text and canonical not in found:
                    found[canonical] = text
    external = run_facets.get("externalQuery")
    if external is not None and TRINO_QUERY_ID not in found:
        source = external.get("source")
        text = _id_text(external.get("externalQueryId"))
        if isinstance(source, str) and source.lower().startswith("trino") and text:
            found[TRINO_QUERY_ID] = text
    return found
