"""Table leases: how several sync workers share the tables of a source.

Every listed table has one row in ``table_leases``. A worker *claims* a batch of rows (sets
itself as ``holder`` until ``leased_until`` and moves ``due_at`` to the next period), syncs
those tables and *releases* them. Claiming is one ``UPDATE ... WHERE id IN (SELECT ...
LIMIT n) RETURNING``: on PostgreSQL the inner select is ``FOR UPDATE SKIP LOCKED``, so two
workers claiming at once never wait for each other and never get the same row; on SQLite
the statement takes the database's write lock, which serialises claimers. A lease that
runs out (its worker died) makes the table claimable again.

Claim, renew and release run once per batch of every pass, on up to 500 rows: they are
driver SQL (``bulk.Driver``), and their id lists one parameter, so that a no-op pass of
10,000 tables is not spent compiling and expanding statements.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, or_, select, update

from temporal_lineage.store import bulk
from temporal_lineage.store import tables as t
from temporal_lineage.store.columns import time_parameter
from temporal_lineage.store.upsert import insert_new

CLAIM_BATCH = 50
"""Tables a scheduled worker claims per statement: few statements when nothing changed,
small enough that several workers share a source's tables evenly."""
MANUAL_CLAIM_BATCH = 500
"""Tables a manual pass claims per statement: it takes every table no worker holds, so
fewer, larger claims (a no-op pass of 10,000 tables: 0.66 s at 50, 0.42 s at 500)."""
LEASE_TERM = timedelta(minutes=10)
"""How long a claim holds; a worker renews it while it works through a long batch."""

_leases = t.table_leases.c
_STATE = (
    _leases.source,
    _leases.identifier,
    _leases.holder,
    _leases.leased_until,
    _leases.due_at,
    _leases.last_synced_at,
    _leases.last_holder,
)


@dataclass(frozen=True)
class Lease:
    """One table claimed by a holder."""

    lease_id: int
    identifier: str


@dataclass(frozen=True)
class LeaseState:
    """Who holds (or last synced) a table, as the ``table_leases`` row says."""

    source: str
    identifier: str
    holder: str | None
    leased_until: datetime | None
    due_at: datetime
    last_synced_at: datetime | None
    last_holder: str | None


def offer(conn: Connection, source: str, identifiers: Collection[str], now: datetime) -> None:
    """Make every listed table of ``source`` claimable and forget the ones no longer listed.

    New tables are due at once. Rows of tables the listing no longer has are removed unless
    a live lease holds them (another worker's listing may be older than this one).
    """
    listed = set(identifiers)
    present = set(
        conn.execute(select(_leases.identifier).where(_leases.source == source)).scalars()
    )
    missing = sorted(listed - present)  # one order for every worker: no lock cycles
    if missing:
        conn.execute(
            insert_new(conn, t.table_leases, ("source", "identifier")),
            [
                {"source": source, "identifier": i, "due_at": now, "recorded_at": now}
                for i in missing
            ],
        )
    gone = sorted(present - listed)
    if gone:
        conn.execute(
            delete(t.table_leases).where(
                _leases.source == source,
                _leases.identifier.in_(gone),
                or_(_leases.holder.is_(None), _leases.leased_until < now),
            )
        )


def claim(
    conn: Connection,
    source: str,
    holder: str,
    now: datetime,
    *,
    next_due: datetime,
    term: timedelta = LEASE_TERM,
    limit: int = CLAIM_BATCH,
    due_only: bool = True,
) -> list[Lease]:
    """Claim up to ``limit`` tables of ``source`` that no live lease holds.

    Call it as the first statement of its transaction (on SQLite that takes the write lock
    before anything is read). A claimed table is held until ``now + term`` and is next due
    at ``next_due``.

    Args:
        due_only: a scheduled worker takes only tables whose ``due_at`` has come; a manual
            pass (``False``) takes every table it has not claimed yet in this pass, i.e.
            whose ``due_at`` is before its own ``next_due``.
    """
    db = bulk.Driver(conn)
    mark = bulk.placeholder(db.dialect)
    due = "due_at <= " if due_only else "due_at < "
    lock = " FOR UPDATE SKIP LOCKED" if db.dialect == "postgresql" else ""  # SQLite: the write lock
    sql = (
        f"UPDATE table_leases SET holder = {mark}, leased_until = {mark}, due_at = {mark}"
        f" WHERE id IN (SELECT id FROM table_leases WHERE source = {mark} AND {due}{mark}"
        f" AND (holder IS NULL OR leased_until < {mark}) ORDER BY due_at, id LIMIT {mark}{lock})"
        " RETURNING id, identifier"
    )

    def at(moment: datetime) -> Any:
        return time_parameter(moment, db.dialect)

    until = now if due_only else next_due
    rows = db.all(sql, (holder, at(now + term), at(next_due), source, at(until), at(now), limit))
    return [Lease(lease_id, identifier) for lease_id, identifier in rows]


