"""Freshness as of a time: each table's last commit by A, its lag, its SLA, and which of its
upstream tables (through the lineage in force at A) are late themselves.

Freshness of T as of A is A minus the commit time of T's head at A, as known at K; T is late
when a ``freshness:`` rule gives it an SLA and the lag exceeds it (DESIGN.md, *Access and
operations*). The whole store is answered with one statement for the heads and, when some
table is late, one batched read of the whole table graph in force at A (walked in memory);
named tables with one batched ``level_hops`` per level upstream. Never a query per table.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from temporal_lineage.model import TableRef
from temporal_lineage.operations_config import FreshnessRule, sla_of
from temporal_lineage.query.lineage import level_hops
from temporal_lineage.query.links import jobs_current_run
from temporal_lineage.store import Store, StoredTable, StoreReader

MAX_DEPTH = 20
"""Lineage hops followed when looking for a late upstream table."""


@dataclass(frozen=True)
class Freshness:
    """One table's freshness as of a time (``lag``: A minus ``last_commit``)."""

    table: TableRef
    last_commit: datetime | None
    lag: timedelta | None
    sla: timedelta | None
    late: bool
    late_upstream: tuple[Freshness, ...] = ()
    """Upstream tables that are late themselves, nearest first (their own list empty)."""


def freshness(
    store: Store,
    tables: Sequence[TableRef] | None,
    *,
    as_of: datetime,
    known_at: datetime | None = None,
    rules: Sequence[FreshnessRule] = (),
) -> list[Freshness]:
    """The freshness of ``tables`` (None: every table with a head at A) as of ``as_of``.

    Raises:
        TableNotFound: a table the store has never seen.
    """
    with store.reader() as reader:
        if tables is None:
            return _whole_store(reader, as_of, known_at, rules)
        wanted = [reader.get_table(ref) for ref in dict.fromkeys(tables)]
        return _some(reader, wanted, as_of, known_at, rules)


def table_lags(
    store: Store, *, as_of: datetime, rules: Sequence[FreshnessRule] = ()
) -> list[Freshness]:
    """The freshness of every table with a head at A, without ``late_upstream``: one
    statement (what ``/metrics`` exports at each scrape)."""
    with store.reader() as reader:
        commits = reader.last_commits(as_of)
        stored = reader.stored_tables(commits)
        return sorted(
            (
                _item(stored[i], last, as_of, rules)
                for i, last in commits.items()
                if last is not None and i in stored
            ),
            key=lambda f: str(f.table),
        )


def _item(
    table: StoredTable, last: datetime | None, as_of: datetime, rules: Sequence[FreshnessRule]
) -> Freshness:
    lag = max(as_of - last, timedelta(0)) if last is not None else None
    sla = sla_of(rules, str(table.ref))
    return Freshness(table.ref, last, lag, sla, sla is not None and lag is not None and lag > sla)


def _some(
    reader: StoreReader,
    wanted: Sequence[StoredTable],
    as_of: datetime,
    known_at: datetime | None,
    rules: Sequence[FreshnessRule],
) -> list[Freshness]:
    """Named tables: walk upstream from them, then read every reached head at once."""
    reach = _distances(reader, {tb.table_id for tb in wanted}, True, as_of, known_at)
    ids = {i for found in reach.values() for i in found} | {tb.table_id for tb in wanted}
    stored = reader.stored_tables(ids)
    commits = reader.last_commits(as_of, known_at, stored.values())
    items = {i: _item(stored[i], commits.get(i), as_of, rules) for i in stored}
    return [_with_upstream(items[tb.table_id], reach.get(tb.table_id, {}), items) for tb in wanted]


