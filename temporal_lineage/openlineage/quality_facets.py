"""The data-quality facets ingestion reads, as the OpenLineage spec defines them
(``spec-schema/facets``): ``dataQualityAssertions`` and ``dataQualityMetrics`` of a dataset
(inputs send them in ``inputFacets``; some producers put them on outputs, in ``outputFacets``
or ``facets``: every place is read), and the ``test`` run facet.

Identifying keys are required (an assertion's ``assertion`` and ``success``, a test's
``name`` and ``status``); a key present with the wrong type rejects the event, as for every
facet read (``temporal_lineage.openlineage.facets``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from temporal_lineage.openlineage.events import QualityResult
from temporal_lineage.openlineage.validate import (
    FieldError,
    as_object,
    as_string,
    item_path,
    key_path,
    need,
    read_array,
    read_name,
    read_object,
    read_string,
    shown,
)

ASSERTIONS = "dataQualityAssertions"
METRICS = "dataQualityMetrics"
TEST = "test"

_ASSERTION_DETAILS = ("name", "severity", "description", "expected", "actual")
_TEST_DETAILS = ("status", "severity", "type", "description", "expected", "actual")
_DATASET_METRICS = ("rowCount", "bytes", "fileCount")
_COLUMN_METRICS = ("nullCount", "distinctCount", "sum", "count", "min", "max")
_PASSED = {"pass": True, "fail": False}


def _number(obj: Mapping[str, Any], key: str, path: str) -> int | float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldError(key_path(path, key), f"not a number: {shown(value)}")
    return value


def _details(entry: Mapping[str, Any], keys: tuple[str, ...], at: str) -> dict[str, str] | None:
    found = {k: v for k in keys if (v := read_string(entry, k, at)) is not None}
    return found or None


def read_assertions(facet: Mapping[str, Any] | None, where: str) -> tuple[QualityResult, ...]:
    """A ``dataQualityAssertions`` facet's assertions (``column`` absent: the whole dataset).

    >>> read_assertions({"assertions": [{"assertion": "not_null", "success": False,
    ...     "column": "id"}]}, "f")
    (QualityResult(kind='assertion', check='not_null', column='id', success=False, value=None),)
    """
    if facet is None:
        return ()
    found: list[QualityResult] = []
    for index, item in enumerate(read_array(facet, "assertions", where)):
        at = item_path(key_path(where, "assertions"), index)
        entry = as_object(item, at)
        success = need(entry, "success", at)
        if not isinstance(success, bool):
            raise FieldError(key_path(at, "success"), f"not a boolean: {shown(success)}")
        found.append(
            QualityResult(
                kind="assertion",
                check=read_name(entry, "assertion", at),
                column=read_string(entry, "column", at) or None,
                success=success,
                value=_details(entry, _ASSERTION_DETAILS, at),
            )
        )
    return tuple(found)


def read_metrics(facet: Mapping[str, Any] | None, where: str) -> tuple[QualityResult, ...]:
    """A ``dataQualityMetrics`` facet: ``rowCount``/``bytes``/``fileCount`` of the dataset and
    each column's ``nullCount``, ``distinctCount``, ``sum``, ``count``, ``min``, ``max`` and
    ``quantiles`` (one result each, ``success`` None: a metric passes or fails nothing)."""
    if facet is None:
        return ()
    found = [
        QualityResult("metric", key, None, None, value)
        for key in _DATASET_METRICS
        if (value := _number(facet, key, where)) is not None
    ]
    columns = read_object(facet, "columnMetrics", where) or {}
    columns_at = key_path(where, "columnMetrics")
    for column, metrics in columns.items():
        at = key_path(columns_at, column)
        entry = as_object(metrics, at)
        found.extend(
            QualityResult("metric", key, column, None, value)
            for key in _COLUMN_METRICS
            if (value := _number(entry, key, at)) is not None
        )
        quantiles = read_object(entry, "quantiles", at)
        if quantiles:
            q_at = key_path(at, "quantiles")
            values = {q: _number(quantiles, q, q_at) for q in quantiles}
            found.append(QualityResult("metric", "quantiles", column, None, values))
    return tuple(found)


def read_dataset_quality(
    facets: Mapping[str, Mapping[str, Any]], paths: Mapping[str, str]
) -> tuple[QualityResult, ...]:
    """The assertions and metrics among a dataset's merged facets (``paths``: where each is)."""
    return (
        *read_assertions(facets.get(ASSERTIONS), paths.get(ASSERTIONS, ASSERTIONS)),
        *read_metrics(facets.get(METRICS), paths.get(METRICS, METRICS)),
    )


def read_tests(run_facets: Mapping[str, Mapping[str, Any]], path: str) -> tuple[QualityResult, ...]:
    """The ``test`` run facet's executions: ``success`` True for ``pass``, False for ``fail``,
    None for ``skip`` or any other status.

    >>> facet = {"tests": [{"name": "uniq", "status": "fail"}, {"name": "x", "status": "skip"}]}
    >>> [(r.check, r.success) for r in read_tests({"test": facet}, "run.facets")]
    [('uniq', False), ('x', None)]
    """
    facet = run_facets.get(TEST)
    if facet is None:
        return ()
    where = key_path(path, TEST)
    found: list[QualityResult] = []
    for index, item in enumerate(read_array(facet, "tests", where)):
        at = item_path(key_path(where, "tests"), index)
        entry = as_object(item, at)
        status = as_string(need(entry, "status", at), key_path(at, "status"))
        params = read_object(entry, "params", at) or {}
        column = params.get("column") if isinstance(params.get("column"), str) else None
        found.append(
            QualityResult(
                kind="test",
                check=read_name(entry, "name", at),
                column=column,
                success=_PASSED.get(status.lower()),
                value=_details(entry, _TEST_DETAILS, at),
            )
        )
    return tuple(found)
