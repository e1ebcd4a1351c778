"""Table leases on SQLite and PostgreSQL: offering, claiming, expiry, release."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from temporal_lineage.store import Store, leases
from temporal_lineage.store import tables as t

T0 = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
TABLES = [f"ns.t{i:03d}" for i in range(10)]


def offer(store: Store, identifiers: list[str] = TABLES, at: datetime = T0) -> None:
    with store.begin() as conn:
        leases.offer(conn, "src", identifiers, at)


def claim(
    store: Store,
    holder: str,
    at: datetime,
    *,
    limit: int = 50,
    next_due: datetime | None = None,
    due_only: bool = True,
    term: timedelta = 10 * MINUTE,
) -> list[str]:
    with store.begin() as conn:
        got = leases.claim(
            conn,
            "src",
            holder,
            at,
            next_due=next_due or at + 5 * MINUTE,
            term=term,
            limit=limit,
            due_only=due_only,
        )
    return sorted(lease.identifier for lease in got)


def lease_ids(store: Store) -> dict[str, int]:
    with store.connect() as conn:
        rows = conn.execute(select(t.table_leases.c.identifier, t.table_leases.c.id))
        return {identifier: lease_id for identifier, lease_id in rows}


def release(
    store: Store,
    holder: str,
    at: datetime,
    *,
    synced: list[str] | None = None,
    failed: tuple[str, ...] | list[str] = (),
) -> None:
    """Release ``holder``'s tables (by default every table it holds, as synced)."""
    by_name = lease_ids(store)
    if synced is None:
        synced = [n for n, s in states(store).items() if s.holder == holder and n not in failed]
    with store.begin() as conn:
        leases.release(
            conn,
            holder,
            at,
            synced=[by_name[n] for n in synced],
            failed=[by_name[n] for n in failed],
        )


def states(store: Store) -> dict[str, leases.LeaseState]:
    with store.connect() as conn:
        return {s.identifier: s for s in leases.lease_states(conn, "src")}


def test_offered_tables_are_due_at_once_and_offering_again_changes_nothing(store: Store) -> None:
    offer(store)
    offer(store, at=T0 + MINUTE)
    found = states(store)
    assert sorted(found) == TABLES
    assert all(s.due_at == T0 and s.holder is None for s in found.values())
    assert all(s.last_synced_at is None for s in found.values())


def test_tables_no_longer_listed_are_forgotten_unless_held(store: Store) -> None:
    offer(store)
    assert claim(store, "a", T0, limit=1) == ["ns.t000"]
    offer(store, TABLES[5:], T0 + MINUTE)
    # t000 is held by a (its listing may be older): kept; t001..t004 are gone.
    assert sorted(states(store)) == ["ns.t000", *TABLES[5:]]


def test_two_claimers_never_get_the_same_table(store: Store) -> None:
    offer(store)
    first = claim(store, "a", T0, limit=4)
    second = claim(store, "b", T0, limit=50)
    assert len(first) == 4 and len(second) == 6
    assert not set(first) & set(second)
    assert claim(store, "c", T0) == []  # everything is held
    found = states(store)
    assert {found[i].holder for i in first} == {"a"} and {found[i].holder for i in second} == {"b"}


def test_claimers_racing_from_threads_split_the_tables(store: Store) -> None:
    many = [f"ns.t{i:03d}" for i in range(120)]
    offer(store, many)
    got: dict[str, list[str]] = {"a": [], "b": [], "c": []}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            while batch := claim(store, name, T0, limit=7):
                got[name].extend(batch)
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(name,)) for name in got]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    claimed = [i for batch in got.values() for i in batch]
    assert sorted(claimed) == many  # every table once, none twice
    found = states(store)
    assert all(found[i].holder == name for name, batch in got.items() for i in batch)


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)  # SQLite has no row locks
def test_a_locked_row_is_skipped_not_waited_for(store: Store) -> None:
    offer(store)
    with store.begin() as slow:  # a claim not committed yet holds its rows locked
        held = leases.claim(slow, "src", "a", T0, next_due=T0 + MINUTE, limit=3)
        assert len(held) == 3
        other = claim(store, "b", T0)  # returns at once with the other rows
        assert len(other) == 7
        assert not {h.identifier for h in held} & set(other)


