"""The warehouse's job runs: timeline ``runs`` agree with the events file and the real tables."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyiceberg.catalog import Catalog

from temporal_lineage.instrument import PRODUCER
from temporal_lineage.model import EvidenceKind
from tests.instrument.openlineage_spec import spec_errors
from warehouse_fixtures.delta_log import commit_info, read_commit
from warehouse_fixtures.event_log import read_events
from warehouse_fixtures.governance_jobs import (
    ERASE_SUBJECT,
    EXPORT_CONTACTS,
    EXPORT_CUSTOMERS,
    HASH_CUSTOMER_EMAILS,
    MARKETING_CONTACTS,
)
from warehouse_fixtures.iceberg_tables import close_catalog, open_catalog
from warehouse_fixtures.jobs import (
    BUILD_TRAINING_SET,
    BUILD_USER_FEATURES,
    COMPACT_TRAINING_SET,
    DAILY_PIPELINE,
    INGEST_EVENTS,
    SYNC_USERS,
)
from warehouse_fixtures.run_records import (
    COMMIT_PROPERTY,
    DATASET_VERSION,
    EVIDENCE_KINDS,
    INFERRED,
    RunDataset,
    RunRecord,
)
from warehouse_fixtures.story import EVENTS, TRAINING_SET, USER_FEATURES, USERS
from warehouse_fixtures.timeline import Timeline, parse_iso_ms

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
RUN_KEYS = {
    "run_id",
    "job",
    "namespace",
    "day",
    "state",
    "started_at",
    "ended_at",
    "code_version",
    "parent_run_id",
    "parameters",
    "sql",
    "error",
    "inputs",
    "outputs",
    "column_lineage",
}
TERMINAL = {"COMPLETE", "FAIL"}


@pytest.fixture(scope="module")
def events(warehouse: Timeline) -> list[dict[str, Any]]:
    return read_events(warehouse.root)


@pytest.fixture(scope="module")
def by_run(events: list[dict[str, Any]]) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    """Each run's events with their line numbers, in file order."""
    found: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for index, event in enumerate(events):
        found.setdefault(event["run"]["runId"], []).append((index, event))
    return found


@pytest.fixture(scope="module")
def catalog(warehouse: Timeline) -> Iterator[Catalog]:
    cat = open_catalog(warehouse.root)
    yield cat
    close_catalog(cat)


def _terminal(by_run: dict[str, list[tuple[int, dict[str, Any]]]], run_id: str) -> dict[str, Any]:
    return by_run[run_id][-1][1]


def _event_versions(event: dict[str, Any], side: str) -> dict[tuple[str, str], str | None]:
    return {
        (d["namespace"], d["name"]): d["facets"].get("version", {}).get("datasetVersion")
        for d in event[side]
    }


def _key(d: RunDataset) -> tuple[str, str]:
    assert d.namespace is not None and d.name is not None
    return (d.namespace, d.name)


def _tag(warehouse: Timeline, catalog: Catalog, table: str, snapshot: int) -> str | None:
    """The lineage.run-id of a commit, read from the real table (not from the timeline)."""
    if table.startswith("lake."):
        snap = catalog.load_table(table.split(".", 1)[1]).metadata.snapshot_by_id(snapshot)
        assert snap is not None and snap.summary is not None
        return snap.summary.additional_properties.get("lineage.run-id")
    path = warehouse.root / "delta" / table.split(".", 1)[1]
    value = commit_info(read_commit(path, snapshot)).get("lineage.run-id")
    return None if value is None else str(value)


def _runs_of(warehouse: Timeline, job: str, state: str | None = "COMPLETE") -> list[RunRecord]:
    return [r for r in warehouse.runs_of(job) if state is None or r.state == state]


# --- shape ---------------------------------------------------------------------------------------


