"""Per-source freshness and totals from the record of sync passes; their Prometheus text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families

from temporal_lineage.model import SyncReport, TableError
from temporal_lineage.store import Store
from temporal_lineage.store.sync_reads import SourceFreshness, source_freshness, sync_totals
from temporal_lineage.store.writes import finish_sync_run, start_sync_run
from temporal_lineage.sync_metrics import render_prometheus

T0 = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def record(
    store: Store,
    source: str | None,
    minute: int,
    *,
    seconds: int = 2,
    tables: int = 5,
    snapshots: int = 0,
    errors: tuple[tuple[str, str], ...] | list[tuple[str, str]] = (),
    failed: bool = False,
    worker: str = "w1",
    finished: bool = True,
) -> None:
    started = T0 + timedelta(minutes=minute)
    report = SyncReport(tables=tables, new_snapshots=snapshots)
    report.errors.extend(TableError(table, error) for table, error in errors)
    with store.begin() as conn:
        run_id = start_sync_run(conn, source, started, worker=worker)
        if finished:
            finish_sync_run(conn, run_id, started + seconds * SECOND, report, failed=failed)


def fresh(store: Store, at: datetime, *names: str) -> dict[str, SourceFreshness]:
    with store.connect() as conn:
        return {f.source: f for f in source_freshness(conn, at, list(names) or None)}


def test_freshness_follows_successes_and_failures(store: Store) -> None:
    record(store, "lake", 0, snapshots=3)
    record(store, "lake", 1, seconds=4, worker="w2")
    record(store, "lake", 2, failed=True, errors=[("lake", "catalog down")], tables=0)
    record(store, "lake", 3, failed=True, errors=[("lake", "catalog still down")], tables=0)
    record(store, "lake", 4, finished=False)  # running (or its worker died)
    record(store, "deltas", 0, errors=[("deltas.bad", "malformed log")])
    at = T0 + timedelta(minutes=10)
    found = fresh(store, at)
    lake = found["lake"]
    assert lake.last_attempt_at == T0 + timedelta(minutes=4)
    assert lake.last_success_at == T0 + timedelta(minutes=1) + 4 * SECOND
    assert lake.lag == at - lake.last_success_at
    assert (lake.consecutive_failures, lake.last_error) == (2, "catalog still down")
    assert lake.last_duration == 2 * SECOND  # of the latest finished pass
    assert lake.last_worker == "w1"
    deltas = found["deltas"]  # a table error is not a failed pass
    assert (deltas.consecutive_failures, deltas.last_error) == (0, None)
    assert deltas.last_success_at == T0 + 2 * SECOND
    record(store, "lake", 5)
    lake, never = fresh(store, at, "lake", "never").values()
    assert (never.last_attempt_at, never.last_success_at, never.lag) == (None, None, None)
    assert (lake.consecutive_failures, lake.last_error) == (0, None)
    assert lake.last_success_at == T0 + timedelta(minutes=5) + 2 * SECOND


def test_passes_over_every_source_count_for_each_source(store: Store) -> None:
    record(store, "lake", 0)
    record(store, None, 1, failed=True, errors=[("deltas", "root not found"), ("lake.t", "bad")])
    stopped = "not synced: the pass stopped at source lake"
    record(store, None, 2, failed=True, errors=[("lake", "boom"), ("deltas", stopped)])
    record(store, None, 3, finished=False, worker="manual:h:1")
    at = T0 + timedelta(minutes=5)
    found = fresh(store, at, "lake", "deltas")
    lake, deltas = found["lake"], found["deltas"]
    # The pass at minute 1 could not list deltas, but it synced lake (a table error is not a
    # failed pass); the one at minute 2 raised while on lake and never reached deltas.
    assert lake.last_success_at == T0 + timedelta(minutes=1) + 2 * SECOND
    assert (lake.consecutive_failures, lake.last_error) == (1, "boom")
    assert (deltas.last_success_at, deltas.consecutive_failures) == (None, 2)
    assert deltas.last_error == stopped
    assert lake.last_attempt_at == deltas.last_attempt_at == T0 + timedelta(minutes=3)
    assert lake.last_worker == "manual:h:1"


def test_totals_and_prometheus_text(store: Store) -> None:
    record(store, "lake", 0, tables=5, snapshots=7)
    record(store, "lake", 1, tables=5, failed=True, errors=[("lake", "down")])
    record(store, None, 2, tables=9, snapshots=1, errors=[("deltas.t", "bad"), ("x.y", "bad")])
    with store.connect() as conn:
        totals = {t.source: t for t in sync_totals(conn)}
        freshness = source_freshness(conn, T0 + timedelta(minutes=3), ["lake"])
    assert (totals["lake"].runs, totals["lake"].failed_runs) == (2, 1)
    assert (totals["lake"].tables_checked, totals["lake"].snapshots_added) == (10, 7)
    assert (totals["lake"].errors, totals[None].errors, totals[None].runs) == (1, 2, 1)
    text = render_prometheus(freshness, list(totals.values())).decode()
    samples = {
        (s.name, s.labels.get("source")): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("temporal_lineage_sync_runs_total", "lake")] == 2
    assert samples[("temporal_lineage_sync_runs_total", "*")] == 1
    assert samples[("temporal_lineage_sync_snapshots_added_total", "lake")] == 7
    assert samples[("temporal_lineage_sync_failed_runs_total", "lake")] == 1
    assert samples[("temporal_lineage_sync_consecutive_failures", "lake")] == 0
    # The all-source pass at minute 2 synced lake (its errors are other sources' tables).
    assert samples[("temporal_lineage_sync_lag_seconds", "lake")] == 58
    success = (T0 + timedelta(minutes=2) + 2 * SECOND).timestamp()
    assert samples[("temporal_lineage_sync_last_success_timestamp_seconds", "lake")] == success
