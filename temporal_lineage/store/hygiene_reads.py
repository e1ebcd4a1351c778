"""The whole-store reads of the cost-hygiene report, each a few grouped or batched statements
(never one per table): heads and their sizes as of A, commits in a window, which tables a
run writing another table read, the datasets and column lineage of each job's last run, and
the snapshots still readable in the source past a retention age.

Sizes come from the snapshot summaries: Iceberg's ``total-files-size`` and
``added-files-size``; for a format without a total (Delta) the sum of the sizes of the files
every commit added and removed (``ADDED_BYTES_KEY`` / ``REMOVED_BYTES_KEY``, which the
source sets), known only when every commit from the first one on says them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Connection, and_, case, cast, func, or_, select, true

from temporal_lineage.commit_effects import ADDED_BYTES_KEY, REMOVED_BYTES_KEY
from temporal_lineage.model import Format, JobKey, TableRef
from temporal_lineage.store import tables as t
from temporal_lineage.store.reads import StoredTable, known

_TOTAL_SIZE = "total-files-size"
_ADDED_SIZE = "added-files-size"
_SPARK_ADDED = ("numOutputBytes", "numAddedBytes", "numTargetBytesAdded")
"""Delta ``operationMetrics`` of Spark (WRITE, OPTIMIZE / DELETE / UPDATE, MERGE): the bytes
added, for commits stored before the source summed the add actions itself."""
_BATCH = 200


def _chunks(values: Iterable[Any], size: int = _BATCH) -> Iterable[list[Any]]:
    items = list(values)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _matched(column: Any, known_at: datetime | None) -> Any:
    """A match (``matched_at``) known at ``known_at``."""
    return column <= known_at if known_at is not None else True


def _size(text: object) -> int | None:
    """A summary value as a byte count (None when it is not a whole number)."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text
    if isinstance(text, str) and text.strip().isdigit():
        return int(text)
    return None


def _summary_text(*path: str) -> Any:
    column = t.snapshots.c.summary
    return (column[path[0]] if len(path) == 1 else column[path]).as_string()


@dataclass(frozen=True)
class HeadFact:
    """A table's head as of A: which snapshot, when committed, its size if the summary says."""

    table: StoredTable
    incarnation_id: int
    snapshot_id: int
    committed_at: datetime
    sequence_number: int | None
    expired_in_source: datetime | None
    total_bytes: int | None


def live_heads(conn: Connection, as_of: datetime, known_at: datetime | None) -> list[HeadFact]:
    """Every table with a snapshot as its head at ``as_of`` (not dropped, known at K), in one
    statement: per table one seek on ``ix_heads_table_started``, then its snapshot by key."""
    h, s, tb = t.heads.c, t.snapshots.c, t.tables.c
    latest = (
        select(h.id)
        .where(h.table_id == tb.id, h.started_at <= as_of, known(h.recorded_at, known_at))
        .order_by(h.started_at.desc(), h.id.desc())
        .limit(1)
        .correlate(t.tables)
        .scalar_subquery()
    )
    rows = conn.execute(
        select(
            tb.id,
            tb.identifier,
            tb.format,
            tb.location,
            t.sources.c.name.label("source_name"),
            s.incarnation_id,
            s.snapshot_id,
            s.committed_at,
            s.sequence_number,
            s.expired_in_source,
            _summary_text(_TOTAL_SIZE).label("total"),
        )
        .select_from(t.tables)
        .join(t.sources, t.sources.c.id == tb.source_id)
        .join(t.heads, h.id == latest)
        .join(
            t.snapshots,
            and_(s.incarnation_id == h.incarnation_id, s.snapshot_id == h.snapshot_id),
        )
        .where(known(tb.recorded_at, known_at), known(s.recorded_at, known_at))
        .order_by(tb.id)
    )
    found: list[HeadFact] = []
    for row in rows:
        expired = row.expired_in_source
        if expired is not None and known_at is not None and expired > known_at:
            expired = None
        table = StoredTable(
            row.id,
            TableRef(row.source_name, row.identifier),
            Format(row.format),
            row.location,
            None,
        )
        found.append(
            HeadFact(
                table,
                row.incarnation_id,
                row.snapshot_id,
                row.committed_at,
                row.sequence_number,
                expired,
                _size(row.total),
            )
        )
    return found


