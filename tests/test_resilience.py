"""Never losing history: bad tables, drops, re-creates, expiry, log cleanup, crashes."""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import select

from temporal_lineage.config import Settings, load_settings
from temporal_lineage.model import TableRef
from temporal_lineage.query import history
from temporal_lineage.store import Store, open_store
from temporal_lineage.store import tables as t
from temporal_lineage.sync import sync
from temporal_lineage.times import now
from warehouse_fixtures import build_warehouse

REALWORLD = Path(__file__).resolve().parents[1].parent / "shared" / "realworld"


def write_config(folder: Path, sources: str, store: str = "sqlite:///lineage.db") -> Settings:
    path = folder / "lineage.yaml"
    path.write_text(f"store: {store}\nsources:\n{sources}", encoding="utf-8")
    return load_settings(path)


def sql_catalog(folder: Path, store_url: str = "sqlite:///lineage.db") -> tuple[Any, Settings]:
    """A real pyiceberg SQL catalog in ``folder`` with a namespace ``ns``, and the settings
    of a source ``lake`` over it writing to ``store_url``."""
    from pyiceberg.catalog import load_catalog

    folder.mkdir(parents=True, exist_ok=True)
    props = {"type": "sql", "uri": f"sqlite:///{folder}/cat.db", "warehouse": f"file://{folder}"}
    catalog = load_catalog("lake", **props)
    catalog.create_namespace("ns")
    source = "  - name: lake\n    format: iceberg\n    catalog: " + json.dumps(props) + "\n"
    return catalog, write_config(folder, source, store_url)


def delta_table(path: Path, values: list[int]) -> None:
    from deltalake import write_deltalake

    for value in values:
        write_deltalake(path, pa.table({"a": pa.array([value], pa.int64())}), mode="append")


def test_one_bad_table_never_stops_the_others(tmp_path: Path, store: Store) -> None:
    delta_table(tmp_path / "delta" / "good", [1, 2])
    delta_table(tmp_path / "delta" / "bad", [1, 2])
    bad_commit = tmp_path / "delta" / "bad" / "_delta_log" / "00000000000000000001.json"
    original = bad_commit.read_bytes()
    bad_commit.write_text('{"commitInfo": {"timestamp": 1}}\n{"metaData": nope\n')
    iceberg = tmp_path / "iceberg" / "broken" / "metadata"
    iceberg.mkdir(parents=True)
    (iceberg / "v1.metadata.json").write_text('{"format-version": 2}')
    settings = write_config(
        tmp_path,
        "  - {name: dl, format: delta, root: delta}\n"
        "  - {name: ice, format: iceberg, root: iceberg}\n",
        store.engine.url.render_as_string(hide_password=False),
    )
    report = sync(store, settings)
    errors = {e.table: e.error for e in report.errors}
    assert set(errors) == {"dl.bad", "ice.broken"}
    assert "malformed Delta log" in errors["dl.bad"] and "\n" not in errors["dl.bad"]
    assert "no schema in metadata" in errors["ice.broken"]
    assert [str(i.ref) for i in history.list_tables(store)] == ["dl.good"]  # nothing half-written
    bad_commit.write_bytes(original)
    report = sync(store, settings)
    assert [e.table for e in report.errors] == ["ice.broken"]
    assert {str(i.ref) for i in history.list_tables(store)} == {"dl.good", "dl.bad"}


def test_an_unreachable_source_is_one_error_and_nothing_is_dropped(
    tmp_path: Path, sqlite_store: Store
) -> None:
    delta_table(tmp_path / "delta" / "t", [1])
    settings = write_config(tmp_path, "  - {name: dl, format: delta, root: delta}\n")
    sync(sqlite_store, settings)
    shutil.move(tmp_path / "delta", tmp_path / "elsewhere")
    report = sync(sqlite_store, settings)
    assert [e.table for e in report.errors] == ["dl"] and "root not found" in report.errors[0].error
    head = history.snapshot_as_of(sqlite_store, TableRef("dl", "t"), now())
    assert head is not None  # a missing root is an outage, not a drop of every table


