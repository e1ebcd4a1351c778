"""JobRun around real pyiceberg and deltalake writes: tags in the commits, versions in events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import CommitProperties, DeltaTable, write_deltalake
from openlineage.client import OpenLineageClient
from pyiceberg.catalog import Catalog
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.schema import Schema
from pyiceberg.table import Table
from pyiceberg.types import LongType, NestedField, StringType

from temporal_lineage.instrument import RUN_ID_PROPERTY, JobRun
from tests.instrument.conftest import read_events
from tests.instrument.openlineage_spec import spec_errors

SCHEMA = Schema(
    NestedField(1, "id", LongType(), required=False),
    NestedField(2, "name", StringType(), required=False),
)
EVENTS = ("lake", "raw.events")
FEATURES = ("lake", "features.f")


def _rows(*ids: int) -> pa.Table:
    return pa.table(
        {"id": pa.array(ids, pa.int64()), "name": pa.array([f"n{i}" for i in ids], pa.string())}
    )


def _versions(event: dict[str, Any], side: str) -> dict[tuple[str, str], str | None]:
    return {
        (d["namespace"], d["name"]): d["facets"].get("version", {}).get("datasetVersion")
        for d in event[side]
    }


def _commit_info(path: Path, version: int) -> dict[str, Any]:
    text = (path / "_delta_log" / f"{version:020d}.json").read_text()
    actions = [json.loads(line) for line in text.splitlines() if line.strip()]
    (info,) = [a["commitInfo"] for a in actions if "commitInfo" in a]
    return dict(info)


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    cat = SqlCatalog("lake", uri=f"sqlite:///{tmp_path}/catalog.db", warehouse=f"file://{tmp_path}")
    cat.create_namespace("raw")
    cat.create_namespace("features")
    yield cat
    cat.engine.dispose()


@pytest.fixture
def events_table(catalog: Catalog) -> Table:
    tbl = catalog.create_table("raw.events", schema=SCHEMA)
    tbl.append(_rows(1, 2, 3))
    return tbl


def test_iceberg_read_and_append(
    catalog: Catalog, events_table: Table, client: OpenLineageClient, events_file: Path
) -> None:
    features = catalog.create_table("features.f", schema=SCHEMA)
    with JobRun(client, namespace="warehouse", job="build-f") as run:
        source = catalog.load_table("raw.events")
        read = run.read_iceberg(source, dataset=EVENTS)
        data = source.scan(snapshot_id=read).to_arrow()
        features.append(data, snapshot_properties=run.commit_properties())
        written = run.wrote_iceberg(features, dataset=FEATURES)
    events_head = events_table.current_snapshot()
    assert events_head is not None and read == events_head.snapshot_id
    fresh = catalog.load_table("features.f").current_snapshot()
    assert fresh is not None and written == fresh.snapshot_id
    assert fresh.summary is not None
    assert fresh.summary.additional_properties[RUN_ID_PROPERTY] == run.run_id
    start, complete = read_events(events_file)
    assert complete["eventType"] == "COMPLETE"
    assert _versions(complete, "inputs") == {EVENTS: str(read)}
    assert _versions(complete, "outputs") == {FEATURES: str(written)}
    assert spec_errors(start) == spec_errors(complete) == []


def test_iceberg_overwrite_tags_both_snapshots_and_reports_the_last(
    catalog: Catalog, events_table: Table, client: OpenLineageClient, events_file: Path
) -> None:
    before = events_table.current_snapshot()
    with JobRun(client, namespace="warehouse", job="rewrite") as run:
        events_table.overwrite(_rows(7, 8), snapshot_properties=run.commit_properties())
        written = run.wrote_iceberg(events_table, dataset=EVENTS)
    snapshots = catalog.load_table("raw.events").metadata.snapshots
    new = [s for s in snapshots if before is None or s.snapshot_id != before.snapshot_id]
    assert [s.summary.operation.value for s in new if s.summary] == ["delete", "append"]
    assert all(
        s.summary is not None and s.summary.additional_properties[RUN_ID_PROPERTY] == run.run_id
        for s in new
    )
    assert written == new[-1].snapshot_id
    assert _versions(read_events(events_file)[-1], "outputs") == {EVENTS: str(written)}


def test_iceberg_pinned_snapshot_and_empty_table(
    catalog: Catalog, events_table: Table, client: OpenLineageClient, events_file: Path
) -> None:
    first = events_table.current_snapshot()
    assert first is not None
    events_table.append(_rows(4))
    empty = catalog.create_table("features.f", schema=SCHEMA)
    with JobRun(client, namespace="w", job="j") as run:
        assert run.read_iceberg(events_table, dataset=EVENTS, snapshot_id=first.snapshot_id) == (
            first.snapshot_id
        )
        assert run.read_iceberg(empty, dataset=FEATURES) is None
    assert _versions(read_events(events_file)[-1], "inputs") == {
        EVENTS: str(first.snapshot_id),
        FEATURES: None,
    }


def test_delta_write_and_read(tmp_path: Path, client: OpenLineageClient, events_file: Path) -> None:
    users = tmp_path / "users"
    training = tmp_path / "training_set"
    write_deltalake(str(users), _rows(1, 2))
    write_deltalake(str(users), _rows(3), mode="append")
    with JobRun(client, namespace="warehouse", job="build-training-set") as run:
        read = run.read_delta(DeltaTable(str(users)), dataset=("file", str(users)))
        write_deltalake(
            str(training),
            _rows(1, 2, 3),
            commit_properties=CommitProperties(custom_metadata=run.commit_properties()),
        )
        written = run.wrote_delta(DeltaTable(str(training)), dataset=("file", str(training)))
    assert (read, written) == (1, 0)
    assert _commit_info(training, 0)[RUN_ID_PROPERTY] == run.run_id
    history = DeltaTable(str(training)).history(1)[0]
    assert history[RUN_ID_PROPERTY] == run.run_id
    complete = read_events(events_file)[-1]
    assert _versions(complete, "inputs") == {("file", str(users)): "1"}
    assert _versions(complete, "outputs") == {("file", str(training)): "0"}
    assert spec_errors(complete) == []


def test_delta_merge_with_an_explicit_version(
    tmp_path: Path, client: OpenLineageClient, events_file: Path
) -> None:
    path = tmp_path / "users"
    write_deltalake(str(path), _rows(1, 2))
    with JobRun(client, namespace="w", job="upsert") as run:
        (
            DeltaTable(str(path))
            .merge(
                _rows(2, 3),
                predicate="t.id = s.id",
                source_alias="s",
                target_alias="t",
                commit_properties=CommitProperties(custom_metadata=run.commit_properties()),
            )
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )
        version = DeltaTable(str(path)).version()
        assert run.wrote_delta(dataset=("file", str(path)), version=version) == 1
    assert _commit_info(path, 1)[RUN_ID_PROPERTY] == run.run_id
    assert _versions(read_events(events_file)[-1], "outputs") == {("file", str(path)): "1"}


def test_untagged_unversioned_writes_leave_no_trace_in_commits_or_events(
    tmp_path: Path, catalog: Catalog, client: OpenLineageClient, events_file: Path
) -> None:
    path = tmp_path / "users"
    tbl = catalog.create_table("raw.events", schema=SCHEMA)
    with JobRun(client, namespace="w", job="sync", emit_versions=False, tag_commits=False) as run:
        write_deltalake(
            str(path),
            _rows(1),
            commit_properties=CommitProperties(custom_metadata=run.commit_properties()),
        )
        run.wrote_delta(DeltaTable(str(path)), dataset=("file", str(path)))
        tbl.append(_rows(1), snapshot_properties=run.commit_properties())
        run.wrote_iceberg(tbl, dataset=EVENTS)
    assert RUN_ID_PROPERTY not in _commit_info(path, 0)
    snapshot = catalog.load_table("raw.events").current_snapshot()
    assert snapshot is not None and snapshot.summary is not None
    assert RUN_ID_PROPERTY not in snapshot.summary.additional_properties
    complete = read_events(events_file)[-1]
    assert _versions(complete, "outputs") == {("file", str(path)): None, EVENTS: None}


def test_a_failing_job_commits_nothing_and_emits_fail(
    catalog: Catalog, events_table: Table, client: OpenLineageClient, events_file: Path
) -> None:
    before = [s.snapshot_id for s in events_table.metadata.snapshots]
    with pytest.raises(KeyError, match="no_such_column"):
        with JobRun(client, namespace="w", job="bad") as run:
            data = events_table.scan().to_arrow()
            run.read_iceberg(events_table, dataset=EVENTS)
            events_table.append(
                data.select(["no_such_column"]), snapshot_properties=run.commit_properties()
            )
    after = [s.snapshot_id for s in catalog.load_table("raw.events").metadata.snapshots]
    assert after == before
    start, fail = read_events(events_file)
    assert (start["eventType"], fail["eventType"]) == ("START", "FAIL")
    assert "no_such_column" in fail["run"]["facets"]["errorMessage"]["message"]
    assert fail["outputs"] == []
    assert spec_errors(fail) == []
