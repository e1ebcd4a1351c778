"""The declared column lineage: in the events, in timeline.json, and true to the schemas."""

from __future__ import annotations

import re
from typing import Any

import pytest

from warehouse_fixtures.event_log import read_events
from warehouse_fixtures.governance_jobs import ERASE_SUBJECT
from warehouse_fixtures.jobs import BUILD_TRAINING_SET, COMPACT_TRAINING_SET, DAILY_PIPELINE
from warehouse_fixtures.run_records import ColumnEdge, RunRecord
from warehouse_fixtures.story import TRAINING_SET, USER_FEATURES
from warehouse_fixtures.timeline import SchemaRecord, TableTimeline, Timeline, parse_iso_ms

Edge = tuple[str, str, str, str, str, str, str, str | None]
"""(output namespace, name, column, input namespace, name, column, type, subtype)."""

UNDECLARED = {(TRAINING_SET, "as_of")}
"""Output columns computed from no input column (``as_of`` is a run parameter)."""


@pytest.fixture(scope="module")
def terminal(warehouse: Timeline) -> dict[str, dict[str, Any]]:
    """Each run's last event (COMPLETE or FAIL)."""
    found: dict[str, dict[str, Any]] = {}
    for event in read_events(warehouse.root):
        found[event["run"]["runId"]] = event
    return found


def _facet_edges(event: dict[str, Any]) -> set[Edge]:
    edges: set[Edge] = set()
    for output in event["outputs"]:
        facet = output["facets"].get("columnLineage")
        if facet is None:
            continue
        assert facet["dataset"] == []
        for column, entry in facet["fields"].items():
            for source in entry["inputFields"]:
                for t in source["transformations"]:
                    edges.add(
                        (
                            output["namespace"],
                            output["name"],
                            column,
                            source["namespace"],
                            source["name"],
                            source["field"],
                            t["type"],
                            t.get("subtype"),
                        )
                    )
    return edges


def _record_edge(e: ColumnEdge) -> Edge:
    return (
        e.namespace,
        e.name,
        e.column,
        e.input_namespace,
        e.input_name,
        e.input_column,
        e.type,
        e.subtype,
    )


def _schema_at(table: TableTimeline, at: str) -> SchemaRecord:
    current = [s for s in table.schemas if parse_iso_ms(s.effective_at) <= parse_iso_ms(at)]
    assert current, (table.name, at)
    return current[-1]


def _leaves(schema: SchemaRecord) -> set[str]:
    paths = {f.path for f in schema.fields}
    return {p for p in paths if not any(q.startswith(p + ".") for q in paths)}


MAINTENANCE = {COMPACT_TRAINING_SET.name, ERASE_SUBJECT.name}
"""Jobs that rewrite files and change no rows, or only delete rows: they declare no column
lineage."""


def _writers(warehouse: Timeline) -> list[RunRecord]:
    return [
        r
        for r in warehouse.runs
        if r.state == "COMPLETE" and r.outputs and r.job not in MAINTENANCE
    ]


def test_complete_events_carry_exactly_the_recorded_column_lineage(
    warehouse: Timeline, terminal: dict[str, dict[str, Any]]
) -> None:
    for run in warehouse.runs:
        event = terminal[run.run_id]
        assert _facet_edges(event) == {_record_edge(e) for e in run.column_lineage}
        if run.job == DAILY_PIPELINE.name or run.job in MAINTENANCE or run.state == "FAIL":
            assert run.column_lineage == ()
        else:
            assert run.column_lineage, (run.job, run.day)
    for event in read_events(warehouse.root):
        if event["eventType"] != "COMPLETE":
            assert _facet_edges(event) == set()


def test_input_fields_name_the_runs_inputs(
    warehouse: Timeline, terminal: dict[str, dict[str, Any]]
) -> None:
    for run in _writers(warehouse):
        inputs = {(d["namespace"], d["name"]) for d in terminal[run.run_id]["inputs"]}
        outputs = {(d["namespace"], d["name"]) for d in terminal[run.run_id]["outputs"]}
        for edge in run.column_lineage:
            assert (edge.input_namespace, edge.input_name) in inputs, (run.job, edge)
            assert (edge.namespace, edge.name) in outputs
            assert edge.table in run.output_tables
            tables = {
                i.table
                for i in run.inputs
                if (i.namespace, i.name) == (edge.input_namespace, edge.input_name)
            }
            assert tables == {edge.input_table}


def test_columns_are_named_as_they_are_at_the_run(warehouse: Timeline) -> None:
    """Input columns exist in the input's schema at the run's start; output columns cover
    the output's schema after the run."""
    for run in _writers(warehouse):
        assert run.started_at is not None and run.ended_at is not None
        for edge in run.column_lineage:
            if edge.input_table is not None:
                schema = _schema_at(warehouse.table(edge.input_table), run.started_at)
                assert schema.field_by_path(edge.input_column), (run.job, run.day, edge)
        for table in run.output_tables:
            schema = _schema_at(warehouse.table(table), run.ended_at)
            declared = {e.column for e in run.column_lineage if e.table == table}
            assert declared <= {f.path for f in schema.fields}, (run.job, run.day)
            wanted = {c for c in _leaves(schema) if (table, c) not in UNDECLARED}
            assert declared == wanted, (run.job, run.day)


def test_consumers_follow_the_rename_and_the_drop(warehouse: Timeline) -> None:
    (rename,) = warehouse.events_for(USER_FEATURES, "rename_column")
    (drop,) = warehouse.events_for(USER_FEATURES, "drop_column")

    def named(run: RunRecord) -> set[str]:
        return {e.input_column for e in run.column_lineage if e.input_table == USER_FEATURES}

    training = [r for r in warehouse.runs_of(BUILD_TRAINING_SET.name) if r.state == "COMPLETE"]
    before = [r for r in training if (r.ended_at or "") < rename.at]
    assert [r.day for r in before] == [1]
    assert {"amount_sum", "legacy_score"} <= named(before[0])
    label = {e.input_column for e in before[0].column_lineage if e.column == "label"}
    assert label == {"amount_sum", "legacy_score"}
    for run in warehouse.runs:
        if (run.started_at or "") > rename.at:
            assert "amount_sum" not in named(run)
            assert not re.search(r"\bamount_sum\b", run.sql or "") or run.state == "FAIL"
        if (run.started_at or "") > drop.at:
            assert "legacy_score" not in named(run)
            assert "legacy_score" not in (run.sql or "")
    after = [r for r in training if rename.at < (r.started_at or "") < drop.at]
    assert [r.day for r in after] == [2, 3]
    assert all({"total_amount", "legacy_score"} <= named(r) for r in after)


def test_join_keys_are_indirect(warehouse: Timeline) -> None:
    for run in warehouse.runs_of(BUILD_TRAINING_SET.name):
        joins = {
            (e.column, e.input_table, e.input_column)
            for e in run.column_lineage
            if (e.type, e.subtype) == ("INDIRECT", "JOIN")
        }
        if run.state == "FAIL":
            assert joins == set()
            continue
        country_source = "deltas.users" if run.day <= 4 else "lake.raw.events"
        assert joins == {
            ("user_id", USER_FEATURES, "user_id"),
            ("user_id", country_source, "user_id"),
            ("country", country_source, "user_id"),
        }
