"""Initial sync of an Iceberg table with a long snapshot history, against a plain-json floor.

The table is real: pyiceberg creates it (SQL catalog on SQLite, in a temporary folder) at an
explicit location below a Hadoop-layout root, appends a few batches with
``snapshot_properties`` and evolves its schema once. Its latest metadata file is then the
template of the next one, ``v<N>.metadata.json`` (+ ``version-hint.text``), which holds the
real snapshots followed by generated ones of the same shape until the history has the wanted
length: unique positive 63-bit ids, a parent chain, increasing ``timestamp-ms`` and sequence
numbers, the usual summary keys with running totals, a manifest-list path, and matching
``snapshot-log`` / ``current-snapshot-id`` / ``refs.main``. The current snapshot keeps the
newest real manifest list, so pyiceberg can still load and scan the table.

Floor: read the bytes of that metadata file and ``json.loads`` them.
Measure: ``sync(store, settings)`` of the root into a fresh SQLite store.
"""

from __future__ import annotations

import json
import random
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import measure

TABLE = "bench_tbl"
NAMESPACE = "bench"
RUN_ID_KEY = "lineage.run-id"
STEP_MS = 60_000
"""Mean gap between generated commits (a streaming writer committing every minute)."""


@dataclass(frozen=True)
class IcebergHistory:
    """A Hadoop-layout root holding one Iceberg table with ``snapshots`` snapshots."""

    root: Path
    table_dir: Path
    metadata_file: Path
    snapshots: int
    real_snapshots: int
    schemas: int

    @property
    def metadata_bytes(self) -> int:
        """Size of the current metadata file."""
        return self.metadata_file.stat().st_size


def _real_table(root: Path, catalog_dir: Path) -> str:
    """Create the real table below ``root``; returns the path of its latest metadata file."""
    import pyarrow as pa
    from pyiceberg.catalog.sql import SqlCatalog
    from pyiceberg.types import DoubleType

    catalog_dir.mkdir(parents=True, exist_ok=True)
    catalog = SqlCatalog(
        "bench",
        uri=measure.sqlite_url(catalog_dir / "catalog.db"),
        warehouse=f"file://{(catalog_dir / 'warehouse').resolve()}",
    )
    try:
        catalog.create_namespace(NAMESPACE)
        batch = pa.table(
            {
                "event_id": pa.array([1, 2, 3], pa.int64()),
                "kind": pa.array(["click", "view", "click"], pa.string()),
                "at": pa.array([1_700_000_000_000_000] * 3, pa.timestamp("us")),
            }
        )
        table = catalog.create_table(
            f"{NAMESPACE}.{TABLE}",
            schema=batch.schema,
            location=f"file://{(root / TABLE).resolve()}",
        )
        for run in range(2):
            table.append(batch, snapshot_properties={RUN_ID_KEY: f"real-{run}"})
        with table.update_schema() as update:
            update.add_column("score", DoubleType(), doc="added by the benchmark")
        wider = batch.append_column("score", pa.array([0.5, 1.5, 2.5], pa.float64()))
        for run in range(2, 4):
            table.append(wider, snapshot_properties={RUN_ID_KEY: f"real-{run}"})
        location = str(table.metadata_location)
    finally:
        catalog.engine.dispose()
    return location.removeprefix("file://")


def _unique_id(rng: random.Random, taken: set[int]) -> int:
    while True:
        candidate = rng.getrandbits(63)
        if candidate > 0 and candidate not in taken:
            taken.add(candidate)
            return candidate


def _summary(
    template: dict[str, str], index: int, totals: dict[str, int], rng: random.Random
) -> dict[str, str]:
    """The summary of generated commit ``index``: usually an append, now and then an overwrite."""
    files = rng.randint(1, 4)
    records = files * rng.randint(500, 5_000)
    size = records * rng.randint(18, 30)
    summary: dict[str, str]
    if index % 97 == 96 and totals["total-data-files"] > 8:
        # A periodic compaction-like overwrite: a few files replaced by one.
        removed = min(8, totals["total-data-files"] - 1)
        removed_records = min(records * 2, totals["total-records"] - 1)
        removed_size = min(size * 2, totals["total-files-size"] - 1)
        totals["total-data-files"] += files - removed
        totals["total-records"] += records - removed_records
        totals["total-files-size"] += size - removed_size
        summary = {
            "operation": "overwrite",
            "added-files-size": str(size),
            "removed-files-size": str(removed_size),
            "added-data-files": str(files),
            "deleted-data-files": str(removed),
            "added-records": str(records),
            "deleted-records": str(removed_records),
        }
    else:
        totals["total-data-files"] += files
        totals["total-records"] += records
        totals["total-files-size"] += size
        summary = {
            "operation": "append",
            "added-files-size": str(size),
            "added-data-files": str(files),
            "added-records": str(records),
        }
    summary[RUN_ID_KEY] = f"run-{index:06d}"
    for key in template:
        if key.startswith("total-"):
            summary[key] = str(totals.get(key, 0))
    return summary


