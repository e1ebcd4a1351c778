"""Ingestion throughput: 100,000 OpenLineage RunEvents as one NDJSON payload.

The events are those of the synthetic warehouse (``synthetic_store.py``): the first
``events / 20`` jobs of its plan, 10 runs each, a START and a COMPLETE per run, in event-time
order (runs of the same slot interleave, as a live stream does). Each event has:

* 1-3 inputs (the job's tables upstream, or its Kafka topic) and 1-3 outputs (its own table,
  sometimes one or two siblings of the same layer), a schema facet on the outputs;
* on COMPLETE a version facet on every output (the run's last snapshot) and on about half of
  the inputs (the snapshot read);
* a ``sourceCodeLocation`` job facet (git url, path, version), a ``jobType`` facet, an
  ``sql`` facet for 40 % of the jobs; a ``parent`` run facet (Airflow DAG run) for half of
  the jobs, a ``spark_applicationDetails`` facet (an engine id: a ``run_keys`` row) for the
  other half.

Measured: ``ingest_payload(store, ndjson, origin="bench")`` into a fresh store (created and
migrated outside the clock), best of ``repeats``, as events per second:

* SQLite, empty store (the issue's target: >= 2,000 events/s);
* SQLite, the plan's tables already known (the dataset matcher then matches every dataset:
  what a store that syncs its tables sees);
* PostgreSQL, empty store (a fresh database of this run).

Baseline of the same run: ``parse_payload`` of the same bytes (decode + validate +
fingerprint, the part of ingestion that is not the store). When the target is missed (or
``--profile always``) one more ingestion of a 10,000-event slice runs under cProfile with every
statement attributed (``lineage_queries.statements``): the per-event cost split.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import measure
import synthetic_store as synthetic

TARGET_EVENTS_PER_S = 2_000.0
PROFILE_SLICE = 10_000


def plan_for(events: int) -> synthetic.Plan:
    """The plan whose first ``events / 20`` jobs emit the events (twice as many tables)."""
    jobs = max(1, events // (2 * synthetic.RUNS_PER_JOB))
    return synthetic.make_plan(scale=2 * jobs / synthetic.FULL_TABLES)


def _spark_app_id(table_id: int, run: int) -> str:
    return f"application_1740960000000_{synthetic.mix(19, table_id, run) % 10**6:06d}"


def make_events(events: int, seed: int = 11) -> list[dict[str, Any]]:
    """``events`` RunEvents (START/COMPLETE pairs), ordered by event time."""
    plan = plan_for(events)
    rng = random.Random(seed)
    jobs = plan.tables[: max(1, events // (2 * synthetic.RUNS_PER_JOB))]
    siblings: dict[tuple[int, int], list[synthetic.TablePlan]] = {}
    for table in plan.tables:
        siblings.setdefault((table.domain, table.layer), []).append(table)
    timed: list[tuple[int, int, dict[str, Any]]] = []
    for table in jobs:
        extra = rng.choices((0, 1, 2), (0.6, 0.3, 0.1))[0]
        others = [t for t in siblings[(table.domain, table.layer)] if t.id != table.id]
        outputs = [table, *rng.sample(others, min(extra, len(others)))]
        for run in range(synthetic.RUNS_PER_JOB):
            window = plan.window(table, run)
            run_id = plan.run_uuid(table, run)
            parent = plan.parent_uuid(table, run)
            read = plan.input_snapshot_index(run)
            last = run * synthetic.COMMITS_PER_RUN + synthetic.COMMITS_PER_RUN - 1
            for complete in (False, True):
                inputs = [
                    synthetic.dataset(
                        *plan.table(i).dataset,
                        version=str(plan.table(i).snapshot_id(read))
                        if complete and plan.pinned(table, run, i)
                        else None,
                    )
                    for i in table.run_inputs(run)[:3]
                ] or [synthetic.dataset(*table.external)]
                written = [
                    synthetic.dataset(
                        *out.dataset,
                        version=str(out.snapshot_id(last)) if complete else None,
                        schema=True,
                        side="output",
                    )
                    for out in outputs
                ]
                at = window.end if complete else window.start
                event = synthetic.run_event(
                    "COMPLETE" if complete else "START",
                    run_id,
                    at,
                    table.job,
                    inputs,
                    written,
                    code_version=plan.code_version(table, table.version_index(run)),
                    code_path=f"jobs/{table.job[1]}.py",
                    sql=plan.sql_text(table, run),
                    parent=(parent, "airflow", f"d{table.domain:03d}_daily") if parent else None,
                    spark_app_id=None if parent else _spark_app_id(table.id, run),
                )
                timed.append((at, len(timed), event))
    timed.sort(key=lambda item: (item[0], item[1]))
    return [event for _, _, event in timed[:events]]


def ndjson(events: list[dict[str, Any]]) -> bytes:
    """One event per line."""
    import orjson

    return b"\n".join(orjson.dumps(event) for event in events) + b"\n"


def _register_tables(path: Path, plan: synthetic.Plan) -> None:
    """Write the plan's sources, tables and incarnations (as a first sync would)."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN")
        for rows in synthetic.RowMaker(plan).all()[:3]:
            synthetic.insert_rows(connection, rows)
        connection.execute("COMMIT")
    finally:
        connection.close()