def _whole_store(
    reader: StoreReader,
    as_of: datetime,
    known_at: datetime | None,
    rules: Sequence[FreshnessRule],
) -> list[Freshness]:
    """Every table: heads in one statement, then a downstream walk from the late ones."""
    commits = reader.last_commits(as_of, known_at)
    stored = reader.stored_tables(commits)
    items = {
        i: _item(stored[i], last, as_of, rules)
        for i, last in commits.items()
        if last is not None and i in stored
    }
    late = {i for i, item in items.items() if item.late}
    below = _walk(_downstream_graph(reader, items, as_of, known_at), late) if late else {}
    above: dict[int, dict[int, int]] = {}
    for source, reached in below.items():
        for table_id, distance in reached.items():
            above.setdefault(table_id, {})[source] = distance
    answer = [_with_upstream(item, above.get(i, {}), items) for i, item in items.items()]
    return sorted(answer, key=lambda f: str(f.table))


def _with_upstream(
    item: Freshness, upstream: Mapping[int, int], items: Mapping[int, Freshness]
) -> Freshness:
    late = [
        (distance, str(items[i].table), items[i])
        for i, distance in upstream.items()
        if i in items and items[i].late
    ]
    late.sort(key=lambda entry: (entry[0], entry[1]))
    return Freshness(
        item.table,
        item.last_commit,
        item.lag,
        item.sla,
        item.late,
        tuple(entry[2] for entry in late),
    )


def _distances(
    reader: StoreReader,
    sources: Collection[int],
    upstream: bool,
    as_of: datetime,
    known_at: datetime | None,
) -> dict[int, dict[int, int]]:
    """For each source table, the stored tables up- (or down-) stream of it through the
    lineage in force at ``as_of``, with their distance in hops: one ``level_hops`` per level
    for all sources together."""
    reached: dict[int, dict[int, int]] = {s: {} for s in sources}
    # frontier: table id -> the sources that reached it at the last level
    frontier: dict[int, set[int]] = {s: {s} for s in sources}
    for depth in range(1, MAX_DEPTH + 1):
        if not frontier:
            break
        following: dict[int, set[int]] = {}
        for hop in level_hops(reader, frontier, upstream, as_of, known_at):
            here, there = (hop.target, hop.source) if upstream else (hop.source, hop.target)
            if here.table is None or there.table is None:
                continue
            target = there.table.table_id
            for source in frontier.get(here.table.table_id, ()):
                if target == source or target in reached[source]:
                    continue
                reached[source][target] = depth
                following.setdefault(target, set()).add(source)
        frontier = following
    return reached


def _downstream_graph(
    reader: StoreReader, table_ids: Collection[int], as_of: datetime, known_at: datetime | None
) -> dict[int, set[int]]:
    """Every table-level edge in force at ``as_of`` into these tables (input table id ->
    output table ids), read for the whole store at once: each job's run in force at A (as
    ``level_hops`` has it) and the tables those runs read and wrote, without facets."""
    current = jobs_current_run(reader.run_windows(known_at), as_of)
    sides: dict[str, tuple[set[int], set[int]]] = {}
    for run_id, direction, table_id in reader.run_tables(
        [r.run_id for r in current.values()], known_at
    ):
        inputs, outputs = sides.setdefault(run_id, (set(), set()))
        (outputs if direction == "output" else inputs).add(table_id)
    wanted = set(table_ids)
    graph: dict[int, set[int]] = {}
    for inputs, outputs in sides.values():
        into = outputs & wanted
        for source in inputs:
            # maintenance (compaction) reads and writes one table: no edge to itself
            if into - {source}:
                graph.setdefault(source, set()).update(into - {source})
    return graph


def _walk(
    graph: Mapping[int, Collection[int]], sources: Collection[int]
) -> dict[int, dict[int, int]]:
    """For each source, the tables reachable in ``graph`` with their distance in hops (at
    most ``MAX_DEPTH``), breadth first."""
    reached: dict[int, dict[int, int]] = {}
    for source in sources:
        found: dict[int, int] = {}
        frontier = [source]
        for depth in range(1, MAX_DEPTH + 1):
            following = []
            for here in frontier:
                for there in graph.get(here, ()):
                    if there != source and there not in found:
                        found[there] = depth
                        following.append(there)
            if not following:
                break
            frontier = following
        reached[source] = found
    return reached
