"""Smoke tests of the benchmark suite (``pytest bench``): the workloads are real and the
syncs do the work the figures claim. No timing is asserted."""

from __future__ import annotations

import json
from pathlib import Path

import delta_history
import iceberg_history
import measure
import noop
import pytest
import run
import summary


def test_generated_iceberg_history_is_a_real_table(tmp_path: Path) -> None:
    from pyiceberg.table import StaticTable

    history = iceberg_history.build(tmp_path, 50)
    assert history.snapshots == 50
    assert (history.table_dir / "metadata" / "version-hint.text").read_text() == (
        history.metadata_file.name[1:].split(".")[0]
    )
    metadata = json.loads(history.metadata_file.read_bytes())
    snaps = metadata["snapshots"]
    ids = [s["snapshot-id"] for s in snaps]
    assert len(set(ids)) == 50 and all(0 < i < 2**63 for i in ids)
    for before, after in zip(snaps, snaps[1:], strict=False):
        assert after["parent-snapshot-id"] == before["snapshot-id"]
        assert after["timestamp-ms"] > before["timestamp-ms"]
        assert after["sequence-number"] == before["sequence-number"] + 1
    assert [e["snapshot-id"] for e in metadata["snapshot-log"]] == ids
    assert metadata["current-snapshot-id"] == metadata["refs"]["main"]["snapshot-id"] == ids[-1]
    assert metadata["last-updated-ms"] >= snaps[-1]["timestamp-ms"]
    assert {"operation", "total-records", "lineage.run-id"} <= set(snaps[-2]["summary"])
    assert iceberg_history.floor(history.metadata_file) == 50

    table = StaticTable.from_metadata(f"file://{history.metadata_file}")
    assert len(table.metadata.snapshots) == 50
    assert table.scan().to_arrow().num_rows == 12  # the real rows, read from real files


def test_iceberg_run_syncs_every_snapshot(tmp_path: Path) -> None:
    result = iceberg_history.run(tmp_path, 40, repeats=1)  # checks the sync report itself
    assert result["snapshots"] == 40
    assert result["new_schema_versions"] == 2
    assert result["ratio"] > 0


def test_delta_run_syncs_every_commit_and_reuses_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = delta_history.run(tmp_path / "a", 6, repeats=1, cache_dir=cache)
    assert first["commits"] == 6 and not first["cached"]
    assert first["new_schema_versions"] == 2  # the merge half-way adds a column
    assert delta_history.floor(Path(first["root"]) / "events" / "_delta_log") >= 6 * 2
    second = delta_history.run(tmp_path / "b", 6, repeats=1, cache_dir=cache)
    assert second["cached"]


