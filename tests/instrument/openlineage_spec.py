"""Validation of emitted events against the OpenLineage 2-0-2 JSON schemas, offline.

The event is checked against ``OpenLineage.json``; every facet whose ``_schemaURL`` names
a schema of the local copy (spec facets and the Iceberg registry) is also checked against
that facet schema. ``$ref`` URLs resolve through a ``referencing`` registry built from the
local files, so nothing is fetched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

SPEC_DIR = Path(__file__).resolve().parents[2].parent / "shared/realworld/openlineage/spec-schema"
EVENT_SCHEMA_ID = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")

FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    """RFC 3339 date-time (jsonschema needs an extra package to check it by itself)."""
    if not isinstance(value, str) or "T" not in value.upper():
        return False
    return datetime.fromisoformat(value).tzinfo is not None


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    """An absolute URI: a scheme, a colon, no whitespace."""
    return not isinstance(value, str) or bool(_URI.match(value))


@cache
def _schemas() -> dict[str, dict[str, Any]]:
    """Every local schema by its ``$id``."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(SPEC_DIR.rglob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and "$id" in doc:
            found[doc["$id"]] = doc
    return found


@cache
def _registry() -> Registry[Any]:
    resources = [(uri, Resource.from_contents(doc)) for uri, doc in _schemas().items()]
    registry: Registry[Any] = Registry().with_resources(resources)
    return registry


def _validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, registry=_registry(), format_checker=FORMATS)


def _facets(event: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every facet of an event with a readable location."""
    for where in ("run", "job"):
        for name, facet in (event.get(where, {}).get("facets") or {}).items():
            yield f"{where}.facets.{name}", facet
    for side in ("inputs", "outputs"):
        for i, dataset in enumerate(event.get(side) or []):
            for group in ("facets", "inputFacets", "outputFacets"):
                for name, facet in (dataset.get(group) or {}).items():
                    yield f"{side}[{i}].{group}.{name}", facet


def spec_errors(event: Mapping[str, Any]) -> list[str]:
    """Every way EVENT breaks the OpenLineage schemas (empty when it is valid)."""
    errors = [
        f"event: {e.message}" for e in _validator(_schemas()[EVENT_SCHEMA_ID]).iter_errors(event)
    ]
    for where, facet in _facets(event):
        url = facet.get("_schemaURL", "")
        base, _, pointer = url.partition("#")
        if base not in _schemas():
            continue
        schema = {"$ref": url} if pointer else {"$ref": base}
        errors += [f"{where}: {e.message}" for e in _validator(schema).iter_errors(facet)]
    return errors


def checked_facet_schemas(event: Mapping[str, Any]) -> set[str]:
    """The facet names of EVENT that a local facet schema checked."""
    return {
        where.rsplit(".", 1)[1]
        for where, facet in _facets(event)
        if facet.get("_schemaURL", "").partition("#")[0] in _schemas()
    }
