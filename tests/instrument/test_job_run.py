"""JobRun emits START then COMPLETE / FAIL / ABORT through the real openlineage-python client."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openlineage.client import OpenLineageClient

from temporal_lineage.errors import LineageError
from temporal_lineage.instrument import (
    PARAMETERS_SCHEMA_URL,
    PRODUCER,
    DatasetRef,
    InstrumentError,
    JobRun,
    ParentRun,
    Symlink,
    event_time,
)
from tests.instrument.conftest import read_events
from tests.instrument.openlineage_spec import checked_facet_schemas, spec_errors

SHA = "3f786850e387550fdab836ed7e6dc881de23001b"
REPO = "https://git.example.com/data/pipelines"


def _versions(datasets: list[dict[str, Any]]) -> dict[tuple[str, str], str | None]:
    return {
        (d["namespace"], d["name"]): d["facets"].get("version", {}).get("datasetVersion")
        for d in datasets
    }


def _assert_valid(events: list[dict[str, Any]]) -> None:
    for event in events:
        assert spec_errors(event) == [], event["eventType"]


def test_start_then_complete_with_every_facet(client: OpenLineageClient, events_file: Path) -> None:
    parent = ParentRun(run_id=str(uuid.uuid4()), namespace="warehouse", job="daily-pipeline")
    nominal = datetime(2026, 1, 5, tzinfo=UTC)
    with JobRun(
        client,
        namespace="warehouse",
        job="build-user-features",
        code_version=SHA,
        source_url=REPO,
        sql="SELECT user_id FROM raw.events",
        parameters={"day": "3"},
        parent=parent,
        nominal_time=nominal,
    ) as run:
        assert [e["eventType"] for e in read_events(events_file)] == ["START"]
        run.read(("lake", "raw.events"), 7)
        run.read(("kafka://broker:9092", "clickstream"))
        run.wrote(("lake", "features.user_features"), 12)
    start, complete = read_events(events_file)
    assert (start["eventType"], complete["eventType"]) == ("START", "COMPLETE")
    assert start["run"]["runId"] == complete["run"]["runId"] == run.run_id
    assert start["eventTime"] == event_time(run.started_at or nominal)
    assert complete["eventTime"] == event_time(run.ended_at or nominal)
    assert start["eventTime"] <= complete["eventTime"]
    assert start["inputs"] == [] and start["outputs"] == []
    assert _versions(complete["inputs"]) == {
        ("lake", "raw.events"): "7",
        ("kafka://broker:9092", "clickstream"): None,
    }
    assert _versions(complete["outputs"]) == {("lake", "features.user_features"): "12"}
    for event in (start, complete):
        assert event["producer"] == PRODUCER
        assert event["job"] == {
            "namespace": "warehouse",
            "name": "build-user-features",
            "facets": event["job"]["facets"],
        }
        location = event["job"]["facets"]["sourceCodeLocation"]
        assert (location["type"], location["url"], location["version"]) == ("git", REPO, SHA)
        assert event["job"]["facets"]["sql"]["query"] == "SELECT user_id FROM raw.events"
        facets = event["run"]["facets"]
        assert facets["parent"]["run"] == {"runId": parent.run_id, "facets": {}}
        assert facets["parent"]["job"]["name"] == "daily-pipeline"
        assert facets["nominalTime"]["nominalStartTime"] == "2026-01-05T00:00:00.000Z"
        assert facets["parameters"] == {
            "_producer": PRODUCER,
            "_schemaURL": PARAMETERS_SCHEMA_URL,
            "day": "3",
        }
        assert "errorMessage" not in facets
        ours = [f for f in facets.values() if f.get("_producer") == PRODUCER]
        assert len(ours) == 3  # the client adds its own "tags" run facet
    assert run.state is not None and run.state.value == "COMPLETE"
    _assert_valid([start, complete])
    assert {"version", "parent", "sourceCodeLocation", "sql", "nominalTime"} <= (
        checked_facet_schemas(complete)
    )


def test_a_raising_block_emits_fail_with_the_message_and_reraises(
    client: OpenLineageClient, events_file: Path
) -> None:
    with pytest.raises(ValueError, match="features not ready"):
        with JobRun(client, namespace="warehouse", job="build-training-set") as run:
            run.read(("lake", "features.user_features"), 5)
            raise ValueError("features not ready")
    start, fail = read_events(events_file)
    assert (start["eventType"], fail["eventType"]) == ("START", "FAIL")
    error = fail["run"]["facets"]["errorMessage"]
    assert error["message"] == "ValueError: features not ready"
    assert error["programmingLanguage"] == "python"
    assert "raise ValueError" in error["stackTrace"]
    assert _versions(fail["inputs"]) == {("lake", "features.user_features"): "5"}
    assert fail["outputs"] == []
    assert run.error == "ValueError: features not ready"
    _assert_valid([start, fail])
    assert "errorMessage" in checked_facet_schemas(fail)


def test_keyboard_interrupt_aborts(client: OpenLineageClient, events_file: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        with JobRun(client, namespace="w", job="j"):
            raise KeyboardInterrupt
    assert [e["eventType"] for e in read_events(events_file)] == ["START", "ABORT"]


def test_declared_datasets_are_in_start_and_versions_in_complete(
    client: OpenLineageClient, events_file: Path
) -> None:
    users = DatasetRef("warehouse", "crm.users", (Symlink("deltas", "deltas.users"),))
    run = JobRun(
        client,
        namespace="w",
        job="j",
        inputs=[users, ("lake", "raw.events")],
        outputs=[("file", "/wh/delta/training_set")],
    )
    run.read(("lake", "features.user_features"), 3)  # before START: listed in START
    with run:
        run.read(("lake", "raw.events"), 9)
        run.read(("warehouse", "crm.users"))  # same dataset, no version: symlinks kept
        run.wrote(("file", "/wh/delta/training_set"), 4)
    start, complete = read_events(events_file)
    assert _versions(start["inputs"]) == {
        ("warehouse", "crm.users"): None,
        ("lake", "raw.events"): None,
        ("lake", "features.user_features"): "3",
    }
    assert _versions(start["outputs"]) == {("file", "/wh/delta/training_set"): None}
    assert _versions(complete["inputs"]) == {
        ("warehouse", "crm.users"): None,
        ("lake", "raw.events"): "9",
        ("lake", "features.user_features"): "3",
    }
    assert _versions(complete["outputs"]) == {("file", "/wh/delta/training_set"): "4"}
    for event in (start, complete):
        (symlinks,) = [
            d["facets"]["symlinks"] for d in event["inputs"] if "symlinks" in d["facets"]
        ]
        assert symlinks["identifiers"] == [
            {"namespace": "deltas", "name": "deltas.users", "type": "TABLE"}
        ]
    assert [r.version for r in run.inputs] == [None, "9", "3"]
    _assert_valid([start, complete])


def test_a_job_that_reports_nothing(client: OpenLineageClient, events_file: Path) -> None:
    with JobRun(
        client, namespace="w", job="sync-users", emit_versions=False, tag_commits=False
    ) as run:
        assert run.commit_properties() == {}
        run.read(("postgres://crm:5432", "crm.public.customers"), 1)
        run.wrote(("file", "/wh/delta/users"), 2)
    for event in read_events(events_file):
        for dataset in event["inputs"] + event["outputs"]:
            assert "version" not in dataset["facets"]
    assert [r.version for r in run.outputs] == ["2"]  # known to the run, not reported


def test_commit_properties_tag_the_run_id(client: OpenLineageClient) -> None:
    run = JobRun(client, namespace="w", job="j")
    assert run.commit_properties() == {"lineage.run-id": run.run_id}
    custom = JobRun(client, namespace="w", job="j", commit_key="spark.app.id")
    assert custom.commit_properties() == {"spark.app.id": custom.run_id}


def test_run_ids_are_fresh_uuid7(client: OpenLineageClient) -> None:
    ids = [JobRun(client, namespace="w", job="j").run_id for _ in range(50)]
    assert len(set(ids)) == 50
    assert all(uuid.UUID(i).version == 7 for i in ids)
    given = "01A20B34-453C-7520-9520-24F659D1DDAD"
    assert JobRun(client, namespace="w", job="j", run_id=given).run_id == given.lower()


def test_parameters_accept_any_name(client: OpenLineageClient, events_file: Path) -> None:
    params = {"start-date": "2026-01-05", "class": "gold", "batch size": "120"}
    with JobRun(client, namespace="w", job="j", parameters=params):
        pass
    for event in read_events(events_file):
        assert event["run"]["facets"]["parameters"] == {
            "_producer": PRODUCER,
            "_schemaURL": PARAMETERS_SCHEMA_URL,
            **params,
        }
        assert spec_errors(event) == []
    with pytest.raises(ValueError, match="must be non-empty"):
        JobRun(client, namespace="w", job="j", parameters={"_producer": "x"})


def test_event_times_come_from_the_clock_in_milliseconds(
    client: OpenLineageClient, events_file: Path
) -> None:
    def ticks() -> Iterator[datetime]:
        moment = datetime(2026, 1, 5, 8, 0, 0, 123987, tzinfo=UTC)
        while True:
            yield moment
            moment += timedelta(seconds=1)

    clock = ticks()
    with JobRun(client, namespace="w", job="j", clock=lambda: next(clock)) as run:
        pass
    assert run.started_at == datetime(2026, 1, 5, 8, 0, 0, 123000, tzinfo=UTC)
    assert [e["eventTime"] for e in read_events(events_file)] == [
        "2026-01-05T08:00:00.123Z",
        "2026-01-05T08:00:01.123Z",
    ]
    with pytest.raises(ValueError, match="timezone-aware"):
        event_time(datetime(2026, 1, 5))


def test_misuse_is_an_instrument_error(client: OpenLineageClient) -> None:
    run = JobRun(client, namespace="w", job="j")
    with pytest.raises(InstrumentError, match="never started"):
        run.complete()
    run.start()
    with pytest.raises(InstrumentError, match="already started"):
        run.start()
    run.complete()
    assert run.ended
    with pytest.raises(InstrumentError, match="already ended"):
        run.wrote(("lake", "x"), 1)
    with pytest.raises(InstrumentError, match="already ended"):
        run.fail("late")
    assert issubclass(InstrumentError, LineageError)
    with pytest.raises(ValueError, match="needs source_url"):
        JobRun(client, namespace="w", job="j", code_version=SHA)
    with pytest.raises(ValueError):
        JobRun(client, namespace="w", job="j", run_id="not-a-uuid")
    with pytest.raises(ValueError, match="namespace and a name"):
        run.read(("", "x"))
    with pytest.raises(ValueError, match="needs the table or the version"):
        JobRun(client, namespace="w", job="j").wrote_delta(dataset=("file", "/x"))


def test_parent_may_be_a_job_run(client: OpenLineageClient, events_file: Path) -> None:
    with JobRun(client, namespace="warehouse", job="daily-pipeline") as dag:
        with JobRun(client, namespace="warehouse", job="ingest-events", parent=dag) as child:
            pass
    events = read_events(events_file)
    assert [(e["job"]["name"], e["eventType"]) for e in events] == [
        ("daily-pipeline", "START"),
        ("ingest-events", "START"),
        ("ingest-events", "COMPLETE"),
        ("daily-pipeline", "COMPLETE"),
    ]
    assert child.parent == dag.as_parent()
    assert events[1]["run"]["facets"]["parent"]["run"]["runId"] == dag.run_id
    assert "parent" not in events[0]["run"]["facets"]
    _assert_valid(events)


def test_the_spec_check_catches_broken_events(client: OpenLineageClient, events_file: Path) -> None:
    with JobRun(client, namespace="w", job="j", source_url=REPO, code_version=SHA) as run:
        run.read(("lake", "raw.events"), 1)
    event = read_events(events_file)[-1]
    assert spec_errors(event) == []
    broken = {**event, "eventTime": "yesterday"}
    assert any("eventTime" in e or "date-time" in e for e in spec_errors(broken))
    bad_version = {
        **event,
        "inputs": [{**event["inputs"][0], "facets": {"version": {"datasetVersion": 1}}}],
    }
    assert spec_errors(bad_version)
    no_url = dict(event["job"]["facets"]["sourceCodeLocation"])
    no_url.pop("url")
    bad_job = {**event, "job": {**event["job"], "facets": {"sourceCodeLocation": no_url}}}
    assert any("url" in e for e in spec_errors(bad_job))


def test_a_block_may_end_the_run_itself(client: OpenLineageClient, events_file: Path) -> None:
    with JobRun(client, namespace="w", job="j") as run:
        run.fail("validation found 3 bad rows")
    assert [e["eventType"] for e in read_events(events_file)] == ["START", "FAIL"]
    message = read_events(events_file)[-1]["run"]["facets"]["errorMessage"]
    assert message["message"] == "validation found 3 bad rows" and "stackTrace" not in message
