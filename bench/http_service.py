"""The service over HTTP: OpenLineage ingestion with the real client, and lineage answers
under concurrent readers.

Both run against ``temporal-lineage serve`` started as a separate process on 127.0.0.1
(uvicorn, one process, scheduler off), as a user runs it:

* **Ingestion**: the events of ``ingestion.make_events`` (START/COMPLETE RunEvents of the
  synthetic warehouse) posted one event per request by the ``openlineage-python``
  ``HttpTransport`` (gzip, api-key auth) into a fresh SQLite store: one sender, then 8
  sender processes at once (each its own client and connection pool). Baseline of the same
  run: ``ingest_atomic`` of the same events one per call in this process (what the server
  does per request, without HTTP). Reported: events/s and the ratio to the baseline.
* **Lineage under 8 readers**: ``GET /api/v1/tables/{t}/lineage`` (upstream, depth 10) for
  the random (table, as-of) pairs of ``lineage_queries.make_pairs`` on the synthetic store
  (the cached SQLite file of ``synthetic_store.py``; reads open, so the cache is not
  written), by 1 reader and then by 8 concurrent readers (threads, one keep-alive
  ``httpx.Client`` each). Baseline: the same queries in this process, sequentially. p50 /
  p95 per request.

No targets are set by the issue for these figures; the ratios say what HTTP and
concurrency cost on this machine.
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    try:
        _wait_ready(base, process)
        yield base
    finally:
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
    return _send(*args)


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


def ingestion_figures(folder: Path, events: int) -> dict[str, Any]:
    """Events/s: in-process baseline, one HTTP sender, 8 concurrent HTTP senders."""
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
    }
    single_url = _fresh_store(folder, "single")
    token = _token(single_url, "write")
    with served(single_url, folder, open_reads=False) as base:
        seconds = _send(base, token, made)
    if _stored_events(single_url) != events:
        raise RuntimeError("one sender: not every event was stored")
    results["single_events_per_s"] = events / seconds
    many_url = _fresh_store(folder, "concurrent")
    token = _token(many_url, "write")
    shares = [made[i::SENDERS] for i in range(SENDERS)]
    with served(many_url, folder, open_reads=False) as base:
        context = multiprocessing.get_context("spawn")
        with context.Pool(SENDERS) as pool:
            started = time.perf_counter()
            pool.map(_sender, [(base, token, share) for share in shares])
            wall = time.perf_counter() - started
    if _stored_events(many_url) != events:
        raise RuntimeError(f"{SENDERS} senders: not every event was stored")
    results["concurrent_events_per_s"] = events / wall
    results["senders"] = SENDERS
    results["single_ratio"] = measure.ratio(
        results["single_events_per_s"], results["baseline_events_per_s"]
    )
    results["concurrent_ratio"] = measure.ratio(
        results["concurrent_events_per_s"], results["baseline_events_per_s"]
    )
    return results


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


def reader_figures(folder: Path, scale: float, pairs: int) -> dict[str, Any]:
    """Lineage latency: in-process, 1 HTTP reader, 8 concurrent HTTP readers."""
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
    workers = max(2, os.cpu_count() or 1)
    with served(generated.url, folder, open_reads=True, workers=workers) as base:
        urls = [_lineage_url(base, pair) for pair in chosen]
        _readers(urls[: min(40, len(urls))], READERS)  # warm every worker
        scaled = _readers(urls * 2, READERS)
    scaled["workers"] = workers
    return {
        "pairs": pairs,
        "in_process_p50_ms": lineage_queries.percentile(in_process, 0.5),
        "in_process_p95_ms": lineage_queries.percentile(in_process, 0.95),
        "one_reader": one,
        "concurrent": many,
        "concurrent_workers": scaled,
        "concurrent_p50_ratio": measure.ratio(
            many["p50_ms"], lineage_queries.percentile(in_process, 0.5)
        ),
    }


def run(
    workdir: Path | None, *, events: int, scale: float, pairs: int, skip_readers: bool = False
) -> dict[str, Any]:
    """Both measurements (readers skipped on request: they need the synthetic store)."""
    with tempfile.TemporaryDirectory(dir=workdir) as raw:
        folder = Path(raw)
        results: dict[str, Any] = {"ingestion": ingestion_figures(folder, events)}
        if not skip_readers:
            results["readers"] = reader_figures(folder, scale, pairs)
    return results


def report_lines(results: dict[str, Any]) -> list[str]:
    """The human-readable section of ``run.py``'s report."""
    lines = ["", "## HTTP service (serve in its own process, uvicorn, scheduler off)"]
    ing = results.get("ingestion")
    if ing:
        lines.append(
            f"OpenLineage ingestion, {ing['events']:,} events, one per POST (openlineage-python "
            "HttpTransport, gzip, bearer token):"
        )
        baseline = ing["baseline_events_per_s"]
        lines.append(f"  in-process baseline (ingest_atomic per event): {baseline:,.0f} events/s")
        lines.append(
            f"  1 sender:  {ing['single_events_per_s']:,.0f} events/s "
            f"({ing['single_ratio']:.2f}x baseline)"
        )
        lines.append(
            f"  {ing['senders']} senders: {ing['concurrent_events_per_s']:,.0f} events/s "
            f"({ing['concurrent_ratio']:.2f}x baseline)"
        )
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
        lines.append(
            f"  1 reader:   p50 {one['p50_ms']:.1f} ms, p95 {one['p95_ms']:.1f} ms, "
            f"{one['requests_per_s']:.0f} req/s"
        )
        ratio = readers["concurrent_p50_ratio"]
        lines.append(
            f"  {many['readers']} readers:  p50 {many['p50_ms']:.1f} ms, "
            f"p95 {many['p95_ms']:.1f} ms, {many['requests_per_s']:.0f} req/s "
            f"({ratio:.2f}x in-process p50)"
        )
        scaled = readers.get("concurrent_workers")
        if scaled:
            lines.append(
                f"  {scaled['readers']} readers, serve --workers {scaled['workers']}: "
                f"p50 {scaled['p50_ms']:.1f} ms, p95 {scaled['p95_ms']:.1f} ms, "
                f"{scaled['requests_per_s']:.0f} req/s"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    """``python bench/http_service.py [--events N] [--scale S] [--pairs N] [--no-readers]``."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--no-readers", action="store_true")
    args = parser.parse_args(argv)
    results = run(
        None, events=args.events, scale=args.scale, pairs=args.pairs, skip_readers=args.no_readers
    )
    print("\n".join(report_lines(results)))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