def extend_history(metadata: dict[str, Any], total: int, seed: int = 7) -> dict[str, Any]:
    """The metadata of the next commit, with ``total`` snapshots (real ones first).

    The real history is moved back in time (every timestamp by the same amount) so that the
    generated history, one commit a minute on average, ends when the real table was written.
    """
    rng = random.Random(seed)
    out: dict[str, Any] = json.loads(json.dumps(metadata))
    real: list[dict[str, Any]] = out["snapshots"]
    if total < len(real):
        raise ValueError(f"the real table already has {len(real)} snapshots (> {total})")
    generated = total - len(real)
    shift = generated * STEP_MS
    for snap in real:
        snap["timestamp-ms"] -= shift
    for entry in out.get("snapshot-log") or []:
        entry["timestamp-ms"] -= shift
    for entry in out.get("metadata-log") or []:
        entry["timestamp-ms"] -= shift
    previous_file = {
        "metadata-file": metadata["metadata-location"] if "metadata-location" in metadata else "",
        "timestamp-ms": int(metadata["last-updated-ms"]) - shift,
    }
    template = real[-1]
    taken = {int(s["snapshot-id"]) for s in real}
    totals = {
        key: int(value) for key, value in template["summary"].items() if key.startswith("total-")
    }
    location = str(out["location"]).rstrip("/")
    parent = int(template["snapshot-id"])
    sequence = int(template.get("sequence-number", 0))
    stamp = int(template["timestamp-ms"])
    log = out.setdefault("snapshot-log", [])
    for index in range(generated):
        snapshot_id = _unique_id(rng, taken)
        sequence += 1
        stamp += STEP_MS + rng.randint(-STEP_MS // 3, STEP_MS // 3)
        attempt_uuid = uuid.UUID(int=rng.getrandbits(128), version=4)
        last = index == generated - 1
        snap = {
            "snapshot-id": snapshot_id,
            "parent-snapshot-id": parent,
            "sequence-number": sequence,
            "timestamp-ms": stamp,
            "manifest-list": template["manifest-list"]
            if last
            else f"{location}/metadata/snap-{snapshot_id}-0-{attempt_uuid}.avro",
            "summary": _summary(template["summary"], index, totals, rng),
            "schema-id": template.get("schema-id", out.get("current-schema-id", 0)),
        }
        real.append(snap)
        log.append({"snapshot-id": snapshot_id, "timestamp-ms": stamp})
        parent = snapshot_id
    head = int(real[-1]["snapshot-id"])
    out["current-snapshot-id"] = head
    out.setdefault("refs", {})["main"] = {"snapshot-id": head, "type": "branch"}
    out["last-sequence-number"] = sequence
    out["last-updated-ms"] = stamp + 7
    if previous_file["metadata-file"]:
        out.setdefault("metadata-log", []).append(previous_file)
    return out


def build(workdir: Path, snapshots: int, seed: int = 7) -> IcebergHistory:
    """Create the real table and write its generated next metadata file below ``workdir``."""
    root = workdir / "iceberg-root"
    catalog_dir = workdir / "iceberg-catalog"
    latest = Path(_real_table(root, catalog_dir))
    shutil.rmtree(catalog_dir)  # the Hadoop-layout root needs no catalog
    metadata = json.loads(latest.read_bytes())
    real_count = len(metadata.get("snapshots") or [])
    metadata["metadata-location"] = f"file://{latest}"
    extended = extend_history(metadata, snapshots, seed)
    extended.pop("metadata-location", None)
    version = int(latest.name.split("-", 1)[0]) + 1
    metadata_dir = latest.parent
    target = metadata_dir / f"v{version}.metadata.json"
    # pyiceberg writes compact JSON: so does the generated commit.
    target.write_text(json.dumps(extended, separators=(",", ":")), encoding="utf-8")
    (metadata_dir / "version-hint.text").write_text(str(version), encoding="utf-8")
    return IcebergHistory(
        root=root,
        table_dir=root / TABLE,
        metadata_file=target,
        snapshots=len(extended["snapshots"]),
        real_snapshots=real_count,
        schemas=len(extended.get("schemas") or []),
    )


def floor(metadata_file: Path) -> int:
    """The json floor: read the metadata file and parse it; returns its snapshot count."""
    parsed = json.loads(metadata_file.read_bytes())
    return len(parsed["snapshots"])


def config(history: IcebergHistory, folder: Path) -> Path:
    """A ``lineage.yaml`` with the history's root as the only source."""
    return measure.write_config(
        folder,
        [{"name": "ice", "format": "iceberg", "root": str(history.root)}],
        measure.sqlite_url(folder / "lineage.db"),
    )


def run(workdir: Path, snapshots: int, repeats: int) -> dict[str, Any]:
    """Build, then time the floor and the initial sync (best of ``repeats`` each)."""
    history, build_seconds = measure.time_call(lambda: build(workdir, snapshots))
    if history.snapshots != snapshots:
        raise RuntimeError(f"generated {history.snapshots} snapshots, wanted {snapshots}")
    cfg = config(history, workdir / "config")
    stores = measure.FreshStores(workdir / "stores", cfg)
    (workdir / "stores").mkdir(parents=True, exist_ok=True)
    timings = measure.interleaved(
        repeats,
        {
            "floor": measure.Case(floor, lambda: history.metadata_file),
            "sync": measure.Case(stores.run, stores.setup, stores.teardown),
        },
    )
    floor_timing, sync_timing = timings["floor"], timings["sync"]
    for report in stores.reports:
        measure.check_report(report, tables=1, new_snapshots=snapshots)
    return {
        "snapshots": snapshots,
        "real_snapshots": history.real_snapshots,
        "schemas": history.schemas,
        "metadata_file_bytes": history.metadata_bytes,
        "build_s": round(build_seconds, 3),
        "floor": floor_timing.as_json(),
        "sync": sync_timing.as_json(),
        "open_store": measure.Timing(tuple(stores.open_seconds)).as_json(),
        "ratio": round(measure.ratio(sync_timing.best, floor_timing.best), 3),
        "new_schema_versions": stores.reports[-1].new_schema_versions,
        "config": str(cfg),
        "metadata_file": str(history.metadata_file),
    }