def test_iceberg_drop_and_recreate_keeps_both_incarnations(
    tmp_path: Path, sqlite_store: Store
) -> None:
    catalog, settings = sql_catalog(tmp_path)
    data = pa.table({"a": pa.array([1], pa.int64())})
    catalog.create_table("ns.t", schema=data.schema).append(data)
    sync(sqlite_store, settings)
    ref = TableRef("lake", "ns.t")
    first = history.list_snapshots(sqlite_store, ref)
    catalog.drop_table("ns.t")
    sync(sqlite_store, settings)
    dropped_at = now()
    assert history.snapshot_as_of(sqlite_store, ref, dropped_at) is None
    old = history.snapshot_as_of(sqlite_store, ref, first[0].snapshot.committed_at)
    assert old is not None and old.snapshot.snapshot_id == first[0].snapshot.snapshot_id
    time.sleep(0.01)
    catalog.create_table("ns.t", schema=data.schema).append(data)
    sync(sqlite_store, settings)
    snaps = history.list_snapshots(sqlite_store, ref)
    assert len({s.incarnation for s in snaps}) == 2 and len(snaps) == 2
    current = history.snapshot_as_of(sqlite_store, ref, now())
    assert current is not None and current.incarnation != first[0].incarnation
    assert history.snapshot_as_of(sqlite_store, ref, dropped_at) is None
    schemas = history.schema_history(sqlite_store, ref)
    assert [h.incarnation for h in schemas] == [first[0].incarnation, current.incarnation]


def test_delta_folder_removed_and_written_again_is_a_new_incarnation(
    tmp_path: Path, sqlite_store: Store
) -> None:
    delta_table(tmp_path / "delta" / "t", [1, 2, 3])
    settings = write_config(tmp_path, "  - {name: dl, format: delta, root: delta}\n")
    sync(sqlite_store, settings)
    shutil.rmtree(tmp_path / "delta" / "t")
    sync(sqlite_store, settings)
    delta_table(tmp_path / "delta" / "t", [7, 8, 9, 10, 11])
    report = sync(sqlite_store, settings)
    assert report.new_snapshots == 5
    snaps = history.list_snapshots(sqlite_store, TableRef("dl", "t"))
    assert [s.snapshot.snapshot_id for s in snaps] == [0, 1, 2, 0, 1, 2, 3, 4]
    assert len({s.incarnation for s in snaps}) == 2


def _answers(store: Store, refs: list[TableRef]) -> dict[str, Any]:
    """Everything the store answers about these tables (no transaction times)."""
    out: dict[str, Any] = {}
    for ref in refs:
        snaps = history.list_snapshots(store, ref)
        out[f"{ref}/snapshots"] = sorted(
            (s.snapshot.snapshot_id, s.snapshot.committed_at.isoformat(), s.snapshot.schema_id)
            for s in snaps
        )
        heads = {}
        for s in snaps:
            for instant in (
                s.snapshot.committed_at,
                s.snapshot.committed_at - timedelta(microseconds=1),
            ):
                found = history.snapshot_as_of(store, ref, instant)
                heads[instant.isoformat()] = found.snapshot.snapshot_id if found else None
        out[f"{ref}/heads"] = heads
        out[f"{ref}/schemas"] = [
            (h.schema_id, h.effective_at.isoformat(), [c.kind.value for c in h.changes])
            for h in history.schema_history(store, ref)
        ]
    return out