def summed_bytes(
    conn: Connection, heads: Collection[HeadFact], known_at: datetime | None
) -> dict[int, int]:
    """The size at its head of each table whose summaries have no total, summed over its
    commits up to the head (added minus removed), by table id; left out when a commit of
    the incarnation does not say its sizes or the first commit is not stored."""
    s = t.snapshots.c
    added = cast(_summary_text(ADDED_BYTES_KEY), BigInteger)
    removed = cast(_summary_text(REMOVED_BYTES_KEY), BigInteger)
    by_incarnation = {h.incarnation_id: h for h in heads if h.sequence_number is not None}
    found: dict[int, int] = {}
    for chunk in _chunks(sorted(by_incarnation), 100):
        condition = or_(
            *(
                and_(s.incarnation_id == i, s.sequence_number <= by_incarnation[i].sequence_number)
                for i in chunk
            )
        )
        for row in conn.execute(
            select(
                s.incarnation_id,
                func.count().label("commits"),
                func.count(added).label("sized_added"),
                func.count(removed).label("sized_removed"),
                func.sum(case((s.parent_id.is_(None), 1), else_=0)).label("roots"),
                func.coalesce(func.sum(added), 0).label("added"),
                func.coalesce(func.sum(removed), 0).label("removed"),
            )
            .where(condition, known(s.recorded_at, known_at))
            .group_by(s.incarnation_id)
        ):
            complete = row.commits == row.sized_added == row.sized_removed and row.roots
            if complete:
                found[by_incarnation[row.incarnation_id].table.table_id] = max(
                    int(row.added) - int(row.removed), 0
                )
    return found


def last_commits(conn: Connection, end: datetime, known_at: datetime | None) -> dict[int, datetime]:
    """Each table's last commit at or before ``end`` (one grouped statement)."""
    s, i = t.snapshots.c, t.incarnations.c
    return {
        table_id: at
        for table_id, at in conn.execute(
            select(i.table_id, func.max(s.committed_at))
            .join(t.incarnations, i.id == s.incarnation_id)
            .where(s.committed_at <= end, known(s.recorded_at, known_at))
            .group_by(i.table_id)
        )
    }


def _whole(conn: Connection, text: Any) -> Any:
    """A summary value as a BIGINT, NULL when it is not digits (PostgreSQL refuses to cast
    other text; SQLite casts it to 0, which counts as nothing added)."""
    if conn.dialect.name == "postgresql":  # substring(text, pattern): the match, else NULL
        return cast(func.substring(text, "^[0-9]{1,18}$"), BigInteger)
    return cast(text, BigInteger)


def operations_in(
    conn: Connection, start: datetime, end: datetime, known_at: datetime | None
) -> set[str | None]:
    """The operations of the commits in (start, end]."""
    s = t.snapshots.c
    return set(
        conn.execute(
            select(s.operation)
            .where(s.committed_at > start, s.committed_at <= end, known(s.recorded_at, known_at))
            .distinct()
        ).scalars()
    )


@dataclass(frozen=True)
class SmallCommitFact:
    """A table whose data commits in the window were many and small."""

    table_id: int
    commits: int
    median_bytes: int


def small_commits(
    conn: Connection,
    start: datetime,
    end: datetime,
    known_at: datetime | None,
    *,
    skip: Collection[str],
    at_least: int,
    below: int,
) -> list[SmallCommitFact]:
    """Tables with at least ``at_least`` commits in (start, end] that added files, whose
    median bytes added is below ``below`` (the low median, found by the database: one row
    per table comes back). Added bytes: Iceberg ``added-files-size``, else the source's
    ``ADDED_BYTES_KEY``, else Spark's Delta ``operationMetrics``, the first a summary has;
    commits whose operation is in ``skip`` (compaction) do not count."""
    s, i = t.snapshots.c, t.incarnations.c
    source: Any = t.snapshots.join(t.incarnations, i.id == s.incarnation_id)
    text: Any = _summary_text
    if conn.dialect.name == "postgresql":
        # Imported here: a command on a SQLite store never loads the PostgreSQL dialect.
        from sqlalchemy.dialects.postgresql import JSONB

        # json text is parsed again by each ->>: parse each summary once, as jsonb, in a
        # lateral subquery (OFFSET 0 keeps the planner from inlining it back).
        parsed = (
            select(cast(s.summary, JSONB).label("doc"))
            .correlate(t.snapshots)
            .offset(0)
            .lateral("parsed")
        )
        source = source.join(parsed, true())

        def text(*path: str) -> Any:
            return (parsed.c.doc[path[0]] if len(path) == 1 else parsed.c.doc[path]).astext

    added = _whole(
        conn,
        func.coalesce(  # evaluated lazily: one extraction for most rows
            text(_ADDED_SIZE),
            text(ADDED_BYTES_KEY),
            *(text("operationMetrics", key) for key in _SPARK_ADDED),
        ),
    )
    kept = or_(s.operation.is_(None), s.operation.not_in(sorted(skip)))
    sized = (
        select(i.table_id.label("table_id"), added.label("size"))
        .select_from(source)
        .where(s.committed_at > start, s.committed_at <= end, known(s.recorded_at, known_at), kept)
        .cte("sized")
        .prefix_with("MATERIALIZED")  # the sizes once: not again for each use of the column
    )
    ranked = (
        select(
            sized.c.table_id,
            sized.c.size,
            func.row_number()
            .over(partition_by=sized.c.table_id, order_by=sized.c.size)
            .label("place"),
            func.count().over(partition_by=sized.c.table_id).label("commits"),
        )
        .where(sized.c.size > 0)
        .subquery()
    )
    rows = conn.execute(
        select(ranked.c.table_id, ranked.c.commits, ranked.c.size).where(
            ranked.c.place == (ranked.c.commits + 1) // 2,
            ranked.c.commits >= at_least,
            ranked.c.size < below,
        )
    )
    return [SmallCommitFact(table_id, int(n), int(size)) for table_id, n, size in rows]


