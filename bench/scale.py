"""Scale figures: a generated warehouse of 10,000 real tables, synced on SQLite and PostgreSQL.

The warehouse (cached under ``bench/.cache/``, keyed by ``VERSION`` and the table count):

* 70 % Iceberg tables in one pyiceberg SQL catalog on SQLite (source ``lake``), spread over
  ten namespaces ``ns00`` .. ``ns09``; 30 % Delta tables under one root (source ``dl``), in
  ten folders ``d00`` .. ``d09``;
* table ``i`` has ``1 + 7i mod 5`` snapshots / commits (1-5, three on average), each an
  append of two rows carrying a run id (``lineage.run-id``), and one of two schemas (two
  fields, or five with a double and a timestamp).

Writing 7,000 Iceberg tables through pyiceberg costs ~30 ms per snapshot here (~12 min with
the Delta ones, more on a loaded machine), so the libraries write twenty *templates* (one
per format, snapshot count and schema) and every table is a file-level clone of one:
Parquet data files hard-linked, Delta log JSON and Iceberg metadata JSON rewritten (own
table uuid, paths, commit times, run ids), Iceberg manifest lists and manifests (Avro,
deflate) re-encoded block by block with their paths replaced (clone and template paths
have the same length, so every Avro string keeps its length), and one catalog row per
table. Snapshot ids are the template's (they live in the Avro files too); nothing in the
store keys on them across tables. A sample of the clones is read back with pyiceberg and
deltalake (every row) before the cache is marked complete.

Measured, on SQLite and on PostgreSQL (a database of this run's own, dropped at the end):

* the initial sync of the whole warehouse as a CLI process (``temporal-lineage sync``):
  wall time, its peak RSS (``VmHWM`` of the child's own program, ``measure.ChildPeak``),
  per-table cost net of the same CLI's run with no sources (start-up), and the ratio to a
  ``json`` floor (reading and parsing every metadata file the sync needs, in this process);
* the store's size on disk per snapshot (SQLite file + WAL; ``pg_database_size``), gross
  and net of the freshly migrated empty store;
* the no-op re-sync in process (``sync()`` on an open store, best of N) and as a CLI;
* PostgreSQL only: one pass of 1, 2 and 4 ``temporal-lineage scheduler run --passes 1``
  workers started together on an empty (migrated) store; the pass ends when every worker
  has exited. From the store: every table synced, ``sum(tables_checked)`` of the workers'
  ``sync_runs`` equal to the table count (no table synced twice) and how the leases split
  the tables. Then every lease is made due again and a no-op pass of the same workers
  is timed the same way.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import measure
from synthetic_store import default_pg_url, pg_database

VERSION = "v1"
"""Bump when the way the warehouse is built changes (invalidates the cache)."""
COMPLETE = "complete.json"
RUN_ID_KEY = "lineage.run-id"
ICEBERG_SHARE = 0.7
NAMESPACES = 10
MAX_SNAPSHOTS = 5
SCHEMAS = 2
LAKE = "lake"
DELTA = "dl"
POLL_INTERVAL = "1h"
"""Long enough that no table falls due again during a pass (a worker would sync it twice)."""
SAMPLE = 5
"""Clones of each format read back with the libraries when the warehouse is built."""

Log = Callable[[str], None]


def snapshots_of(index: int) -> int:
    """Snapshots (Iceberg) or commits (Delta) of table ``index``: 1-5, three on average."""
    return 1 + (7 * index) % MAX_SNAPSHOTS


def schema_of(index: int) -> int:
    """Which of the two schemas table ``index`` has."""
    return (index // MAX_SNAPSHOTS) % SCHEMAS


@dataclass(frozen=True)
class Warehouse:
    """The folders, catalog and counts of a generated warehouse."""

    folder: Path
    tables: int
    built_now: bool = False
    build_s: float = 0.0

    @property
    def iceberg_tables(self) -> int:
        """Tables of the SQL catalog (source ``lake``)."""
        return round(self.tables * ICEBERG_SHARE)

    @property
    def delta_tables(self) -> int:
        """Tables under the Delta root (source ``dl``)."""
        return self.tables - self.iceberg_tables

    @property
    def iceberg_root(self) -> Path:
        """Where the Iceberg tables live (``<namespace>/<table>``)."""
        return self.folder / "iceberg"

    @property
    def delta_root(self) -> Path:
        """Root of the Delta tables (``<folder>/<table>``; ``_tmpl`` holds the templates)."""
        return self.folder / "delta"

    @property
    def catalog_uri(self) -> str:
        """The pyiceberg SQL catalog listing the Iceberg tables."""
        return measure.sqlite_url(self.folder / "catalog" / "catalog.db")

    @property
    def warehouse_uri(self) -> str:
        """The catalog's (unused) default warehouse."""
        return f"file://{(self.folder / 'catalog' / 'warehouse').resolve()}"

    @property
    def snapshots(self) -> int:
        """Snapshots and commits of all tables together (what an initial sync records)."""
        return sum(snapshots_of(i) for i in range(self.tables))

    def iceberg_entries(self) -> Iterator[tuple[int, str, str]]:
        """``(index, namespace, name)`` of every Iceberg table."""
        for index in range(self.iceberg_tables):
            yield index, f"ns{index % NAMESPACES:02d}", f"t{index:05d}"

    def delta_entries(self) -> Iterator[tuple[int, Path]]:
        """``(index, folder)`` of every Delta table (indexes after the Iceberg ones)."""
        for index in range(self.iceberg_tables, self.tables):
            yield index, self.delta_root / f"d{index % NAMESPACES:02d}" / f"t{index:05d}"

    def iceberg_location(self, namespace: str, name: str) -> str:
        """The ``file://`` location of one Iceberg table."""
        return f"file://{self.iceberg_root.resolve()}/{namespace}/{name}"

    def sources(self, poll_interval: str = POLL_INTERVAL) -> list[dict[str, Any]]:
        """The two sources, in ``lineage.yaml`` form."""
        return [
            {
                "name": LAKE,
                "format": "iceberg",
                "catalog": {
                    "type": "sql",
                    "uri": self.catalog_uri,
                    "warehouse": self.warehouse_uri,
                },
                "poll_interval": poll_interval,
            },
            {
                "name": DELTA,
                "format": "delta",
                "root": str(self.delta_root),
                "poll_interval": poll_interval,
            },
        ]

    def metadata_files(self) -> list[Path]:
        """Every file an initial sync must read: current Iceberg metadata, Delta commits."""
        import sqlite3

        files: list[Path] = []
        with sqlite3.connect(self.folder / "catalog" / "catalog.db") as conn:
            for (location,) in conn.execute(
                "SELECT metadata_location FROM iceberg_tables WHERE catalog_name = ?", (LAKE,)
            ):
                files.append(Path(str(location).removeprefix("file://")))
        for _, folder in self.delta_entries():
            files.extend(sorted((folder / "_delta_log").glob("*.json")))
        return files

    def as_json(self) -> dict[str, Any]:
        """The warehouse's shape, for ``latest.json``."""
        return {
            "tables": self.tables,
            "iceberg_tables": self.iceberg_tables,
            "delta_tables": self.delta_tables,
            "snapshots": self.snapshots,
            "folder": str(self.folder),
            "cached": not self.built_now,
            "build_s": round(self.build_s, 3),
        }


