"""Cost hygiene as of A (known at K) over real Iceberg and Delta tables in tmp_path, on SQLite
and PostgreSQL: unused tables ranked by bytes, redundant jobs, small commits and snapshots
retained past the policy."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from temporal_lineage.config import Settings, load_settings
from temporal_lineage.hygiene_config import HygieneConfig
from temporal_lineage.ingest import ingest_payload
from temporal_lineage.model import TableRef
from temporal_lineage.query.hygiene import Hygiene, hygiene
from temporal_lineage.query.hygiene_shapes import hygiene_json
from temporal_lineage.store import Store
from temporal_lineage.store.access_writes import MetricsReport
from temporal_lineage.sync import sync
from temporal_lineage.times import format_time, now

from .scenario import PRODUCER, SCHEMA_URL, new_run

WINDOW = timedelta(days=30)
CONFIG = HygieneConfig(window=WINDOW, small_commits_min=10, retain=timedelta(days=7))
IDS = pa.schema([pa.field("id", pa.int64()), pa.field("name", pa.string())])


def _rows(count: int, seed: int) -> pa.Table:
    import random

    rng = random.Random(seed)
    return pa.table(
        {
            "id": pa.array([rng.getrandbits(62) for _ in range(count)], pa.int64()),
            "name": pa.array([f"{rng.getrandbits(64):x}" for _ in range(count)]),
        },
        schema=IDS,
    )


def _column_lineage(input_name: str, mapping: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """out field -> (input field, subtype), all DIRECT from ``lake`` / ``input_name``."""
    return {
        "columnLineage": {
            "_producer": PRODUCER,
            "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json",
            "fields": {
                out: {
                    "inputFields": [
                        {
                            "namespace": "lake",
                            "name": input_name,
                            "field": field,
                            "transformations": [{"type": "DIRECT", "subtype": subtype}],
                        }
                    ]
                }
                for out, (field, subtype) in mapping.items()
            },
        }
    }


def _event(
    kind: str,
    run: str,
    job: str,
    at: datetime,
    inputs: list[str] = (),  # type: ignore[assignment]
    outputs: list[tuple[str, str, dict[str, Any]]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    return {
        "eventType": kind,
        "eventTime": format_time(at),
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
        "run": {"runId": run, "facets": {}},
        "job": {"namespace": "hygiene", "name": job, "facets": {}},
        "inputs": [{"namespace": "lake", "name": name, "facets": {}} for name in inputs],
        "outputs": [
            {"namespace": namespace, "name": name, "facets": facets}
            for namespace, name, facets in outputs
        ],
    }


@dataclass
class Lake:
    """The tables, the store synced with them, the events sent, and when."""

    root: Path
    store: Store
    settings: Settings
    as_of: datetime
    known: datetime
    """A time after the first sync and the events, before the scan report and the expiry."""
    delta_bytes: dict[str, int]

    def answer(self, **kwargs: Any) -> Hygiene:
        return hygiene(self.store, as_of=self.as_of, settings=CONFIG, **kwargs)


def _files(path: Path) -> list[str]:
    from deltalake import DeltaTable

    return [str(Path(uri).relative_to(path)) for uri in DeltaTable(path).file_uris()]


@pytest.fixture
def lake(tmp_path: Path, store: Store) -> Lake:
    from deltalake import write_deltalake
    from pyiceberg.catalog.sql import SqlCatalog

    warehouse = tmp_path / "wh"
    warehouse.mkdir()
    catalog = SqlCatalog(
        "lake", uri=f"sqlite:///{tmp_path / 'catalog.db'}", warehouse=warehouse.as_uri()
    )
    catalog.create_namespace("db")
    tables = {}
    for name, commits, rows in [
        ("big_unused", 1, 20_000),
        ("small_unused", 1, 10),
        ("scanned", 1, 10),
        ("read_by_run", 1, 10),
        ("source", 2, 10),
        ("many_small", 12, 1),
        ("retain_me", 3, 5),
    ]:
        table = catalog.create_table(f"db.{name}", schema=IDS)
        for i in range(commits):
            table.append(_rows(rows, hash((name, i)) % 1000))
        tables[name] = table
    delta = tmp_path / "delta"
    delta_bytes = {}
    for name, commits, rows in [("unused_delta", 2, 5_000), ("small_delta", 12, 1)]:
        for i in range(commits):
            write_deltalake(delta / name, _rows(rows, i), mode="append")
        if name == "unused_delta":  # removes the files of both appends
            write_deltalake(delta / name, _rows(3, 99), mode="overwrite")
        delta_bytes[name] = sum((delta / name / f).stat().st_size for f in _files(delta / name))
    config = tmp_path / "lineage.yaml"
    config.write_text(
        "sources:\n"
        "  - name: lake\n"
        "    format: iceberg\n"
        f"    catalog: {{type: sql, uri: {json.dumps('sqlite:///' + str(tmp_path / 'catalog.db'))},"
        f" warehouse: {json.dumps(warehouse.as_uri())}}}\n"
        "  - {name: deltas, format: delta, root: delta}\n"
    )
    settings = load_settings(config)
    assert sync(store, settings).errors == []
    as_of = now() + timedelta(days=10)
    inside, before = now(), as_of - WINDOW - timedelta(hours=1)
    same = {"id": ("id", "IDENTITY"), "name": ("name", "IDENTITY")}
    other = {"id": ("id", "IDENTITY"), "name": ("name", "TRANSFORMATION")}
    events = []
    for job, output, mapping in [
        ("copy_a", "out_a", same),
        ("copy_b", "out_b", same),
        ("similar", "out_c", other),
    ]:
        run = new_run()
        events += [
            _event("START", run, job, inside, inputs=["db.source"]),
            _event(
                "COMPLETE",
                run,
                job,
                inside + timedelta(minutes=1),
                inputs=["db.source"],
                outputs=[("warehouse", output, _column_lineage("db.source", mapping))],
            ),
        ]
    reader_run, old_run = new_run(), new_run()
    events += [
        _event("COMPLETE", reader_run, "report", inside, inputs=["db.read_by_run"]),
        # Read long before the window; what it wrote lands in the window: a downstream.
        _event("START", old_run, "slow", before, inputs=["db.retain_me"]),
        _event("COMPLETE", old_run, "slow", inside, outputs=[("warehouse", "slow_out", {})]),
    ]
    report = ingest_payload(store, "\n".join(json.dumps(e) for e in events), origin="test")
    assert report.rejected == []
    known = now()
    time.sleep(0.01)  # what follows is recorded after K
    store.record_metrics_reports(
        [
            MetricsReport(
                kind="scan",
                namespace="db",
                name="scanned",
                table_name="lake.db.scanned",
                prefix=None,
                snapshot_id=tables["scanned"].current_snapshot().snapshot_id,
            )
        ],
        now(),
    )
    retain = tables["retain_me"]
    oldest = min(retain.metadata.snapshots, key=lambda s: s.timestamp_ms).snapshot_id
    retain.maintenance.expire_snapshots().by_ids([oldest]).commit()
    assert sync(store, settings).errors == []
    return Lake(tmp_path, store, settings, as_of, known, delta_bytes)


def _unused(answer: Hygiene) -> list[str]:
    return [str(u.table) for u in answer.unused]


def test_unused_tables_are_ranked_by_bytes(lake: Lake) -> None:
    answer = lake.answer()
    unused = _unused(answer)
    assert unused.index("lake.db.big_unused") < unused.index("lake.db.small_unused")
    by_table = {str(u.table): u for u in answer.unused}
    big, small = by_table["lake.db.big_unused"], by_table["lake.db.small_unused"]
    assert big.bytes is not None and small.bytes is not None and big.bytes > 10 * small.bytes
    assert big.last_read is None and big.last_write is not None
    sizes = [u.bytes for u in answer.unused]
    known = [s for s in sizes if s is not None]
    assert known == sorted(known, reverse=True) and sizes[: len(known)] == known
    # Delta: the sizes of the files added minus removed (an overwrite removed the first two).
    assert by_table["deltas.unused_delta"].bytes == lake.delta_bytes["unused_delta"]
    assert by_table["deltas.small_delta"].bytes == lake.delta_bytes["small_delta"]


def test_a_read_table_and_a_table_with_a_downstream_are_not_unused(lake: Lake) -> None:
    unused = _unused(lake.answer())
    assert "lake.db.scanned" not in unused  # a scan report
    assert "lake.db.read_by_run" not in unused  # a run input
    assert "lake.db.source" not in unused  # read by three jobs writing other datasets
    assert "lake.db.retain_me" not in unused  # read before the window, written on inside it
    # Outside the window the same table is unused, its last read shown.
    later = hygiene(lake.store, as_of=lake.as_of + WINDOW, settings=CONFIG)
    by_table = {str(u.table): u for u in later.unused}
    assert by_table["lake.db.read_by_run"].last_read is not None


def test_two_redundant_jobs_are_found_and_a_similar_one_is_not(lake: Lake) -> None:
    answer = lake.answer()
    assert [([str(j) for j in r.jobs], r.inputs, r.outputs) for r in answer.redundant] == [
        (
            ["hygiene/copy_a", "hygiene/copy_b"],
            ("lake.db.source",),
            ("warehouse/out_a", "warehouse/out_b"),
        )
    ]


def test_small_commits_of_iceberg_and_delta(lake: Lake) -> None:
    answer = lake.answer()
    found = {str(s.table): s for s in answer.small_commits}
    assert set(found) == {"lake.db.many_small", "deltas.small_delta"}
    assert found["lake.db.many_small"].commits == 12
    assert found["deltas.small_delta"].commits == 12
    assert 0 < found["deltas.small_delta"].median_bytes < 10_000
    strict = hygiene(
        lake.store,
        as_of=lake.as_of,
        settings=HygieneConfig(small_commits_min=13, small_commit_bytes=CONFIG.small_commit_bytes),
    )
    assert strict.small_commits == ()


def test_retained_snapshots_leave_out_the_expired_and_the_head(lake: Lake) -> None:
    answer = lake.answer()
    found = {str(r.table): r for r in answer.retained}
    # retain_me: three snapshots, the oldest expired, the newest the head: one left.
    assert found["lake.db.retain_me"].snapshots == 1
    assert found["lake.db.many_small"].snapshots == 11
    assert "lake.db.big_unused" not in found  # its only snapshot is its head
    assert found["lake.db.retain_me"].max_age == timedelta(days=7)
    young = hygiene(lake.store, as_of=now(), settings=CONFIG)
    assert young.retained == ()


def test_known_at_ignores_later_reads_and_expiry(lake: Lake) -> None:
    then = lake.answer(known_at=lake.known)
    assert "lake.db.scanned" in _unused(then)  # its scan report came after K
    found = {str(r.table): r for r in then.retained}
    assert found["lake.db.retain_me"].snapshots == 2  # the expiry was not known at K
    assert then.known_at == lake.known
    before = lake.answer(known_at=lake.known - timedelta(days=1))
    assert before.unused == () and before.retained == ()


def test_the_json_shape(lake: Lake) -> None:
    document = hygiene_json(lake.answer())
    assert list(document) == [
        "as_of",
        "known_at",
        "window_seconds",
        "unused",
        "redundant",
        "small_commits",
        "retained",
    ]
    assert document["window_seconds"] == WINDOW.total_seconds()
    assert list(document["unused"][0]) == ["table", "bytes", "last_read", "last_write"]
    assert list(document["redundant"][0]) == ["jobs", "inputs", "outputs"]
    assert list(document["small_commits"][0]) == ["table", "commits", "median_bytes"]
    assert list(document["retained"][0]) == ["table", "snapshots", "oldest", "max_age_seconds"]
    assert TableRef.from_user_string(document["unused"][0]["table"]).source in {"lake", "deltas"}
