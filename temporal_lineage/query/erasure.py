"""Right to erasure: where a data subject's rows (a predicate on a source table) may still
live, in which snapshots, and whether the erasure is complete.

The predicate's key columns are followed downstream along the column lineage in force
(IDENTITY and TRANSFORMATION edges, renames by field id; masked edges, aggregations and
indirect edges carry no rows). A table reached through every key column gets the
predicate translated to its own column names; a table downstream (table lineage) that the
keys did not reach is listed for manual review. For each traced table, every snapshot
since ``since`` is checked for readability at the source (file checks) and, with the
probe, counted with the predicate pushed down into pyiceberg / deltalake. The erasure is
complete when no current head and no readable snapshot returns a row.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from temporal_lineage.config import Settings
from temporal_lineage.errors import ConfigError
from temporal_lineage.governance_config import Governance
from temporal_lineage.model import RunInfo, StoredSnapshot, TableRef, TagOrigin
from temporal_lineage.predicate import Predicate, check_columns, columns, renamed
from temporal_lineage.query.impact import SchemaCache
from temporal_lineage.query.lineage import reachable
from temporal_lineage.query.readability import unreadable
from temporal_lineage.query.tag_flow import (
    MAX_DEPTH,
    CarriedTag,
    Hop,
    How,
    StopRule,
    TagMap,
    spread,
    tag_stop,
)
from temporal_lineage.sources.factory import read_options
from temporal_lineage.sources.snapshot_data import SNAPSHOT_DATA
from temporal_lineage.sql_lineage.predicate_parse import parse_predicate
from temporal_lineage.store import ColumnEdgeRow, Store, StoredTable, StoreReader
from temporal_lineage.times import now

Progress = Callable[[int], None]
_KEY = "erasure-key:"


class ErasureStatus(StrEnum):
    """Where a table stands for the subject."""

    CLEAN = "clean"
    """No head and no readable snapshot returns a row."""
    HOLDS = "holds"
    """The head or an older readable snapshot returns rows (or may, unprobed)."""
    UNTRACEABLE = "untraceable"
    """Downstream, but the key columns cannot be followed into it: manual review."""
    NOT_CARRIED = "not_carried"
    """Reached only through masked or aggregated edges: it holds no rows of the subject."""


@dataclass(frozen=True)
class CarriedBy:
    """A key column of the table and the source column it carries, with the path."""

    column: str
    from_column: str
    path: tuple[Hop, ...]


@dataclass(frozen=True)
class SnapshotCheck:
    """One snapshot of a traced table: readable at the source, and the matching rows."""

    snapshot_id: int
    committed_at: datetime
    readable: bool
    unreadable_because: str | None
    rows: int | None
    """Rows the predicate matched there (None: not probed or not readable)."""
    engine_sql: Mapping[str, str]
    """``spark_sql`` / ``trino_sql`` counting queries for the same rows."""
    counted_by: str | None = None
    """``probe`` (read here) or ``engine`` (results given by ``erasure verify --results``)."""


@dataclass(frozen=True)
class TableErasure:
    """One table's part of the answer."""

    table: TableRef
    status: ErasureStatus
    carried_by: tuple[CarriedBy, ...]
    predicate: Predicate | None
    """The subject's predicate in this table's own column names (None: untraced)."""
    head: SnapshotCheck | None
    snapshots: tuple[SnapshotCheck, ...]
    reason: str | None = None


@dataclass(frozen=True)
class Erasure:
    """The answer of ``erasure TABLE --where P``."""

    table: TableRef
    where: str
    predicate: Predicate
    since: datetime | None
    checked_at: datetime
    probed: bool
    tables: tuple[TableErasure, ...]

    @property
    def complete(self) -> bool:
        """No table holds the subject's rows and none needs manual review."""
        return all(
            t.status in (ErasureStatus.CLEAN, ErasureStatus.NOT_CARRIED) for t in self.tables
        )


def erasure_stop(governance: Governance) -> StopRule:
    """Rows travel IDENTITY and TRANSFORMATION edges only: tag stops, plus aggregations."""
    tags = tag_stop(governance)
    return functools.partial(_erasure_stop, tags)


def _erasure_stop(tags: StopRule, edge: ColumnEdgeRow, run: RunInfo) -> str | None:
    rule = tags(edge, run)
    if rule is None and (edge.subtype or "").upper() == "AGGREGATION":
        return "aggregation: an aggregate carries no subject's rows"
    return rule


def erasure(
    store: Store,
    settings: Settings,
    ref: TableRef,
    where: str,
    *,
    since: datetime | None = None,
    probe: bool = True,
    progress: Progress | None = None,
) -> Erasure:
    """Where the rows ``where`` selects in ``ref`` live now, in every table they are
    carried into (``progress`` is called once per snapshot checked).

    Raises:
        BadPredicate: ``where`` does not parse or compares a column with the wrong literal.
        ColumnNotFound: ``where`` names a column ``ref`` does not have now.
        TableNotFound: the store has never seen ``ref``.
    """
    predicate = parse_predicate(where)
    checked_at = now()
    with store.reader() as reader:
        root = reader.get_table(ref)
        schema = reader.schema_as_of(root, checked_at)
        names = [f.dotted_path for f in schema.schema.fields] if schema else []
        check_columns(predicate, names, str(ref))
        traced, stops, downstream = _trace(reader, settings.governance, root, predicate, checked_at)
        snapshots = {tid: reader.list_snapshots(tb) for tid, tb in downstream.items()}
        heads = {tid: reader.head_as_of(tb, checked_at) for tid, tb in downstream.items()}
    parts = []
    ordered = sorted(downstream.items(), key=lambda kv: (kv[0] != root.table_id, str(kv[1].ref)))
    for table_id, table in ordered:
        carried = traced.get(table_id)
        if carried is None:
            parts.append(_untraced(table, stops.get(table_id)))
            continue
        translated = renamed(predicate, {c.from_column: c.column for c in carried})
        checks = _check(
            store,
            settings,
            table,
            translated,
            [s for s in snapshots[table_id] if since is None or s.snapshot.committed_at >= since],
            probe,
            progress,
        )
        head = heads[table_id]
        head_check = next(
            (c for c in checks if head and c.snapshot_id == head.snapshot.snapshot_id), None
        )
        parts.append(
            TableErasure(
                table.ref,
                _status(checks, probe),
                tuple(carried),
                translated,
                head_check,
                tuple(checks),
            )
        )
    return Erasure(ref, where, predicate, since, checked_at, probe, tuple(parts))