class FreshSqlite:
    """Setup / run / teardown for ``best_of``: each sample ingests into a new SQLite store."""

    def __init__(self, folder: Path, data: bytes, plan: synthetic.Plan | None) -> None:
        self.folder = folder
        self.data = data
        self.plan = plan
        self.count = 0
        self.reports: list[Any] = []
        self.open_seconds: list[float] = []

    def setup(self) -> Any:
        from temporal_lineage.store import open_store

        self.count += 1
        path = self.folder / f"ingest-{self.count}.db"
        measure.remove_sqlite(path)
        started = time.perf_counter()
        open_store(measure.sqlite_url(path)).close()
        if self.plan is not None:
            _register_tables(path, self.plan)
        store = open_store(measure.sqlite_url(path))
        self.open_seconds.append(time.perf_counter() - started)
        return (store, path)

    def run(self, state: Any) -> None:
        from temporal_lineage.ingest import ingest_payload

        self.reports.append(ingest_payload(state[0], self.data, origin="bench"))

    def teardown(self, state: Any) -> None:
        state[0].close()
        measure.remove_sqlite(state[1])


class FreshPostgres:
    """Setup / run / teardown for ``best_of``: each sample ingests into an emptied database."""

    def __init__(self, url: str, data: bytes) -> None:
        self.url = url
        self.data = data
        self.reports: list[Any] = []
        self.open_seconds: list[float] = []

    def setup(self) -> Any:
        from sqlalchemy import create_engine, text

        from temporal_lineage.store import open_store

        started = time.perf_counter()
        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        store = open_store(self.url)
        self.open_seconds.append(time.perf_counter() - started)
        return store

    def run(self, store: Any) -> None:
        from temporal_lineage.ingest import ingest_payload

        self.reports.append(ingest_payload(store, self.data, origin="bench"))

    def teardown(self, store: Any) -> None:
        store.close()


def _check(reports: list[Any], events: int) -> None:
    """Fail loudly when an ingestion did not store every event.

    Raises:
        RuntimeError: duplicates, rejections or another count than expected.
    """
    for report in reports:
        if report.rejected:
            raise RuntimeError(f"ingestion rejected events: {report.rejected[:3]}")
        if report.accepted != events or report.duplicates:
            raise RuntimeError(
                f"ingestion accepted {report.accepted} ({report.duplicates} duplicates), "
                f"expected {events} new events"
            )


def _paused() -> Any:
    """The product's own collector pause when it has one (ingestion runs under it)."""
    try:
        from temporal_lineage.collector import collector_paused
    except ImportError:
        return contextlib.nullcontext()
    return collector_paused()


def parse_only(data: bytes) -> int:
    """The baseline: ``parse_payload`` of the payload, as ``ingest_payload`` runs it."""
    from temporal_lineage.openlineage.parse import parse_payload

    with _paused():
        return len(parse_payload(data, origin="bench"))


def _per_event_split(
    folder: Path, data: bytes, out: Path, plan: synthetic.Plan | None
) -> dict[str, Any]:
    """Where an event's time goes, on a slice of the payload (fresh SQLite store).

    One ingestion with every statement attributed (no profiler: the statement listener adds
    a few microseconds per statement), then one under cProfile for the function listing.
    A statement's ``span`` runs from its start to the next statement's start: the
    statement and the Python that prepares the next one; for an INSERT, ``execute`` is the
    database's own work and span - execute the Python (SQLAlchemy and the product's).
    """
    import cProfile

    import lineage_queries

    lines = data.splitlines()[:PROFILE_SLICE]
    piece = b"\n".join(lines) + b"\n"
    count = len(lines)
    parse_seconds = min(measure.time_call(lambda: parse_only(piece))[1] for _ in "ab")
    stores = FreshSqlite(folder, piece, plan)
    state = stores.setup()
    try:
        with lineage_queries.statements(state[0].engine, detail=True) as log:
            started = time.perf_counter()
            stores.run(state)
            total = time.perf_counter() - started
    finally:
        stores.teardown(state)
    state = stores.setup()
    profiler = cProfile.Profile()
    try:
        profiler.enable()
        stores.run(state)
        profiler.disable()
    finally:
        stores.teardown(state)
    summary = measure.profile_summary(profiler, out)
    shapes = sorted(log.by_shape.items(), key=lambda item: item[1][2], reverse=True)
    callers = sorted(log.by_caller.items(), key=lambda item: item[1][2], reverse=True)
    per_event = 1e6 / count
    before_first = (log.first_at - started) if log.first_at is not None else 0.0
    summary.update(
        {
            "events": count,
            "wall_us_per_event": round(total * per_event, 1),
            "parse_us_per_event": round(parse_seconds * per_event, 1),
            "before_first_statement_us_per_event": round(before_first * per_event, 1),
            "statements_per_event": round(log.count / count, 2),
            "execute_us_per_event": round(log.db_seconds * per_event, 1),
            "by_shape": [
                {
                    "shape": name,
                    "per_event": round(n / count, 3),
                    "execute_us_per_event": round(spent * per_event, 1),
                    "span_us_per_event": round(span * per_event, 1),
                }
                for name, (n, spent, span) in shapes
            ],
            "by_caller": [
                {
                    "caller": " <- ".join(key),
                    "per_event": round(n / count, 3),
                    "execute_us_per_event": round(spent * per_event, 1),
                    "span_us_per_event": round(span * per_event, 1),
                }
                for key, (n, spent, span) in callers[:12]
            ],
        }
    )
    header = [
        f"ingest_payload of {count:,} events (statement listener on): {total:.2f} s = "
        f"{total * per_event:.0f} us/event; {before_first * per_event:.0f} us/event before "
        f"the first statement (parsing: {parse_seconds * per_event:.0f} us/event alone); "
        f"{log.count / count:.2f} statements per event",
        "statements by shape (per event, execute us/event, span us/event):",
        *(
            f"  {n / count:6.3f} {spent * per_event:8.1f} {span * per_event:8.1f}  {name}"
            for name, (n, spent, span) in shapes
        ),
        "statements by issuing function <- caller (per event, execute us/event, span us/event):",
        *(
            f"  {n / count:6.3f} {spent * per_event:8.1f} {span * per_event:8.1f}  "
            f"{' <- '.join(key)}"
            for key, (n, spent, span) in callers
        ),
        "",
        "cProfile of a second ingestion of the same slice:",
    ]
    out.write_text("\n".join(header) + "\n" + out.read_text(encoding="utf-8"), encoding="utf-8")
    return summary


