"""The access facets ingestion reads: who ran a run (its principals) and which columns an
Iceberg scan projected.

Principals come from run facets, each kept with the facet that names it:

- ``processing_engine`` (kind ``engine``): ``name`` and ``version``, e.g. ``spark 3.5.1``;
- ``spark_applicationDetails.userName`` (kind ``user``), the Spark integration's facet;
- ``trino_query_context.user`` (kind ``user``), the Trino plugin's facet;
- the job's ``ownership`` owners (kind ``owner``).

The ``icebergScanReport`` input facet's ``projectedFieldNames`` (and ``projectedFieldIds``,
which some producers add) are read by ``scan_projection``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from temporal_lineage.openlineage.events import DeclaredOwner, DeclaredPrincipal
from temporal_lineage.openlineage.validate import (
    as_integer,
    as_object,
    as_string,
    item_path,
    key_path,
    read_array,
    read_string,
)

ENGINE = "processing_engine"
SPARK = "spark_applicationDetails"
TRINO = "trino_query_context"
OWNERSHIP = "ownership"
SCAN_REPORT = "icebergScanReport"

_USERS = ((SPARK, "userName"), (TRINO, "user"))
"""Run facets naming the user a run ran as: (facet, key)."""


def read_principals(
    run_facets: Mapping[str, Any],
    job_owners: tuple[DeclaredOwner, ...] | None,
    where: str = "run.facets",
) -> tuple[DeclaredPrincipal, ...]:
    """The principals the run facets and the job's owners name, users first.

    Raises:
        FieldError: a facet read here is not an object, or a key read is not a string.

    >>> read_principals({"spark_applicationDetails": {"userName": "alice"},
    ...                  "processing_engine": {"name": "spark", "version": "3.5.1"}}, None)
    ... # doctest: +NORMALIZE_WHITESPACE
    (DeclaredPrincipal(kind='user', name='alice', source='spark_applicationDetails'),
     DeclaredPrincipal(kind='engine', name='spark 3.5.1', source='processing_engine'))
    """
    found: list[DeclaredPrincipal] = []
    for facet_name, key in _USERS:
        facet = run_facets.get(facet_name)
        if facet is None:
            continue
        at = key_path(where, facet_name)
        user = read_string(as_object(facet, at), key, at)
        if user and user.strip():
            found.append(DeclaredPrincipal("user", user.strip(), facet_name))
    engine = run_facets.get(ENGINE)
    if engine is not None:
        at = key_path(where, ENGINE)
        obj = as_object(engine, at)
        name = (read_string(obj, "name", at) or "").strip()
        version = (read_string(obj, "version", at) or "").strip()
        if name:
            found.append(DeclaredPrincipal("engine", f"{name} {version}".strip(), ENGINE))
    for owner in job_owners or ():
        if owner.name.strip():
            found.append(DeclaredPrincipal("owner", owner.name.strip(), OWNERSHIP))
    return tuple(dict.fromkeys(found))


def scan_projection(facets: Mapping[str, Any]) -> dict[str, list[Any]] | None:
    """The ``icebergScanReport`` facet's projected fields as ``{"names": [...], "ids": [...]}``
    (ids only when sent); None when the facet or its ``projectedFieldNames`` is absent.

    Raises:
        FieldError: the names are not strings, or the ids not integers.

    >>> scan_projection({"icebergScanReport": {"projectedFieldNames": ["id", "email"]}})
    {'names': ['id', 'email']}
    >>> scan_projection({"icebergScanReport": {"snapshotId": 1}}) is None
    True
    """
    report = facets.get(SCAN_REPORT)
    if report is None:
        return None
    at = f"facets.{SCAN_REPORT}"
    obj = as_object(report, at)
    if obj.get("projectedFieldNames") is None:
        return None
    names_at = key_path(at, "projectedFieldNames")
    names = [
        as_string(value, item_path(names_at, index))
        for index, value in enumerate(read_array(obj, "projectedFieldNames", at))
    ]
    kept: dict[str, list[Any]] = {"names": names}
    if obj.get("projectedFieldIds") is not None:
        ids_at = key_path(at, "projectedFieldIds")
        kept["ids"] = [
            as_integer(value, item_path(ids_at, index))
            for index, value in enumerate(read_array(obj, "projectedFieldIds", at))
        ]
    return kept
