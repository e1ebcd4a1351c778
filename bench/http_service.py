"""The service over HTTP: OpenLineage ingestion with the real client, and lineage answers
under concurrent readers (issue 14's HTTP targets).

Every figure runs against ``temporal-lineage serve`` started as a separate process on
127.0.0.1 (uvicorn, scheduler off), as a user runs it:

* **One sender** (target <= 2 ms/event): the events of ``ingestion.make_events``
  (START/COMPLETE RunEvents of the synthetic warehouse) posted one event per request,
  sequentially, into a fresh SQLite store (one worker), in alternating rounds by the
  ``openlineage-python`` ``HttpTransport`` (gzip, api-key auth, keep-alive) and by a raw
  keep-alive ``http.client`` connection (no gzip: the server's own cost); best round of each.
  Context: ``ingest_atomic`` of the same events one per call in this process.
* **8 senders** (target >= 1,000 events/s): 8 sender processes at once (the real client,
  one event per request) against ``serve --workers 2``, on SQLite and (with ``pg_url``)
  on a PostgreSQL database of this run's own, dropped after.
* **Readers** (target: p50 of 8 readers <= 2x one reader's, on ``--workers 2``):
  ``GET /api/v1/tables/{t}/lineage`` (upstream, depth 10) for the random (table, as-of)
  pairs of ``lineage_queries.make_pairs`` on the synthetic store (the cached SQLite file of
  ``synthetic_store.py``; reads open, so the cache is not written), by 1 reader and by 8
  concurrent readers (threads, one keep-alive ``httpx.Client`` each), alternating passes,
  best p50 of each; one worker's figures and the in-process p50 are printed as context.

``targets(result)`` gives the ``summary`` rows.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import ingestion
import lineage_queries
import measure
import synthetic_store as synthetic

SENDERS = 8
READERS = 8
WORKERS = 2
TARGET_ONE_SENDER_MS = 2.0
TARGET_SENDERS_EVENTS_PER_S = 1_000.0
TARGET_READERS_P50_RATIO = 2.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_SERVED: dict[str, int] = {}
"""The pid of the ``serve`` process behind each base URL ``served`` yields."""


@contextmanager
def served(store_url: str, folder: Path, *, open_reads: bool, workers: int = 1) -> Iterator[str]:
    """``temporal-lineage serve`` on a free port over ``store_url``; yields its base URL."""
    config = measure.write_config(folder, [], store_url)
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "temporal_lineage",
        "serve",
        "--config",
        str(config),
        "--port",
        str(port),
        "--no-scheduler",
        "--workers",
        str(workers),
    ]
    if open_reads:
        command.append("--open-reads")
    log = (folder / f"serve-{port}.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    _SERVED[base] = process.pid
    try:
        _wait_ready(base, process)
        yield base
    finally:
        _SERVED.pop(base, None)
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited with {process.returncode} before it was ready")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("serve did not answer /health within 120 s")


def _token(store_url: str, scope: str) -> str:
    from temporal_lineage.store import open_store
    from temporal_lineage.store.tokens import Scope, create_token
    from temporal_lineage.times import now

    store = open_store(store_url)
    try:
        with store.begin() as conn:
            return create_token(conn, Scope(scope), now(), "bench")
    finally:
        store.close()


def _send(base: str, token: str, events: list[dict[str, Any]]) -> float:
    """Post every event with the real client's HTTP transport; returns the seconds taken."""
    from openlineage.client.transport.http import (
        ApiKeyTokenProvider,
        HttpCompression,
        HttpConfig,
        HttpTransport,
    )

    transport = HttpTransport(
        HttpConfig(
            url=base,
            compression=HttpCompression.GZIP,
            auth=ApiKeyTokenProvider({"apiKey": token}),
            timeout=60,
        )
    )
    started = time.perf_counter()
    for event in events:
        response = transport.emit(event)  # type: ignore[arg-type]
        if response.status_code != 201:
            raise RuntimeError(f"event refused: {response.status_code} {response.text[:200]}")
    return time.perf_counter() - started


def _sender(args: tuple[str, str, list[dict[str, Any]]]) -> float:
    """CPU seconds of this sender process for posting its share (the wall is the caller's)."""
    started = time.process_time()
    _send(*args)
    return time.process_time() - started


