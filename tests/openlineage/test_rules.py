"""Validation rules one by one, the Iceberg report facets, engine ids and run parameters."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from temporal_lineage.openlineage import (
    DatasetName,
    FieldError,
    InvalidEvent,
    ParsedEvent,
    RejectedEvent,
    engine_ids,
    parse_event,
    parse_payload,
)

from .corpus import spec_errors

RUN_ID = "0192963f-f6f8-71c0-8380-500bc70883ee"


def _base(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventTime": "2024-10-16T16:53:51.761Z",
        "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.23.0/integration/spark",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "eventType": "COMPLETE",
        "run": {"runId": RUN_ID, "facets": {}},
        "job": {"namespace": "default", "name": "etl"},
        "inputs": [],
        "outputs": [],
    }
    event.update(changes)
    return event


def _reason(event: Any) -> str:
    (rejected,) = parse_payload(json.dumps(event), origin="t.json")
    assert isinstance(rejected, RejectedEvent), rejected
    return rejected.error.removeprefix("event 0: ")


def _facet(**fields: Any) -> dict[str, Any]:
    return {"_producer": "https://x.io/p", "_schemaURL": "https://x.io/s", **fields}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-10-16T16:53:51.761Z", datetime(2024, 10, 16, 16, 53, 51, 761000, tzinfo=UTC)),
        ("2024-10-16T18:53:51+02:00", datetime(2024, 10, 16, 16, 53, 51, tzinfo=UTC)),
        ("2024-10-16T16:53:51", datetime(2024, 10, 16, 16, 53, 51, tzinfo=UTC)),
        ("2024-10-16T16:53:51.123456789Z", datetime(2024, 10, 16, 16, 53, 51, 123456, tzinfo=UTC)),
    ],
)
def test_event_time_is_aware_utc_and_naive_means_utc(text: str, expected: datetime) -> None:
    event = parse_event(_base(eventTime=text))
    assert event.event_time == expected
    assert event.event_time.utcoffset() is not None


@pytest.mark.parametrize("text", ["2024-10-16", "yesterday", "", "2024-13-01T00:00:00Z"])
def test_event_time_must_be_a_date_time(text: str) -> None:
    assert _reason(_base(eventTime=text)) == f"eventTime: not an ISO-8601 date-time: {text!r}"


@pytest.mark.parametrize(
    "run_id",
    [RUN_ID.upper(), "{" + RUN_ID + "}", "urn:uuid:" + RUN_ID, RUN_ID.replace("-", "")],
)
def test_run_id_is_normalised_to_lowercase_canonical(run_id: str) -> None:
    assert parse_event(_base(run={"runId": run_id})).run_id == RUN_ID


@pytest.mark.parametrize("run_id", ["abc", RUN_ID[:-1], RUN_ID + "0", "0192963f-f6f871c0-8380"])
def test_run_id_must_be_a_uuid(run_id: str) -> None:
    assert _reason(_base(run={"runId": run_id})) == f"run.runId: not a UUID: {run_id!r}"


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ({}, "eventTime: missing"),
        (_base(eventTime=None), "eventTime: not allowed: null"),
        (_base(producer="spark"), "producer: not a URI: 'spark'"),
        (_base(producer=["https://x"]), "producer: not a string: array"),
        (_base(schemaURL=3), "schemaURL: not a string: 3"),
        (
            _base(eventType="DONE"),
            "eventType: not one of START, RUNNING, COMPLETE, ABORT, FAIL, OTHER: 'DONE'",
        ),
        (
            _base(eventType="complete"),
            "eventType: not one of START, RUNNING, COMPLETE, ABORT, FAIL, OTHER: 'complete'",
        ),
        (_base(run=[]), "run: not an object: array"),
        (_base(run={}), "run.runId: missing"),
        (_base(job=None), "job: not allowed: null"),
        ({k: v for k, v in _base().items() if k != "job"}, "job: missing"),
        (_base(job={"namespace": "n"}), "job.name: missing"),
        (_base(job={"namespace": " ", "name": "x"}), "job.namespace: empty: ' '"),
        (_base(inputs={}), "inputs: not an array: object"),
        (_base(outputs=[{"namespace": "file", "name": ""}]), "outputs[0].name: empty: ''"),
        (_base(inputs=[{"name": "t"}]), "inputs[0].namespace: missing"),
        (_base(inputs=["t"]), "inputs[0]: not an object: 't'"),
        (_base(run={"runId": RUN_ID, "facets": []}), "run.facets: not an object: array"),
        (_base(run={"runId": RUN_ID, "facets": {"x": 1}}), "run.facets.x: not an object: 1"),
        (
            _base(job={"namespace": "n", "name": "j", "facets": {"sql": "q"}}),
            "job.facets.sql: not an object: 'q'",
        ),
        (
            _base(outputs=[{"namespace": "f", "name": "t", "outputFacets": {"s": True}}]),
            "outputs[0].outputFacets.s: not an object: true",
        ),
        (
            {k: v for k, v in _base().items() if k not in ("run", "job")},
            "job: missing (no run, job or dataset: not an OpenLineage event)",
        ),
    ],
)
def test_invalid_event_is_rejected_with_the_field(event: dict[str, Any], reason: str) -> None:
    assert _reason(event) == reason


def test_rejected_events_also_break_the_spec_schema() -> None:
    for event in (_base(run={}), _base(job={"namespace": "n"}), _base(eventType="DONE")):
        assert spec_errors(event)
        assert spec_errors(_base()) == []


def test_optional_null_counts_as_absent() -> None:
    event = parse_event(_base(eventType=None, inputs=None, run={"runId": RUN_ID, "facets": None}))
    assert (event.event_type, event.inputs) == (None, ())
    nulled = _base(run={"runId": RUN_ID, "facets": {"parent": None}})
    assert parse_event(nulled).parent_run_id is None


def test_job_event_and_dataset_event() -> None:
    job_event = {k: v for k, v in _base().items() if k != "run"}
    job_event["schemaURL"] = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent"
    assert spec_errors(job_event) == []
    parsed = parse_event(job_event)
    assert (parsed.kind, parsed.run_id, parsed.event_type) == ("job", None, None)
    assert parsed.job == DatasetName("default", "etl")
    dataset_event = {
        "eventTime": "2024-10-16T16:53:51Z",
        "producer": "https://x.io/p",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
        "dataset": {
            "namespace": "file",
            "name": "/tmp/t",
            "facets": {"lifecycleStateChange": _facet(lifecycleStateChange="DROP")},
        },
    }
    assert spec_errors(dataset_event) == []
    parsed = parse_event(dataset_event)
    assert (parsed.kind, parsed.job, parsed.inputs) == ("dataset", None, ())
    assert parsed.dataset is not None and parsed.dataset.lifecycle_state == "DROP"
    assert _reason({**dataset_event, "dataset": {"namespace": "f"}}) == "dataset.name: missing"
    both = {**dataset_event, "job": {"namespace": "n", "name": "j"}}
    assert spec_errors(both)
    assert _reason(both) == "dataset: not allowed in a JobEvent (an event with job, no run)"


def test_iceberg_commit_and_scan_reports_give_snapshot_ids() -> None:
    snapshot, scanned = 3051729675574597004, 7_600_000_000_000_000_001
    event = _base(
        inputs=[
            {
                "namespace": "file",
                "name": "/wh/db/src",
                "inputFacets": {
                    "icebergScanReport": _facet(snapshotId=scanned, filterDescription="true")
                },
            }
        ],
        outputs=[
            {
                "namespace": "file",
                "name": "/wh/db/dst",
                "facets": {"version": _facet(datasetVersion=str(snapshot))},
                "outputFacets": {
                    "icebergCommitReport": _facet(
                        snapshotId=snapshot, sequenceNumber=4, operation="append"
                    )
                },
            }
        ],
    )
    parsed = parse_event(event)
    (read,), (written,) = parsed.inputs, parsed.outputs
    assert (read.snapshot_id, read.version) == (scanned, None)
    assert (written.snapshot_id, written.version) == (snapshot, str(snapshot))
    assert written.facets["icebergCommitReport"]["operation"] == "append"
    swapped = _base(
        outputs=[
            {
                "namespace": "f",
                "name": "t",
                "outputFacets": {"icebergScanReport": _facet(snapshotId=1)},
            }
        ]
    )
    assert parse_event(swapped).outputs[0].snapshot_id is None  # a scan report names no write
    assert (
        parse_event(
            _base(
                outputs=[
                    {
                        "namespace": "f",
                        "name": "t",
                        "outputFacets": {"icebergCommitReport": _facet(snapshotId="42")},
                    }
                ]
            )
        )
        .outputs[0]
        .snapshot_id
        == 42
    )
    bad = _base(
        outputs=[
            {
                "namespace": "f",
                "name": "t",
                "outputFacets": {"icebergCommitReport": _facet(snapshotId=1.5)},
            }
        ]
    )
    assert (
        _reason(bad)
        == "outputs[0].outputFacets.icebergCommitReport.snapshotId: not an integer: 1.5"
    )


def test_version_facet_values() -> None:
    def version(facet: dict[str, Any]) -> str | None:
        event = _base(outputs=[{"namespace": "f", "name": "t", "facets": {"version": facet}}])
        return parse_event(event).outputs[0].version

    assert version(_facet(datasetVersion="2")) == "2"
    assert version(_facet(datasetVersion="")) is None
    assert version({}) is None
    assert version(_facet(datasetVersion=3)) == "3"
    event = _base(
        outputs=[{"namespace": "f", "name": "t", "facets": {"version": {"datasetVersion": ["2"]}}}]
    )
    assert _reason(event) == "outputs[0].facets.version.datasetVersion: not a string: array"


def test_io_facets_win_over_dataset_facets_of_the_same_name() -> None:
    event = _base(
        inputs=[
            {
                "namespace": "f",
                "name": "t",
                "facets": {"version": _facet(datasetVersion="1")},
                "inputFacets": {"version": _facet(datasetVersion="2")},
            }
        ]
    )
    assert parse_event(event).inputs[0].version == "2"


def test_lifecycle_rename_keeps_the_previous_name() -> None:
    facet = _facet(
        lifecycleStateChange="RENAME", previousIdentifier={"namespace": "file", "name": "/old"}
    )
    event = _base(
        outputs=[{"namespace": "file", "name": "/new", "facets": {"lifecycleStateChange": facet}}]
    )
    (out,) = parse_event(event).outputs
    assert (out.lifecycle_state, out.previous_name) == ("RENAME", DatasetName("file", "/old"))


def test_nested_schema_fields() -> None:
    schema = _facet(
        fields=[
            {
                "name": "s",
                "type": "struct",
                "fields": [{"name": "x", "type": "int", "description": "d"}],
            }
        ]
    )
    event = _base(outputs=[{"namespace": "f", "name": "t", "facets": {"schema": schema}}])
    ((field,),) = [parse_event(event).outputs[0].schema or ()]
    assert (field.name, field.type, field.fields[0].name, field.fields[0].description) == (
        "s",
        "struct",
        "x",
        "d",
    )
    bad = _facet(fields=[{"name": "s", "fields": [{"type": "int"}]}])
    event = _base(outputs=[{"namespace": "f", "name": "t", "facets": {"schema": bad}}])
    assert _reason(event) == "outputs[0].facets.schema.fields[0].fields[0].name: missing"


def test_dataset_level_column_lineage_is_field_star() -> None:
    lineage = _facet(
        fields={},
        dataset=[
            {
                "namespace": "f",
                "name": "src",
                "field": "id",
                "transformations": [{"type": "INDIRECT", "subtype": "FILTER"}],
            }
        ],
    )
    event = _base(outputs=[{"namespace": "f", "name": "t", "facets": {"columnLineage": lineage}}])
    (entry,) = parse_event(event).outputs[0].column_lineage
    assert entry.field == "*"
    assert [(i.name, i.field, i.transformations[0].subtype) for i in entry.inputs] == [
        ("src", "id", "FILTER")
    ]
    lineage["dataset"][0]["transformations"] = [{"subtype": "FILTER"}]
    assert _reason(event) == (
        "outputs[0].facets.columnLineage.dataset[0].transformations[0].type: missing"
    )


def test_parent_root_nominal_time_source_code_and_sql() -> None:
    root_id = "01936893-9751-7a91-a2a0-a51101a3970c"
    event = _base(
        run={
            "runId": RUN_ID,
            "facets": {
                "parent": _facet(
                    run={"runId": RUN_ID.upper().replace("F6F8", "AAAA")},
                    job={"namespace": "airflow", "name": "dag.task"},
                    root={
                        "run": {"runId": root_id},
                        "job": {"namespace": "airflow", "name": "dag"},
                    },
                ),
                "nominalTime": _facet(nominalStartTime="2024-01-01T00:00:00+01:00"),
            },
        },
        job={
            "namespace": "default",
            "name": "etl",
            "facets": {
                "sourceCodeLocation": _facet(
                    type="git",
                    url="https://github.com/o/r",
                    path="dags/etl.py",
                    version="4f1c0de",
                ),
                "sql": _facet(query="INSERT INTO t SELECT 1", dialect="trino"),
            },
        },
    )
    assert spec_errors(event) == []
    parsed = parse_event(event)
    assert parsed.parent_run_id == RUN_ID.replace("f6f8", "aaaa")
    assert parsed.parent_job == DatasetName("airflow", "dag.task")
    assert (parsed.root_run_id, parsed.root_job) == (root_id, DatasetName("airflow", "dag"))
    assert parsed.nominal_start == datetime(2023, 12, 31, 23, tzinfo=UTC)
    assert parsed.nominal_end is None
    assert (parsed.code_version, parsed.source_url) == (
        "4f1c0de",
        "https://github.com/o/r/dags/etl.py",
    )
    assert (parsed.sql, parsed.sql_dialect) == ("INSERT INTO t SELECT 1", "trino")
    event["run"]["facets"]["parent"]["run"]["runId"] = "parent"
    assert _reason(event) == "run.facets.parent.run.runId: not a UUID: 'parent'"
    event["run"]["facets"]["parent"]["run"]["runId"] = root_id
    event["run"]["facets"]["nominalTime"]["nominalEndTime"] = "later"
    assert (
        _reason(event)
        == "run.facets.nominalTime.nominalEndTime: not an ISO-8601 date-time: 'later'"
    )


def test_run_parameters() -> None:
    facets = {
        "executionParameters": _facet(
            parameters=[{"key": "timeout", "value": "3600"}, {"key": "flag"}]
        ),
        "parameters": _facet(date="2024-01-01", retries=3, full=True),
    }
    parsed = parse_event(_base(run={"runId": RUN_ID, "facets": facets}))
    assert dict(parsed.parameters) == {
        "timeout": "3600",
        "flag": "",
        "date": "2024-01-01",
        "retries": "3",
        "full": "true",
    }
    assert parse_event(_base()).parameters == {}
    facets["parameters"]["nested"] = {"a": 1}
    assert _reason(_base(run={"runId": RUN_ID, "facets": facets})) == (
        "run.facets.parameters.nested: not a string: object"
    )


@pytest.mark.parametrize(
    ("facets", "expected"),
    [
        (
            {"spark_applicationDetails": {"applicationId": "app-123-456", "master": "local"}},
            {"spark.app.id": "app-123-456"},
        ),
        (
            {
                "spark_properties": {
                    "properties": {"spark.app.id": "local-1", "spark.master": "x"}
                },
                "gcp_dataproc_spark": {"appId": "other", "jobId": "dataproc-job"},
            },
            {"spark.app.id": "local-1"},
        ),
        ({"flink_job": {"jobId": "a1b2c3"}}, {"flink.job-id": "a1b2c3"}),
        ({"gcp_dataproc_spark": {"jobId": "dataproc-job"}}, {}),
        (
            {"trino_metadata": {"query_id": "20240101_000000_00001_abcde"}},
            {"trino_query_id": "20240101_000000_00001_abcde"},
        ),
        (
            {"externalQuery": {"externalQueryId": "q1", "source": "trino://host:8080"}},
            {"trino_query_id": "q1"},
        ),
        ({"externalQuery": {"externalQueryId": "q1", "source": "bigquery"}}, {}),
        (
            {
                "environment-properties": {
                    "environment-properties": {
                        "spark.databricks.job.runId": "987",
                        "spark.databricks.job.type": "python",
                    }
                }
            },
            {"job.runId": "987"},
        ),
        ({"databricks_job": {"run": {"runId": 42}}}, {"job.runId": "42"}),
        ({"custom": {"a": {"b": {"c": {"spark.app.id": "depth-4"}}}}}, {"spark.app.id": "depth-4"}),
        ({"custom": {"a": {"b": {"c": {"d": {"spark.app.id": "depth-5"}}}}}}, {}),
        ({"flink_job": {"jobId": ["not", "a", "string"]}, "x": {"flink.job-id": " "}}, {}),
    ],
)
def test_engine_ids(facets: dict[str, Any], expected: dict[str, str]) -> None:
    assert engine_ids(facets) == expected
    parsed = parse_event(_base(run={"runId": RUN_ID, "facets": facets}))
    assert dict(parsed.engine_ids) == expected


def test_field_error_is_an_invalid_event() -> None:
    with pytest.raises(InvalidEvent) as raised:
        parse_event(_base(run={"runId": "x"}))
    assert isinstance(raised.value, FieldError)
    assert (raised.value.path, raised.value.reason) == ("run.runId", "not a UUID: 'x'")


def test_reasons_stay_on_one_line_whatever_the_keys_and_values() -> None:
    facets = {"bad\nname\u2028x": "line1\nline2"}
    error = _reason(_base(run={"runId": RUN_ID, "facets": facets}))
    assert len(error.splitlines()) == 1
    assert error == "run.facets.bad\\nname\\u2028x: not an object: 'line1\\nline2'"
    long_value = "x" * 500
    assert len(_reason(_base(run={"runId": long_value}))) < 100


def test_a_valid_event_parses_to_a_parsed_event() -> None:
    assert isinstance(parse_event(_base()), ParsedEvent)
