"""Classification tags as of a time: the direct ones (facts and rules) and where they flow.

Direct tags are tag facts in force at A (the latest add or remove of a tag on a table or
column by A, as known at K) and ``classify:`` rules applied to every schema version the
table had by A (a column carries a rule's tag from the first version it matched in, and
keeps it across renames: columns are fields by id). From there a tag flows downstream
along the column lineage in force at A (each job through its run in force), one level at a
time: DIRECT edges carry it; an edge the producer marked ``masking``, an output the job's
SQL computes with a masking function or a COUNT, and INDIRECT edges (unless
``propagate_indirect``) stop it, and every stop is kept with its rule. A table whose
outputs have no column lineage for a run passes what it holds on as ``may_contain``.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from temporal_lineage.governance_config import ClassifyRule, Governance
from temporal_lineage.model import (
    Field,
    JobKey,
    NodeRef,
    RunInfo,
    Schema,
    TableRef,
    TagAction,
    TagOrigin,
)
from temporal_lineage.query.impact import (
    ImpactLevel,
    SchemaCache,
    field_named,
    load_level,
    same_field,
)
from temporal_lineage.query.lineage import TableHop, level_hops
from temporal_lineage.store import ColumnEdgeRow, StoredTable, StoreReader
from temporal_lineage.store.governance_reads import FieldSighting, TagFact
from temporal_lineage.times import format_time

MAX_DEPTH = 20


class How(StrEnum):
    """How a table or column comes to carry a tag."""

    DIRECT = "direct"
    PROPAGATED = "propagated"
    MAY_CONTAIN = "may_contain"


@dataclass(frozen=True)
class Hop:
    """One edge a tag travelled: from a column (or a whole table) to another, by a run."""

    from_node: NodeRef
    from_column: str | None
    to_node: NodeRef
    to_column: str | None
    job: JobKey
    run: str
    kind: str


@dataclass(frozen=True)
class CarriedTag:
    """A tag a column (``column`` set) or table carries as of A, with where it came from."""

    tag: str
    how: How
    source: TagOrigin
    detail: str
    """The fact or rule: ``tags facet (source CRM)``, ``rule pii: column ~ ...``, ..."""
    since: datetime
    """When the direct tag at the origin took effect."""
    origin_table: TableRef
    origin_column: str | None
    path: tuple[Hop, ...] = ()

    def moved(self, hop: Hop, how: How) -> CarriedTag:
        return CarriedTag(
            self.tag,
            how,
            self.source,
            self.detail,
            self.since,
            self.origin_table,
            self.origin_column,
            (*self.path, hop),
        )


@dataclass(frozen=True)
class Stop:
    """Where a tag did not flow on, and which rule stopped it."""

    tag: CarriedTag
    hop: Hop
    rule: str


@dataclass
class TagMap:
    """Every tag of every table and column reached, and every stop, as of A."""

    as_of: datetime
    tables: dict[int, StoredTable] = field(default_factory=dict)
    schemas: dict[int, Schema | None] = field(default_factory=dict)
    columns: dict[tuple[int, str], dict[str, list[CarriedTag]]] = field(default_factory=dict)
    """(table id, column path at A) -> tag -> the ways it is carried: each direct fact or
    rule, and the first propagated path found (breadth first: a shortest one)."""
    table_tags: dict[int, dict[str, CarriedTag]] = field(default_factory=dict)
    stops: list[Stop] = field(default_factory=list)

    def holds(self, table_id: int) -> set[str]:
        """Every tag the table holds in a column or as a table."""
        found = set(self.table_tags.get(table_id, {}))
        for (tid, _), tags in self.columns.items():
            if tid == table_id:
                found |= set(tags)
        return found

    def add(self, table_id: int, column: str, carried: CarriedTag) -> bool:
        """Record a way ``column`` carries a tag; False when it carried the tag already."""
        ways = self.columns.setdefault((table_id, column), {}).setdefault(carried.tag, [])
        first = not ways
        direct = carried.how is How.DIRECT
        if not any(
            w.how is carried.how and (not direct or w.source is carried.source) for w in ways
        ):
            ways.append(carried)
        return first

    def carriers(self, tag: str) -> Iterable[tuple[StoredTable, str | None, CarriedTag]]:
        """Every (table, column or None, carried) holding ``tag``, every way it is held."""
        for (table_id, column), tags in sorted(self.columns.items()):
            for carried in tags.get(tag, ()):
                yield self.tables[table_id], column, carried
        for table_id, held in sorted(self.table_tags.items()):
            if tag in held:
                yield self.tables[table_id], None, held[tag]


def flow(
    reader: StoreReader,
    governance: Governance,
    as_of: datetime,
    known_at: datetime | None,
    within: Collection[StoredTable] | None = None,
    hops: Sequence[TableHop] | None = None,
) -> TagMap:
    """The tags of every table (``within``: of these tables only, which must hold every
    upstream of the ones asked about) as of ``as_of``, known at ``known_at``.

    ``hops``: every table-level edge in force at A into the tables of ``within``, when the
    caller has read them already (an upstream ``reach``): the table-level pass then reads no
    lineage again.
    """
    tables = list(within) if within is not None else reader.all_tables()
    allowed = {tb.table_id for tb in tables}
    schemas = SchemaCache(reader, known_at)
    schemas.prefetch((tb, as_of) for tb in tables)
    result = TagMap(as_of, {tb.table_id: tb for tb in tables})
    result.schemas = {tb.table_id: schemas.at(tb, as_of) for tb in tables}
    facts = reader.tag_facts(tables if within is not None else None, as_of, known_at)
    _direct_from_facts(result, facts, schemas)
    ruled = [tb for tb in tables if any(r.matches_table(str(tb.ref)) for r in governance.rules)]
    if governance.rules and ruled:
        _direct_from_rules(result, governance.rules, reader.field_sightings(ruled, as_of, known_at))
    spread(reader, result, tag_stop(governance), schemas, allowed, known_at)
    _may_contain(reader, result, allowed, known_at, hops)
    return result


def _column_key(schema: Schema | None, fact_field: str, field_id: int | None) -> Field | None:
    if schema is None:
        return None
    if field_id is not None:
        return next((f for f in schema.fields if f.id == field_id), None)
    return field_named(schema, fact_field)


def _direct_from_facts(result: TagMap, facts: Sequence[TagFact], schemas: SchemaCache) -> None:
    """The latest fact of each (table, column by field id, tag) by A decides; a column is
    found at A by the field id it had when the fact took effect."""
    latest: dict[tuple[int, str, str], tuple[TagFact, Field | None]] = {}
    for fact in facts:  # oldest first
        column: Field | None = None
        identity = ""
        if fact.field is not None:
            column = _column_key(
                schemas.at(fact.table, fact.effective_at), fact.field, fact.field_id
            )
            identity = f"id:{column.id}" if column and column.id is not None else fact.field
        latest[(fact.table.table_id, identity, fact.tag)] = (fact, column)
    for (table_id, _, tag), (fact, column) in latest.items():
        if fact.action is not TagAction.ADD:
            continue
        detail = _fact_detail(fact)
        if fact.field is None:
            carried = CarriedTag(
                tag, How.DIRECT, fact.origin, detail, fact.effective_at, fact.table.ref, None
            )
            result.table_tags.setdefault(table_id, {}).setdefault(tag, carried)
            continue
        now = result.schemas.get(table_id)
        at_a = _same_column_at(now, column, fact.field)
        if at_a is None:
            continue  # the column is gone by A
        carried = CarriedTag(
            tag, How.DIRECT, fact.origin, detail, fact.effective_at, fact.table.ref, at_a
        )
        result.add(table_id, at_a, carried)


def _same_column_at(schema: Schema | None, then: Field | None, name: str) -> str | None:
    """The path at A of the column a fact named (by field id when it has one)."""
    if schema is None:
        return None
    if then is not None and then.id is not None:
        found = next((f for f in schema.fields if f.id == then.id), None)
        return found.dotted_path if found else None
    named = field_named(schema, name)
    return named.dotted_path if named else None


def _fact_detail(fact: TagFact) -> str:
    if fact.origin is TagOrigin.OPENLINEAGE:
        source = f", source {fact.source}" if fact.source else ""
        return f"OpenLineage tags facet at {format_time(fact.effective_at)}{source}"
    who = f" by {fact.source}" if fact.source else ""
    reason = f": {fact.reason}" if fact.reason else ""
    return f"tag add{who} at {format_time(fact.effective_at)}{reason}"


def _direct_from_rules(
    result: TagMap, rules: Sequence[ClassifyRule], sightings: Sequence[FieldSighting]
) -> None:
    """A rule tags a column from the first schema version (of the incarnation alive at A)
    in which the column matched it; the column keeps the tag under later names."""
    by_table: dict[int, list[FieldSighting]] = defaultdict(list)
    for sighting in sightings:
        by_table[sighting.table_id].append(sighting)
    for table_id, seen in by_table.items():
        table = result.tables[table_id]
        alive = seen[-1].incarnation_id  # ordered by time: the latest head is alive at A
        seen = [s for s in seen if s.incarnation_id == alive]
        schema = result.schemas.get(table_id)
        for rule in rules:
            if not rule.matches_table(str(table.ref)):
                continue
            if not rule.tags_columns:
                carried = CarriedTag(
                    rule.tag,
                    How.DIRECT,
                    TagOrigin.RULE,
                    rule.describe(),
                    seen[0].effective_at,
                    table.ref,
                    None,
                )
                result.table_tags.setdefault(table_id, {}).setdefault(rule.tag, carried)
                continue
            first: dict[object, datetime] = {}
            for s in seen:
                if rule.matches_column(s.path[-1], s.type):
                    first.setdefault(
                        s.field_id if s.field_id is not None else s.path, s.effective_at
                    )
            for f in schema.fields if schema else ():
                since = first.get(f.id if f.id is not None else f.path)
                if since is None:
                    continue
                carried = CarriedTag(
                    rule.tag,
                    How.DIRECT,
                    TagOrigin.RULE,
                    rule.describe(),
                    since,
                    table.ref,
                    f.dotted_path,
                )
                result.add(table_id, f.dotted_path, carried)


StopRule = Callable[[ColumnEdgeRow, RunInfo], str | None]
"""Why an edge carries nothing of its input column (None: it carries it)."""


def tag_stop(governance: Governance) -> StopRule:
    """The stop rules of classification tags (DESIGN.md, *Propagation*)."""
    return functools.partial(_stop_rule, governance)


def _stop_rule(governance: Governance, edge: ColumnEdgeRow, run: RunInfo) -> str | None:
    """Why this edge carries no tag, or None when it carries them."""
    if edge.masking:
        return "masking: the producer's columnLineage marks the transformation as masking"
    if edge.kind.upper() == "INDIRECT" and not governance.propagate_indirect:
        return f"indirect: a {edge.subtype or 'INDIRECT'} edge carries no values"
    if run.sql:
        # Imported here: only a run with SQL needs the parser (sqlglot).
        from temporal_lineage.sql_lineage.masking import masked_outputs

        masked = masked_outputs(run.sql, None, governance.masking_functions).get(
            edge.output_field.lower()
        )
        if masked is not None:
            if masked.counted:
                return "count: the job's SQL counts the column (AGGREGATION COUNT)"
            return f"masking_function: the job's SQL computes it with {masked.function}()"
    return None


def spread(
    reader: StoreReader,
    result: TagMap,
    stop: StopRule,
    schemas: SchemaCache,
    allowed: set[int],
    known_at: datetime | None,
) -> None:
    """Breadth first from every tagged column of ``result``, one batched read per level,
    into the tables of ``allowed`` (``stop`` says which edges carry nothing)."""
    frontier = {
        key: {tag: ways[0] for tag, ways in tags.items()} for key, tags in result.columns.items()
    }
    for _ in range(MAX_DEPTH):
        items = [
            (result.tables[table_id], found)
            for (table_id, column) in frontier
            if (found := field_named(result.schemas.get(table_id), column)) is not None
        ]
        if not items:
            return
        level = load_level(reader, schemas, items, result.as_of, known_at)
        following: dict[tuple[int, str], dict[str, CarriedTag]] = {}
        for table, column in items:
            carried = frontier[(table.table_id, column.dotted_path)]
            for edge, run in _edges_of(level, table, column, schemas, result.as_of):
                _cross(stop, result, allowed, table, column, edge, run, carried, following)
        frontier = following


def _edges_of(
    level: ImpactLevel,
    table: StoredTable,
    column: Field,
    schemas: SchemaCache,
    as_of: datetime,
) -> Iterable[tuple[ColumnEdgeRow, RunInfo]]:
    for edge in level.edges:
        if edge.input_table is None or edge.input_table.table_id != table.table_id:
            continue
        run = level.runs.get(edge.run_id)
        if run is None or edge.run_id not in level.current or run.started_at is None:
            continue
        seen = schemas.at(table, run.started_at) or schemas.at(table, run.ended_at or as_of)
        if same_field(seen, edge.input_field, column):
            yield edge, run


def _cross(
    stop: StopRule,
    result: TagMap,
    allowed: set[int],
    table: StoredTable,
    column: Field,
    edge: ColumnEdgeRow,
    run: RunInfo,
    carried: Mapping[str, CarriedTag],
    following: dict[tuple[int, str], dict[str, CarriedTag]],
) -> None:
    out = edge.output_table
    out_field = None
    if out is not None and out.table_id in allowed:
        out_field = field_named(result.schemas.get(out.table_id), edge.output_field)
    hop = Hop(
        NodeRef(table.ref),
        column.dotted_path,
        edge.output_node,
        out_field.dotted_path if out_field else edge.output_field,
        run.job,
        run.run_id,
        f"{edge.kind}/{edge.subtype}" if edge.subtype else edge.kind,
    )
    rule = stop(edge, run)
    for tag, value in carried.items():
        if rule is not None:
            result.stops.append(Stop(value, hop, rule))
            continue
        if out is None or out_field is None:
            continue  # not a stored table (or not one asked about): the path ends here
        moved = value.moved(hop, How.PROPAGATED)
        if result.add(out.table_id, out_field.dotted_path, moved):
            following.setdefault((out.table_id, out_field.dotted_path), {})[tag] = moved


def _may_contain(
    reader: StoreReader,
    result: TagMap,
    allowed: set[int],
    known_at: datetime | None,
    known_hops: Sequence[TableHop] | None,
) -> None:
    """Table-level flow where column lineage is unknown: a run that read a table holding a
    tag and stated no column edge from it to an output makes that output ``may_contain``
    the tag; a table that may contain a tag passes it to all of its outputs."""
    frontier = {tid for tid in result.tables if result.holds(tid)}
    for _ in range(MAX_DEPTH):
        if not frontier:
            return
        if known_hops is None:
            hops = list(level_hops(reader, frontier, False, result.as_of, known_at))
        else:
            hops = [h for h in known_hops if h.source.table and h.source.table.table_id in frontier]
        with_columns = _column_covered(reader, {h.run.run_id for h in hops}, frontier, known_at)
        following: set[int] = set()
        for hop in hops:
            source, target = hop.source.table, hop.target.table
            if source is None or target is None or target.table_id not in allowed:
                continue
            covered = (hop.run.run_id, source.table_id, target.table_id) in with_columns
            passing = dict(result.table_tags.get(source.table_id, {}))
            if not covered:
                passing.update(
                    {
                        tag: c
                        for tag, c in _column_tags_of(result, source.table_id).items()
                        if tag not in passing
                    }
                )
            for tag, value in passing.items():
                if tag in result.holds(target.table_id):
                    continue
                table_hop = Hop(
                    NodeRef(source.ref),
                    None,
                    NodeRef(target.ref),
                    None,
                    hop.run.job,
                    hop.run.run_id,
                    "table",
                )
                moved = value.moved(table_hop, How.MAY_CONTAIN)
                result.table_tags.setdefault(target.table_id, {})[tag] = moved
                following.add(target.table_id)
        frontier = following


def _column_tags_of(result: TagMap, table_id: int) -> dict[str, CarriedTag]:
    found: dict[str, CarriedTag] = {}
    for (tid, _), tags in sorted(result.columns.items()):
        if tid == table_id:
            for tag, ways in tags.items():
                found.setdefault(tag, ways[0])
    return found


def _column_covered(
    reader: StoreReader, runs: set[str], tables: set[int], known_at: datetime | None
) -> set[tuple[str, int, int]]:
    """(run, input table, output table) triples some column edge states."""
    if not runs:
        return set()
    return {
        (e.run_id, e.input_table.table_id, e.output_table.table_id)
        for e in reader.column_edges_from(tables, known_at)
        if e.run_id in runs and e.input_table is not None and e.output_table is not None
    }