def _own_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid``, from ``/proc``.

    Raises:
        OSError: no such process, or no ``/proc``.
    """
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree_cpu(pid: int) -> float | None:
    """CPU seconds of process ``pid`` and its live descendants (None without ``/proc``)."""
    total = 0.0
    pending = [pid]
    try:
        while pending:
            current = pending.pop()
            total += _own_cpu(current)
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
    except (OSError, ValueError):
        return None
    return total


def _fresh_store(folder: Path, name: str) -> str:
    from temporal_lineage.store import open_store

    path = folder / f"{name}.db"
    measure.remove_sqlite(path)
    url = measure.sqlite_url(path)
    open_store(url).close()
    return url


def _stored_events(store_url: str) -> int:
    from sqlalchemy import func, select

    from temporal_lineage.store import open_store
    from temporal_lineage.store import tables as t

    store = open_store(store_url)
    try:
        with store.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.events)).scalar_one())
    finally:
        store.close()


def _raw_send(base: str, token: str, payloads: list[bytes]) -> float:
    """Post every payload with a bare keep-alive ``http.client`` connection (no gzip, no
    client library): the server's own cost per request. Returns the seconds taken."""
    import http.client
    from urllib.parse import urlsplit

    where = urlsplit(base)
    connection = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=60)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    try:
        started = time.perf_counter()
        for payload in payloads:
            connection.request("POST", "/api/v1/lineage", body=payload, headers=headers)
            response = connection.getresponse()
            text = response.read()
            if response.status != 201:
                raise RuntimeError(f"event refused: {response.status} {text[:200]!r}")
        return time.perf_counter() - started
    finally:
        connection.close()


def one_sender(folder: Path, events: int, rounds: int) -> dict[str, Any]:
    """ms per event of one sender posting one event per request, sequentially: the real
    client (``HttpTransport``, gzip, keep-alive) and a raw keep-alive ``http.client``
    sender, in alternating rounds of ``events`` each against the same ``serve`` (SQLite,
    one worker); best round of each."""
    import orjson

    made = ingestion.make_events(2 * events * rounds + 40)
    url = _fresh_store(folder, "one-sender")
    token = _token(url, "write")
    client: list[float] = []
    raw: list[float] = []
    with served(url, folder, open_reads=False) as base:
        _send(base, token, made[:20])  # connections, caches and imports warm
        _raw_send(base, token, [orjson.dumps(e) for e in made[20:40]])
        position = 40
        for _ in range(rounds):
            share = made[position : position + events]
            client.append(_send(base, token, share) * 1000 / len(share))
            share = made[position + events : position + 2 * events]
            raw.append(_raw_send(base, token, [orjson.dumps(e) for e in share]) * 1000 / len(share))
            position += 2 * events
    if _stored_events(url) != len(made):
        raise RuntimeError("one sender: not every event was stored")
    return {
        "events_per_round": events,
        "rounds": rounds,
        "client_ms_per_event": min(client),
        "raw_ms_per_event": min(raw),
        "client_samples_ms": [round(x, 3) for x in client],
        "raw_samples_ms": [round(x, 3) for x in raw],
    }


def concurrent_senders(
    folder: Path, store_url: str, events: int, workers: int, senders: int = SENDERS
) -> dict[str, Any]:
    """Events/s of ``senders`` processes posting at once (the real client, one event per
    request) to ``serve --workers N`` over ``store_url`` (a fresh store)."""
    made = ingestion.make_events(events)
    token = _token(store_url, "write")
    shares = [made[i::senders] for i in range(senders)]
    with served(store_url, folder, open_reads=False, workers=workers) as base:
        context = multiprocessing.get_context("spawn")
        with context.Pool(senders) as pool:
            pool.map(_sender, [(base, token, share[:5]) for share in shares])  # warm
            server_before = _tree_cpu(_SERVED[base])
            database_before = _database_cpu(store_url)
            started = time.perf_counter()
            client_cpu = sum(pool.map(_sender, [(base, token, share[5:]) for share in shares]))
            wall = time.perf_counter() - started
            server_after = _tree_cpu(_SERVED[base])
            database_after = _database_cpu(store_url)
    if _stored_events(store_url) != events:
        raise RuntimeError(f"{senders} senders: not every event was stored")
    timed = sum(max(0, len(share) - 5) for share in shares)
    figures: dict[str, Any] = {
        "senders": senders,
        "workers": workers,
        "events": timed,
        "events_per_s": timed / wall,
        # Where the machine's CPU went, per event: the senders (the client library), the
        # serve processes and the database server. cores / their sum bounds events/s when
        # all of them share this machine.
        "cpu_ms_per_event": {"senders": client_cpu * 1000 / timed},
        "cores": os.cpu_count(),
    }
    if server_before is not None and server_after is not None:
        figures["cpu_ms_per_event"]["serve"] = (server_after - server_before) * 1000 / timed
    if database_before is not None and database_after is not None:
        figures["cpu_ms_per_event"]["database"] = (database_after - database_before) * 1000 / timed
    return figures