def cache_key(tables: int) -> str:
    """The cache folder name of a warehouse of this size."""
    return f"scale-{tables}t-{VERSION}"


def warehouse(cache_dir: Path, tables: int, log: Log = lambda _: None) -> Warehouse:
    """The cached warehouse of ``tables`` tables, generated first when the cache lacks it.

    Built in place (the catalog and the Iceberg metadata hold absolute paths, so the folder
    cannot be moved).
    """
    if tables < 2:
        raise ValueError("a warehouse has at least two tables (one of each format)")
    folder = (cache_dir / cache_key(tables)).resolve()
    folder.parent.mkdir(parents=True, exist_ok=True)
    with _locked(folder.parent / f".{folder.name}.lock"):  # another bench may be building it
        found = Warehouse(folder, tables)
        if (folder / COMPLETE).is_file():
            return found
        started = time.perf_counter()
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        log(f"scale: generating {tables} tables in {folder}")
        templates = _write_templates(found)
        _clone_all(found, templates)
        checked = _verify(found)
        seconds = time.perf_counter() - started
        summary = {"tables": tables, "version": VERSION, "build_s": seconds, "checked": checked}
        (folder / COMPLETE).write_text(json.dumps(summary), encoding="utf-8")
    log(f"scale: generated {tables} tables in {seconds:.1f} s")
    return Warehouse(folder, tables, built_now=True, build_s=seconds)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` for the block (waits for the holder)."""
    import fcntl

    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# -- templates (written by the libraries) ------------------------------------------------


def _batch(schema: int, seed: int) -> Any:
    import datetime as dt

    import pyarrow as pa

    ids = pa.array([seed * 2, seed * 2 + 1], pa.int64())
    names = pa.array([f"n{seed}a", f"n{seed}b"], pa.string())
    if schema == 0:
        return pa.table({"id": ids, "name": names})
    at = dt.datetime(2026, 1, 1) + dt.timedelta(days=seed)
    return pa.table(
        {
            "id": ids,
            "customer_id": pa.array([seed, seed + 7], pa.int64()),
            "amount": pa.array([1.5 * seed, 2.5], pa.float64()),
            "updated_at": pa.array([at, at], pa.timestamp("us")),
            "name": names,
        }
    )


def _template_run_id(key: str, commit: int) -> str:
    return f"tmpl-{key}-{commit}"


@dataclass(frozen=True)
class IcebergTemplate:
    """One template Iceberg table: its files, read once, and its catalog row."""

    prefix: str
    """``file://`` location; a clone's location has the same length."""
    metadata: dict[str, str]
    """Metadata JSON file name -> text."""
    avro: dict[str, bytes]
    """Avro file name (``metadata/``) -> bytes."""
    data: list[Path]
    """Data files (hard-linked into every clone)."""
    current: str
    previous: str | None
    key: str


@dataclass(frozen=True)
class DeltaTemplate:
    """One template Delta table."""

    folder: Path
    log: dict[str, list[dict[str, Any]]]
    """Commit file name -> its actions."""
    data: list[Path]
    key: str


@dataclass(frozen=True)
class Templates:
    iceberg: dict[tuple[int, int], IcebergTemplate]
    delta: dict[tuple[int, int], DeltaTemplate]


def _write_templates(house: Warehouse) -> Templates:
    from deltalake import CommitProperties, write_deltalake
    from pyiceberg.catalog.sql import SqlCatalog

    shapes = [(s, k) for s in range(SCHEMAS) for k in range(1, MAX_SNAPSHOTS + 1)]
    delta: dict[tuple[int, int], DeltaTemplate] = {}
    for schema, commits in shapes:
        key = f"s{schema}c{commits}"
        folder = house.delta_root / "_tmpl" / key
        folder.mkdir(parents=True)
        for commit in range(commits):
            write_deltalake(
                str(folder),
                _batch(schema, commit),
                mode="append",
                commit_properties=CommitProperties(
                    custom_metadata={RUN_ID_KEY: _template_run_id(key, commit)}
                ),
            )
        log_dir = folder / "_delta_log"
        delta[(schema, commits)] = DeltaTemplate(
            folder,
            {
                f.name: [json.loads(line) for line in f.read_text("utf-8").splitlines() if line]
                for f in sorted(log_dir.glob("*.json"))
            },
            [p for p in sorted(folder.rglob("*")) if p.is_file() and log_dir not in p.parents],
            key,
        )

    catalog_dir = house.folder / "_templates"
    catalog_dir.mkdir(parents=True)
    catalog = SqlCatalog(
        "templates",
        uri=measure.sqlite_url(catalog_dir / "catalog.db"),
        warehouse=f"file://{catalog_dir.resolve()}/warehouse",
    )
    iceberg: dict[tuple[int, int], IcebergTemplate] = {}
    try:
        catalog.create_namespace("tmpl")
        for number, (schema, snaps) in enumerate(shapes):
            key = f"s{schema}c{snaps}"
            name = f"t{number:05d}"
            prefix = house.iceberg_location("tmpl", name)
            table = catalog.create_table(
                f"tmpl.{name}", schema=_batch(schema, 0).schema, location=prefix
            )
            for commit in range(snaps):
                table.append(
                    _batch(schema, commit),
                    snapshot_properties={RUN_ID_KEY: _template_run_id(key, commit)},
                )
            table = catalog.load_table(f"tmpl.{name}")
            metadata_dir = Path(prefix.removeprefix("file://")) / "metadata"
            current = table.metadata_location.rsplit("/", 1)[1]
            log_entries = table.metadata.metadata_log
            previous = log_entries[-1].metadata_file.rsplit("/", 1)[1] if log_entries else None
            iceberg[(schema, snaps)] = IcebergTemplate(
                prefix,
                {f.name: f.read_text("utf-8") for f in metadata_dir.glob("*.metadata.json")},
                {f.name: f.read_bytes() for f in metadata_dir.glob("*.avro")},
                sorted((metadata_dir.parent / "data").rglob("*.parquet")),
                current,
                previous,
                key,
            )
    finally:
        catalog.engine.dispose()
    return Templates(iceberg, delta)


# -- clones (files written here) ---------------------------------------------------------


def _read_long(data: bytes, pos: int) -> tuple[int, int]:
    """One Avro (zig-zag varint) long at ``pos``: the value and the next position."""
    shift = result = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
    return (result >> 1) ^ -(result & 1), pos


def _long(value: int) -> bytes:
    """An Avro long (zig-zag varint)."""
    zigzag = (value << 1) ^ (value >> 63)
    out = bytearray()
    while zigzag > 0x7F:
        out.append((zigzag & 0x7F) | 0x80)
        zigzag >>= 7
    out.append(zigzag)
    return bytes(out)


def rewrite_avro(data: bytes, old: bytes, new: bytes) -> bytes:
    """An Avro container file with every ``old`` replaced by ``new`` (same length).

    Strings keep their length, so only the (deflate or null coded) blocks are re-encoded
    and their size fields rewritten; the header (schema, metadata) is replaced in place.

    Raises:
        ValueError: not an Avro container, another codec, or lengths that differ.
    """
    if len(old) != len(new):
        raise ValueError("an Avro rewrite keeps string lengths")
    if data[:4] != b"Obj\x01":
        raise ValueError("not an Avro container file")
    pos = 4
    codec = b"null"
    while True:  # the header's metadata map
        count, pos = _read_long(data, pos)
        if count == 0:
            break
        if count < 0:
            count = -count
            _, pos = _read_long(data, pos)
        for _ in range(count):
            size, pos = _read_long(data, pos)
            key = data[pos : pos + size]
            pos += size
            size, pos = _read_long(data, pos)
            if key == b"avro.codec":
                codec = data[pos : pos + size]
            pos += size
    if codec not in (b"null", b"deflate"):
        raise ValueError(f"unsupported Avro codec {codec!r}")
    sync_marker = data[pos : pos + 16]
    pos += 16
    out = bytearray(data[:pos].replace(old, new))
    while pos < len(data):
        count, pos = _read_long(data, pos)
        size, pos = _read_long(data, pos)
        block = data[pos : pos + size]
        pos += size
        if data[pos : pos + 16] != sync_marker:
            raise ValueError("Avro block without its sync marker")
        pos += 16
        if codec == b"deflate":
            raw = zlib.decompress(block, -15).replace(old, new)
            packer = zlib.compressobj(6, zlib.DEFLATED, -15)
            block = packer.compress(raw) + packer.flush()
        else:
            block = block.replace(old, new)
        out += _long(count) + _long(len(block)) + block + sync_marker
    return bytes(out)


def _shift_iceberg(text: str, old: str, new: str, shift_ms: int, run_prefix: str) -> str:
    metadata = json.loads(text.replace(old, new))
    metadata["table-uuid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, new))
    metadata["last-updated-ms"] += shift_ms
    for snapshot in metadata.get("snapshots", []):
        snapshot["timestamp-ms"] += shift_ms
        summary = snapshot.get("summary", {})
        if RUN_ID_KEY in summary:
            summary[RUN_ID_KEY] = run_prefix + summary[RUN_ID_KEY].rsplit("-", 1)[1]
    for entry in metadata.get("snapshot-log", []) + metadata.get("metadata-log", []):
        entry["timestamp-ms"] += shift_ms
    return json.dumps(metadata, indent=2)


def _clone_iceberg(template: IcebergTemplate, location: str, shift_ms: int, run: str) -> None:
    folder = Path(location.removeprefix("file://"))
    (folder / "metadata").mkdir(parents=True)
    data_dir = Path(template.prefix.removeprefix("file://")) / "data"
    for path in template.data:
        target = folder / "data" / path.relative_to(data_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, target)
    old, new = template.prefix.encode(), location.encode()
    for name, data in template.avro.items():
        (folder / "metadata" / name).write_bytes(rewrite_avro(data, old, new))
    for name, text in template.metadata.items():
        (folder / "metadata" / name).write_text(
            _shift_iceberg(text, template.prefix, location, shift_ms, run), encoding="utf-8"
        )


def _clone_delta(template: DeltaTemplate, folder: Path, shift_ms: int, run: str) -> None:
    log_dir = folder / "_delta_log"
    log_dir.mkdir(parents=True)
    for path in template.data:
        target = folder / path.relative_to(template.folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, target)
    table_id = str(uuid.uuid5(uuid.NAMESPACE_URL, str(folder)))
    for name, actions in template.log.items():
        lines = []
        for action in actions:
            action = json.loads(json.dumps(action))
            if "commitInfo" in action:
                info = action["commitInfo"]
                info["timestamp"] += shift_ms
                if RUN_ID_KEY in info:
                    info[RUN_ID_KEY] = run + str(info[RUN_ID_KEY]).rsplit("-", 1)[1]
            elif "metaData" in action:
                action["metaData"]["id"] = table_id
                action["metaData"]["createdTime"] += shift_ms
            elif "add" in action:
                action["add"]["modificationTime"] += shift_ms
            lines.append(json.dumps(action, separators=(",", ":")))
        (log_dir / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _shift(index: int) -> int:
    """Table ``index``'s commits are moved this far back (ms): one table a minute."""
    return -(index + 1) * 60_000


def _run_prefix(index: int) -> str:
    return f"run-{index:05d}-"


def _progress(what: str, done: int, total: int, started: float) -> None:
    if done == total or done % 200 == 0:
        rate = done / max(time.perf_counter() - started, 1e-9)
        end = "\n" if done == total else ""
        print(f"\r{what}: {done}/{total} ({rate:.0f}/s)", end=end, file=sys.stderr, flush=True)


def _clone_all(house: Warehouse, templates: Templates) -> None:
    import sqlite3

    from pyiceberg.catalog.sql import SqlCatalog

    (house.folder / "catalog").mkdir(parents=True)
    catalog = SqlCatalog(LAKE, uri=house.catalog_uri, warehouse=house.warehouse_uri)
    try:
        for number in range(min(NAMESPACES, house.iceberg_tables)):
            catalog.create_namespace(f"ns{number:02d}")
    finally:
        catalog.engine.dispose()
    rows: list[tuple[str, str, str, str, str | None, str]] = []
    started = time.perf_counter()
    for index, namespace, name in house.iceberg_entries():
        template = templates.iceberg[(schema_of(index), snapshots_of(index))]
        location = house.iceberg_location(namespace, name)
        if len(location) != len(template.prefix):
            raise RuntimeError(f"clone path {location} is not as long as {template.prefix}")
        _clone_iceberg(template, location, _shift(index), _run_prefix(index))
        previous = f"{location}/metadata/{template.previous}" if template.previous else None
        rows.append(
            (LAKE, namespace, name, f"{location}/metadata/{template.current}", previous, "TABLE")
        )
        _progress("scale: iceberg tables", len(rows), house.iceberg_tables, started)
    with sqlite3.connect(house.folder / "catalog" / "catalog.db") as conn:
        conn.executemany(
            "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, "
            "metadata_location, previous_metadata_location, iceberg_type) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
    started = time.perf_counter()
    for done, (index, folder) in enumerate(house.delta_entries(), start=1):
        delta = templates.delta[(schema_of(index), snapshots_of(index))]
        _clone_delta(delta, folder, _shift(index), _run_prefix(index))
        _progress("scale: delta tables", done, house.delta_tables, started)


def _sample(count: int, size: int) -> list[int]:
    """Up to ``size`` positions spread over ``range(count)``, first and last included."""
    if count <= size:
        return list(range(count))
    return sorted({round(i * (count - 1) / (size - 1)) for i in range(size)})


def _verify(house: Warehouse) -> dict[str, int]:
    """Read a sample of the clones back with pyiceberg and deltalake, every row.

    Raises:
        RuntimeError: a clone is not the table it should be.
    """
    from deltalake import DeltaTable
    from pyiceberg.catalog.sql import SqlCatalog

    checked = {"iceberg": 0, "delta": 0}
    catalog = SqlCatalog(LAKE, uri=house.catalog_uri, warehouse=house.warehouse_uri)
    try:
        entries = list(house.iceberg_entries())
        for position in _sample(len(entries), SAMPLE):
            index, namespace, name = entries[position]
            table = catalog.load_table(f"{namespace}.{name}")
            snaps = snapshots_of(index)
            rows = table.scan().to_arrow().num_rows
            if len(table.metadata.snapshots) != snaps or rows != 2 * snaps:
                raise RuntimeError(f"clone {namespace}.{name}: {rows} rows, expected {2 * snaps}")
            if table.metadata.location != house.iceberg_location(namespace, name):
                raise RuntimeError(f"clone {namespace}.{name} is at {table.metadata.location}")
            summary = table.metadata.snapshots[-1].summary
            run_id = summary.additional_properties.get(RUN_ID_KEY) if summary else None
            if run_id != f"{_run_prefix(index)}{snaps - 1}":
                raise RuntimeError(f"clone {namespace}.{name}: run id {run_id}")
            checked["iceberg"] += 1
    finally:
        catalog.engine.dispose()
    deltas = list(house.delta_entries())
    for position in _sample(len(deltas), SAMPLE):
        index, folder = deltas[position]
        delta = DeltaTable(str(folder))
        snaps = snapshots_of(index)
        rows = delta.to_pyarrow_table().num_rows
        if delta.version() != snaps - 1 or rows != 2 * snaps:
            raise RuntimeError(f"clone {folder}: version {delta.version()}, {rows} rows")
        checked["delta"] += 1
    return checked


# -- measuring ---------------------------------------------------------------------------


def cli_prefix() -> list[str]:
    """The venv's ``temporal-lineage`` console script (or ``python -m``)."""
    script = Path(sys.executable).with_name("temporal-lineage")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "temporal_lineage"]


@dataclass(frozen=True)
class ChildRun:
    """One finished child process: wall time, peak RSS, exit code, output."""

    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str

    def check(self, what: str) -> ChildRun:
        """Raises RuntimeError when the child failed."""
        if self.returncode != 0:
            raise RuntimeError(f"{what} exited {self.returncode}: {self.stderr.strip()[-2000:]}")
        return self


def start_child(
    command: Sequence[str], folder: Path, name: str
) -> tuple[Any, float, Path, measure.ChildPeak]:
    """Start ``command`` with stdout / stderr in files of ``folder`` (no pipe to fill)."""
    folder.mkdir(parents=True, exist_ok=True)
    out, err = folder / f"{name}.out", folder / f"{name}.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(list(command), stdout=stdout, stderr=stderr, cwd=folder)
    return process, started, folder / name, measure.ChildPeak(process.pid)


def wait_child(process: Any, started: float, stem: Path, peak: measure.ChildPeak) -> ChildRun:
    """Reap the child with ``wait4``; its peak RSS is its program's own (``ChildPeak``)."""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return ChildRun(
        seconds,
        peak.stop(fallback_kb=usage.ru_maxrss),
        process.returncode,
        Path(f"{stem}.out").read_text("utf-8", errors="replace"),
        Path(f"{stem}.err").read_text("utf-8", errors="replace"),
    )


def run_child(command: Sequence[str], folder: Path, name: str) -> ChildRun:
    """Run one child process to its end."""
    return wait_child(*start_child(command, folder, name))


def cli_sync(config: Path, folder: Path, name: str) -> ChildRun:
    """``temporal-lineage sync --config CONFIG --format json`` as a child; fails on errors."""
    done = run_child(
        [*cli_prefix(), "sync", "--config", str(config), "--format", "json"], folder, name
    ).check(name)
    report = json.loads(done.stdout)
    errors = report.get("errors") if isinstance(report, dict) else None
    if errors:
        raise RuntimeError(f"{name}: sync reported errors: {errors[:3]}")
    return done


def json_floor(house: Warehouse, repeats: int) -> measure.Timing:
    """Reading and ``json``-parsing every file an initial sync needs (the catalog query too)."""

    def read(_: None) -> None:
        for path in house.metadata_files():
            text = path.read_bytes()
            if path.suffix == ".json" and path.parent.name == "_delta_log":
                for line in text.splitlines():
                    if line:
                        json.loads(line)
            else:
                json.loads(text)

    return measure.best_of(repeats, read, setup=lambda: None)


def store_bytes(url: str) -> int:
    """The store's size on disk: SQLite file + WAL, or PostgreSQL's ``pg_database_size``."""
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        return sum(
            Path(f"{path}{suffix}").stat().st_size
            for suffix in ("", "-wal")
            if Path(f"{path}{suffix}").exists()
        )
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
            )
    finally:
        engine.dispose()


def store_counts(url: str) -> dict[str, int]:
    """Rows of the store's main tables."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: int(conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one())
                for name in ("tables", "snapshots", "table_leases", "sync_runs")
            }
    finally:
        engine.dispose()


def migrate(url: str) -> None:
    """Create and migrate an empty store (outside any clock)."""
    from temporal_lineage.store import open_store

    open_store(url).close()


def measure_store(
    house: Warehouse, workdir: Path, url: str, label: str, repeats: int, log: Log
) -> dict[str, Any]:
    """Initial sync (CLI), size, no-op re-sync (in process and CLI) of one store."""
    from temporal_lineage.config import load_settings
    from temporal_lineage.store import open_store
    from temporal_lineage.sync import sync

    folder = workdir / label
    config = measure.write_config(folder / "config", house.sources(), url)
    empty = measure.write_config(folder / "empty", [], url)
    migrate(url)
    empty_bytes = store_bytes(url)
    startup = [cli_sync(empty, folder, f"startup-{n}").seconds for n in range(repeats)]
    log(f"scale {label}: initial sync of {house.tables} tables (CLI)")
    initial = cli_sync(config, folder, "initial")
    counts = store_counts(url)
    if counts["snapshots"] != house.snapshots or counts["tables"] != house.tables:
        raise RuntimeError(
            f"{label}: the initial sync stored {counts}, expected "
            f"{house.tables} tables and {house.snapshots} snapshots"
        )
    size = store_bytes(url)
    log(f"scale {label}: initial {initial.seconds:.1f} s; no-op re-syncs")
    settings = load_settings(config)
    store = open_store(url)
    reports: list[Any] = []
    try:
        noop = measure.best_of(
            repeats, lambda _: reports.append(sync(store, settings)), setup=lambda: None
        )
    finally:
        store.close()
    for report in reports:
        measure.check_report(report, tables=house.tables, new_snapshots=0)
    noop_cli = [cli_sync(config, folder, f"noop-{n}") for n in range(repeats)]
    best_startup = min(startup)
    net = max(initial.seconds - best_startup, 0.0)
    return {
        "store": label,
        "initial_sync_cli_s": round(initial.seconds, 3),
        "cli_startup_s": round(best_startup, 3),
        "initial_ms_per_table": round(net * 1000 / house.tables, 3),
        "initial_peak_rss_mb": initial.peak_rss_mb,
        "snapshots": counts["snapshots"],
        "store_bytes": size,
        "empty_store_bytes": empty_bytes,
        "bytes_per_snapshot": round(size / counts["snapshots"], 1),
        "net_bytes_per_snapshot": round((size - empty_bytes) / counts["snapshots"], 1),
        "noop_in_process": noop.as_json(),
        "noop_in_process_s": round(noop.best, 4),
        "noop_ms_per_table": round(noop.best * 1000 / house.tables, 4),
        "noop_cli_s": round(min(r.seconds for r in noop_cli), 3),
        "noop_cli_net_s": round(max(min(r.seconds for r in noop_cli) - best_startup, 0.0), 3),
        "noop_peak_rss_mb": min(r.peak_rss_mb for r in noop_cli),
        "command": " ".join([*cli_prefix(), "sync", "--config", str(config), "--format", "json"]),
    }


def worker_command(config: Path, worker: str) -> list[str]:
    """One ``scheduler run`` worker doing one pass of every source, then exiting."""
    return [
        *cli_prefix(),
        "scheduler",
        "run",
        "--config",
        str(config),
        "--worker-id",
        worker,
        "--passes",
        "1",
        "--log-level",
        "warning",
    ]


def _pass(config: Path, folder: Path, names: Sequence[str], label: str) -> dict[str, Any]:
    """Start the workers together; the pass lasts until the last one exits."""
    started = time.perf_counter()
    children = [
        start_child(worker_command(config, name), folder, f"{label}-{name}") for name in names
    ]
    done = [wait_child(*child) for child in children]
    seconds = time.perf_counter() - started
    for name, child in zip(names, done, strict=True):
        child.check(f"worker {name} ({label})")
    return {
        "wall_s": round(seconds, 3),
        "worker_s": [round(child.seconds, 3) for child in done],
        "worker_peak_rss_mb": [child.peak_rss_mb for child in done],
    }


def _pass_rows(url: str, names: Sequence[str], since_id: int) -> dict[str, Any]:
    """What the workers' ``sync_runs`` (after ``since_id``) and the leases say of a pass."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            runs = conn.execute(
                text(
                    "SELECT worker, tables_checked, snapshots_added, errors, started_at, ended_at "
                    "FROM sync_runs WHERE id > :since ORDER BY id"
                ),
                {"since": since_id},
            ).all()
            holders: dict[Any, Any] = {
                row[0]: row[1]
                for row in conn.execute(
                    text("SELECT last_holder, count(*) FROM table_leases GROUP BY last_holder")
                )
            }
            last_id = int(
                conn.execute(text("SELECT coalesce(max(id), 0) FROM sync_runs")).scalar_one()
            )
    finally:
        engine.dispose()
    per_worker = {name: 0 for name in names}
    errors = 0
    for row in runs:
        per_worker[row.worker] = per_worker.get(row.worker, 0) + int(row.tables_checked)
        errors += len(row.errors or [])
    starts = [row.started_at for row in runs]
    ends = [row.ended_at for row in runs if row.ended_at is not None]
    in_store = (max(ends) - min(starts)).total_seconds() if starts and ends else None
    return {
        "sync_runs": len(runs),
        "tables_checked": sum(per_worker.values()),
        "tables_per_worker": per_worker,
        "snapshots_added": sum(int(row.snapshots_added) for row in runs),
        "errors": errors,
        "last_holders": {str(k): int(v) for k, v in holders.items()},
        "in_store_s": round(in_store, 3) if in_store is not None else None,
        "last_run_id": last_id,
    }


def _one_scale_out(
    house: Warehouse, folder: Path, admin_url: str, count: int, log: Log
) -> dict[str, Any]:
    """One initial and one no-op pass of ``count`` workers on a fresh store.

    Raises:
        RuntimeError: a table was not synced, or synced twice, in a pass.
    """
    from sqlalchemy import create_engine, text

    names = [f"scale-w{n}" for n in range(count)]
    with pg_database(admin_url, f"scale_w{count}") as url:
        config = measure.write_config(folder / "config", house.sources(), url)
        migrate(url)
        initial = _pass(config, folder, names, "initial")
        initial |= _pass_rows(url, names, 0)
        counts = store_counts(url)
        initial["every_table_once"] = (
            initial["tables_checked"] == house.tables
            and counts["tables"] == house.tables
            and counts["snapshots"] == house.snapshots
            and initial["errors"] == 0
            and sum(initial["last_holders"].get(n, 0) for n in names) == house.tables
        )
        if not initial["every_table_once"]:
            raise RuntimeError(
                f"workers={count}: the pass did not sync each table once: {initial} {counts}"
            )
        engine = create_engine(url)
        try:
            with engine.begin() as conn:  # the period has passed: every table is due again
                conn.execute(text("UPDATE table_leases SET due_at = due_at - interval '1 day'"))
        finally:
            engine.dispose()
        noop = _pass(config, folder, names, "noop")
        noop |= _pass_rows(url, names, initial["last_run_id"])
        noop["every_table_once"] = noop["tables_checked"] == house.tables and noop["errors"] == 0
        if not noop["every_table_once"] or noop["snapshots_added"]:
            raise RuntimeError(f"workers={count}: the no-op pass was not one: {noop}")
    log(
        f"scale workers={count}: initial pass {initial['wall_s']:.1f} s, "
        f"no-op pass {noop['wall_s']:.1f} s"
    )
    return {"initial": initial, "noop": noop}


def scale_out(
    house: Warehouse,
    workdir: Path,
    admin_url: str,
    workers: Sequence[int],
    log: Log,
    rounds: int = 2,
) -> dict[str, Any]:
    """Initial and no-op passes of 1, 2, 4 ... workers, each on a fresh store.

    The worker counts alternate (1 2 4 1 2 4 ...) for ``rounds`` rounds; each count keeps
    its fastest initial pass (with that store's no-op pass) and lists every sample.
    """
    samples: dict[int, list[dict[str, Any]]] = {count: [] for count in workers}
    for number in range(rounds):
        for count in workers:
            folder = workdir / f"workers-{count}-{number}"
            samples[count].append(_one_scale_out(house, folder, admin_url, count, log))
    found: dict[str, Any] = {}
    for count, runs in samples.items():
        best = min(runs, key=lambda r: float(r["initial"]["wall_s"]))
        found[str(count)] = {
            "workers": count,
            "initial_wall_s": best["initial"]["wall_s"],
            "initial_in_store_s": best["initial"]["in_store_s"],
            "noop_wall_s": min(float(r["noop"]["wall_s"]) for r in runs),
            "noop_in_store_s": min(float(r["noop"]["in_store_s"] or 0.0) for r in runs),
            "every_table_once": all(
                r["initial"]["every_table_once"] and r["noop"]["every_table_once"] for r in runs
            ),
            "initial_samples_s": [r["initial"]["wall_s"] for r in runs],
            "noop_samples_s": [r["noop"]["wall_s"] for r in runs],
            "best": best,
        }
    if workers:
        base = found[str(workers[0])]
        for entry in found.values():
            entry["speedup"] = round(
                measure.ratio(base["initial_wall_s"], entry["initial_wall_s"]), 2
            )
            entry["in_store_speedup"] = round(
                measure.ratio(
                    base["initial_in_store_s"] or 0.0, entry["initial_in_store_s"] or 0.0
                ),
                2,
            )
    return {
        "rounds": rounds,
        "passes": found,
        "command": " ".join(worker_command(Path("lineage.yaml"), "<id>")),
    }


def run(
    workdir: Path,
    cache_dir: Path,
    tables: int = 10_000,
    pg_url: str | None = None,
    workers: tuple[int, ...] = (1, 2, 4),
    log: Log = print,
    repeats: int = 3,
    rounds: int = 2,
) -> dict[str, Any]:
    """Generate (or reuse) the warehouse and measure it on SQLite and (``pg_url``) PostgreSQL.

    ``pg_url`` None leaves PostgreSQL (and the scale-out) out. ``repeats``: samples of the
    CLI start-up and of the no-op re-syncs; ``rounds``: samples of each worker count.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    house = warehouse(cache_dir, tables, log)
    floor = json_floor(house, repeats)
    result: dict[str, Any] = {
        "warehouse": house.as_json(),
        "json_floor_s": round(floor.best, 4),
    }
    sqlite = measure_store(
        house, workdir, measure.sqlite_url(workdir / "sqlite" / "scale.db"), "sqlite", repeats, log
    )
    sqlite["initial_floor_ratio"] = round(
        measure.ratio(sqlite["initial_sync_cli_s"], floor.best), 1
    )
    result["sqlite"] = sqlite
    if pg_url is not None:
        with pg_database(pg_url, "scale_store") as url:
            postgres = measure_store(house, workdir, url, "postgresql", repeats, log)
        postgres["initial_floor_ratio"] = round(
            measure.ratio(postgres["initial_sync_cli_s"], floor.best), 1
        )
        result["postgresql"] = postgres
        if workers:
            result["scale_out"] = scale_out(house, workdir, pg_url, workers, log, rounds)
    return result


NOOP_TARGET_S = 1.0
"""The issue's target: a no-op re-sync of 10,000 tables in process within 1 s."""
FULL_TABLES = 10_000


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's one target among the scale figures: no-op of 10,000 tables <= 1 s in process.

    Measured at another size, the figure is scaled linearly to 10,000 tables (and says so).
    """
    tables = int(result.get("warehouse", {}).get("tables", 0))
    rows: list[dict[str, Any]] = []
    if not tables:
        return rows
    for label in ("sqlite", "postgresql"):
        figures = result.get(label)
        if not figures or "noop_in_process_s" not in figures:
            continue
        value = figures["noop_in_process_s"] * FULL_TABLES / tables
        scaled = "" if tables == FULL_TABLES else f", measured at {tables} tables, scaled"
        rows.append(
            {
                "name": f"scale_noop_10k_{label}",
                "value": round(value, 3),
                "target": NOOP_TARGET_S,
                "unit": "s",
                "what": f"no-op re-sync of 10,000 tables in process ({label}{scaled})",
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    """``python bench/scale.py [--tables N] [--no-postgres] [--pg-url URL]``: print the figures."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--tables", type=int, default=FULL_TABLES)
    parser.add_argument("--cache-dir", type=Path, default=measure.CACHE_DIR)
    parser.add_argument("--pg-url", default=default_pg_url())
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--workers", default="1,2,4", help="worker counts of the scale-out (comma-separated)"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2, help="samples of each worker count")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    workers = tuple(int(n) for n in args.workers.split(",") if n.strip())
    folder = Path(tempfile.mkdtemp(prefix="tl-scale-"))
    try:
        result = run(
            folder,
            args.cache_dir,
            args.tables,
            None if args.no_postgres else args.pg_url,
            workers,
            log=log,
            repeats=args.repeats,
            rounds=args.rounds,
        )
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    result["targets"] = measure.judged(targets(result))
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
