"""Governance answers: ``classification``, ``policy check``, ``tag add|remove`` and
``erasure`` (``query/governance_shapes.py`` builds them)."""

from __future__ import annotations

from pydantic import Field

from temporal_lineage.api.responses.common import Instant, Wire
from temporal_lineage.governance_config import PolicyKind
from temporal_lineage.model import TagAction, TagOrigin
from temporal_lineage.query.erasure import ErasureStatus
from temporal_lineage.query.tag_flow import How


class TagHop(Wire):
    """One edge a tag (or a subject's key) travelled."""

    from_: str = Field(alias="from", description="table.column (or table) it came from")
    to: str = Field(description="table.column (or table) it went to")
    job: str = Field(description="The job, namespace/name")
    run: str = Field(description="The run whose lineage holds the edge")
    kind: str = Field(description="DIRECT/IDENTITY, DIRECT/TRANSFORMATION, ..., or table")


class ColumnAt(Wire):
    """A table, and a column of it (None: the table itself)."""

    table: str = Field(description="The table reference")
    column: str | None = Field(description="The column's path (None: the whole table)")


class CarriedTag(Wire):
    """A tag a column or table carries as of A."""

    tag: str = Field(description="The tag")
    how: How = Field(description="direct, propagated (column lineage) or may_contain (table)")
    source: TagOrigin = Field(description="What states the tag at its origin")
    detail: str = Field(description="The fact or rule at the origin")
    since: Instant = Field(description="When the tag took effect at its origin")
    origin: ColumnAt = Field(description="Where the tag is stated")
    path: list[TagHop] = Field(description="The edges from the origin to here")


class StoppedTag(Wire):
    """A tag that did not flow into a column, and the rule that stopped it."""

    tag: str = Field(description="The tag")
    at: ColumnAt = Field(description="The column it did not reach")
    from_: ColumnAt = Field(alias="from", description="The column it would have come from")
    rule: str = Field(description="Why it stopped (masking, masking_function, count, indirect)")
    job: str = Field(description="The job of the edge")
    run: str = Field(description="The run of the edge")
    origin: ColumnAt = Field(description="Where the tag is stated")
    path: list[TagHop] = Field(description="From the origin to the edge that stopped it")


class ColumnTags(Wire):
    """One column of the table and its tags."""

    column: str = Field(description="The column's path as of A")
    field_id: int | None = Field(description="Its field id (None: the format has none)")
    tags: list[CarriedTag] = Field(description="Every way it carries each tag")
    stopped: list[StoppedTag] = Field(description="Tags stopped on the way in")


class ClassificationAnswer(Wire):
    """Every column's tags as of A (known at K)."""

    table: str = Field(description="The table reference")
    as_of: Instant = Field(description="The time asked about")
    known_at: Instant | None = Field(description="Facts recorded after this are ignored")
    columns: list[ColumnTags] = Field(description="The table's columns as of A")
    table_tags: list[CarriedTag] = Field(description="Tags of the table as a whole")


class TableTagBrief(Wire):
    """One tag of a graph's table, in brief."""

    tag: str = Field(description="The tag")
    how: How = Field(description="The strongest way it is held: direct, then propagated")
    columns: list[str] = Field(description="The columns carrying it (empty: the table only)")


class TableTags(Wire):
    """The tags of one table of the graph."""

    table: str = Field(description="The table reference")
    tags: list[TableTagBrief] = Field(description="Its tags as of A, by name")


class GraphTagsAnswer(Wire):
    """The tags of every stored table of a lineage graph as of A (known at K)."""

    as_of: Instant = Field(description="The time asked about")
    known_at: Instant | None = Field(description="Facts recorded after this are ignored")
    tables: list[TableTags] = Field(description="One entry per stored table of the graph")


class PolicyViolation(Wire):
    """One breach of a policy."""

    table: str = Field(description="The table breaking it")
    column: str | None = Field(description="The column (None: the table)")
    detail: str = Field(description="What breaks the policy")
    path: list[TagHop] = Field(description="The edges and runs that prove it")


class PolicyOutcome(Wire):
    """One policy's result as of A."""

    policy: str = Field(description="The policy's name")
    kind: PolicyKind = Field(description="The policy's kind")
    tag: str = Field(description="The tag it is about")
    ok: bool = Field(description="Whether nothing breaks it")
    violations: list[PolicyViolation] = Field(description="Every breach")


class PolicyAnswer(Wire):
    """``policy check``: the policies as of A (known at K)."""

    as_of: Instant = Field(description="The time asked about")
    known_at: Instant | None = Field(description="Facts recorded after this are ignored")
    ok: bool = Field(description="Whether every policy holds")
    policies: list[PolicyOutcome] = Field(description="Each policy checked")


class TagWritten(Wire):
    """A manual tag fact as recorded."""

    fact: int = Field(description="The fact's id")
    table: str = Field(description="The table")
    column: str | None = Field(description="The column (None: the table)")
    field_id: int | None = Field(description="The column's field id")
    tag: str = Field(description="The tag")
    action: TagAction = Field(description="add or remove")
    from_: Instant = Field(alias="from", description="Valid from")
    recorded_at: Instant = Field(description="When it was recorded")


class SnapshotRows(Wire):
    """A snapshot of a traced table: readable at the source, and the subject's rows."""

    snapshot: int = Field(description="Snapshot id (Iceberg) or version (Delta)")
    committed_at: Instant = Field(description="Commit time")
    readable: bool = Field(description="Whether the source can still read it")
    unreadable_because: str | None = Field(description="Why not (expired, vacuumed, ...)")
    rows: int | None = Field(description="Matching rows (None: not counted)")
    counted_by: str | None = Field(description="probe (read here) or engine (given results)")
    engine_sql: dict[str, str] = Field(description="spark_sql / trino_sql counting queries")


class HeadRows(Wire):
    """The table's current head and the subject's rows there."""

    snapshot: int = Field(description="The head snapshot")
    rows: int | None = Field(description="Matching rows (None: not counted)")


class CarriedKey(Wire):
    """A column carrying one of the subject's key columns."""

    column: str = Field(description="The column here")
    from_column: str = Field(description="The key column of the source table")
    path: list[TagHop] = Field(description="The edges that carry it")


class ErasedTable(Wire):
    """One table's part of an erasure answer."""

    table: str = Field(description="The table")
    status: ErasureStatus = Field(description="clean, holds, untraceable or not_carried")
    reason: str | None = Field(description="Why untraceable or not carried")
    where: str | None = Field(description="The predicate in this table's column names")
    carried_by: list[CarriedKey] = Field(description="How the key columns reach it")
    head: HeadRows | None = Field(description="The current head")
    snapshots: list[SnapshotRows] = Field(description="Every snapshot checked")


class ErasureAnswer(Wire):
    """``erasure TABLE --where P``."""

    table: str = Field(description="The source table")
    where: str = Field(description="The subject's predicate, normalised")
    since: Instant | None = Field(description="Only snapshots from this time on")
    checked_at: Instant = Field(description="When it was checked")
    probed: bool = Field(description="Whether readable snapshots were counted")
    complete: bool = Field(description="No head or readable snapshot holds rows; none to review")
    tables: list[ErasedTable] = Field(description="Every table the subject may be in")