def _database_cpu(store_url: str) -> float | None:
    """CPU seconds of every PostgreSQL server process on this machine (None: not PostgreSQL,
    or no ``/proc``)."""
    if not store_url.startswith("postgresql"):
        return None
    total = 0.0
    try:
        entries = [e for e in Path("/proc").iterdir() if e.name.isdigit()]
    except OSError:
        return None
    for entry in entries:
        try:
            if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                total += _own_cpu(int(entry.name))
        except OSError:  # the process ended meanwhile
            continue
    return total


def ingestion_figures(
    folder: Path, events: int, pg_url: str | None = None, rounds: int = 3
) -> dict[str, Any]:
    """In-process baseline, one sender (real and raw client), 8 senders on 2 workers."""
    import orjson

    from temporal_lineage.ingest import Payload, ingest_atomic
    from temporal_lineage.store import open_store

    made = ingestion.make_events(events)
    payloads = [orjson.dumps(event) for event in made]
    baseline_url = _fresh_store(folder, "baseline")
    store = open_store(baseline_url)
    try:
        started = time.perf_counter()
        for payload in payloads:
            ingest_atomic(store, [Payload(payload, "bench", single=True)])
        baseline = time.perf_counter() - started
    finally:
        store.close()
    results: dict[str, Any] = {
        "events": events,
        "baseline_events_per_s": events / baseline,
        "baseline_ms_per_event": baseline * 1000 / events,
    }
    per_round = max(20, events // (2 * rounds))
    results["one_sender"] = one_sender(folder, per_round, rounds)
    results["single_events_per_s"] = 1000 / results["one_sender"]["client_ms_per_event"]
    concurrent: dict[str, Any] = {
        "sqlite": concurrent_senders(folder, _fresh_store(folder, "concurrent"), events, WORKERS)
    }
    if pg_url:
        with synthetic.pg_database(pg_url, "http") as url:
            _open_migrated(url)
            concurrent["postgresql"] = concurrent_senders(folder, url, events, WORKERS)
    results["concurrent"] = concurrent
    results["senders"] = SENDERS
    results["concurrent_events_per_s"] = concurrent["sqlite"]["events_per_s"]
    results["single_ratio"] = measure.ratio(
        results["single_events_per_s"], results["baseline_events_per_s"]
    )
    results["concurrent_ratio"] = measure.ratio(
        results["concurrent_events_per_s"], results["baseline_events_per_s"]
    )
    return results


def _open_migrated(url: str) -> None:
    from temporal_lineage.store import open_store

    open_store(url).close()


def _lineage_url(base: str, pair: lineage_queries.Pair) -> str:
    from temporal_lineage.times import format_time

    table = quote(f"{pair.source}.{pair.identifier}", safe="")
    return (
        f"{base}/api/v1/tables/{table}/lineage?as_of={quote(format_time(pair.as_of) or '')}"
        f"&direction=upstream&depth={lineage_queries.DEPTH}"
    )


def _read(urls: list[str], latencies: list[float], errors: list[str]) -> None:
    import httpx

    with httpx.Client(timeout=120) as client:
        for url in urls:
            started = time.perf_counter()
            response = client.get(url)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                errors.append(f"{response.status_code} {url}: {response.text[:160]}")


def _readers(urls: list[str], readers: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    threads = [
        threading.Thread(target=_read, args=(urls[i::readers], latencies, errors))
        for i in range(readers)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} failed request(s), first: {errors[0]}")
    return {
        "readers": readers,
        "requests": len(urls),
        "p50_ms": lineage_queries.percentile(latencies, 0.5),
        "p95_ms": lineage_queries.percentile(latencies, 0.95),
        "requests_per_s": len(urls) / wall,
    }


def reader_figures(folder: Path, scale: float, pairs: int, rounds: int = 3) -> dict[str, Any]:
    """Lineage latency: in process; 1 and 8 HTTP readers on one worker; then on
    ``--workers 2`` 1 reader and 8 concurrent readers in alternating passes (best p50 of
    ``rounds`` each): the issue's ratio."""
    from temporal_lineage.model import TableRef
    from temporal_lineage.query.lineage import Direction, lineage
    from temporal_lineage.store import open_store

    generated = synthetic.ensure_sqlite(scale, log=lambda line: print(line, file=sys.stderr))
    chosen = lineage_queries.make_pairs(generated.plan, pairs)
    store = open_store(generated.url)
    in_process: list[float] = []
    try:
        for pair in chosen:  # warm the page cache as the served store will be
            lineage(store, TableRef(pair.source, pair.identifier), pair.as_of, depth=1)
        for pair in chosen:
            started = time.perf_counter()
            lineage(
                store,
                TableRef(pair.source, pair.identifier),
                pair.as_of,
                direction=Direction.UPSTREAM,
                depth=lineage_queries.DEPTH,
            )
            in_process.append((time.perf_counter() - started) * 1000)
    finally:
        store.close()
    with served(generated.url, folder, open_reads=True) as base:
        urls = [_lineage_url(base, pair) for pair in chosen]
        _readers(urls[: min(20, len(urls))], 1)  # warm the server's connections
        one = _readers(urls, 1)
        many = _readers(urls * 2, READERS)
    with served(generated.url, folder, open_reads=True, workers=WORKERS) as base:
        urls = [_lineage_url(base, pair) for pair in chosen]
        _readers(urls[: min(40, len(urls))], READERS)  # warm every worker
        passes_one: list[dict[str, Any]] = []
        passes_many: list[dict[str, Any]] = []
        for _ in range(rounds):
            passes_one.append(_readers(urls, 1))
            passes_many.append(_readers(urls * 2, READERS))
    scaled_one = min(passes_one, key=lambda figures: figures["p50_ms"])
    scaled = min(passes_many, key=lambda figures: figures["p50_ms"])
    scaled["workers"] = scaled_one["workers"] = WORKERS
    return {
        "pairs": pairs,
        "in_process_p50_ms": lineage_queries.percentile(in_process, 0.5),
        "in_process_p95_ms": lineage_queries.percentile(in_process, 0.95),
        "one_reader": one,
        "concurrent": many,
        "one_reader_workers": scaled_one,
        "concurrent_workers": scaled,
        "concurrent_p50_ratio": measure.ratio(
            many["p50_ms"], lineage_queries.percentile(in_process, 0.5)
        ),
        "workers_p50_ratio": measure.ratio(scaled["p50_ms"], scaled_one["p50_ms"]),
        "rounds": rounds,
    }


def run(
    workdir: Path | None,
    *,
    events: int,
    scale: float,
    pairs: int,
    skip_readers: bool = False,
    pg_url: str | None = None,
    rounds: int = 3,
) -> dict[str, Any]:
    """Both measurements (readers skipped on request: they need the synthetic store; the
    PostgreSQL senders only with ``pg_url``, the server to make a database of this run on)."""
    with tempfile.TemporaryDirectory(dir=workdir) as raw:
        folder = Path(raw)
        results: dict[str, Any] = {
            "ingestion": ingestion_figures(folder, events, pg_url=pg_url, rounds=rounds)
        }
        if not skip_readers:
            results["readers"] = reader_figures(folder, scale, pairs, rounds=rounds)
    return results


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's HTTP targets, as ``summary`` rows (``at_least``: the value must reach the
    target); figures not measured give no row."""
    rows: list[dict[str, Any]] = []
    ing = results.get("ingestion") or {}
    one = ing.get("one_sender")
    if one:
        rows.append(
            {
                "name": "http_one_sender",
                "what": "one sender, one event per POST, openlineage-python HttpTransport "
                f"(gzip, keep-alive), serve on SQLite (raw http.client: "
                f"{one['raw_ms_per_event']:.2f} ms/event)",
                "value": round(one["client_ms_per_event"], 3),
                "target": TARGET_ONE_SENDER_MS,
                "unit": "ms/event",
            }
        )
        rows.append(
            {
                "name": "http_one_sender_raw",
                "what": "one sender, one event per POST, raw keep-alive http.client (the "
                "server's cost), serve on SQLite",
                "value": round(one["raw_ms_per_event"], 3),
                "target": TARGET_ONE_SENDER_MS,
                "unit": "ms/event",
            }
        )
    for database, figures in (ing.get("concurrent") or {}).items():
        rows.append(
            {
                "name": f"http_{figures['senders']}_senders_{database}",
                "what": f"{figures['senders']} senders at once, serve --workers "
                f"{figures['workers']}, {database}",
                "value": round(figures["events_per_s"], 1),
                "target": TARGET_SENDERS_EVENTS_PER_S,
                "unit": "events/s",
                "at_least": True,
            }
        )
    readers = results.get("readers")
    if readers and "workers_p50_ratio" in readers:
        many, one_reader = readers["concurrent_workers"], readers["one_reader_workers"]
        rows.append(
            {
                "name": "http_readers_p50_ratio",
                "what": f"lineage p50, {many['readers']} concurrent readers / 1 reader, serve "
                f"--workers {many['workers']} ({many['p50_ms']:.1f} / "
                f"{one_reader['p50_ms']:.1f} ms)",
                "value": round(readers["workers_p50_ratio"], 2),
                "target": TARGET_READERS_P50_RATIO,
                "unit": "x",
            }
        )
    return rows


def report_lines(results: dict[str, Any]) -> list[str]:
    """The human-readable section of ``run.py``'s report."""
    lines = ["", "## HTTP service (serve in its own process, uvicorn, scheduler off)"]
    ing = results.get("ingestion")
    if ing:
        lines.append(
            f"OpenLineage ingestion, {ing['events']:,} events, one per POST (openlineage-python "
            "HttpTransport, gzip, bearer token):"
        )
        lines.append(
            f"  in-process baseline (ingest_atomic per event): "
            f"{ing['baseline_ms_per_event']:.2f} ms/event"
        )
        one = ing["one_sender"]
        lines.append(
            f"  1 sender, SQLite: {one['client_ms_per_event']:.2f} ms/event with the client, "
            f"{one['raw_ms_per_event']:.2f} ms/event raw http.client "
            f"(best of {one['rounds']} alternating rounds of {one['events_per_round']})"
        )
        for database, figures in ing["concurrent"].items():
            lines.append(
                f"  {figures['senders']} senders, --workers {figures['workers']}, {database}: "
                f"{figures['events_per_s']:,.0f} events/s"
            )
            lines.extend(_cpu_lines(figures))
    readers = results.get("readers")
    if readers:
        one, many = readers["one_reader"], readers["concurrent"]
        lines.append(
            f"GET lineage (upstream, depth {lineage_queries.DEPTH}), {readers['pairs']} random "
            "(table, as-of) pairs on the synthetic store (SQLite):"
        )
        lines.append(
            f"  in process: p50 {readers['in_process_p50_ms']:.1f} ms, "
            f"p95 {readers['in_process_p95_ms']:.1f} ms"
        )
        for label, figures in (("1 reader", one), (f"{many['readers']} readers", many)):
            lines.append(
                f"  {label}, 1 worker: p50 {figures['p50_ms']:.1f} ms, "
                f"p95 {figures['p95_ms']:.1f} ms, {figures['requests_per_s']:.0f} req/s"
            )
        scaled_one, scaled = readers.get("one_reader_workers"), readers.get("concurrent_workers")
        if scaled_one and scaled:
            for label, figures in (
                ("1 reader", scaled_one),
                (f"{scaled['readers']} readers", scaled),
            ):
                lines.append(
                    f"  {label}, --workers {figures['workers']}: p50 {figures['p50_ms']:.1f} ms, "
                    f"p95 {figures['p95_ms']:.1f} ms, {figures['requests_per_s']:.0f} req/s"
                )
            lines.append(
                f"  p50 ratio {scaled['readers']} readers / 1 reader on --workers "
                f"{scaled['workers']}: {readers['workers_p50_ratio']:.2f}x"
            )
    return lines


def _cpu_lines(figures: dict[str, Any]) -> list[str]:
    """Where the CPU of a concurrent-senders run went, and the events/s it allows."""
    cpu = figures.get("cpu_ms_per_event")
    if not cpu:
        return []
    total = sum(cpu.values())
    split = ", ".join(f"{name} {ms:.2f}" for name, ms in cpu.items())
    bound = figures["cores"] * 1000 / total if total else float("inf")
    return [
        f"    CPU per event: {split} ms (sum {total:.2f} ms): {figures['cores']} cores allow "
        f"at most {bound:,.0f} events/s while senders, serve and database share them"
    ]


def main(argv: list[str] | None = None) -> int:
    """``python bench/http_service.py [--events N] [--scale S] [--pairs N] [--rounds R]
    [--no-readers] [--pg-url URL | --no-postgres]``."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-readers", action="store_true")
    parser.add_argument("--pg-url", default=synthetic.default_pg_url())
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    results = run(
        None,
        events=args.events,
        scale=args.scale,
        pairs=args.pairs,
        skip_readers=args.no_readers,
        pg_url=None if args.no_postgres else args.pg_url,
        rounds=args.rounds,
    )
    print("\n".join(report_lines(results)))
    print("\n".join(measure.verdict_lines(targets(results))))
    print(json.dumps(results, indent=2), file=sys.stderr)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