def test_runs_shape(warehouse: Timeline) -> None:
    data = json.loads((warehouse.root / "timeline.json").read_text())
    assert data["events_file"] == "openlineage/events.ndjson"
    for run in data["runs"]:
        assert set(run) == RUN_KEYS
        assert run["state"] in TERMINAL
        assert ISO_MS.match(run["started_at"]) and ISO_MS.match(run["ended_at"])
        assert run["started_at"] <= run["ended_at"]
        assert uuid.UUID(run["run_id"]).version == 7
        assert re.fullmatch(r"[0-9a-f]{40}", run["code_version"])
        for item in run["inputs"] + run["outputs"]:
            assert set(item) == {"table", "snapshot", "evidence", "dataset"}
            assert set(item["dataset"]) == {"namespace", "name"}
            assert (item["table"] is None) == (item["evidence"] is None)
            assert item["evidence"] in (*EVIDENCE_KINDS, None)
    assert set(EVIDENCE_KINDS) <= {k.value for k in EvidenceKind}
    jobs = {r.job for r in warehouse.runs}
    assert jobs == {
        DAILY_PIPELINE.name,
        INGEST_EVENTS.name,
        SYNC_USERS.name,
        BUILD_USER_FEATURES.name,
        BUILD_TRAINING_SET.name,
        COMPACT_TRAINING_SET.name,
        EXPORT_CUSTOMERS.name,
        HASH_CUSTOMER_EMAILS.name,
        EXPORT_CONTACTS.name,
        ERASE_SUBJECT.name,
    }
    starts = [parse_iso_ms(r.started_at or "") for r in warehouse.runs]
    assert starts == sorted(starts)  # listed in start order, each day's parent first


def test_every_evidence_kind_is_used_for_outputs_and_inputs(warehouse: Timeline) -> None:
    outputs = {o.evidence for r in warehouse.runs for o in r.outputs}
    inputs = {i.evidence for r in warehouse.runs for i in r.inputs}
    assert outputs == {COMMIT_PROPERTY, DATASET_VERSION, INFERRED}
    assert inputs == {DATASET_VERSION, INFERRED, None}  # None: datasets outside the warehouse


# --- the events file -----------------------------------------------------------------------------


def test_events_file_holds_valid_events_two_per_run(
    warehouse: Timeline, events: list[dict[str, Any]]
) -> None:
    lines = warehouse.events_path.read_text().splitlines()
    assert len(lines) == len(events) == 2 * len(warehouse.runs)
    for line, event in zip(lines, events, strict=True):
        assert json.loads(line) == event
        assert event["producer"] == PRODUCER
        assert spec_errors(event) == [], event["run"]["runId"]


def test_each_run_starts_then_ends_as_recorded(
    warehouse: Timeline, by_run: dict[str, list[tuple[int, dict[str, Any]]]]
) -> None:
    assert set(by_run) == {r.run_id for r in warehouse.runs}
    for run in warehouse.runs:
        (i_start, start), (i_end, end) = by_run[run.run_id]
        assert i_start < i_end
        assert (start["eventType"], end["eventType"]) == ("START", run.state)
        assert (start["eventTime"], end["eventTime"]) == (run.started_at, run.ended_at)
        for event in (start, end):
            assert (event["job"]["namespace"], event["job"]["name"]) == (run.namespace, run.job)
            job_facets = event["job"]["facets"]
            assert job_facets["sourceCodeLocation"]["version"] == run.code_version
            assert job_facets.get("sql", {}).get("query") == run.sql
            facets = event["run"]["facets"]
            parent = facets.get("parent", {}).get("run", {}).get("runId")
            assert parent == run.parent_run_id
            params = {k: v for k, v in facets["parameters"].items() if not k.startswith("_")}
            assert params == dict(run.parameters) and params["day"] == str(run.day)


