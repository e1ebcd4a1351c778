"""The facets ingestion reads, turned into values; every other facet is kept as received.

A facet that is read and lacks a key gives None for that piece (producers send partial
facets: dbt's ``parent`` without ``run``, Spark's ``version: {}``); a key that is present
with the wrong type or format rejects the event. Items that identify something (symlink
identifiers, column-lineage inputs, schema fields, transformations) must carry their
identifying keys.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal

from temporal_lineage.openlineage.events import (
    ColumnLineage,
    ColumnLineageInput,
    DatasetName,
    DatasetObservation,
    SchemaField,
    Transformation,
)
from temporal_lineage.openlineage.governance_facets import read_owners, read_tags
from temporal_lineage.openlineage.quality_facets import read_dataset_quality
from temporal_lineage.openlineage.validate import (
    FieldError,
    as_object,
    as_string,
    item_path,
    key_path,
    need,
    read_array,
    read_bool,
    read_facets,
    read_instant,
    read_integer,
    read_name,
    read_object,
    read_string,
    read_uuid,
    shown,
)

Side = Literal["input", "output", "static"]

_IO_FACETS: Mapping[Side, str] = {"input": "inputFacets", "output": "outputFacets"}
_ICEBERG_REPORT: Mapping[Side, str] = {
    "input": "icebergScanReport",
    "output": "icebergCommitReport",
}
_DATASET_LEVEL_FIELD = "*"


@dataclass(frozen=True)
class Parents:
    """What the ``parent`` run facet says: the parent and the root run of this run."""

    parent_run_id: str | None = None
    parent_job: DatasetName | None = None
    root_run_id: str | None = None
    root_job: DatasetName | None = None


@dataclass(frozen=True)
class JobIdentity:
    """What the job facets say about the code a run executed."""

    code_version: str | None = None
    source_url: str | None = None
    sql: str | None = None
    sql_dialect: str | None = None


def _job_name(obj: Mapping[str, Any] | None, path: str) -> DatasetName | None:
    """A (namespace, name) object where both are optional: None unless both are there."""
    if obj is None:
        return None
    namespace = read_string(obj, "namespace", path)
    name = read_string(obj, "name", path)
    return DatasetName(namespace, name) if namespace and name else None


def _run_and_job(facet: Mapping[str, Any], path: str) -> tuple[str | None, DatasetName | None]:
    run = read_object(facet, "run", path)
    run_id = read_uuid(run, "runId", key_path(path, "run")) if run is not None else None
    return run_id, _job_name(read_object(facet, "job", path), key_path(path, "job"))


def read_parents(run_facets: Mapping[str, Mapping[str, Any]], path: str) -> Parents:
    """The ``parent`` facet (with its optional ``root``) of a run."""
    parent = run_facets.get("parent")
    if parent is None:
        return Parents()
    where = key_path(path, "parent")
    parent_run_id, parent_job = _run_and_job(parent, where)
    root = read_object(parent, "root", where)
    root_run_id, root_job = (None, None)
    if root is not None:
        root_run_id, root_job = _run_and_job(root, key_path(where, "root"))
    return Parents(parent_run_id, parent_job, root_run_id, root_job)


def read_nominal_time(
    run_facets: Mapping[str, Mapping[str, Any]], path: str
) -> tuple[datetime | None, datetime | None]:
    """``nominalTime`` start and end."""
    facet = run_facets.get("nominalTime")
    if facet is None:
        return None, None
    where = key_path(path, "nominalTime")
    return (
        read_instant(facet, "nominalStartTime", where),
        read_instant(facet, "nominalEndTime", where),
    )


def _parameter_text(value: Any, path: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    raise FieldError(path, f"not a string: {shown(value)}")


def read_parameters(run_facets: Mapping[str, Mapping[str, Any]], path: str) -> dict[str, str]:
    """Run parameters: ``executionParameters`` (key -> value), then ``parameters`` (name -> value).

    Numbers and booleans are kept as their JSON text; the ``_producer``/``_schemaURL`` keys
    of a ``parameters`` facet are not parameters.
    """
    found: dict[str, str] = {}
    execution = run_facets.get("executionParameters")
    if execution is not None:
        where = key_path(path, "executionParameters")
        items_at = key_path(where, "parameters")
        for index, item in enumerate(read_array(execution, "parameters", where)):
            at = item_path(items_at, index)
            entry = as_object(item, at)
            value = entry.get("value")
            found[read_name(entry, "key", at)] = (
                "" if value is None else _parameter_text(value, key_path(at, "value"))
            )
    plain = run_facets.get("parameters")
    if plain is not None:
        where = key_path(path, "parameters")
        for name, value in plain.items():
            if not name.startswith("_") and value is not None:
                found[name] = _parameter_text(value, key_path(where, name))
    return found


def _joined_url(base: str, path: str | None) -> str:
    """``base`` with ``path`` appended unless it already ends with it.

    >>> _joined_url("https://github.com/o/r/", "dags/x.py")
    'https://github.com/o/r/dags/x.py'
    >>> _joined_url("https://github.com/o/r/blob/abc/dags/x.py", "dags/x.py")
    'https://github.com/o/r/blob/abc/dags/x.py'
    """
    if not path or base.rstrip("/").endswith(path.strip("/")):
        return base
    return f"{base.rstrip('/')}/{path.lstrip('/')}"


def read_job_identity(job_facets: Mapping[str, Mapping[str, Any]], path: str) -> JobIdentity:
    """``sourceCodeLocation`` (version, url + path) and ``sql`` (query, dialect)."""
    code_version = source_url = sql = dialect = None
    location = job_facets.get("sourceCodeLocation")
    if location is not None:
        where = key_path(path, "sourceCodeLocation")
        code_version = read_string(location, "version", where)
        base = read_string(location, "url", where) or read_string(location, "repoUrl", where)
        subpath = read_string(location, "path", where)
        source_url = _joined_url(base, subpath) if base else None
    sql_facet = job_facets.get("sql")
    if sql_facet is not None:
        where = key_path(path, "sql")
        sql = read_string(sql_facet, "query", where)
        dialect = read_string(sql_facet, "dialect", where)
    return JobIdentity(code_version or None, source_url, sql, dialect or None)


def _schema_fields(items: list[Any], path: str) -> tuple[SchemaField, ...]:
    fields: list[SchemaField] = []
    for index, item in enumerate(items):
        at = item_path(path, index)
        entry = as_object(item, at)
        fields.append(
            SchemaField(
                name=as_string(need(entry, "name", at), key_path(at, "name")),
                type=read_string(entry, "type", at),
                description=read_string(entry, "description", at),
                fields=_schema_fields(read_array(entry, "fields", at), key_path(at, "fields")),
            )
        )
    return tuple(fields)


def _transformations(items: list[Any], path: str) -> tuple[Transformation, ...]:
    found: list[Transformation] = []
    for index, item in enumerate(items):
        at = item_path(path, index)
        entry = as_object(item, at)
        found.append(
            Transformation(
                type=read_name(entry, "type", at),
                subtype=read_string(entry, "subtype", at),
                description=read_string(entry, "description", at),
                masking=read_bool(entry, "masking", at),
            )
        )
    return tuple(found)


def _lineage_inputs(items: list[Any], path: str) -> tuple[ColumnLineageInput, ...]:
    found: list[ColumnLineageInput] = []
    for index, item in enumerate(items):
        at = item_path(path, index)
        entry = as_object(item, at)
        found.append(
            ColumnLineageInput(
                namespace=read_name(entry, "namespace", at),
                name=read_name(entry, "name", at),
                field=read_name(entry, "field", at),
                transformations=_transformations(
                    read_array(entry, "transformations", at), key_path(at, "transformations")
                ),
            )
        )
    return tuple(found)


def _column_lineage(facet: Mapping[str, Any], path: str) -> tuple[ColumnLineage, ...]:
    found: list[ColumnLineage] = []
    fields = read_object(facet, "fields", path)
    where = key_path(path, "fields")
    for name, value in (fields or {}).items():
        at = key_path(where, name)
        entry = as_object(value, at)
        found.append(
            ColumnLineage(
                field=name,
                inputs=_lineage_inputs(
                    read_array(entry, "inputFields", at), key_path(at, "inputFields")
                ),
                transformation_type=read_string(entry, "transformationType", at),
                transformation_description=read_string(entry, "transformationDescription", at),
            )
        )
    dataset_level = _lineage_inputs(read_array(facet, "dataset", path), key_path(path, "dataset"))
    if dataset_level:
        found.append(ColumnLineage(field=_DATASET_LEVEL_FIELD, inputs=dataset_level))
    return tuple(found)


def _symlinks(facet: Mapping[str, Any], path: str) -> tuple[DatasetName, ...]:
    where = key_path(path, "identifiers")
    found: list[DatasetName] = []
    for index, item in enumerate(read_array(facet, "identifiers", path)):
        at = item_path(where, index)
        entry = as_object(item, at)
        found.append(DatasetName(read_name(entry, "namespace", at), read_name(entry, "name", at)))
    return tuple(found)


def _version(facet: Mapping[str, Any], path: str) -> str | None:
    """``datasetVersion``: a string (an integer is accepted and kept as its digits)."""
    value = facet.get("datasetVersion")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is None:
        return None
    return as_string(value, key_path(path, "datasetVersion")) or None


def _previous_name(facet: Mapping[str, Any], path: str) -> DatasetName | None:
    previous = read_object(facet, "previousIdentifier", path)
    if previous is None:
        return None
    at = key_path(path, "previousIdentifier")
    return DatasetName(read_name(previous, "namespace", at), read_name(previous, "name", at))


def read_dataset(value: Any, path: str, side: Side) -> DatasetObservation:
    """One dataset of an event (``inputs[i]``, ``outputs[i]`` or a DatasetEvent's ``dataset``)."""
    obj = as_object(value, path)
    namespace = read_name(obj, "namespace", path)
    name = read_name(obj, "name", path)
    facets = read_facets(obj, "facets", path)
    paths = {facet_name: key_path(key_path(path, "facets"), facet_name) for facet_name in facets}
    io_key = _IO_FACETS.get(side)
    if io_key is not None:
        io_facets = read_facets(obj, io_key, path)
        facets.update(io_facets)
        paths.update({n: key_path(key_path(path, io_key), n) for n in io_facets})

    def facet(facet_name: str) -> tuple[Mapping[str, Any] | None, str]:
        return facets.get(facet_name), paths.get(facet_name, "")

    symlinks, at = facet("symlinks")
    version, version_at = facet("version")
    storage, storage_at = facet("storage")
    schema, schema_at = facet("schema")
    lineage, lineage_at = facet("columnLineage")
    lifecycle, lifecycle_at = facet("lifecycleStateChange")
    snapshot_id = None
    report_name = _ICEBERG_REPORT.get(side)
    if report_name is not None:
        report, report_at = facet(report_name)
        if report is not None:
            snapshot_id = read_integer(report, "snapshotId", report_at)
    return DatasetObservation(
        namespace=namespace,
        name=name,
        symlinks=_symlinks(symlinks, at) if symlinks is not None else (),
        version=_version(version, version_at) if version is not None else None,
        snapshot_id=snapshot_id,
        storage_layer=read_string(storage, "storageLayer", storage_at)
        if storage is not None
        else None,
        file_format=read_string(storage, "fileFormat", storage_at) if storage is not None else None,
        schema=(
            _schema_fields(read_array(schema, "fields", schema_at), key_path(schema_at, "fields"))
            if schema is not None
            else None
        ),
        column_lineage=_column_lineage(lineage, lineage_at) if lineage is not None else (),
        lifecycle_state=(
            read_string(lifecycle, "lifecycleStateChange", lifecycle_at) or None
            if lifecycle is not None
            else None
        ),
        facets=MappingProxyType(facets),
        previous_name=_previous_name(lifecycle, lifecycle_at) if lifecycle is not None else None,
        tags=read_tags(*facet("tags")),
        owners=read_owners(*facet("ownership")),
        quality=read_dataset_quality(facets, paths),
    )


def read_datasets(obj: Mapping[str, Any], key: str, side: Side) -> tuple[DatasetObservation, ...]:
    """The ``inputs`` or ``outputs`` array of an event."""
    return tuple(
        read_dataset(item, item_path(key, index), side)
        for index, item in enumerate(read_array(obj, key, ""))
    )