def _trace(
    reader: StoreReader,
    governance: Governance,
    root: StoredTable,
    predicate: Predicate,
    at: datetime,
) -> tuple[dict[int, list[CarriedBy]], dict[int, str], dict[int, StoredTable]]:
    """Which tables every key column reaches (with the columns carrying them), why others
    were stopped, and every table downstream of the root by table lineage."""
    downstream = reachable(reader, root, False, at, None, MAX_DEPTH)
    schemas = SchemaCache(reader, None)
    schemas.prefetch((tb, at) for tb in downstream.values())
    keys = columns(predicate)
    result = TagMap(at, dict(downstream))
    result.schemas = {tid: schemas.at(tb, at) for tid, tb in downstream.items()}
    root_schema = result.schemas.get(root.table_id)
    for key in keys:
        field = (
            next((f for f in root_schema.fields if f.dotted_path == key), None)
            if root_schema
            else None
        )
        if field is not None:
            result.add(
                root.table_id,
                field.dotted_path,
                CarriedTag(
                    _KEY + key, How.DIRECT, TagOrigin.MANUAL, "erasure key", at, root.ref, key
                ),
            )
    spread(reader, result, erasure_stop(governance), schemas, set(downstream), None)
    traced: dict[int, list[CarriedBy]] = {}
    for table_id in downstream:
        found: dict[str, CarriedBy] = {}
        for (tid, column), tags in result.columns.items():
            if tid != table_id:
                continue
            for tag, ways in tags.items():
                if tag.startswith(_KEY) and tag[len(_KEY) :] not in found:
                    found[tag[len(_KEY) :]] = CarriedBy(column, tag[len(_KEY) :], ways[0].path)
        if all(k in found for k in keys):
            traced[table_id] = [found[k] for k in keys]
    stops = {s.hop.to_node.table: s.rule for s in result.stops if s.hop.to_node.table is not None}
    stopped = {
        tid: stops[tb.ref]
        for tid, tb in downstream.items()
        if tb.ref in stops and tid not in traced
    }
    return traced, stopped, downstream


def _untraced(table: StoredTable, stop: str | None) -> TableErasure:
    if stop is not None:
        return TableErasure(
            table.ref, ErasureStatus.NOT_CARRIED, (), None, None, (), f"key stopped: {stop}"
        )
    return TableErasure(
        table.ref,
        ErasureStatus.UNTRACEABLE,
        (),
        None,
        None,
        (),
        "downstream, but no column lineage carries every key column into it: review by hand",
    )


def _check(
    store: Store,
    settings: Settings,
    table: StoredTable,
    predicate: Predicate,
    snapshots: Sequence[StoredSnapshot],
    probe: bool,
    progress: Progress | None,
) -> list[SnapshotCheck]:
    """Readability of each snapshot, and its matching rows when probed."""
    why = unreadable(store, settings, table.ref, snapshots)
    with store.reader() as reader:
        cursor = reader.table_cursor(table)
    data = SNAPSHOT_DATA[table.format]
    location = data.read_location(table.location, cursor)
    try:
        options = read_options(settings.source(table.ref.source))
    except ConfigError:
        options = {}
    checks = []
    for snap in snapshots:
        snapshot_id = snap.snapshot.snapshot_id
        cause = why.get((snap.incarnation, snapshot_id))
        rows: int | None = None
        counted = None
        if probe and cause is None:
            rows = data.count(str(table.ref), location, snapshot_id, options, predicate)
            counted = "probe"
        if progress is not None:
            progress(1)
        checks.append(
            SnapshotCheck(
                snapshot_id,
                snap.snapshot.committed_at,
                cause is None,
                cause,
                rows,
                data.count_recipes(table.ref, location, snapshot_id, predicate),
                counted,
            )
        )
    return checks


def _status(checks: Sequence[SnapshotCheck], probe: bool) -> ErasureStatus:
    readable = [c for c in checks if c.readable]
    if any(c.rows for c in readable):
        return ErasureStatus.HOLDS
    if any(c.rows is None for c in readable):
        return ErasureStatus.HOLDS  # not counted: it may hold rows
    return ErasureStatus.CLEAN


def with_engine_results(answer: Erasure, counts: Mapping[tuple[str, int], int]) -> Erasure:
    """The answer with rows an engine counted filled in (the status recomputed)."""
    parts = []
    for part in answer.tables:
        checks = tuple(
            replace(c, rows=counts[(str(part.table), c.snapshot_id)], counted_by="engine")
            if (str(part.table), c.snapshot_id) in counts
            else c
            for c in part.snapshots
        )
        if part.predicate is None:
            parts.append(part)
            continue
        head = next(
            (c for c in checks if part.head and c.snapshot_id == part.head.snapshot_id), None
        )
        parts.append(replace(part, snapshots=checks, head=head, status=_status(checks, True)))
    return replace(answer, tables=tuple(parts))