def test_daily_parent_runs_enclose_their_children(
    warehouse: Timeline, by_run: dict[str, list[tuple[int, dict[str, Any]]]]
) -> None:
    dags = {r.day: r for r in _runs_of(warehouse, DAILY_PIPELINE.name)}
    assert sorted(dags) == list(range(1, 9))
    for run in warehouse.runs:
        if run.job == DAILY_PIPELINE.name:
            assert run.parent_run_id is None and not run.inputs and not run.outputs
            continue
        dag = dags[run.day]
        assert run.parent_run_id == dag.run_id
        (dag_start, _), (dag_end, _) = by_run[dag.run_id]
        (start, _), (end, _) = by_run[run.run_id]
        assert dag_start < start < end < dag_end
        assert dag.started_at is not None and dag.ended_at is not None
        assert dag.started_at <= (run.started_at or "") <= (run.ended_at or "") <= dag.ended_at
        nominal = _terminal(by_run, run.run_id)["run"]["facets"]["nominalTime"]
        assert nominal == _terminal(by_run, dag.run_id)["run"]["facets"]["nominalTime"]


def test_event_datasets_carry_exactly_the_recorded_versions(
    warehouse: Timeline, by_run: dict[str, list[tuple[int, dict[str, Any]]]]
) -> None:
    for run in warehouse.runs:
        end = _terminal(by_run, run.run_id)
        versions = _event_versions(end, "inputs")
        assert set(versions) == {_key(i) for i in run.inputs}
        for item in run.inputs:
            want = str(item.snapshot) if item.evidence == DATASET_VERSION else None
            assert versions[_key(item)] == want, (run.job, run.day, item)
        out_versions = _event_versions(end, "outputs")
        assert {_key(o) for o in run.outputs} <= set(out_versions)
        for item in run.outputs:
            last = [o.snapshot for o in run.outputs if _key(o) == _key(item)][-1]
            reported = out_versions[_key(item)]
            if item.evidence == DATASET_VERSION:
                assert reported == str(item.snapshot)
            elif item.evidence == INFERRED:
                assert reported is None
            else:
                assert reported in (None, str(last))
        start = by_run[run.run_id][0][1]
        assert all(v is None for v in _event_versions(start, "inputs").values())


def test_output_evidence_matches_the_real_commits(
    warehouse: Timeline, catalog: Catalog, by_run: dict[str, list[tuple[int, dict[str, Any]]]]
) -> None:
    for run in warehouse.runs:
        for item in run.outputs:
            assert item.table is not None and item.snapshot is not None
            snap = warehouse.table(item.table).snapshot(item.snapshot)
            if snap.expired:  # gone from the metadata: the tag as read back at commit time
                tag = snap.run_id
            else:
                tag = _tag(warehouse, catalog, item.table, item.snapshot)
            if item.evidence == COMMIT_PROPERTY:
                assert tag == run.run_id
            else:
                assert tag is None
            assert (snap.produced_by, snap.evidence) == (run.run_id, item.evidence)


def test_inferred_outputs_lie_in_exactly_one_writer_window(warehouse: Timeline) -> None:
    writers: dict[str, set[str]] = {}
    for run in warehouse.runs:
        for written in run.output_tables:
            writers.setdefault(written, set()).add(run.job)
    inferred = 0
    for name, table in warehouse.tables.items():
        for snap in table.snapshots:
            at = parse_iso_ms(snap.committed_at)
            windows = [
                r.run_id
                for r in warehouse.runs
                if r.job in writers.get(name, set())
                and parse_iso_ms(r.started_at or "") <= at <= parse_iso_ms(r.ended_at or "")
            ]
            if snap.evidence == INFERRED:
                inferred += 1
                assert windows == [snap.produced_by], (name, snap.snapshot)
            elif snap.produced_by is None:
                assert windows == [], (name, snap.snapshot)
    # every users commit but the hand-written schema changes and the RESTORE
    assert inferred == len(warehouse.table(USERS).snapshots) - 3


