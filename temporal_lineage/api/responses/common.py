"""Pieces several answers share: the closed-object base, evidence, typed schema changes and
the error body."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from temporal_lineage.model import ChangeKind, EvidenceKind


class Wire(BaseModel):
    """A JSON object with a fixed set of keys (``additionalProperties: false``)."""

    model_config = ConfigDict(extra="forbid")


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def optional_key(description: str) -> Any:
    """A key the object has only in some answers (not required; no default shown)."""
    return Field(default=None, description=description, json_schema_extra=_no_default)


Instant = datetime
"""ISO-8601 UTC with a ``Z`` (milliseconds, or microseconds when the time has them)."""

FreeMap = dict[str, Any]
"""An open JSON object, copied as the source or the producer wrote it."""


class Problem(Wire):
    """Every error answer of the API: one line saying what is wrong."""

    detail: str = Field(description="What went wrong, on one line")


class Evidence(Wire):
    """Why a link is believed."""

    kind: EvidenceKind = Field(description="How the link is known, strongest first")
    detail: str = Field(description="A human-readable account (ids, times, facet names)")


EvidenceList = Annotated[list[Evidence], Field(min_length=1)] | None
"""Evidence, never an empty list: null when there is none."""


class SchemaChange(Wire):
    """One typed change of one field between two consecutive schema versions."""

    kind: ChangeKind = Field(description="What happened to the field")
    field_id: int | None = Field(description="The field id (null where the format has none)")
    path: str = Field(description="The field's dotted path after the change")
    old_path: str | None = Field(description="Its dotted path before (renamed, moved)")
    old_type: str | None = Field(description="Its type before")
    new_type: str | None = Field(description="Its type after")
    hint: Literal["possible_rename"] | None = Field(
        description="possible_rename: an added field, without field ids, that may be a rename"
    )