@dataclass(frozen=True)
class DatasetFact:
    """A dataset a run named (a table once its match is known), and its run's last event
    naming it."""

    run_id: str
    job: JobKey
    direction: str
    table_id: int | None
    namespace: str
    name: str
    event_time: datetime


def _dataset_select(known_at: datetime | None) -> Any:
    """Each (run, direction, dataset) once, with the latest event naming it."""
    rd, ev = t.run_datasets.c, t.events.c
    return (
        select(
            rd.run_id,
            ev.job_namespace,
            ev.job_name,
            rd.direction,
            rd.table_id,
            func.max(rd.matched_at).label("matched_at"),
            rd.namespace,
            rd.name,
            func.max(ev.event_time).label("event_time"),
        )
        .join(t.events, ev.id == rd.event_pk)
        .where(known(rd.recorded_at, known_at), ev.job_name.is_not(None))
        .group_by(
            rd.run_id,
            ev.job_namespace,
            ev.job_name,
            rd.direction,
            rd.table_id,
            rd.namespace,
            rd.name,
        )
    )


def last_runs(
    conn: Connection, start: datetime, end: datetime, known_at: datetime | None
) -> list[str]:
    """Each job's last run that named an output in an event in (start, end] (the run of its
    latest such event; ties: the greater run id), one row per job."""
    rd, ev = t.run_datasets.c, t.events.c
    written = (
        select(
            rd.run_id,
            ev.job_namespace,
            ev.job_name,
            func.row_number()
            .over(
                partition_by=(ev.job_namespace, ev.job_name),
                order_by=(ev.event_time.desc(), rd.run_id.desc()),
            )
            .label("place"),
        )
        .join(t.events, ev.id == rd.event_pk)
        .where(
            rd.direction == "output",
            ev.job_name.is_not(None),
            ev.event_time > start,
            ev.event_time <= end,
            known(rd.recorded_at, known_at),
        )
        .subquery()
    )
    return list(conn.execute(select(written.c.run_id).where(written.c.place == 1)).scalars())


def downstream_tables(
    conn: Connection, start: datetime, end: datetime, known_at: datetime | None
) -> set[int]:
    """Tables an input of a run that named another dataset as an output in an event in
    (start, end]: the runs' outputs grouped once (the first and last name of each), joined
    to the inputs by run."""
    rd, ev = t.run_datasets.c, t.events.c
    named = rd.namespace + "/" + rd.name
    outputs = (
        select(rd.run_id, func.min(named).label("first"), func.max(named).label("last"))
        .join(t.events, ev.id == rd.event_pk)
        .where(
            rd.direction == "output",
            ev.event_time > start,
            ev.event_time <= end,
            known(rd.recorded_at, known_at),
        )
        .group_by(rd.run_id)
        .subquery()
    )
    inputs = t.run_datasets.alias("input")
    i = inputs.c
    return set(
        conn.execute(
            select(i.table_id)
            .join(outputs, outputs.c.run_id == i.run_id)
            .where(
                i.direction == "input",
                i.table_id.is_not(None),
                known(i.recorded_at, known_at),
                _matched(i.matched_at, known_at),
                or_(
                    outputs.c.first != outputs.c.last,
                    outputs.c.first != i.namespace + "/" + i.name,
                ),
            )
            .distinct()
        ).scalars()
    )


