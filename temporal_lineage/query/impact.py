"""Column impact: the downstream columns, tables and jobs a column feeds, by field identity.

Column lineage is kept per run, with field names as the run reported them; a name is
resolved to a field id with the table's schema at the run's time, so a rename upstream
keeps its edges. At a time A, each job counts through its run in force then (its latest
run completed by A), like table lineage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from temporal_lineage.errors import ColumnNotFound
from temporal_lineage.model import Field, JobKey, NodeRef, RunInfo, Schema, TableRef
from temporal_lineage.query.links import jobs_current_run
from temporal_lineage.store import ColumnEdgeRow, Store, StoredTable, StoreReader
from temporal_lineage.times import now


@dataclass(frozen=True)
class Affected:
    """A downstream column reached from the root column."""

    node: NodeRef
    column: str
    field_id: int | None
    job: JobKey
    run: RunInfo
    depth: int
    kind: str
    subtype: str | None
    origin: str
    via: tuple[str, str]
    """The upstream (table, column) this one was reached from."""


@dataclass(frozen=True)
class Impact:
    """Everything downstream of one column as of a time."""

    table: TableRef
    column: str
    field_id: int | None
    as_of: datetime
    known_at: datetime | None
    affected: tuple[Affected, ...]
    column_type: str | None = None


class SchemaCache:
    """Schemas as of times, read once per (table, time)."""

    def __init__(self, reader: StoreReader, known_at: datetime | None) -> None:
        self.reader = reader
        self.known_at = known_at
        self._cache: dict[tuple[int, datetime], Schema | None] = {}

    def prefetch(self, wanted: Iterable[tuple[StoredTable, datetime]]) -> None:
        """Read the schemas of these (table, time) pairs not read yet, in one batch."""
        missing = list(
            dict.fromkeys((tb, at) for tb, at in wanted if (tb.table_id, at) not in self._cache)
        )
        found = self.reader.schemas_as_of(missing, self.known_at)
        for (table, instant), answer in zip(missing, found, strict=True):
            self._cache[(table.table_id, instant)] = answer.schema if answer else None

    def at(self, table: StoredTable, instant: datetime) -> Schema | None:
        key = (table.table_id, instant)
        if key not in self._cache:
            answer = self.reader.schema_as_of(table, instant, self.known_at)
            self._cache[key] = answer.schema if answer else None
        return self._cache[key]


def field_named(schema: Schema | None, column: str) -> Field | None:
    """The field whose dotted path is ``column`` (case-insensitively as a fallback)."""
    if schema is None:
        return None
    for field in schema.fields:
        if field.dotted_path == column:
            return field
    lowered = column.lower()
    return next((f for f in schema.fields if f.dotted_path.lower() == lowered), None)


def same_field(schema: Schema | None, name: str, target: Field) -> bool:
    """Whether ``name`` in ``schema`` is the field ``target`` (by id when both have ids)."""
    found = field_named(schema, name)
    if found is None:
        return False
    if found.id is not None and target.id is not None:
        return found.id == target.id
    return found.dotted_path == target.dotted_path


def impact(
    store: Store,
    ref: TableRef,
    column: str,
    *,
    as_of: datetime | None = None,
    depth: int = 10,
    known_at: datetime | None = None,
) -> Impact:
    """The transitive downstream columns of ``ref.column`` as of ``as_of`` (default now).

    Raises:
        TableNotFound: the store has never seen ``ref``.
        ColumnNotFound: ``ref`` had no such column at ``as_of``.
    """
    instant = as_of or now()
    with store.reader() as reader:
        root = reader.get_table(ref)
        schemas = SchemaCache(reader, known_at)
        target = field_named(schemas.at(root, instant), column)
        if target is None:
            raise ColumnNotFound(f"{ref} has no column {column!r} as of {instant.isoformat()}")

        def load(items: Sequence[tuple[StoredTable, Field]]) -> ImpactLevel:
            return load_level(reader, schemas, items, instant, known_at)

        affected = list(downstream(root, target, instant, depth, load, schemas.at))
    return Impact(
        ref, target.dotted_path, target.id, instant, known_at, tuple(affected), target.type
    )


@dataclass(frozen=True)
class ImpactLevel:
    """What one level of the downstream walk needs: the column edges from its tables, and
    the runs of their jobs with the one in force at A of each job."""

    edges: tuple[ColumnEdgeRow, ...]
    runs: Mapping[str, RunInfo]
    current: frozenset[str]


ImpactLoader = Callable[[Sequence[tuple[StoredTable, Field]]], ImpactLevel]
SchemaAt = Callable[[StoredTable, datetime], Schema | None]


def downstream(
    root: StoredTable,
    target: Field,
    as_of: datetime,
    depth: int,
    load: ImpactLoader,
    schema_at: SchemaAt,
) -> Iterator[Affected]:
    """Every column ``target`` of ``root`` feeds, breadth first, one level at a time.

    Pure over ``load`` and ``schema_at`` (the store is read by ``load_level``), so the walk
    runs as well on hand-built levels (tests/query/test_impact_walk.py).
    """
    items: list[tuple[StoredTable, Field]] = [(root, target)]
    seen: set[tuple[str, str]] = {(str(root.ref), target.dotted_path)}
    level = 1
    while items and level <= depth:
        reads = load(items)
        following: list[tuple[StoredTable, Field]] = []
        for table, field in items:
            edges = [
                e
                for e in reads.edges
                if e.input_table is not None and e.input_table.table_id == table.table_id
            ]
            yield from _affected(
                schema_at, table, field, edges, reads, seen, following, as_of, level
            )
        items, level = following, level + 1


def load_level(
    reader: StoreReader,
    schemas: SchemaCache,
    items: Sequence[tuple[StoredTable, Field]],
    as_of: datetime,
    known_at: datetime | None,
) -> ImpactLevel:
    """A level's edges, their jobs and the jobs' runs in one read each, and the schemas they
    are judged by in one batch (statements grow with depth, not with columns visited)."""
    edges = reader.column_edges_from({tb.table_id for tb, _ in items}, known_at)
    jobs = reader.jobs_of_runs({e.run_id for e in edges}, known_at)
    by_job = reader.runs_of_jobs(jobs, known_at)
    runs = {run.run_id: run for job_runs in by_job.values() for run in job_runs}
    current = frozenset(r.run_id for r in jobs_current_run(by_job, as_of).values())
    schemas.prefetch(_schemas_needed(items, edges, runs, current, as_of))
    return ImpactLevel(tuple(edges), runs, current)


def _schemas_needed(
    items: Sequence[tuple[StoredTable, Field]],
    edges: Sequence[ColumnEdgeRow],
    infos: Mapping[str, RunInfo],
    current: frozenset[str],
    as_of: datetime,
) -> Iterator[tuple[StoredTable, datetime]]:
    """The (table, time) schemas a level's edges are judged by: each input table at its
    runs' start, each output table at ``as_of`` (a run's end is read when needed only)."""
    tables = {tb.table_id for tb, _ in items}
    for edge in edges:
        run = infos.get(edge.run_id)
        if run is None or edge.run_id not in current or run.started_at is None:
            continue
        if edge.input_table is not None and edge.input_table.table_id in tables:
            yield edge.input_table, run.started_at
        if edge.output_table is not None:
            yield edge.output_table, as_of


def _affected(
    schema_at: SchemaAt,
    table: StoredTable,
    field: Field,
    edges: list[ColumnEdgeRow],
    reads: ImpactLevel,
    seen: set[tuple[str, str]],
    following: list[tuple[StoredTable, Field]],
    as_of: datetime,
    level: int,
) -> Iterator[Affected]:
    """The columns ``field`` of ``table`` feeds through its current runs' edges; each newly
    reached stored column is queued in ``following``."""
    for edge in edges:
        run = reads.runs.get(edge.run_id)
        if run is None or edge.run_id not in reads.current or run.started_at is None:
            continue
        # The name as the run saw it: the schema at its start (or end, for a table first
        # created during the run).
        seen_schema = schema_at(table, run.started_at) or schema_at(table, run.ended_at or as_of)
        if not same_field(seen_schema, edge.input_field, field):
            continue
        key = (str(edge.output_node), edge.output_field)
        if key in seen:
            continue
        seen.add(key)
        out_field = None
        if edge.output_table is not None:
            out_field = field_named(schema_at(edge.output_table, as_of), edge.output_field)
        yield Affected(
            node=edge.output_node,
            column=out_field.dotted_path if out_field else edge.output_field,
            field_id=out_field.id if out_field else None,
            job=run.job,
            run=run,
            depth=level,
            kind=edge.kind,
            subtype=edge.subtype,
            origin=edge.origin,
            via=(str(table.ref), field.dotted_path),
        )
        if edge.output_table is not None and out_field is not None:
            following.append((edge.output_table, out_field))
