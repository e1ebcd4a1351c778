"""Data-quality facets from the real corpus (dbt test runs, the spec's full example) and as
the spec schemas define them; stored as ``quality_facts`` on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from sqlalchemy import select

from temporal_lineage.ingest import ingest_payload
from temporal_lineage.openlineage import ParsedEvent, parse_event, parse_payload
from temporal_lineage.openlineage.validate import FieldError
from temporal_lineage.store import Store
from temporal_lineage.store import tables as t

from .corpus import (
    DBT_TEMPLATE,
    corpus_bytes,
    corpus_json,
    facet_errors,
    fill_template,
    template_events,
    with_facet_base,
)

FLUENTD = "spec/fluentd_event_full.json"
TEST_FACET_URL = "https://openlineage.io/spec/facets/1-0-1/TestRunFacet.json"


def _dbt_events() -> list[ParsedEvent]:
    return [parse_event(fill_template(e, name=DBT_TEMPLATE)) for e in template_events(DBT_TEMPLATE)]


def test_dbt_test_runs_carry_their_assertions_on_the_input_they_read() -> None:
    events = _dbt_events()
    tests = [e for e in events if e.job and e.job.name.endswith(".test")]
    assert len(tests) == 10
    for event, raw in zip(events, template_events(DBT_TEMPLATE), strict=True):
        for observed, sent in zip(event.inputs, raw.get("inputs", []), strict=True):
            facet = (sent.get("inputFacets") or {}).get("dataQualityAssertions")
            expected = [
                (a["assertion"], a.get("column"), a["success"])
                for a in (facet or {}).get("assertions", [])
            ]
            assert [(q.check, q.column, q.success) for q in observed.quality] == expected
            assert all(q.kind == "assertion" for q in observed.quality)
    customers = next(
        i for e in tests for i in e.inputs if i.name == "default.stg_customers" and i.quality
    )
    assert [(q.check, q.column, q.success) for q in customers.quality] == [
        ("not_null", "customer_id", True),
        ("unique", "customer_id", True),
    ]


def test_the_spec_example_gives_metrics_and_assertions() -> None:
    (event,) = parse_payload(corpus_bytes(FLUENTD), origin=FLUENTD)
    assert isinstance(event, ParsedEvent)
    (observed,) = event.inputs
    found = {(q.kind, q.check, q.column, q.success, json.dumps(q.value)) for q in observed.quality}
    assert found == {
        ("metric", "rowCount", None, None, "1000"),
        ("metric", "bytes", None, None, "1048576"),
        ("metric", "fileCount", None, None, "5"),
        ("assertion", "row_count_equal_to", None, True, "null"),
        ("assertion", "no_null_values", "id", True, "null"),
    }


def _quality_event() -> dict[str, Any]:
    """The spec example, with column metrics, a failed assertion on an output and a test facet."""
    event: dict[str, Any] = copy.deepcopy(corpus_json(FLUENTD))
    metrics = event["inputs"][0]["inputFacets"]["dataQualityMetrics"]
    metrics["columnMetrics"] = {
        "amount": {
            "nullCount": 3,
            "distinctCount": 40,
            "sum": 1234.5,
            "count": 100,
            "min": 0,
            "max": 99.5,
            "quantiles": {"0.5": 12.0, "0.9": 80.0},
        }
    }
    event["outputs"][0]["outputFacets"] = {
        "dataQualityAssertions": {
            "assertions": [
                {
                    "assertion": "not_null",
                    "column": "id",
                    "success": False,
                    "severity": "error",
                    "name": "id_not_null",
                    "actual": "7",
                }
            ]
        }
    }
    event["run"]["facets"]["test"] = {
        "_schemaURL": TEST_FACET_URL,
        "tests": [
            {"name": "orders_unique", "status": "fail", "severity": "warn", "type": "unique"},
            {"name": "orders_fresh", "status": "skip"},
            {"name": "orders_rows", "status": "pass", "params": {"column": "id"}},
        ],
    }
    return with_facet_base(event)


def test_column_metrics_output_assertions_and_the_test_facet_are_read() -> None:
    raw = _quality_event()
    assert facet_errors(raw) == []  # the spec's facet schemas accept what we send
    event = parse_event(raw)
    metrics = {(q.check, q.column): q.value for q in event.inputs[0].quality if q.kind == "metric"}
    assert metrics[("nullCount", "amount")] == 3
    assert metrics[("sum", "amount")] == 1234.5
    assert metrics[("quantiles", "amount")] == {"0.5": 12.0, "0.9": 80.0}
    (failed,) = event.outputs[0].quality
    assert (failed.check, failed.column, failed.success) == ("not_null", "id", False)
    assert failed.value == {"name": "id_not_null", "severity": "error", "actual": "7"}
    assert [(q.check, q.success, q.column) for q in event.run_quality] == [
        ("orders_unique", False, None),
        ("orders_fresh", None, None),
        ("orders_rows", True, "id"),
    ]


def test_an_output_may_carry_them_in_its_facets() -> None:
    raw = _quality_event()
    output = raw["outputs"][0]
    output.setdefault("facets", {})["dataQualityAssertions"] = output.pop("outputFacets")[
        "dataQualityAssertions"
    ]
    (failed,) = parse_event(raw).outputs[0].quality
    assert failed.success is False


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("assertion", {"assertion": "not_null", "success": "no"}, "success: not a boolean"),
        ("assertion", {"success": True}, "assertion: missing"),
        ("metrics", {"rowCount": "many"}, "rowCount: not a number"),
        ("test", {"name": "x"}, "status: missing"),
    ],
)
def test_a_malformed_quality_facet_rejects_the_event_naming_the_field(
    where: str, value: dict[str, Any], message: str
) -> None:
    raw = _quality_event()
    facets = raw["inputs"][0]["inputFacets"]
    if where == "assertion":
        facets["dataQualityAssertions"]["assertions"] = [value]
    elif where == "metrics":
        facets["dataQualityMetrics"].update(value)
    else:
        raw["run"]["facets"]["test"]["tests"] = [value]
    with pytest.raises(FieldError, match=message):
        parse_event(raw)


def test_results_are_stored_with_direction_kind_and_the_run(store: Store) -> None:
    raw = _quality_event()
    report = ingest_payload(store, json.dumps(raw), origin="test")
    assert report.rejected == []
    dbt = [fill_template(e, name=DBT_TEMPLATE) for e in template_events(DBT_TEMPLATE)]
    assert ingest_payload(store, json.dumps(dbt), origin="dbt").rejected == []
    c = t.quality_facts.c
    with store.connect() as conn:
        rows = conn.execute(
            select(c.run_id, c.direction, c.kind, c.check_name, c.column_name, c.success, c.value)
        ).all()
    mine = [r for r in rows if r.run_id == raw["run"]["runId"]]
    assert {(r.direction, r.kind) for r in mine} == {
        ("input", "metric"),
        ("input", "assertion"),
        ("output", "assertion"),
        ("run", "test"),
    }
    failed = next(r for r in mine if r.direction == "output")
    assert (failed.check_name, failed.column_name, failed.success) == ("not_null", "id", False)
    assert next(r for r in mine if r.check_name == "sum").value == 1234.5
    expected = sum(
        len((i.get("inputFacets") or {}).get("dataQualityAssertions", {}).get("assertions", []))
        for e in dbt
        for i in e.get("inputs", [])
    )
    assert len(rows) - len(mine) == expected > 0
