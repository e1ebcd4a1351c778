"""The real-world OpenLineage corpus, the spec's JSON schemas, and template filling."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

REALWORLD = Path(__file__).resolve().parents[2].parent / "shared" / "realworld"
OPENLINEAGE = REALWORLD / "openlineage"
SPEC_SCHEMA = OPENLINEAGE / "spec-schema"

COMPLETE = (
    "compat_airflow/line_01.json",
    "compat_airflow/line_03.json",
    "compat_airflow/line_08.json",
    "compat_spark_dataproc/bigquery_shakespeare_1729097631761_complete.json",
    "compat_spark_dataproc/cll_8_complete.json",
    "compat_spark_dataproc/simple_producer_test_1_start.json",
    "compat_spark_dataproc/simple_producer_test_4_complete.json",
    "spec/example_full_event.json",
    "spec/fluentd_event_full.json",
)
"""Full events from real producers and the spec's examples: valid against spec 2-0-2."""

SPARK_TEMPLATES = (
    "ol_spark_integration_expected/deltaMergeCommandVerificationComplete.json",
    "ol_spark_integration_expected/pysparkDeltaCTASComplete.json",
    "ol_spark_integration_expected/pysparkV2AlterTableCompleteEvent.json",
    "ol_spark_integration_expected/pysparkV2AppendDataCompleteEvent.json",
    "ol_spark_integration_expected/pysparkV2CreateTableAsSelectCompleteEvent.json",
    "ol_spark_integration_expected/pysparkV2DropTableCompleteEvent.json",
    "ol_spark_integration_expected/pysparkV2MergeIntoTableMorCompleteEvent.json",
    "ol_spark_integration_expected/pysparkWriteDeltaTableVersionEnd.json",
    "ol_spark_integration_expected/pysparkWriteDeltaTableVersionStart.json",
    "ol_spark_integration_expected/pysparkWriteIcebergTableVersionEnd.json",
)
FLINK_TEMPLATE = "ol_flink_integration_expected/expected_iceberg.json"
DBT_TEMPLATE = "ol_dbt_integration_expected/dbt_spark_thrift_result.json"
TEMPLATES = (*SPARK_TEMPLATES, FLINK_TEMPLATE, DBT_TEMPLATE)
"""Partial-match templates from the OpenLineage integration tests: no envelope, placeholders."""

FACET_ONLY = "spec/ColumnLineageDatasetFacet_1.json"

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.23.0/integration/spark"
RUN_EVENT_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
FILLED_TIME = "2024-10-17T09:18:26.825Z"
_PLACEHOLDER_MARKS = ("{{", "${json-unit")


def corpus_bytes(relative: str) -> bytes:
    """The bytes of a corpus file; a missing corpus fails the test (it never skips)."""
    path = OPENLINEAGE / relative
    if not path.is_file():
        pytest.fail(f"real-world corpus file missing: {path} (expected under {REALWORLD})")
    return path.read_bytes()


def corpus_json(relative: str) -> Any:
    """A corpus file decoded."""
    return json.loads(corpus_bytes(relative))


def template_events(relative: str) -> list[dict[str, Any]]:
    """The events of a template file (the dbt file is an array of 20)."""
    loaded = corpus_json(relative)
    return list(loaded) if isinstance(loaded, list) else [loaded]


def is_placeholder(value: Any) -> bool:
    """A template's ``{{ any(result) }}`` or ``${json-unit.any-string}`` value."""
    return isinstance(value, str) and any(mark in value for mark in _PLACEHOLDER_MARKS)


