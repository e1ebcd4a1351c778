"""Real events from Spark (Dataproc), Airflow, Flink, dbt and the spec, parsed and checked."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from temporal_lineage.openlineage import (
    ColumnLineage,
    DatasetName,
    DatasetObservation,
    ParsedEvent,
    RejectedEvent,
    Transformation,
    parse_event,
    parse_payload,
)

from .corpus import (
    COMPLETE,
    DBT_TEMPLATE,
    FACET_ONLY,
    FLINK_TEMPLATE,
    OPENLINEAGE,
    SPARK_TEMPLATES,
    TEMPLATES,
    corpus_bytes,
    corpus_json,
    facet_errors,
    fill_template,
    is_placeholder,
    spec_errors,
    template_events,
    with_facet_base,
)


def _one(relative: str) -> ParsedEvent:
    results = parse_payload(corpus_bytes(relative), origin=relative)
    assert len(results) == 1
    (event,) = results
    assert isinstance(event, ParsedEvent), event
    return event


def _filled(relative: str, index: int = 0) -> ParsedEvent:
    event = fill_template(template_events(relative)[index], name=relative)
    return parse_event(event)


def _output(event: ParsedEvent, name: str) -> DatasetObservation:
    return next(o for o in event.outputs if o.name == name)


def _lineage(observation: DatasetObservation, field: str) -> ColumnLineage:
    return next(c for c in observation.column_lineage if c.field == field)


def test_the_corpus_holds_exactly_the_files_these_tests_know() -> None:
    assert OPENLINEAGE.is_dir(), f"real-world corpus missing: {OPENLINEAGE}"
    found = {
        p.relative_to(OPENLINEAGE).as_posix()
        for p in OPENLINEAGE.glob("*/*.json")
        if p.parent.name != "spec-schema"
    }
    assert found == {*COMPLETE, *TEMPLATES, FACET_ONLY}


@pytest.mark.parametrize("relative", COMPLETE)
def test_real_complete_event_is_accepted_and_valid_against_the_spec(relative: str) -> None:
    raw = corpus_json(relative)
    assert spec_errors(raw) == []
    event = _one(relative)
    assert event.kind == "run"
    assert event.raw == raw
    assert event.event_time.tzinfo is UTC
    assert event.run_id == str(uuid.UUID(raw["run"]["runId"]))
    assert event.job == DatasetName(raw["job"]["namespace"], raw["job"]["name"])
    assert [o.name for o in event.outputs] == [o["name"] for o in raw.get("outputs", [])]
    assert [i.name for i in event.inputs] == [i["name"] for i in raw.get("inputs", [])]


@pytest.mark.parametrize("relative", COMPLETE)
def test_real_complete_event_facets_follow_their_schemas(relative: str) -> None:
    # The fluentd example predates columnMetrics becoming required in dataQualityMetrics.
    known = {
        "spec/fluentd_event_full.json": [
            "InputDatasetFacet dataQualityMetrics: 'columnMetrics' is a required property"
        ]
    }
    assert facet_errors(corpus_json(relative)) == known.get(relative, [])


def test_the_complete_events_concatenated_as_ndjson_are_all_accepted() -> None:
    lines = [json.dumps(corpus_json(relative)) for relative in COMPLETE]
    results = parse_payload("\n".join(lines).encode(), origin="all.ndjson")
    assert all(isinstance(r, ParsedEvent) for r in results)
    assert [r.raw for r in results if isinstance(r, ParsedEvent)] == [
        corpus_json(relative) for relative in COMPLETE
    ]


@pytest.mark.parametrize("relative", SPARK_TEMPLATES + (FLINK_TEMPLATE,))
def test_template_without_envelope_is_rejected_naming_the_missing_field(relative: str) -> None:
    assert spec_errors(corpus_json(relative))
    (rejected,) = parse_payload(corpus_bytes(relative), origin=relative)
    assert rejected == RejectedEvent(0, "event 0: eventTime: missing", relative)


def test_dbt_template_array_is_rejected_event_by_event() -> None:
    results = parse_payload(corpus_bytes(DBT_TEMPLATE), origin=DBT_TEMPLATE)
    assert len(results) == 20
    assert [r.index for r in results if isinstance(r, RejectedEvent)] == list(range(20))
    assert {r.error.split(": ", 1)[1] for r in results if isinstance(r, RejectedEvent)} == {
        "eventTime: not an ISO-8601 date-time: '{{ is_datetime(result) }}'"
    }


@pytest.mark.parametrize("relative", TEMPLATES)
def test_template_reveals_each_missing_envelope_field_in_turn(relative: str) -> None:
    event: dict[str, Any] = dict(template_events(relative)[0])
    filled = fill_template(event, name=relative)
    steps = [("eventTime", "eventTime"), ("producer", "producer"), ("schemaURL", "schemaURL")]
    for key, path in steps:
        if key in event and not is_placeholder(event[key]):
            continue
        event.pop(key, None)
        error = parse_payload(json.dumps(event), origin=relative)[0]
        assert isinstance(error, RejectedEvent)
        assert error.error == f"event 0: {path}: missing"
        event[key] = filled[key]


def test_flink_template_rejects_its_placeholder_run_id() -> None:
    event = template_events(FLINK_TEMPLATE)[0]
    event.update(eventTime="2024-01-01T00:00:00Z", producer="https://x.io/p", schemaURL="s")
    (rejected,) = parse_payload(json.dumps(event), origin=FLINK_TEMPLATE)
    assert rejected == RejectedEvent(
        0, "event 0: run.runId: not a UUID: '${json-unit.any-string}'", FLINK_TEMPLATE
    )


@pytest.mark.parametrize(
    ("relative", "index"),
    [(r, 0) for r in SPARK_TEMPLATES + (FLINK_TEMPLATE,)] + [(DBT_TEMPLATE, i) for i in range(20)],
)
def test_filled_template_is_accepted_and_valid_against_the_spec(relative: str, index: int) -> None:
    filled = fill_template(template_events(relative)[index], name=relative)
    event = parse_event(filled)
    assert event.kind == "run"
    assert event.run_id == filled["run"]["runId"]
    assert event.event_time == datetime(2024, 10, 17, 9, 18, 26, 825000, tzinfo=UTC)
    complete = with_facet_base(filled)
    assert spec_errors(complete) == []
    # What the parser forgives (and the facet schemas do not): Spark's Iceberg `version: {}`
    # and dbt's parent facet without `run` (test events of a skipped model).
    allowed = {
        "DatasetFacet version: 'datasetVersion' is a required property",
        "RunFacet parent: 'run' is a required property",
    }
    assert set(facet_errors(complete)) <= allowed
    again = parse_event(complete)
    assert (again.inputs, again.outputs, again.parent_run_id) == (
        event.inputs,
        event.outputs,
        event.parent_run_id,
    )


def test_delta_spark_templates_carry_dataset_versions() -> None:
    end = _output(
        _filled("ol_spark_integration_expected/pysparkWriteDeltaTableVersionEnd.json"),
        "/tmp/delta/versioned_table",
    )
    assert (end.version, end.storage_layer, end.file_format) == ("2", "delta", "parquet")
    assert end.symlinks == (DatasetName("file:/tmp/delta", "default.versioned_table"),)
    assert [f.name for f in end.schema or ()] == ["a", "b", "c"]
    start = _filled("ol_spark_integration_expected/pysparkWriteDeltaTableVersionStart.json")
    (read,) = start.inputs
    assert (read.name, read.version, read.snapshot_id) == (
        "/tmp/delta/versioned_input_table",
        "3",
        None,
    )
    assert start.event_type == "START"


def test_delta_merge_template_has_version_and_column_lineage() -> None:
    event = _filled("ol_spark_integration_expected/deltaMergeCommandVerificationComplete.json")
    (out,) = event.outputs
    assert out.version == "2"
    updated = _lineage(out, "last_updated_at")
    (source,) = updated.inputs
    assert (source.namespace, source.name, source.field) == (
        "file",
        "/tmp/delta/updates",
        "updated_at",
    )
    assert [(t.type, t.subtype) for t in source.transformations] == [
        ("DIRECT", "TRANSFORMATION"),
        ("INDIRECT", "CONDITIONAL"),
    ]
    assert [i.name for i in _lineage(out, "event_id").inputs] == [
        "/tmp/delta/events",
        "/tmp/delta/updates",
    ]


def test_iceberg_templates_empty_version_is_none_and_nothing_is_guessed() -> None:
    table = _output(
        _filled("ol_spark_integration_expected/pysparkWriteIcebergTableVersionEnd.json"),
        "/tmp/iceberg/default/table",
    )
    assert (table.version, table.snapshot_id, table.storage_layer) == (None, None, "iceberg")
    append = _output(
        _filled("ol_spark_integration_expected/pysparkV2AppendDataCompleteEvent.json"),
        "/tmp/iceberg/default/append_table",
    )
    assert append.version is None
    assert append.facets["catalog"]["framework"] == "iceberg"
    (column,) = append.column_lineage
    assert column.field == "a"
    assert [(i.name, i.field, i.transformations) for i in column.inputs] == [
        ("/tmp/iceberg/default/append_source1", "a", ()),
        ("/tmp/iceberg/default/append_source2", "a", ()),
    ]


def test_drop_and_create_templates_carry_lifecycle_state() -> None:
    drop = _filled("ol_spark_integration_expected/pysparkV2DropTableCompleteEvent.json")
    (dropped,) = drop.outputs
    assert dropped.lifecycle_state == "DROP"
    assert dropped.symlinks == (
        DatasetName("file:/tmp/iceberg", "default.iceberg_drop_table_test"),
    )
    assert dropped.schema is None
    ctas = _filled("ol_spark_integration_expected/pysparkDeltaCTASComplete.json")
    assert ctas.outputs[0].lifecycle_state == "CREATE"
    assert ctas.job == DatasetName(
        "delta-namespace", "delta_integration_test.atomic_create_table_as_select.default_tbl"
    )


def test_flink_template_gives_the_flink_job_id() -> None:
    event = _filled(FLINK_TEMPLATE)
    assert dict(event.engine_ids) == {"flink.job-id": "filled-jobId"}
    assert [i.name for i in event.inputs] == ["/tmp/warehouse/db/source"]
    assert [o.name for o in event.outputs] == ["/tmp/warehouse/db/sink"]


def test_dbt_events_carry_sql_and_parent() -> None:
    events = [_filled(DBT_TEMPLATE, i) for i in range(20)]
    assert [e.event_type for e in events] == ["START"] * 10 + ["COMPLETE"] * 10
    first = events[0]
    assert first.job == DatasetName("job-namespace", "default.jaffle_shop.stg_customers.build.run")
    assert first.sql is not None and first.sql.startswith("with source as (")
    assert first.sql_dialect == "spark"
    assert first.parent_job == DatasetName("dbt", "dbt-job-name")
    assert first.parent_run_id is not None
    assert events[7].parent_run_id is None  # that template's parent facet has no run
    assert events[7].parent_job == DatasetName("dbt", "dbt-job-name")
    tests = [e for e in events if e.job and e.job.name.endswith(".test")]
    assert len(tests) == 10
    assert all(e.sql is None and "dataQualityAssertions" in e.inputs[0].facets for e in tests)


def test_dataproc_column_lineage_event() -> None:
    event = _one("compat_spark_dataproc/cll_8_complete.json")
    assert event.parent_run_id == "019127de-fd25-7707-bfa4-3ec02693a531"
    assert event.parent_job == DatasetName(
        "testColumnLevelLineage", "open_lineage_integration_create_table"
    )
    (out,) = event.outputs
    assert out.lifecycle_state == "CREATE"
    assert out.symlinks == (DatasetName("file:/tmp/cll_test", "default.tbl1"),)
    assert [c.field for c in out.column_lineage] == ["ident", "trans", "agg"]
    ident = _lineage(out, "ident")
    assert [(i.name, i.field) for i in ident.inputs] == [
        ("/tmp/cll_test/cll_source1", "a"),
        ("/tmp/cll_test/cll_source1", "b"),
        ("/tmp/cll_test/cll_source2", "a"),
    ]
    assert ident.inputs[0].transformations[0] == Transformation("DIRECT", "IDENTITY", "", False)
    assert [s.name for s in event.inputs[0].symlinks] == ["default.cll_source2"]


def test_dataproc_bigquery_event_has_spark_app_id_and_aggregation() -> None:
    event = _one("compat_spark_dataproc/bigquery_shakespeare_1729097631761_complete.json")
    assert dict(event.engine_ids) == {"spark.app.id": "application_1729097245443_0002"}
    (out,) = event.outputs
    total = _lineage(out, "sum(word_count)")
    assert ("DIRECT", "AGGREGATION") in [
        (t.type, t.subtype) for i in total.inputs for t in i.transformations
    ]
    assert out.facets["outputStatistics"]["rowCount"] == 1  # outputFacets merged in
    assert [f.name for f in event.inputs[0].schema or ()] == [
        "word",
        "word_count",
        "corpus",
        "corpus_date",
    ]


def test_dataproc_hive_events_have_sql_symlinks_and_app_id() -> None:
    start = _one("compat_spark_dataproc/simple_producer_test_1_start.json")
    complete = _one("compat_spark_dataproc/simple_producer_test_4_complete.json")
    assert start.run_id == complete.run_id
    assert (start.event_type, complete.event_type) == ("START", "COMPLETE")
    assert start.sql == "CREATE TABLE IF NOT EXISTS t2 AS SELECT * FROM t1;"
    assert dict(start.engine_ids) == {"spark.app.id": "local-1729156674719"}
    assert start.outputs[0].symlinks == (
        DatasetName("hive://dataproc-producer-test-m:9083", "default.t2"),
    )


def test_airflow_task_event_column_lineage_and_parent_dag_run() -> None:
    event = _one("compat_airflow/line_03.json")
    assert event.job == DatasetName("airflow", "BQ.upload")
    assert event.parent_job == DatasetName("airflow", "BQ")
    assert event.parent_run_id == "01936893-9751-7a91-a2a0-a51101a3970c"
    assert event.engine_ids == {}
    (out,) = event.outputs
    assert (out.namespace, out.name) == ("bigquery", "mock-project.test.upload")
    assert [c.field for c in out.column_lineage] == ["a", "b", "c", "d"]  # `dataset: []` adds none
    a = _lineage(out, "a")
    assert a.transformation_type == "IDENTITY"
    assert [(i.namespace, i.name, i.field, i.transformations) for i in a.inputs] == [
        ("gs://mock-bucket", "copied.csv", "a", ()),
        ("gs://mock-bucket", "test.csv", "a", ()),
    ]
    assert [(f.name, f.type, f.fields) for f in out.schema or ()][0] == ("a", "INTEGER", ())


def test_airflow_dag_events_share_the_run_and_nominal_time() -> None:
    start = _one("compat_airflow/line_01.json")
    end = _one("compat_airflow/line_08.json")
    assert start.run_id == end.run_id == "01936893-9751-7a91-a2a0-a51101a3970c"
    nominal = datetime(2024, 11, 26, 13, 5, 23, 281750, tzinfo=UTC)
    assert (start.nominal_start, start.nominal_end) == (nominal, nominal)
    assert end.event_time == datetime(2024, 11, 26, 13, 5, 39, 809127, tzinfo=UTC)


def test_spec_examples() -> None:
    full = _one("spec/example_full_event.json")
    assert (full.kind, full.dataset, full.sql) == ("run", None, "SELECT 1")
    fluentd = _one("spec/fluentd_event_full.json")
    assert fluentd.nominal_start == datetime(2020, 12, 17, 3, 0, 0, 1000, tzinfo=UTC)
    assert fluentd.parent_run_id == "3f5e83fa-3480-44ff-99c5-ff943904e5e8"
    assert (fluentd.sql, fluentd.source_url, fluentd.code_version) == (
        "SELECT * FROM foo",
        "http://example.com",
        None,
    )
    (read,) = fluentd.inputs
    assert {"dataQualityMetrics", "dataQualityAssertions", "schema"} <= set(read.facets)


def test_facet_only_example_is_no_event_but_its_column_lineage_parses() -> None:
    (rejected,) = parse_payload(corpus_bytes(FACET_ONLY), origin=FACET_ONLY)
    assert isinstance(rejected, RejectedEvent)
    event = fill_template({"outputs": [{"namespace": "sf", "name": "OUT"}]})
    event["outputs"][0]["facets"] = corpus_json(FACET_ONLY)
    (out,) = parse_event(event).outputs
    name = _lineage(out, "NAME")
    assert (name.transformation_type, name.transformation_description) == (
        "IDENTITY",
        "SELECT NAME",
    )
    assert [i.field for i in name.inputs] == ["NAME", "ID", "CUSTOMERS_ID"]
    assert name.inputs[1].transformations == (
        Transformation("INDIRECT", "JOIN", "ON (DISCOUNTS.CUSTOMERS_ID=CUSTOMERS.ID)", None),
    )