def _dataset(row: Any, known_at: datetime | None) -> DatasetFact:
    matched = row.table_id is not None and (known_at is None or row.matched_at <= known_at)
    return DatasetFact(
        row.run_id,
        JobKey(row.job_namespace, row.job_name),
        row.direction,
        row.table_id if matched else None,
        row.namespace,
        row.name,
        row.event_time,
    )


def datasets_of_runs(
    conn: Connection, run_ids: Collection[str], known_at: datetime | None
) -> list[DatasetFact]:
    """The inputs and outputs these runs named in any event (by ``ix_run_datasets_run``)."""
    rd = t.run_datasets.c
    found: list[DatasetFact] = []
    for chunk in _chunks(sorted(run_ids), 500):
        query = _dataset_select(known_at).where(rd.run_id.in_(chunk))
        found += [_dataset(r, known_at) for r in conn.execute(query)]
    return found


@dataclass(frozen=True)
class EdgeFact:
    """One column edge of a run: output field from input field, by how."""

    run_id: str
    output_field: str
    input_table_id: int | None
    input_namespace: str
    input_name: str
    input_field: str
    kind: str
    subtype: str | None


def edges_of_runs(
    conn: Connection, run_ids: Collection[str], known_at: datetime | None
) -> list[EdgeFact]:
    """The column edges of these runs (by ``ix_column_edges_run``)."""
    ce = t.column_edges.c
    found: list[EdgeFact] = []
    for chunk in _chunks(sorted(run_ids), 500):
        for r in conn.execute(
            select(
                ce.run_id,
                ce.output_field,
                ce.input_table_id,
                ce.matched_at,
                ce.input_namespace,
                ce.input_name,
                ce.input_field,
                ce.kind,
                ce.subtype,
            ).where(ce.run_id.in_(chunk), known(ce.recorded_at, known_at))
        ):
            matched = r.input_table_id is not None and (
                known_at is None or (r.matched_at is not None and r.matched_at <= known_at)
            )
            found.append(
                EdgeFact(
                    r.run_id,
                    r.output_field,
                    r.input_table_id if matched else None,
                    r.input_namespace,
                    r.input_name,
                    r.input_field,
                    r.kind,
                    r.subtype,
                )
            )
    return found


@dataclass(frozen=True)
class Retained:
    """How many snapshots of a table older than the cutoff the source still had at A."""

    table_id: int
    snapshots: int
    oldest: datetime


def retained_snapshots(
    conn: Connection,
    heads: Sequence[HeadFact],
    cutoff: datetime,
    as_of: datetime,
    known_at: datetime | None,
) -> list[Retained]:
    """Per table, its snapshots (of the incarnation alive at A) committed before ``cutoff``
    that the source had not expired by A, leaving out the head and what a ref points at
    (the source keeps those whatever their age)."""
    s = t.snapshots.c
    expiry_seen = min(as_of, known_at) if known_at is not None else as_of
    readable = and_(
        s.committed_at < cutoff,
        or_(s.expired_in_source.is_(None), s.expired_in_source > expiry_seen),
        known(s.recorded_at, known_at),
    )
    by_incarnation = {h.incarnation_id: h for h in heads}
    counts: dict[int, tuple[int, datetime]] = {}
    for row in conn.execute(  # one pass over the snapshots: an IN list per chunk scans them all
        select(s.incarnation_id, func.count(), func.min(s.committed_at))
        .where(readable)
        .group_by(s.incarnation_id)
    ):
        if row[0] in by_incarnation:
            counts[row[0]] = (int(row[1]), row[2])
    # The heads (and the few snapshots refs point at) are kept whatever their age: take
    # them out of the counts, and recount the oldest only where a kept one was the oldest.
    kept_rows: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for head in heads:
        alive = head.expired_in_source is None or head.expired_in_source > as_of
        if head.incarnation_id in counts and head.committed_at < cutoff and alive:
            kept_rows[head.incarnation_id].append((head.snapshot_id, head.committed_at))
    pinned = sorted(k for k in _kept_by_refs(conn, as_of, known_at) if k[0] in counts)
    for chunk in _chunks(pinned):
        # OR of (incarnation, snapshot) pairs: each an index seek (a row-value IN scans).
        pairs = or_(*(and_(s.incarnation_id == i, s.snapshot_id == n) for i, n in chunk))
        for row in conn.execute(
            select(s.incarnation_id, s.snapshot_id, s.committed_at).where(pairs, readable)
        ):
            if (row.snapshot_id, row.committed_at) not in kept_rows[row.incarnation_id]:
                kept_rows[row.incarnation_id].append((row.snapshot_id, row.committed_at))
    remaining = {i: n - len(kept_rows.get(i, ())) for i, (n, _) in counts.items()}
    recount = [
        i
        for i, rows in kept_rows.items()
        if remaining[i] > 0 and any(at <= counts[i][1] for _, at in rows)
    ]
    oldest = {i: first for i, (_, first) in counts.items()}
    for chunk in _chunks(recount, 100):
        condition = or_(
            *(
                and_(
                    s.incarnation_id == i,
                    s.snapshot_id.not_in([snapshot for snapshot, _ in kept_rows[i]]),
                )
                for i in chunk
            )
        )
        for row in conn.execute(
            select(s.incarnation_id, func.min(s.committed_at))
            .where(condition, readable)
            .group_by(s.incarnation_id)
        ):
            oldest[row[0]] = row[1]
    return [
        Retained(by_incarnation[i].table.table_id, left, oldest[i])
        for i, left in remaining.items()
        if left > 0
    ]