def test_inferred_inputs_are_the_head_at_run_start(warehouse: Timeline) -> None:
    count = 0
    for run in warehouse.runs:
        for item in run.inputs:
            if item.evidence != INFERRED:
                continue
            assert item.table is not None
            start = parse_iso_ms(run.started_at or "")
            heads = [h for h in warehouse.table(item.table).heads if parse_iso_ms(h.start) <= start]
            assert heads and heads[-1].snapshot == item.snapshot
            count += 1
    assert count == 5  # build-training-set v1.x read deltas.users on days 1, 2 (twice), 3, 4


def test_snapshots_outside_runs_are_the_schema_commits(warehouse: Timeline) -> None:
    orphans = {
        (name, s.operation)
        for name, table in warehouse.tables.items()
        for s in table.snapshots
        if s.produced_by is None
    }
    assert orphans == {
        (USERS, "RENAME COLUMN"),
        (USERS, "ADD COLUMNS"),
        (USERS, "RESTORE"),  # an operator's fix of day 7, outside any run
        (TRAINING_SET, "ADD COLUMN"),
        (MARKETING_CONTACTS, "VACUUM START"),  # day 8's maintenance after the erasure
        (MARKETING_CONTACTS, "VACUUM END"),
    }


# --- the jobs ------------------------------------------------------------------------------------


def test_ingest_events_tags_from_its_second_revision(warehouse: Timeline) -> None:
    runs = _runs_of(warehouse, INGEST_EVENTS.name)
    assert [r.day for r in runs] == list(range(1, 8))
    assert [[o.evidence for o in r.outputs] for r in runs] == [[DATASET_VERSION]] + [
        [COMMIT_PROPERTY]
    ] * 6
    assert len({r.code_version for r in runs}) == 2
    for run in runs:
        (source,) = run.inputs
        assert source.table is None and source.namespace == "kafka://events-broker.example.com:9092"
        assert {(o.namespace, o.name) for o in run.outputs} == {("lake", "raw.events")}


def test_sync_users_reports_nothing(
    warehouse: Timeline, by_run: dict[str, list[tuple[int, dict[str, Any]]]]
) -> None:
    runs = _runs_of(warehouse, SYNC_USERS.name)
    assert [r.day for r in runs] == list(range(1, 8))
    users_path = str(warehouse.root / "delta" / "users")
    for run in runs:
        (output,) = run.outputs
        assert (output.namespace, output.name, output.evidence) == ("file", users_path, INFERRED)
        for _, event in by_run[run.run_id]:
            for dataset in event["inputs"] + event["outputs"]:
                assert "version" not in dataset["facets"]
    assert all(s.run_id is None for s in warehouse.table(USERS).snapshots)


def test_features_sql_follows_the_schema_of_the_day(warehouse: Timeline) -> None:
    runs = _runs_of(warehouse, BUILD_USER_FEATURES.name)
    assert [r.day for r in runs] == list(range(1, 7))
    sql = {r.day: r.sql or "" for r in runs}
    assert "AS amount_sum" in sql[1] and "total_amount" not in sql[1]
    for day in range(2, 7):
        assert "AS total_amount" in sql[day] and "amount_sum" not in sql[day]
    assert "avg_amount" not in sql[2] and all("AS avg_amount" in sql[d] for d in range(3, 7))
    assert all("legacy_score" in sql[d] for d in (1, 2, 3))
    assert all("legacy_score" not in sql[d] for d in (4, 5, 6))
    assert "WHERE event_id > 360" in sql[4] and "WHERE event_id > 480" in sql[5]
    assert all(s.startswith("SELECT user_id") and "FROM raw.events" in s for s in sql.values())
    assert len({r.code_version for r in runs}) == 4
    for run in runs:
        (source,) = run.inputs
        assert (source.table, source.evidence) == (EVENTS, DATASET_VERSION)
        assert {o.table for o in run.outputs} == {USER_FEATURES}
        assert {o.evidence for o in run.outputs} == {COMMIT_PROPERTY}


