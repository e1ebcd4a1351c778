"""Table leases: how several sync workers share the tables of a source.

Every listed table has one row in ``table_leases``. A worker *claims* a batch of rows (sets
itself as ``holder`` until ``leased_until`` and moves ``due_at`` to the next period), syncs
those tables and *releases* them. Claiming is one ``UPDATE ... WHERE id IN (SELECT ...
LIMIT n) RETURNING``: on PostgreSQL the inner select is ``FOR UPDATE SKIP LOCKED``, so two
workers claiming at once never wait for each other and never get the same row; on SQLite
the statement takes the database's write lock, which serialises claimers. A lease that
runs out (its worker died) makes the table claimable again.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, or_, select, update

from temporal_lineage.store import tables as t
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
    free = or_(_leases.holder.is_(None), _leases.leased_until < now)
    due = _leases.due_at <= now if due_only else _leases.due_at < next_due
    candidates = (
        select(_leases.id)
        .where(_leases.source == source, due, free)
        .order_by(_leases.due_at, _leases.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL only; SQLite renders nothing
    )
    rows = conn.execute(
        update(t.table_leases)
        .where(_leases.id.in_(candidates))
        .values(holder=holder, leased_until=now + term, due_at=next_due)
        .returning(_leases.id, _leases.identifier)
    ).all()
    return [Lease(row.id, row.identifier) for row in rows]


def extend(conn: Connection, holder: str, lease_ids: Collection[int], until: datetime) -> int:
    """Renew ``holder``'s leases on these tables until ``until``; returns how many it still held."""
    if not lease_ids:
        return 0
    return int(
        conn.execute(
            update(t.table_leases)
            .where(_leases.id.in_(sorted(lease_ids)), _leases.holder == holder)
            .values(leased_until=until)
        ).rowcount
    )


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
    mine = _leases.holder == holder
    if synced:
        conn.execute(
            update(t.table_leases)
            .where(_leases.id.in_(sorted(synced)), mine)
            .values(holder=None, leased_until=None, last_synced_at=now, last_holder=holder)
        )
    if failed:
        conn.execute(
            update(t.table_leases)
            .where(_leases.id.in_(sorted(failed)), mine)
            .values(holder=None, leased_until=None)
        )


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