def test_history_outlives_expiry_and_log_cleanup(tmp_path: Path, store: Store) -> None:
    from deltalake import DeltaTable
    from pyiceberg.catalog import load_catalog

    timeline = build_warehouse(tmp_path / "wh")
    settings = load_settings(timeline.root / "lineage.yaml")
    sync(store, settings)
    refs = [TableRef.from_user_string(name) for name in timeline.tables]
    before = _answers(store, refs)

    # Iceberg forgets every snapshot but the current one.
    catalog = load_catalog("lake", **settings.source("lake").catalog)  # type: ignore[arg-type]
    events = catalog.load_table("raw.events")
    current = events.current_snapshot().snapshot_id
    old = [s.snapshot_id for s in events.metadata.snapshots if s.snapshot_id != current]
    events.maintenance.expire_snapshots().by_ids(old).commit()
    # Delta deletes every commit file before a fresh checkpoint.
    users = DeltaTable(timeline.root / "delta" / "training_set")
    users.alter.set_table_properties({"delta.logRetentionDuration": "interval 0 seconds"})
    users = DeltaTable(timeline.root / "delta" / "training_set")
    users.create_checkpoint()
    time.sleep(0.01)
    users.cleanup_metadata()
    log = sorted(
        p.name for p in (timeline.root / "delta" / "training_set" / "_delta_log").iterdir()
    )
    assert "00000000000000000000.json" not in log

    report = sync(store, settings)
    assert report.errors == []
    after = _answers(store, refs)
    new_version = max(s[0] for s in after["deltas.training_set/snapshots"])
    after["deltas.training_set/snapshots"] = [
        s for s in after["deltas.training_set/snapshots"] if s[0] != new_version
    ]
    for key in before:
        if key == "deltas.training_set/heads":
            assert before[key].items() <= after[key].items()
        else:
            assert after[key] == before[key], key
    marks = {
        s.snapshot.snapshot_id: s.expired_in_source
        for s in history.list_snapshots(store, TableRef("lake", "raw.events"))
    }
    assert {k for k, v in marks.items() if v is not None} == set(old)
    delta_marks = history.list_snapshots(store, TableRef("deltas", "training_set"))
    assert all(
        s.expired_in_source is not None
        for s in delta_marks
        if s.snapshot.snapshot_id < new_version - 1
    )
    # A fresh store that only ever sees the cleaned-up table still reads it (from the checkpoint).
    fresh = open_store(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert sync(fresh, settings).errors == []
        kept = history.list_snapshots(fresh, TableRef("deltas", "training_set"))
        assert [s.snapshot.snapshot_id for s in kept] == [new_version]
        schema = history.schema_as_of(fresh, TableRef("deltas", "training_set"), now())
        assert schema is not None and "weight" in [f.name for f in schema.schema.fields]
    finally:
        fresh.close()


def _dump(url: str) -> dict[str, list[str]]:
    """Every row of the history tables, without surrogate keys and transaction times."""
    store = open_store(url)
    try:
        with store.connect() as conn:

            def rows(table: Any) -> list[Any]:
                return list(conn.execute(select(table)))

            tables = {r.id: r.identifier for r in rows(t.tables)}
            incs = {r.id: (tables[r.table_id], r.uuid) for r in rows(t.incarnations)}
            versions = {
                r.id: (incs[r.incarnation_id], r.schema_id) for r in rows(t.schema_versions)
            }
            facts = {
                "snapshots": [
                    (
                        incs[r.incarnation_id],
                        r.snapshot_id,
                        r.parent_id,
                        r.committed_at,
                        r.schema_id,
                    )
                    for r in rows(t.snapshots)
                ],
                "heads": [(tables[r.table_id], r.snapshot_id, r.started_at) for r in rows(t.heads)],
                "schema_heads": [
                    (tables[r.table_id], versions.get(r.schema_version_pk), r.effective_at)
                    for r in rows(t.schema_heads)
                ],
                "fields": [
                    (versions[r.schema_version_pk], r.position, r.field_id, r.path, r.type)
                    for r in rows(t.schema_fields)
                ],
                "changes": [(r.kind, r.field_id, r.path) for r in rows(t.schema_changes)],
            }
            return {key: sorted(map(repr, values)) for key, values in facts.items()}
    finally:
        store.close()


def _by_table(url: str) -> dict[str, tuple[str | None, list[str]]]:
    """Each stored table's cursor and every history row of it, without surrogate keys and
    transaction times: what a table that is "complete" or "absent" is compared on."""
    store = open_store(url)
    try:
        with store.connect() as conn:

            def rows(table: Any) -> list[Any]:
                return list(conn.execute(select(table)))

            stored, incarnations = rows(t.tables), rows(t.incarnations)
            tables = {r.id: r.identifier for r in stored}
            found: dict[str, list[str]] = {name: [] for name in tables.values()}
            incs = {r.id: r.table_id for r in incarnations}
            versions = {r.id: (r.incarnation_id, r.schema_id) for r in rows(t.schema_versions)}
            heads_of = {r.id: r.table_id for r in rows(t.schema_heads)}
            uuids = {r.id: r.uuid for r in incarnations}

            def add(table_id: int, fact: object) -> None:
                found[tables[table_id]].append(repr(fact))

            for r in incarnations:
                add(r.table_id, ("incarnation", r.uuid))
            for r in rows(t.snapshots):
                add(incs[r.incarnation_id], ("snapshot", r.snapshot_id, r.committed_at))
            for r in rows(t.snapshot_keys):
                add(incs[r.incarnation_id], ("key", r.snapshot_id, r.key, r.value))
            for r in rows(t.heads):
                add(r.table_id, ("head", r.snapshot_id, r.started_at))
            for r in rows(t.schema_heads):
                version = versions.get(r.schema_version_pk)
                add(r.table_id, ("schema_head", version and version[1], r.effective_at))
            for r in rows(t.schema_fields):
                inc, schema_id = versions[r.schema_version_pk]
                add(incs[inc], ("field", uuids[inc], schema_id, r.position, r.path, r.type))
            for r in rows(t.schema_changes):
                add(heads_of[r.schema_head_pk], ("change", r.kind, r.field_id, r.path))
            cursors = {r.identifier: r.cursor for r in stored}
            return {name: (cursors[name], sorted(facts)) for name, facts in found.items()}
    finally:
        store.close()


def _table_count(path: Path) -> int:
    """Tables the store at `path` holds now, read with plain sqlite3 (cheap enough to poll)."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)) as conn:
            return int(conn.execute("SELECT count(*) FROM tables").fetchone()[0])
    except sqlite3.Error:  # not created yet, or killed before the schema existed
        return 0


def _kill_once_it_holds(proc: subprocess.Popen[bytes], path: Path, target: int) -> bool:
    """kill -9 `proc` as soon as the store holds `target` tables; False if it finished first.

    Driven by what the sync has written, not by a guess at its speed: a loaded CI machine
    cannot make every kill land before the first write or after the last one.
    """
    while proc.poll() is None:
        if _table_count(path) >= target:
            proc.kill()
            proc.communicate()
            return True
        time.sleep(0.005)
    return False


@pytest.mark.slow
def test_killing_the_sync_at_random_points_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """kill -9 the sync process mid-way, again and again; then finish: same rows as a clean run.

    Tables are written several to a transaction: after every kill, each table is either
    complete (every row and the cursor of the clean run) or absent (never half-written),
    and the next pass completes the others."""
    for kind in ("iceberg", "delta"):
        shutil.copytree(REALWORLD / kind, tmp_path / kind, copy_function=shutil.copyfile)
    build_warehouse(tmp_path / "wh")
    for index in range(60):  # many small tables: most of a run's time is spent writing
        delta_table(tmp_path / "many" / f"t{index:02d}", [index, index + 1])
    sources = (
        "  - {name: many, format: delta, root: many}\n"
        "  - {name: rwi, format: iceberg, root: iceberg}\n"
        "  - {name: rwd, format: delta, root: delta}\n"
        "  - {name: whd, format: delta, root: wh/delta}\n"
    )
    config = write_config(tmp_path, sources)
    command = [sys.executable, "-m", "temporal_lineage", "sync", "--format", "json"]
    command += ["--config", str(config.config_path)]
    clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
    clean = subprocess.run([*command, "--store", clean_url], capture_output=True, text=True)
    assert clean.returncode == 0, clean.stderr
    total = _table_count(tmp_path / "clean.db")
    complete = _by_table(clean_url)
    seed = int(os.environ.get("CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    partial_states = 0
    for round_ in range(3):
        path = tmp_path / f"crashed-{round_}.db"
        errors = ""
        for attempt in range(12):
            proc = subprocess.Popen(
                [*command, "--store", f"sqlite:///{path}"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            stored = _table_count(path)
            # The last attempt, or one with nothing left to interrupt, is left to finish:
            # the store must converge. Otherwise kill at a random point of what is left.
            if attempt < 11 and stored < total - 1:
                if _kill_once_it_holds(proc, path, rng.randint(stored + 1, total - 1)):
                    partial_states += 0 < _table_count(path) < total
                    for name, facts in _by_table(f"sqlite:///{path}").items():
                        assert facts == complete[name], f"seed {seed}: {name} half-written"
                    continue
            errors = proc.communicate()[1].decode()
            break
        assert proc.returncode == 0, f"seed {seed}: {errors}"
        assert _dump(f"sqlite:///{path}") == _dump(clean_url), f"seed {seed}, round {round_}"
    assert partial_states > 0, f"no kill landed mid-sync (seed {seed}); widen the window"


def test_a_lone_surrogate_in_a_commit_is_stored_replaced_and_reported(
    tmp_path: Path, store: Store
) -> None:
    """Regression: '\\ud800' in a Delta commitInfo killed the whole pass with a traceback.

    The snapshot is a real commit: it is stored with U+FFFD, the report names the table,
    the field and what was replaced, and the other tables of the pass are synced."""
    delta_table(tmp_path / "delta" / "odd", [1, 2])
    delta_table(tmp_path / "delta" / "plain", [1])
    commit = tmp_path / "delta" / "odd" / "_delta_log" / "00000000000000000001.json"
    text = commit.read_text()
    assert '"operation":"WRITE"' in text
    commit.write_text(text.replace('"operation":"WRITE"', '"operation":"WR\\ud800ITE"'))
    settings = write_config(
        tmp_path,
        "  - {name: dl, format: delta, root: delta}\n",
        store.engine.url.render_as_string(hide_password=False),
    )
    report = sync(store, settings)
    assert report.errors == []
    assert [(r.table, r.field, r.detail) for r in report.repairs] == [
        (
            "dl.odd",
            "version 1: commitInfo.operation",
            "not valid Unicode: lone surrogate U+D800 at character 2: replaced by U+FFFD",
        )
    ]
    snaps = history.list_snapshots(store, TableRef("dl", "odd"))
    assert [s.snapshot.operation for s in snaps] == ["WRITE", "WR\ufffdITE"]
    assert snaps[1].snapshot.summary["operation"] == "WR\ufffdITE"
    assert [str(i.ref) for i in history.list_tables(store)] == ["dl.odd", "dl.plain"]


def test_a_nul_in_iceberg_metadata_is_stored_replaced_and_reported(
    tmp_path: Path, store: Store
) -> None:
    """Iceberg metadata is read whole at every change: a NUL (PostgreSQL text cannot hold
    one) in a snapshot summary or a field doc is replaced, never the table refused."""
    source = REALWORLD / "iceberg" / "impala_v2_equality_delete_schema_evolution"
    table = tmp_path / "iceberg" / "t"
    shutil.copytree(source, table)
    latest = sorted((table / "metadata").glob("v*.metadata.json"))[-1]
    latest.chmod(0o644)
    metadata = json.loads(latest.read_text())
    metadata["snapshots"][0]["summary"]["operation"] = "append\x00"
    metadata["schemas"][0]["fields"][0]["doc"] = "a\x00doc"
    latest.write_text(json.dumps(metadata))
    settings = write_config(
        tmp_path,
        "  - {name: ice, format: iceberg, root: iceberg}\n",
        store.engine.url.render_as_string(hide_password=False),
    )
    report = sync(store, settings)
    assert report.errors == []
    fields = sorted(r.field for r in report.repairs)
    assert fields == ["schemas[0].fields[0].doc", "snapshots[0].summary.operation"]
    first = history.list_snapshots(store, TableRef("ice", "t"))[0]
    assert first.snapshot.operation == "append\ufffd"


def test_an_unexpected_error_in_one_table_is_its_error_and_the_pass_goes_on(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last line of defence: an error nobody foresaw while one table is synced is that
    table's one-line error (the traceback at debug level); the others are synced."""
    import temporal_lineage.sync as sync_module

    delta_table(tmp_path / "delta" / "a", [1])
    delta_table(tmp_path / "delta" / "b", [1])
    original = sync_module.apply_table_state

    def apply(conn: Any, source_id: int, state: Any, *args: Any, **kwargs: Any) -> Any:
        if state.ref.identifier == "a":
            raise RuntimeError("unforeseen\nwith a second line")
        return original(conn, source_id, state, *args, **kwargs)

    monkeypatch.setattr(sync_module, "apply_table_state", apply)
    settings = write_config(
        tmp_path,
        "  - {name: dl, format: delta, root: delta}\n",
        store.engine.url.render_as_string(hide_password=False),
    )
    report = sync(store, settings)
    assert [(e.table, e.error) for e in report.errors] == [
        ("dl.a", "dl.a: unexpected error: unforeseen")
    ]
    assert [str(i.ref) for i in history.list_tables(store)] == ["dl.b"]


@pytest.mark.parametrize("failure", ["python", "database"])
def test_a_table_failing_half_way_through_its_write_leaves_nothing_and_spoils_no_batch(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    """Tables are written several to a transaction: one whose write fails after some of
    its rows went in is rolled back alone (its cursor unmoved, so the next pass reads it
    again); the tables before and after it in the same transaction are stored."""
    import temporal_lineage.sync as sync_module

    for name in ("a", "b", "c"):
        delta_table(tmp_path / "delta" / name, [1, 2])
    original = sync_module.apply_table_state
    writes: list[str] = []

    def apply(conn: Any, source_id: int, state: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(conn, source_id, state, *args, **kwargs)  # every row written
        writes.append(state.ref.identifier)
        if state.ref.identifier == "b" and len(writes) < 4:
            if failure == "database":  # PostgreSQL aborts the transaction: the savepoint saves it
                conn.exec_driver_sql("SELECT * FROM no_such_table")
            raise RuntimeError("failed after writing")
        return result

    monkeypatch.setattr(sync_module, "apply_table_state", apply)
    settings = write_config(
        tmp_path,
        "  - {name: dl, format: delta, root: delta}\n",
        store.engine.url.render_as_string(hide_password=False),
    )
    report = sync(store, settings)
    assert [e.table for e in report.errors] == ["dl.b"]
    if failure == "python":
        assert report.errors[0].error == "dl.b: unexpected error: failed after writing"
    else:
        assert "no_such_table" in report.errors[0].error
        assert report.errors[0].error.startswith(f"store {store.url}: ")
    assert [str(i.ref) for i in history.list_tables(store)] == ["dl.a", "dl.c"]
    with store.connect() as conn:
        assert conn.execute(
            select(t.tables.c.identifier).order_by(t.tables.c.id)
        ).scalars().all() == [
            "a",
            "c",
        ]
    again = sync(store, settings)
    assert again.errors == [] and again.new_snapshots == 2
    assert [str(i.ref) for i in history.list_tables(store)] == ["dl.a", "dl.b", "dl.c"]
    assert [s.snapshot.snapshot_id for s in history.list_snapshots(store, TableRef("dl", "b"))] == [
        0,
        1,
    ]