def test_the_failed_training_run(
    warehouse: Timeline, by_run: dict[str, list[tuple[int, dict[str, Any]]]]
) -> None:
    (failed,) = [r for r in warehouse.runs if r.state == "FAIL"]
    assert failed.job == BUILD_TRAINING_SET.name and failed.outputs == ()
    (rename,) = warehouse.events_for(USER_FEATURES, "rename_column")
    assert failed.day == rename.day == 2 and failed.started_at and failed.started_at > rename.at
    assert failed.error is not None
    assert failed.error.startswith("UnresolvedColumn: column f.amount_sum cannot be resolved")
    fail = _terminal(by_run, failed.run_id)
    assert fail["eventType"] == "FAIL"
    assert fail["run"]["facets"]["errorMessage"]["message"] == failed.error
    assert all("version" not in d["facets"] for d in fail["outputs"])
    assert all("columnLineage" not in d["facets"] for d in fail["outputs"])
    assert failed.column_lineage == ()
    assert not any(
        s.produced_by == failed.run_id or s.run_id == failed.run_id
        for t in warehouse.tables.values()
        for s in t.snapshots
    )
    # its code still names the old column; the rerun's fixed code (a new SHA) the new one
    (retry,) = [
        r
        for r in _runs_of(warehouse, BUILD_TRAINING_SET.name)
        if r.day == failed.day and r.started_at and r.started_at > (failed.ended_at or "")
    ]
    runs = _runs_of(warehouse, BUILD_TRAINING_SET.name, state=None)
    previous = runs[runs.index(failed) - 1]
    assert previous.day == 1 and failed.code_version == previous.code_version
    assert retry.code_version != failed.code_version
    assert re.search(r"\bamount_sum\b", failed.sql or "")
    assert not re.search(r"\bamount_sum\b", retry.sql or "")
    assert "f.total_amount" in (retry.sql or "")
    assert (failed.parameters["attempt"], retry.parameters["attempt"]) == ("1", "2")
    assert [i.table for i in retry.inputs] == [i.table for i in failed.inputs]
    assert [o.table for o in retry.outputs] == [TRAINING_SET]


def test_code_change_removes_the_users_input(
    warehouse: Timeline, by_run: dict[str, list[tuple[int, dict[str, Any]]]]
) -> None:
    runs = _runs_of(warehouse, BUILD_TRAINING_SET.name, state=None)
    versions = list(dict.fromkeys(r.code_version for r in runs))
    assert len(versions) == 4  # v1, the v1.1 fix of day 2, v1.2 (day 4), v2 (day 5)
    old = [r for r in runs if r.code_version in versions[:3]]
    new = [r for r in runs if r.code_version == versions[3]]
    assert {r.day for r in old} == {1, 2, 3, 4} and {r.day for r in new} == {5, 6, 7}
    assert all({i.table for i in r.inputs} == {USER_FEATURES, USERS} for r in old)
    assert all({i.table for i in r.inputs} == {USER_FEATURES, EVENTS} for r in new)
    # the edge deltas.users -> training_set ends at the first run of the new code
    last_reader = max(
        (r for r in runs if USERS in {i.table for i in r.inputs}), key=lambda r: r.started_at or ""
    )
    first_new = min(new, key=lambda r: r.started_at or "")
    assert (last_reader.day, first_new.day) == (4, 5)
    assert "crm.users" in (old[0].sql or "") and "crm.users" not in (new[0].sql or "")
    for run in old:
        (users,) = [i for i in run.inputs if i.table == USERS]
        assert users.evidence == INFERRED
        event = _terminal(by_run, run.run_id)
        (named,) = [d for d in event["inputs"] if d["name"] == users.name]
        assert named["namespace"] == users.namespace
        assert named["facets"]["symlinks"]["identifiers"] == [
            {"namespace": "deltas", "name": "deltas.users", "type": "TABLE"}
        ]
        assert "version" not in named["facets"]
    training_path = str(Path(warehouse.root) / "delta" / "training_set")
    for run in runs:
        assert all((o.namespace, o.name) == ("file", training_path) for o in run.outputs)
        assert all(o.evidence == COMMIT_PROPERTY for o in run.outputs)
