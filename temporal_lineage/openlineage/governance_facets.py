"""The governance facets ingestion reads: ``tags`` (dataset, job and run) and ``ownership``
(dataset and job), as the OpenLineage spec defines them (``spec-schema/facets``)."""

from __future__ import annotations

from typing import Any

from temporal_lineage.openlineage.events import DeclaredOwner, DeclaredTag
from temporal_lineage.openlineage.validate import (
    as_object,
    as_string,
    item_path,
    key_path,
    need,
    read_array,
    read_name,
    read_string,
)


def read_tags(facet: Any, where: str) -> tuple[DeclaredTag, ...]:
    """A ``tags`` facet's tags (``key`` and ``value`` required; ``field`` names a column of
    a dataset); none when the facet is absent (``where`` is the facet's path)."""
    if facet is None:
        return ()
    items = read_array(as_object(facet, where), "tags", where)
    found: list[DeclaredTag] = []
    for index, item in enumerate(items):
        at = item_path(key_path(where, "tags"), index)
        entry = as_object(item, at)
        found.append(
            DeclaredTag(
                key=read_name(entry, "key", at),
                value=as_string(need(entry, "value", at), key_path(at, "value")),
                source=read_string(entry, "source", at) or None,
                field=read_string(entry, "field", at) or None,
            )
        )
    return tuple(found)


def read_owners(facet: Any, where: str) -> tuple[DeclaredOwner, ...] | None:
    """An ``ownership`` facet's owners (``name`` required); None when the facet is absent
    (an empty list says the dataset or job has no owner)."""
    if facet is None:
        return None
    items = read_array(as_object(facet, where), "owners", where)
    owners: list[DeclaredOwner] = []
    for index, item in enumerate(items):
        at = item_path(key_path(where, "owners"), index)
        entry = as_object(item, at)
        owners.append(DeclaredOwner(read_name(entry, "name", at), read_string(entry, "type", at)))
    return tuple(owners)