def _kept_by_refs(
    conn: Connection, as_of: datetime, known_at: datetime | None
) -> set[tuple[int, int]]:
    """(incarnation, snapshot) of every branch or tag alive at ``as_of`` (main is the head)."""
    r = t.refs.c
    latest: dict[tuple[int, str], tuple[datetime, int, int, int | None]] = {}
    for row in conn.execute(
        select(r.table_id, r.name, r.started_at, r.id, r.incarnation_id, r.snapshot_id).where(
            r.started_at <= as_of, known(r.recorded_at, known_at)
        )
    ):
        key = (row.table_id, row.name)
        value = (row.started_at, row.id, row.incarnation_id, row.snapshot_id)
        if key not in latest or latest[key][:2] < value[:2]:
            latest[key] = value
    return {(inc, snap) for _, _, inc, snap in latest.values() if snap is not None}


class HygieneReads:
    """The reads above, over one reader's connection (``StoreReader.hygiene()``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def live_heads(self, as_of: datetime, known_at: datetime | None) -> list[HeadFact]:
        """Every table with a snapshot as its head at ``as_of``."""
        return live_heads(self.conn, as_of, known_at)

    def summed_bytes(
        self, heads: Collection[HeadFact], known_at: datetime | None
    ) -> dict[int, int]:
        """Sizes summed from the commits' added and removed bytes, by table id."""
        return summed_bytes(self.conn, heads, known_at)

    def last_commits(self, end: datetime, known_at: datetime | None) -> dict[int, datetime]:
        """Each table's last commit at or before ``end``."""
        return last_commits(self.conn, end, known_at)

    def small_commits(
        self,
        start: datetime,
        end: datetime,
        known_at: datetime | None,
        *,
        skip: Collection[str],
        at_least: int,
        below: int,
    ) -> list[SmallCommitFact]:
        """Tables with many commits in (start, end] adding a median below ``below`` bytes."""
        return small_commits(
            self.conn, start, end, known_at, skip=skip, at_least=at_least, below=below
        )

    def operations_in(
        self, start: datetime, end: datetime, known_at: datetime | None
    ) -> set[str | None]:
        """The operations of the commits in (start, end]."""
        return operations_in(self.conn, start, end, known_at)

    def last_runs(self, start: datetime, end: datetime, known_at: datetime | None) -> list[str]:
        """Each job's last run writing in (start, end]."""
        return last_runs(self.conn, start, end, known_at)

    def downstream_tables(
        self, start: datetime, end: datetime, known_at: datetime | None
    ) -> set[int]:
        """Tables read by a run that wrote another dataset in (start, end]."""
        return downstream_tables(self.conn, start, end, known_at)

    def datasets_of_runs(
        self, run_ids: Collection[str], known_at: datetime | None
    ) -> list[DatasetFact]:
        """The inputs and outputs these runs named."""
        return datasets_of_runs(self.conn, run_ids, known_at)

    def edges_of_runs(self, run_ids: Collection[str], known_at: datetime | None) -> list[EdgeFact]:
        """The column edges of these runs."""
        return edges_of_runs(self.conn, run_ids, known_at)

    def retained_snapshots(
        self,
        heads: Sequence[HeadFact],
        cutoff: datetime,
        as_of: datetime,
        known_at: datetime | None,
    ) -> list[Retained]:
        """Snapshots older than ``cutoff`` still readable in the source at ``as_of``."""
        return retained_snapshots(self.conn, heads, cutoff, as_of, known_at)