def extend(conn: Connection, holder: str, lease_ids: Collection[int], until: datetime) -> int:
    """Renew ``holder``'s leases on these tables until ``until``; returns how many it still held."""
    if not lease_ids:
        return 0
    db = bulk.Driver(conn)
    mark = bulk.placeholder(db.dialect)
    where, ids = _in_list(db.dialect, lease_ids)
    cursor = db.run(
        f"UPDATE table_leases SET leased_until = {mark} WHERE holder = {mark} AND id {where}",
        (time_parameter(until, db.dialect), holder, ids),
    )
    return int(cursor.rowcount)


def release(
    conn: Connection,
    holder: str,
    now: datetime,
    *,
    synced: Collection[int] = (),
    failed: Collection[int] = (),
) -> None:
    """Give back ``holder``'s tables: ``synced`` ones record ``now`` as their last sync.

    A failed table stays due at the time set when it was claimed (the next period).
    """
    db = bulk.Driver(conn)
    mark = bulk.placeholder(db.dialect)
    free = "UPDATE table_leases SET holder = NULL, leased_until = NULL"
    if synced:
        where, ids = _in_list(db.dialect, synced)
        db.run(
            f"{free}, last_synced_at = {mark}, last_holder = {mark}"
            f" WHERE holder = {mark} AND id {where}",
            (time_parameter(now, db.dialect), holder, holder, ids),
        )
    if failed:
        where, ids = _in_list(db.dialect, failed)
        db.run(f"{free} WHERE holder = {mark} AND id {where}", (holder, ids))


def _in_list(dialect: str, ids: Collection[int]) -> tuple[str, Any]:
    """``id IN`` a list given as one parameter (an array on PostgreSQL, JSON on SQLite): one
    statement text for any number of ids, and nothing for SQLAlchemy or the driver to
    expand and parse per id (a 500-id list was most of a release's time)."""
    mark = bulk.placeholder(dialect)
    if dialect == "postgresql":
        return f"= ANY({mark})", sorted(ids)
    return f"IN (SELECT value FROM json_each({mark}))", json.dumps(sorted(ids))


def live_holders(conn: Connection, source: str, now: datetime) -> set[str]:
    """The holders of live leases on tables of ``source``."""
    return set(
        conn.execute(
            select(_leases.holder)
            .where(
                _leases.source == source, _leases.holder.is_not(None), _leases.leased_until >= now
            )
            .distinct()
        ).scalars()
    )


def break_leases(conn: Connection, source: str, holder: str) -> int:
    """Free every table of ``source`` that ``holder`` holds (it is known to be dead)."""
    return int(
        conn.execute(
            update(t.table_leases)
            .where(_leases.source == source, _leases.holder == holder)
            .values(holder=None, leased_until=None)
        ).rowcount
    )


def unclaimed_in_pass(conn: Connection, source: str, next_due: datetime) -> list[LeaseState]:
    """Tables of ``source`` a manual pass with this ``next_due`` did not claim.

    Every table the pass claimed carries exactly its ``next_due``; the others were held by
    another worker, or synced by one while the pass ran.
    """
    rows = conn.execute(select(*_STATE).where(_leases.source == source, _leases.due_at != next_due))
    return [LeaseState(*row) for row in rows]


def lease_states(conn: Connection, source: str | None = None) -> list[LeaseState]:
    """Every lease row (of ``source``), by source and identifier."""
    query = select(*_STATE).order_by(_leases.source, _leases.identifier)
    if source is not None:
        query = query.where(_leases.source == source)
    return [LeaseState(*row) for row in conn.execute(query)]
