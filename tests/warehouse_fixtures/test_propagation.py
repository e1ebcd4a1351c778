"""Ground truth of schema-change propagation: the rename and the drop reach build-training-set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from warehouse_fixtures.__main__ import main
from warehouse_fixtures.jobs import BUILD_TRAINING_SET
from warehouse_fixtures.propagation import derive_propagation
from warehouse_fixtures.propagation_records import (
    ADOPTED,
    BROKEN,
    PENDING,
    PropagationRecord,
    StatusRecord,
)
from warehouse_fixtures.run_records import ColumnEdge, RunRecord
from warehouse_fixtures.story import TRAINING_SET, USER_FEATURES
from warehouse_fixtures.timeline import (
    EventRecord,
    FieldRecord,
    SchemaRecord,
    TableTimeline,
    Timeline,
    iso_ms,
    parse_iso_ms,
)


def _change(warehouse: Timeline, kind: str) -> PropagationRecord:
    (found,) = [p for p in warehouse.propagation if p.change == kind]
    return found


def _training_runs(warehouse: Timeline) -> list[RunRecord]:
    return warehouse.runs_of(BUILD_TRAINING_SET.name)


def test_propagation_json_shape(warehouse: Timeline) -> None:
    data = json.loads((warehouse.root / "timeline.json").read_text())
    assert [(p["table"], p["change"]) for p in data["propagation"]] == [
        (USER_FEATURES, "renamed"),
        (USER_FEATURES, "dropped"),
    ]
    for item in data["propagation"]:
        assert set(item) == {
            "table",
            "change",
            "field_id",
            "old_path",
            "path",
            "effective_at",
            "downstream",
        }
        for downstream in item["downstream"]:
            assert set(downstream) == {"table", "column", "job", "statuses"}
            for status in downstream["statuses"]:
                assert set(status) == {"as_of", "status", "runs"}
    assert [PropagationRecord.from_dict(p) for p in data["propagation"]] == list(
        warehouse.propagation
    )


def test_the_changes_are_the_schema_changes(warehouse: Timeline) -> None:
    table = warehouse.table(USER_FEATURES)
    (rename,) = warehouse.events_for(USER_FEATURES, "rename_column")
    (drop,) = warehouse.events_for(USER_FEATURES, "drop_column")
    renamed, dropped = _change(warehouse, "renamed"), _change(warehouse, "dropped")
    assert (renamed.field_id, renamed.old_path, renamed.path) == (2, "amount_sum", "total_amount")
    assert (dropped.field_id, dropped.old_path, dropped.path) == (4, "legacy_score", "legacy_score")
    assert (renamed.effective_at, dropped.effective_at) == (rename.at, drop.at)
    for change in (renamed, dropped):
        (schema,) = [s for s in table.schemas if s.effective_at == change.effective_at]
        before = table.schemas[table.schemas.index(schema) - 1]
        assert before.field_by_path(change.old_path) is not None
        assert schema.field_by_path(change.old_path) is None
        if change.change == "renamed":
            field = schema.field_by_path(change.path)
            assert field is not None and field.id == change.field_id


def test_the_rename_goes_pending_broken_adopted(warehouse: Timeline) -> None:
    renamed = _change(warehouse, "renamed")
    runs = _training_runs(warehouse)
    since = [r for r in runs if (r.started_at or "") >= renamed.effective_at]
    failed, fixed = since[0], since[1]
    assert (failed.state, fixed.state, failed.day, fixed.day) == ("FAIL", "COMPLETE", 2, 2)
    expected = (
        StatusRecord(renamed.effective_at, PENDING, ()),
        StatusRecord(failed.ended_at or "", BROKEN, (failed.run_id,)),
        StatusRecord(fixed.ended_at or "", ADOPTED, (failed.run_id, fixed.run_id)),
    )
    assert {(d.table, d.column, d.job) for d in renamed.downstream} == {
        (TRAINING_SET, "total_amount", BUILD_TRAINING_SET.name),
        (TRAINING_SET, "label", BUILD_TRAINING_SET.name),
    }
    for downstream in renamed.downstream:
        assert downstream.statuses == expected
    # the instants lie where the statuses say: no consumer run between change and failure
    started = [r.started_at or "" for r in runs]
    assert not any(renamed.effective_at <= s < (failed.started_at or "") for s in started)


def test_the_drop_goes_pending_adopted(warehouse: Timeline) -> None:
    dropped = _change(warehouse, "dropped")
    runs = _training_runs(warehouse)
    (adopting,) = [r for r in runs if r.day == 4]
    previous = runs[runs.index(adopting) - 1]
    assert previous.day == 3 and "legacy_score" in (previous.sql or "")
    assert "legacy_score" not in (adopting.sql or "") and adopting.state == "COMPLETE"
    assert adopting.code_version != previous.code_version
    assert adopting.started_at is not None and adopting.started_at > dropped.effective_at
    ((downstream),) = dropped.downstream
    assert (downstream.table, downstream.column, downstream.job) == (
        TRAINING_SET,
        "label",
        BUILD_TRAINING_SET.name,
    )
    assert downstream.statuses == (
        StatusRecord(dropped.effective_at, PENDING, ()),
        StatusRecord(adopting.ended_at or "", ADOPTED, (adopting.run_id,)),
    )


def test_when_prints_the_status_instants(
    warehouse: Timeline, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(warehouse.root)
    renamed, dropped = _change(warehouse, "renamed"), _change(warehouse, "dropped")
    rename_statuses = renamed.downstream[0].statuses
    cases = [
        (["pending", "--table", USER_FEATURES], renamed.effective_at),
        (["broken", "--table", USER_FEATURES], rename_statuses[1].as_of),
        (["adopted"], rename_statuses[2].as_of),
        (["adopted", "--day", "4"], dropped.downstream[0].statuses[1].as_of),
        (["broken", "--offset-ms", "1"], iso_ms(parse_iso_ms(rename_statuses[1].as_of) + 1)),
    ]
    for argv, want in cases:
        assert main(["when", root, *argv]) == 0
        assert capsys.readouterr().out == want + "\n"
    assert main(["when", root, "broken", "--day", "4"]) == 1
    assert "no broken status" in capsys.readouterr().err
    assert main(["when", root, "adopted", "--table", TRAINING_SET]) == 1
    capsys.readouterr()


# --- the rules, on a made-up history -------------------------------------------------------------

T0 = parse_iso_ms("2026-01-05T00:00:00.000Z")


def _at(seconds: int) -> str:
    return iso_ms(T0 + seconds * 1000)


def _run(
    run_id: str, start: int, end: int, state: str = "COMPLETE", sql: str = "", reads: str = ""
) -> RunRecord:
    edges = (
        ()
        if not reads
        else (ColumnEdge("t.out", "y", "t.in", reads, "DIRECT", "IDENTITY", "n", "out", "n", "in"),)
    )
    return RunRecord(
        run_id=run_id,
        day=1,
        job="consumer",
        inputs=(),
        outputs=(),
        state=state,
        started_at=_at(start),
        ended_at=_at(end),
        sql=sql,
        column_lineage=edges,
    )


def _timeline(runs: tuple[RunRecord, ...]) -> tuple[Timeline, EventRecord]:
    old = SchemaRecord(0, _at(0), (FieldRecord(1, "a", "long", True),))
    new = SchemaRecord(1, _at(100), (FieldRecord(1, "b", "long", True),))
    table = TableTimeline("t.in", "iceberg", (), (), None, (old, new))
    event = EventRecord(1, _at(100), "t.in", "rename_column", None, {"old": "a", "new": "b"})
    event = EventRecord(
        1, _at(100), "t.in", "rename_column", None, {**event.details, "field_id": 1}
    )
    timeline = Timeline(Path("/nowhere"), _at(999), {"t.in": table}, (event,), runs)
    return timeline, event


def test_rules_sql_naming_the_old_column_is_broken_and_running_is_pending() -> None:
    runs = (
        _run("r1", 10, 20, reads="a"),
        _run("r2", 110, 120, sql="SELECT a AS y FROM t"),  # completes, still names `a`
        _run("r3", 130, 145, sql="SELECT b AS y FROM t", reads="b"),
        _run("r4", 135, 150, sql="SELECT b AS y FROM t", reads="b"),  # running when r3 ends
    )
    timeline, event = _timeline(runs)
    (found,) = derive_propagation(timeline, [event])
    (downstream,) = found.downstream
    assert (downstream.table, downstream.column, downstream.job) == ("t.out", "y", "consumer")
    assert [(s.as_of, s.status, s.runs) for s in downstream.statuses] == [
        (_at(100), PENDING, ()),
        (_at(120), BROKEN, ("r2",)),
        (_at(145), PENDING, ("r4",)),
        (_at(150), ADOPTED, ("r4",)),
    ]


def test_rules_consumers_come_from_the_run_in_force_before_the_change() -> None:
    # r2 ended after the change: r1 (which reads `a`) is the run in force just before it
    runs = (
        _run("r1", 10, 20, reads="a"),
        _run("r0", 30, 40, state="FAIL"),
        _run("r2", 95, 105, sql="SELECT b AS y FROM t", reads="b"),
    )
    timeline, event = _timeline(runs)
    (found,) = derive_propagation(timeline, [event])
    (downstream,) = found.downstream
    assert [s.status for s in downstream.statuses] == [PENDING]  # r2 started before the change
    # no run in force reads the field: no downstream
    timeline, event = _timeline((_run("r1", 10, 20, reads="zzz"),))
    (found,) = derive_propagation(timeline, [event])
    assert found.downstream == ()
    with pytest.raises(ValueError, match="not a tracked schema change"):
        derive_propagation(timeline, [EventRecord(1, _at(100), "t.in", "rollback", None, {})])