def _replace_placeholders(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _replace_placeholders(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_placeholders(v, key) for v in value]
    if is_placeholder(value):
        if key == "runId":
            return str(uuid.uuid4())
        if key == "eventTime":
            return FILLED_TIME
        return f"filled-{key}"
    return value


def fill_template(event: Mapping[str, Any], *, name: str = "template") -> dict[str, Any]:
    """A template made a complete event: envelope, ``run.runId`` and placeholders filled.

    Templates that lack a job (or its name) get one, since every run has a job.
    """
    filled: dict[str, Any] = _replace_placeholders(copy.deepcopy(dict(event)))
    filled.setdefault("eventTime", FILLED_TIME)
    filled.setdefault("producer", PRODUCER)
    filled.setdefault("schemaURL", RUN_EVENT_URL)
    run = filled.setdefault("run", {})
    run.setdefault("runId", str(uuid.uuid4()))
    job = filled.setdefault("job", {})
    job.setdefault("namespace", "template-namespace")
    job.setdefault("name", name)
    return filled


def with_facet_base(event: Mapping[str, Any]) -> dict[str, Any]:
    """A copy whose facets all carry ``_producer`` and ``_schemaURL`` (the spec requires them)."""
    copied: dict[str, Any] = copy.deepcopy(dict(event))
    for _, container in facet_containers(copied):
        for facet in container.values():
            if isinstance(facet, dict):
                facet.setdefault("_producer", PRODUCER)
                facet.setdefault("_schemaURL", RUN_EVENT_URL)
    return copied


def facet_containers(event: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(facet kind, container) for every facets object of an event."""
    for owner, kind in (("run", "RunFacet"), ("job", "JobFacet")):
        facets = (event.get(owner) or {}).get("facets")
        if isinstance(facets, dict):
            yield kind, facets
    datasets = [("InputDatasetFacet", d) for d in event.get("inputs") or []]
    datasets += [("OutputDatasetFacet", d) for d in event.get("outputs") or []]
    if event.get("dataset"):
        datasets.append(("", event["dataset"]))
    for io_kind, dataset in datasets:
        if isinstance(dataset.get("facets"), dict):
            yield "DatasetFacet", dataset["facets"]
        io_key = "inputFacets" if io_kind.startswith("Input") else "outputFacets"
        if io_kind and isinstance(dataset.get(io_key), dict):
            yield io_kind, dataset[io_key]


@cache
def _schemas() -> tuple[dict[str, Any], Registry[Any], list[dict[str, Any]]]:
    if not SPEC_SCHEMA.is_dir():
        pytest.fail(f"OpenLineage spec schemas missing: {SPEC_SCHEMA}")
    documents = [json.loads(p.read_text()) for p in sorted(SPEC_SCHEMA.rglob("*.json"))]
    schemas = [d for d in documents if "$id" in d]
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas
    )
    main = next(s for s in schemas if s["$id"].endswith("/OpenLineage.json"))
    facet_schemas = [s for s in schemas if s is not main and "properties" in s]
    return main, registry, facet_schemas


def _facet_kind(schema: Mapping[str, Any]) -> str:
    definitions = schema.get("$defs", {})
    for suffix in ("InputDatasetFacet", "OutputDatasetFacet", "DatasetFacet", "RunFacet"):
        if any(name.endswith(suffix) for name in definitions):
            return suffix
    return "JobFacet"


def _validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    _, registry, _ = _schemas()
    checker = Draft202012Validator.FORMAT_CHECKER
    return Draft202012Validator(schema, registry=registry, format_checker=checker)


def spec_errors(event: Any) -> list[str]:
    """Violations of the OpenLineage 2-0-2 event schema (``OpenLineage.json``), no network.

    ``$ref`` s resolve through a ``referencing.Registry`` of the local schema files only;
    formats checked: ``uuid`` (date-time and uri need packages not installed).
    """
    main, _, _ = _schemas()
    return [f"{list(e.absolute_path)}: {e.message}" for e in _validator(main).iter_errors(event)]


def facet_errors(event: Mapping[str, Any]) -> list[str]:
    """Violations of the facet schemas (``facets/``, ``registry/``) by the facets they name."""
    _, _, facet_schemas = _schemas()
    errors: list[str] = []
    for kind, container in facet_containers(event):
        for schema in facet_schemas:
            names = sorted(set(schema["properties"]) & set(container))
            if names and _facet_kind(schema) == kind:
                subset = {name: container[name] for name in names}
                errors += [
                    f"{kind} {'.'.join(map(str, e.absolute_path))}: {e.message}"
                    for e in _validator(schema).iter_errors(subset)
                ]
    return errors