def test_noop_run_counts_every_table(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    result = noop.run(work, 2, 1, repeats=1, cli_repeats=1, cache_dir=tmp_path / "cache")
    assert result["tables"] == 4
    assert set(result["per_source"]) == {"dl", "ice", "lake"}
    assert result["cli"]["best_ms"] > 0


@pytest.mark.parametrize("mode", ["rss", "heap"])
def test_memory_child_reports_figures(tmp_path: Path, mode: str) -> None:
    history = iceberg_history.build(tmp_path / "h", 20)
    floor = measure.run_memory_child(["floor-iceberg", str(history.metadata_file), mode])
    assert floor["result"] == 20 and floor["peak_mb"] > 0
    cfg = iceberg_history.config(history, tmp_path / "cfg")
    synced = measure.run_memory_child(["sync", str(cfg), str(tmp_path), mode])
    assert synced["result"] == 20 and synced["mode"] == mode


def test_targets_compare_against_the_issue_limits() -> None:
    results = {
        "iceberg": {"snapshots": 10_000, "ratio": 2.9},
        "delta": {"commits": 1_000, "ratio": 3.1},
        "noop": {"tables": 300, "ms_per_table": 0.5, "cli_ms_per_table": 2.0},
    }
    statuses = {t["name"]: t["status"] for t in summary.targets(results)}
    assert statuses == {
        "iceberg_initial_sync": "PASS",
        "delta_initial_sync": "MISS",
        "noop_sync_call": "PASS",
        "noop_cli_process": "MISS",
    }


# -- synthetic store, lineage queries, ingestion --------------------------------------------


def test_synthetic_plan_keeps_times_consistent() -> None:
    import synthetic_store as synthetic

    plan = synthetic.make_plan(0.05)
    assert len(plan.tables) == 500 and plan.snapshots == 50_000 and plan.runs == 5_000
    assert [t.inputs for t in synthetic.make_plan(0.05).tables] == [t.inputs for t in plan.tables]
    for table in plan.tables:
        assert 1 <= len(table.inputs) <= 4 if table.layer else not table.inputs
        for number in range(synthetic.RUNS_PER_JOB):
            window = plan.window(table, number)
            assert window.start < window.commits[0] and window.commits[-1] <= window.end
            for input_id in table.run_inputs(number):
                source = plan.table(input_id)
                assert source.layer < table.layer
                read = plan.window(source, number).commits[-1]  # the snapshot a run reads
                assert read < window.start
                assert plan.head_index(source, window.start) == plan.input_snapshot_index(number)


def test_synthetic_rows_take_their_columns_from_the_store_tables() -> None:
    from synthetic.layout import Layout, encode

    from temporal_lineage.store import tables

    # Left out: nullable (NULL) and the id (the database's); a scalar default is written.
    runs = Layout.of(tables.sync_runs, ("started_at", "errors", "recorded_at"), "postgresql")
    assert runs.columns == (
        "started_at",
        "errors",
        "recorded_at",
        "tables_checked",
        "snapshots_added",
        "schema_versions_added",
    )
    encoded = encode(
        tables.sync_runs, [{"recorded_at": 0, "errors": [], "started_at": 1}], "sqlite"
    )
    assert encoded is not None and list(encoded.rows) == [(1, "[]", 0, 0, 0, 0)]
    with pytest.raises(ValueError, match="no column nope"):
        Layout.of(tables.sources, ("id", "name", "format", "recorded_at", "nope"), "sqlite")
    with pytest.raises(ValueError, match="sources.format is NOT NULL"):
        Layout.of(tables.sources, ("id", "name", "recorded_at"), "sqlite")


def test_synthetic_store_links_every_snapshot_to_its_run(tmp_path: Path) -> None:
    import sqlite3
    from datetime import timedelta

    import synthetic_store as synthetic

    from temporal_lineage.model import EvidenceKind, TableRef
    from temporal_lineage.query.lineage import lineage
    from temporal_lineage.query.provenance import provenance
    from temporal_lineage.store import open_store

    generated = synthetic.ensure_sqlite(0.002, tmp_path)
    assert not generated.cached and synthetic.ensure_sqlite(0.002, tmp_path).cached
    assert generated.rows["snapshots"] == 20 * synthetic.SNAPSHOTS_PER_TABLE
    with sqlite3.connect(generated.path) as connection:
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    plan = generated.plan
    store = open_store(generated.url)
    try:
        kinds = set()
        for table in plan.tables:
            as_of = plan.window(table, 4).commits[3]  # snapshot 43, made by run 4
            when = synthetic.EPOCH + timedelta(microseconds=as_of)
            ref = TableRef(table.source, table.identifier)
            answer = provenance(store, ref, when)
            root = answer.nodes[0]
            assert root.node.table == ref and root.snapshot is not None
            assert root.snapshot.snapshot.snapshot_id == table.snapshot_id(43)
            assert root.run_id == plan.run_uuid(table, 4), (table, root.evidence)
            kinds.update(e.kind for n in answer.nodes for e in n.evidence)
            graph = lineage(store, ref, when, depth=10)
            read = {e.source.table for e in graph.edges if e.target.table == ref}
            assert read == {
                TableRef(plan.table(i).source, plan.table(i).identifier)
                for i in table.run_inputs(4)
            } or (not table.inputs and read == {None})
        assert {EvidenceKind.COMMIT_PROPERTY, EvidenceKind.DATASET_VERSION} <= kinds
    finally:
        store.close()


def test_lineage_queries_report_latency_and_closure(tmp_path: Path) -> None:
    import lineage_queries

    result = lineage_queries.run(
        0.002, 4, 1, tmp_path / "cache", None, profile="always", out_dir=tmp_path
    )
    figures = result["sqlite"]
    assert figures["pairs"] == 4 and result["tables"] == 20
    for kind in lineage_queries.KINDS:
        assert figures[kind]["p50_ms"] > 0 and figures[kind]["statements_median"] > 0
        profile = figures["profiles"][kind]
        assert profile["statements"] == sum(r["count"] for r in profile["statements_by_caller"])
        assert (tmp_path / f"profile-{kind}-sqlite.txt").is_file()


def test_ingestion_events_are_valid_and_all_stored(tmp_path: Path) -> None:
    import ingestion

    from temporal_lineage.openlineage.parse import parse_payload

    events = ingestion.make_events(400)
    assert len(events) == 400
    assert {e["eventType"] for e in events} == {"START", "COMPLETE"}
    times = [e["eventTime"] for e in events]
    assert times == sorted(times)
    parsed = parse_payload(ingestion.ndjson(events), origin="test")
    assert all(not hasattr(p, "error") for p in parsed)
    assert any(p.sql for p in parsed) and all(p.code_version for p in parsed)
    assert any(o.version for p in parsed for o in p.outputs)
    result = ingestion.run(tmp_path, 400, 1, None, profile="always", out_dir=tmp_path)
    assert result["sqlite"]["events_per_s"] > 0 and result["sqlite_known_tables"]["best_ms"] > 0
    # A batch's events go in as multi-row inserts (250 rows per statement), every statement
    # seen, those sent straight to the driver included.
    assert 0 < result["profile"]["statements_per_event"] < 1
    assert any(s["shape"] == "INSERT events" for s in result["profile"]["by_shape"])


def test_new_targets_compare_against_the_issue_limits() -> None:
    results = {
        "lineage": {
            "tables": 10_000,
            "sqlite": {"lineage": {"p50_ms": 49.0}, "provenance": {"p50_ms": 51.0}},
        },
        "ingestion": {"events": 100_000, "sqlite": {"events_per_s": 2_100.0}},
    }
    statuses = {t["name"]: t["status"] for t in summary.targets(results)}
    assert statuses == {
        "lineage_p50_sqlite": "PASS",
        "provenance_p50_sqlite": "MISS",
        "ingestion_sqlite": "PASS",
    }
    results["ingestion"]["sqlite"]["events_per_s"] = 1_999.0
    assert summary.targets(results)[-1]["status"] == "MISS"


# -- column lineage and impact ----------------------------------------------------------------


def test_synthetic_column_edges_are_what_ingestion_stores(tmp_path: Path) -> None:
    """Ingesting the store's own raw events gives the same column edges (origin facet)."""
    import sqlite3

    import ingestion
    import synthetic_store as synthetic

    from temporal_lineage.ingest import ingest_payload
    from temporal_lineage.store import open_store

    generated = synthetic.ensure_sqlite(0.002, tmp_path / "cache")
    plan = generated.plan
    maker = synthetic.RowMaker(plan)
    events = [
        maker.raw_event(t, run, complete)
        for t in plan.tables
        for run in range(synthetic.RUNS_PER_JOB)
        for complete in (False, True)
    ]
    path = tmp_path / "ingested.db"
    open_store(measure.sqlite_url(path)).close()
    ingestion._register_tables(path, plan)  # the tables known, as a sync would have made them
    store = open_store(measure.sqlite_url(path))
    try:
        report = ingest_payload(store, ingestion.ndjson(events), origin="test")
        assert not report.rejected
    finally:
        store.close()
    columns = (
        "run_id, origin, output_namespace, output_name, output_field, output_table_id, "
        "input_namespace, input_name, input_field, input_table_id, kind, subtype"
    )

    def edges(db: Path, origin: str) -> list[tuple[object, ...]]:
        with sqlite3.connect(db) as connection:
            return connection.execute(
                f"SELECT {columns}, matched_at IS NOT NULL FROM column_edges "
                "WHERE origin = ? ORDER BY run_id, id",
                (origin,),
            ).fetchall()

    made = edges(generated.path, "facet")
    assert made == edges(path, "facet")
    assert len(made) == generated.rows["column_edges"]
    assert {row[4] for row in made} == {*synthetic.COLUMNS, synthetic.DATASET_LEVEL}
    # What the store leaves out (see the module's docstring): the SQL jobs' parsed edges.
    sql_runs = {row[0] for row in edges(path, "sql")}
    assert sql_runs == {
        plan.run_uuid(t, run) for t in plan.tables if t.sql for run in range(synthetic.RUNS_PER_JOB)
    }
    assert edges(generated.path, "sql") == []


def test_impact_queries_report_latency_and_answers(tmp_path: Path) -> None:
    import impact_queries

    result = impact_queries.run(
        0.002, 5, 1, tmp_path / "cache", None, profile="always", out_dir=tmp_path
    )
    figures = result["sqlite"]
    assert figures["picks"] == 5 and result["tables"] == 20
    assert result["column_edges"] > 0
    impact = figures["impact"]
    assert impact["empty_answers"] == 0  # every pick has a downstream consumer
    assert impact["p50_ms"] > 0 and impact["affected_median"] >= 1
    profile = figures["profiles"]["impact"]
    assert profile["statements"] == sum(r["count"] for r in profile["statements_by_caller"])
    assert (tmp_path / "profile-impact-sqlite.txt").is_file()


def test_run_reports_lineage_and_impact_on_one_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "results" / "latest.json"
    argv = ["--skip", "syncs", "--skip", "ingestion", "--no-postgres", "--profile", "never"]
    argv += ["--scale", "0.002", "--pairs", "3", "--picks", "3", "--repeats", "1"]
    argv += ["--calls", "2", "--policy-runs", "1", "--erasure-rows", "800"]
    assert run.main([*argv, "--output", str(output), "--cache-dir", str(tmp_path / "c")]) == 0
    results = json.loads(output.read_text())
    # One synthetic store for every query section (operations shares it too).
    assert results["impact"]["shared_with"] == ["lineage", "governance", "operations"]
    assert results["governance"]["shared_with"] == ["lineage", "impact", "operations"]
    generation = results["lineage"]["sqlite"]["generation"]
    assert results["impact"]["sqlite"]["generation"] == generation
    assert results["governance"]["sqlite"]["generation"] == generation
    statuses = {t["name"] for t in results["targets"]}
    assert {"lineage_p50_sqlite", "impact_p50_sqlite"} <= statuses
    assert {"classification_p50_sqlite", "policy_check_sqlite"} <= statuses
    assert {"erasure_count_iceberg", "erasure_count_delta"} <= statuses
    printed = capsys.readouterr().out
    assert "impact (sqlite)" in printed and "column impact p50" in printed
    assert "classification (sqlite)" in printed and "policy check (sqlite)" in printed
    assert "worst ratio" in printed


def test_impact_target_is_100_ms() -> None:
    results = {
        "impact": {
            "column_edges": 1_034_222,
            "depth": 10,
            "sqlite": {"impact": {"p50_ms": 99.0}},
            "postgresql": {"impact": {"p50_ms": 101.0}},
        }
    }
    statuses = {t["name"]: t["status"] for t in summary.targets(results)}
    assert statuses == {"impact_p50_sqlite": "PASS", "impact_p50_postgresql": "MISS"}


# -- governance and erasure -------------------------------------------------------------------


def test_governance_tags_five_percent_of_the_source_columns() -> None:
    import governance_queries
    import synthetic_store as synthetic

    plan = synthetic.make_plan(0.05)
    sources = governance_queries.source_columns(plan)
    assert sources and all(not table.inputs and table.layer == 0 for table, _ in sources)
    assert len(sources) == len(synthetic.COLUMNS) * sum(1 for t in plan.tables if not t.inputs)
    tagged = governance_queries.tagged_columns(plan)
    assert len(tagged) == round(len(sources) * governance_queries.TAG_SHARE)
    assert set(tagged) <= set(sources) and len(set(tagged)) == len(tagged)
    assert tagged == governance_queries.tagged_columns(synthetic.make_plan(0.05))
    assert len({table.id for table, _ in tagged}) > 1  # spread, not one table's columns
    assert 0.4 < governance_queries.confined_share(plan) < 0.6


def test_governance_queries_report_latency_and_answers(tmp_path: Path) -> None:
    import sqlite3

    import governance_queries
    import synthetic_store as synthetic

    cache = tmp_path / "cache"
    result = governance_queries.run(
        0.002, 3, 1, cache, None, profile="always", out_dir=tmp_path, policy_runs=1
    )
    figures = result["sqlite"]
    assert result["tables"] == 20 and figures["tagging"]["tags"] >= 1
    classification = figures["classification"]
    assert classification["picks"] == 3 and classification["p50_ms"] > 0
    assert classification["tagged_columns_median"] >= 1  # every pick carries the tag
    assert classification["answers_unlike_plan"] == 0
    policy = figures["policy"]
    assert policy["runs"] == 1 and policy["p50_s"] > 0
    assert policy["matches_plan"] and policy["violations"]["pii-owned"] >= 1
    for kind in ("classification", "policy"):
        profile = figures["profiles"][kind]
        assert profile["statements"] == sum(r["count"] for r in profile["statements_by_caller"])
        assert (tmp_path / f"profile-{kind}-sqlite.txt").is_file()
    path = synthetic.ensure_sqlite(0.002, cache).path
    assert path is not None
    with sqlite3.connect(path) as connection:  # the tags went into a copy, not the cache
        assert connection.execute("SELECT count(*) FROM tag_facts").fetchone() == (0,)


def test_erasure_probe_counts_what_the_libraries_count(tmp_path: Path) -> None:
    import erasure_probe

    result = erasure_probe.measure(tmp_path, rows=2_000, files=4, repeats=1)
    for fmt in ("iceberg", "delta"):
        figures = result[fmt]["predicates"]
        assert list(figures) == list(erasure_probe.PREDICATES)
        # pinned before the last append: customers 0-1499
        assert [f["rows_matched"] for f in figures.values()] == [0, 0, 400]
        assert all(f["ratio"] > 0 for f in figures.values())
    assert result["ok"] == (result["worst_ratio"] <= erasure_probe.TARGET_RATIO)
    assert "worst ratio" in erasure_probe.summary(result)


def test_governance_and_erasure_targets() -> None:
    results = {
        "governance": {
            "tables": 10_000,
            "sqlite": {
                "tagging": {"tags": 500},
                "classification": {"p50_ms": 99.0},
                "policy": {"p50_s": 31.0},
            },
            "postgresql": {
                "tagging": {"tags": 500},
                "classification": {"p50_ms": 101.0},
                "policy": {"p50_s": 29.0},
            },
        },
        "erasure": {
            "rows": 200_000,
            "iceberg": {"predicates": {"a": {"ratio": 1.1}, "b": {"ratio": 1.19}}},
            "delta": {"predicates": {"a": {"ratio": 0.9}, "b": {"ratio": 1.21}}},
        },
    }
    statuses = {t["name"]: t["status"] for t in summary.targets(results)}
    assert statuses == {
        "classification_p50_sqlite": "PASS",
        "policy_check_sqlite": "MISS",
        "classification_p50_postgresql": "MISS",
        "policy_check_postgresql": "PASS",
        "erasure_count_iceberg": "PASS",
        "erasure_count_delta": "MISS",
    }


def test_operations_and_access_targets() -> None:
    results = {
        "operations": {
            "sqlite": {
                "quality": {"picks": 20, "p50_ms": 99.0},
                "triage": {"picks": 20, "p50_ms": 101.0},
            },
            "postgresql": {
                "quality": {"picks": 20, "p50_ms": 120.0},
                "triage": {"picks": 20, "p50_ms": 50.0},
            },
        },
        "access": {
            "records": 1_000_000,
            "tables": 1_000,
            "sqlite": {
                "access": {"history": {"p50_ms": 58.0}},
                "ingestion": {"batch_reports_per_s": 1_999.0},
            },
        },
    }
    statuses = {t["name"]: t["status"] for t in summary.targets(results)}
    assert statuses == {
        "quality_p50_sqlite": "PASS",
        "triage_p50_sqlite": "MISS",
        "quality_p50_postgresql": "MISS",
        "triage_p50_postgresql": "PASS",
        "access_p50_sqlite": "PASS",
        "scan_report_ingestion_sqlite": "MISS",
    }


def test_scale_warehouse_clones_are_real_tables(tmp_path: Path) -> None:
    import scale
    from deltalake import DeltaTable
    from pyiceberg.catalog.sql import SqlCatalog

    house = scale.warehouse(tmp_path / "cache", 20)
    assert house.built_now and (house.iceberg_tables, house.delta_tables) == (14, 6)
    assert house.snapshots == sum(scale.snapshots_of(i) for i in range(20)) == 60
    again = scale.warehouse(tmp_path / "cache", 20)
    assert not again.built_now
    catalog = SqlCatalog(scale.LAKE, uri=house.catalog_uri, warehouse=house.warehouse_uri)
    try:
        uuids = set()
        for index, namespace, name in house.iceberg_entries():
            table = catalog.load_table(f"{namespace}.{name}")
            snaps = scale.snapshots_of(index)
            assert table.scan().to_arrow().num_rows == 2 * snaps  # every manifest rewritten
            assert table.metadata.location == house.iceberg_location(namespace, name)
            uuids.add(table.metadata.table_uuid)
        assert len(uuids) == house.iceberg_tables
    finally:
        catalog.engine.dispose()
    ids = set()
    for index, folder in house.delta_entries():
        delta = DeltaTable(str(folder))
        assert delta.version() == scale.snapshots_of(index) - 1
        assert delta.to_pyarrow_table().num_rows == 2 * scale.snapshots_of(index)
        ids.add(delta.metadata().id)
    assert len(ids) == house.delta_tables


def test_child_peak_is_the_childs_own_not_the_parents() -> None:
    """``wait4``'s ``ru_maxrss`` reports the parent's peak for a small child; ``ChildPeak``
    reports what the child's own program used."""
    import os
    import subprocess
    import sys

    ballast = bytearray(200 * 2**20)
    ballast[::4096] = b"1" * len(ballast[::4096])  # resident, not just reserved
    script = "import time; x = bytearray(40 * 2**20); x[::4096] = b'1' * len(x[::4096]); "
    script += "time.sleep(0.3)"
    child = subprocess.Popen([sys.executable, "-c", script])
    peak = measure.ChildPeak(child.pid)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    own = peak.stop(fallback_kb=usage.ru_maxrss)
    assert usage.ru_maxrss / 1024 > 200  # the parent's, carried over fork and exec
    assert 40 < own < 150
    del ballast


def test_scale_run_syncs_every_table_once_per_pass(tmp_path: Path) -> None:
    import scale
    import synthetic_store
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError

    server = synthetic_store.default_pg_url()
    engine = create_engine(server)
    try:
        engine.connect().close()
        pg_url: str | None = server
    except OperationalError:
        pg_url = None  # SQLite only without a server
    finally:
        engine.dispose()
    result = scale.run(
        tmp_path / "work",
        tmp_path / "cache",
        20,
        pg_url,
        (1, 2),
        log=lambda _: None,
        repeats=1,
        rounds=1,
    )
    stores = ["sqlite"] + (["postgresql"] if pg_url else [])
    for label in stores:
        figures = result[label]
        assert figures["snapshots"] == 60
        assert figures["bytes_per_snapshot"] > 0 and figures["initial_peak_rss_mb"] > 0
    assert [t["name"] for t in scale.targets(result)] == [f"scale_noop_10k_{s}" for s in stores]
    if pg_url:
        passes = result["scale_out"]["passes"]
        assert set(passes) == {"1", "2"}
        for entry in passes.values():
            assert entry["every_table_once"]
            assert entry["best"]["initial"]["tables_checked"] == 20
            assert entry["best"]["noop"]["snapshots_added"] == 0


# -- no-op polls (issue 14) ------------------------------------------------------------------


def test_noop_issue_figure_counts_every_table(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    issue = noop.issue_figure(tmp_path / "issue", 1, 1, cache, catalog_tables=2)
    assert issue["tables"] == 3 and issue["cli"]["best_ms"] > 0
    rows = {r["name"]: r for r in noop.targets({"issue": issue})}
    assert set(rows) == {"noop_issue_cli_net", "noop_issue_in_process"}
    assert rows["noop_issue_cli_net"]["target"] == noop.TARGET_ISSUE_NET_S
    assert noop.targets({}) == []


def test_warehouse_sync_syncs_every_table_and_reports_targets(tmp_path: Path) -> None:
    import warehouse_sync

    cache = tmp_path / "cache"
    result = warehouse_sync.run(
        tmp_path / "work",
        1,
        cache,
        small_tables=3,
        snapshots=30,
        commits=4,
        synchronous=("OFF",),
    )  # run() checks every sync report itself (tables, snapshots, no errors)
    assert result["tables"] == 5 and result["snapshots"] == 3 * 3 + 30 + 4
    assert result["metadata_files"] > 4 and not result["cached"]
    assert result["cli"]["best_ms"] > 0 and "OFF" in result["synchronous"]
    names = {row["name"] for row in warehouse_sync.targets(result)}
    assert names == {"warehouse_sync_in_process", "warehouse_sync_cli", "big_table_sync"}
    again = warehouse_sync.ensure(cache, small_tables=3, snapshots=30, commits=4)
    assert not again.built_now


def test_http_service_measures_every_target(tmp_path: Path) -> None:
    import http_service

    result = http_service.run(tmp_path, events=60, scale=0.002, pairs=3, rounds=1)
    one = result["ingestion"]["one_sender"]
    assert one["client_ms_per_event"] > 0 and one["raw_ms_per_event"] > 0
    concurrent = result["ingestion"]["concurrent"]["sqlite"]
    assert concurrent["workers"] == 2
    # The CPU the senders and serve spent, from /proc (the database's only on PostgreSQL).
    assert set(concurrent["cpu_ms_per_event"]) == {"senders", "serve"}
    assert all(ms > 0 for ms in concurrent["cpu_ms_per_event"].values())
    assert result["readers"]["workers_p50_ratio"] > 0
    names = {row["name"] for row in http_service.targets(result)}
    assert names == {
        "http_one_sender",
        "http_one_sender_raw",
        "http_8_senders_sqlite",
        "http_readers_p50_ratio",
    }
    assert http_service.targets({}) == []
    assert any("8 readers" in line for line in http_service.report_lines(result))
    assert any("cores allow at most" in line for line in http_service.report_lines(result))


def test_startup_times_help_and_tables_against_the_baseline(tmp_path: Path) -> None:
    import startup

    cache = tmp_path / "cache"
    result = startup.run(tmp_path / "work", 1, cache, tables=3)
    assert result["tables"] == 3 and not result["cached"]
    assert result["help_ratio"] > 0 and result["tables_ratio"] > 0
    assert set(result["imports"]) == {"baseline", "help", "tables"}
    assert result["imports"]["tables"]["top_cumulative_ms"]
    rows = {row["name"]: row for row in startup.targets(result)}
    assert rows["startup_help"]["target"] == startup.TARGET_HELP
    assert rows["startup_tables"]["target"] == startup.TARGET_TABLES
    assert startup.targets({}) == []
    assert not startup.ensure(cache, 3).built_now
