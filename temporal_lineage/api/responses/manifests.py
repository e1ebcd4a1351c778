"""Reproduction: the ``reproduce`` manifest and the ``verify`` answer
(``query/reproduce.py`` builds them)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from temporal_lineage.api.responses.common import Instant, Wire, optional_key
from temporal_lineage.model import Format


class ManifestField(Wire):
    """One field of the pinned snapshot's schema."""

    id: int | None = Field(description="The field id (null where the format has none)")
    name: str = Field(description="The field's own name")
    path: str = Field(description="Its dotted path from the top level")
    type: str = Field(description="Its type as the format names it")
    nullable: bool = Field(description="Whether it may hold nulls")


class ManifestSchema(Wire):
    """The schema the pinned snapshot's data reads back in."""

    schema_id: int | None = Field(description="Its schema id")
    fields: list[ManifestField] = Field(description="Every field, depth first")


class ReadRecipes(Wire):
    """Snippets that read the pinned snapshot, by reader (pyiceberg for Iceberg tables,
    deltalake for Delta tables)."""

    polars: str = Field(description="Python with polars")
    pyiceberg: str = optional_key("Python with pyiceberg (Iceberg tables)")
    deltalake: str = optional_key("Python with deltalake (Delta tables)")
    spark_sql: str = Field(description="Spark SQL (VERSION AS OF)")
    trino_sql: str = Field(description="Trino SQL (FOR VERSION AS OF)")


class ManifestTable(Wire):
    """One table of the provenance, pinned to its snapshot, measured, and how to read it."""

    table: str = Field(description="The table reference")
    format: Format = Field(description="The table format")
    location: str = Field(description="Iceberg: the current metadata file; Delta: the root")
    snapshot: int = Field(description="Iceberg snapshot id / Delta version")
    committed_at: Instant = Field(description="When that snapshot was committed")
    schema_: ManifestSchema = Field(alias="schema", description="Its schema")
    row_count: int | None = Field(description="Rows at the snapshot (null: data gone)")
    fingerprint: str | None = Field(
        description="rowsum-blake2b128-v1:<hex>, order-independent (null: data gone)"
    )
    read: ReadRecipes = Field(description="How to read the snapshot")
    error: str | None = Field(description="Why the data can no longer be read (null: it can)")


class Manifest(Wire):
    """A reproduction manifest: every table of a provenance with its snapshot, schema, row
    count and content fingerprint, plus how to read it."""

    manifest_version: Literal[1] = Field(description="The version of this document's shape")
    root: str = Field(description="The table reproduced")
    ref: str = Field(description="The branch or tag of the root the closure started from")
    as_of: Instant = Field(description="The time reproduced")
    known_at: Instant | None = Field(description="Facts recorded after this were ignored")
    generated_at: Instant = Field(description="When the manifest was made")
    store: str = Field(description="The store's URL, without its password")
    tables: list[ManifestTable] = Field(description="Every pinned table")


class VerifiedTable(Wire):
    """One table of the manifest, re-read at its pinned snapshot."""

    table: str = Field(description="The table reference")
    snapshot: int = Field(description="The pinned snapshot")
    ok: bool = Field(description="Whether row count and fingerprint match")
    error: str | None = Field(description="What differs, or why it cannot be read")


class VerifyAnswer(Wire):
    """Whether every table of a manifest still reads back the same."""

    ok: bool = Field(description="Whether every table matches")
    tables: list[VerifiedTable] = Field(description="Each table's result")