def run(
    workdir: Path,
    events: int,
    repeats: int,
    pg_admin_url: str | None,
    profile: str = "auto",
    out_dir: Path = measure.RESULTS_DIR,
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Every variant, the parse baseline and (when missed or asked) the per-event split."""
    workdir.mkdir(parents=True, exist_ok=True)
    (built, build_seconds) = measure.time_call(lambda: ndjson(make_events(events)))
    plan = plan_for(events)
    result: dict[str, Any] = {
        "events": events,
        "payload_mb": round(len(built) / 2**20, 1),
        "build_s": round(build_seconds, 2),
        "known_tables": len(plan.tables),
        "repeats": repeats,
    }
    log(f"  parse baseline, {events:,} events ...")
    parse = measure.best_of(repeats, lambda _: parse_only(built), lambda: None)
    result["parse"] = parse.as_json()
    variants: dict[str, Any] = {
        "sqlite": FreshSqlite(workdir, built, None),
        "sqlite_known_tables": FreshSqlite(workdir, built, plan),
    }
    for name, stores in variants.items():
        log(f"  {name}: ingest {events:,} events x {repeats} ...")
        timing = measure.best_of(repeats, stores.run, stores.setup, stores.teardown)
        _check(stores.reports, events)
        result[name] = _figures(timing, events, stores.open_seconds)
        result[name]["parse_share"] = round(parse.best / timing.best, 3)
    if pg_admin_url:
        with synthetic.pg_database(pg_admin_url, "ingest") as url:
            stores_pg = FreshPostgres(url, built)
            log(f"  postgresql: ingest {events:,} events x {repeats} ...")
            timing = measure.best_of(repeats, stores_pg.run, stores_pg.setup, stores_pg.teardown)
            _check(stores_pg.reports, events)
            result["postgresql"] = _figures(timing, events, stores_pg.open_seconds)
            result["postgresql"]["parse_share"] = round(parse.best / timing.best, 3)
    missed = result["sqlite"]["events_per_s"] < TARGET_EVENTS_PER_S
    if profile == "always" or (profile == "auto" and missed):
        log("  profiling one ingestion slice ...")
        profile_dir = workdir / "profile"
        profile_dir.mkdir(exist_ok=True)
        result["profile"] = _per_event_split(
            profile_dir, built, out_dir / "profile-ingestion.txt", None
        )
        shutil.rmtree(profile_dir, ignore_errors=True)
    return result


def _figures(timing: measure.Timing, events: int, open_seconds: list[float]) -> dict[str, Any]:
    figures = timing.as_json()
    figures["events_per_s"] = round(events / timing.best, 1)
    figures["us_per_event"] = round(timing.best * 1e6 / events, 1)
    figures["open_store_ms"] = round(min(open_seconds) * 1000, 1) if open_seconds else None
    return figures


def main(argv: list[str] | None = None) -> int:
    """``python bench/ingestion.py [--events N] [--repeats R] [--no-postgres]``."""
    import argparse
    import json
    import sys
    import tempfile

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--pg-url", default=synthetic.default_pg_url())
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="tl-ingest-"))
    try:
        result = run(
            workdir,
            args.events,
            args.repeats,
            None if args.no_postgres else args.pg_url,
            args.profile,
            log=lambda line: print(line, file=sys.stderr),
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