def test_an_expired_lease_is_reclaimable(store: Store) -> None:
    offer(store)
    taken = claim(store, "dead", T0, limit=2, next_due=T0 + MINUTE, term=2 * MINUTE)
    assert claim(store, "b", T0 + MINUTE, limit=50, due_only=False, next_due=T0 + 9 * MINUTE)
    # dead's tables are due but still leased until T0+2min ...
    assert claim(store, "c", T0 + MINUTE + timedelta(seconds=30)) == []
    # ... and free to claim once the lease has run out.
    assert claim(store, "c", T0 + 3 * MINUTE) == taken
    assert {states(store)[i].holder for i in taken} == {"c"}


def test_a_scheduled_claim_takes_only_due_tables(store: Store) -> None:
    offer(store)
    assert claim(store, "a", T0, next_due=T0 + 5 * MINUTE) == TABLES
    release(store, "a", T0 + MINUTE)
    assert claim(store, "b", T0 + 2 * MINUTE) == []  # synced, due again at T0+5min
    assert claim(store, "b", T0 + 5 * MINUTE) == TABLES


def test_a_manual_claim_takes_tables_not_due_but_never_held_ones(store: Store) -> None:
    offer(store)
    held = claim(store, "worker", T0)
    release(store, "worker", T0, synced=held[:4])  # six stay held by the worker
    manual = claim(store, "manual", T0 + MINUTE, due_only=False, next_due=T0 + 30 * MINUTE)
    assert manual == held[:4]  # not due before T0+5min, but a manual pass takes them
    release(store, "manual", T0 + MINUTE)
    # Claimed in this pass (due at its next_due): the same pass does not take them twice.
    assert claim(store, "manual", T0 + MINUTE, due_only=False, next_due=T0 + 30 * MINUTE) == []
    with store.connect() as conn:
        others = leases.unclaimed_in_pass(conn, "src", T0 + 30 * MINUTE)
    assert sorted(s.identifier for s in others) == held[4:]
    assert {s.holder for s in others} == {"worker"}


def test_release_records_the_sync_and_only_the_holder_can_release(store: Store) -> None:
    offer(store)
    taken = claim(store, "a", T0, limit=3)
    release(store, "b", T0 + MINUTE, synced=taken)  # not b's to release
    assert {states(store)[i].holder for i in taken} == {"a"}
    release(store, "a", T0 + MINUTE, synced=taken[:2], failed=taken[2:])
    found = states(store)
    for name in taken[:2]:
        assert found[name].holder is None and found[name].leased_until is None
        assert found[name].last_synced_at == T0 + MINUTE and found[name].last_holder == "a"
    assert found[taken[2]].holder is None and found[taken[2]].last_synced_at is None
    assert found[taken[2]].due_at == T0 + 5 * MINUTE  # a failed table waits for its next period


def test_extend_and_break(store: Store) -> None:
    offer(store)
    taken = claim(store, "a", T0, limit=2, term=MINUTE)
    by_name = lease_ids(store)
    with store.begin() as conn:
        assert leases.extend(conn, "a", [by_name[n] for n in taken], T0 + 10 * MINUTE) == 2
        assert leases.extend(conn, "b", [by_name[n] for n in taken], T0 + 20 * MINUTE) == 0
    assert {states(store)[n].leased_until for n in taken} == {T0 + 10 * MINUTE}
    with store.connect() as conn:
        assert leases.live_holders(conn, "src", T0 + 5 * MINUTE) == {"a"}
        assert leases.live_holders(conn, "src", T0 + 11 * MINUTE) == set()
    with store.begin() as conn:
        assert leases.break_leases(conn, "src", "a") == 2
    assert {states(store)[n].holder for n in taken} == {None}
