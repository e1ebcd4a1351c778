"""Data quality as of A and known at K, on SQLite and PostgreSQL: results attach to the
snapshots they describe; suspicion flows through exact provenance."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from temporal_lineage.errors import TableNotFound
from temporal_lineage.model import TableRef
from temporal_lineage.query.quality import quality
from temporal_lineage.query.quality_shapes import quality_json
from temporal_lineage.store import Store
from temporal_lineage.times import now

from .quality_scenario import MID, OUT, RAW, SIDE, SIDE_OUT, QualityStory, assertions, build, io
from .scenario import SECOND, Pipeline, event, new_run


@pytest.fixture
def pipe(tmp_path: Path, store: Store) -> Pipeline:
    return Pipeline(tmp_path, store)


@pytest.fixture
def story(pipe: Pipeline) -> QualityStory:
    return build(pipe)


def test_a_failed_input_assertion_describes_the_snapshot_the_run_read(
    pipe: Pipeline, story: QualityStory
) -> None:
    report = quality(pipe.store, RAW, as_of=story.first_built)
    assert report.snapshot is not None and report.snapshot.snapshot.snapshot_id == 0
    assert [(r.check, r.column, r.success, r.run_id) for r in report.results] == [
        ("not_null", "v", False, story.check_run),
        ("row_count", None, True, story.check_run),
    ]
    assert report.failed and not report.suspect
    assert "read snapshot 0" in report.results[0].evidence[0].detail


def test_suspicion_flows_two_hops_down_with_the_path(pipe: Pipeline, story: QualityStory) -> None:
    mid = quality(pipe.store, MID, as_of=story.first_built)
    assert mid.suspect and not mid.failed
    (why,) = mid.because
    assert (why.check.table, why.check.snapshot, why.check.check) == (RAW, 0, "not_null")
    assert [(str(s.from_table), s.from_snapshot, str(s.to_table)) for s in why.path] == [
        ("d.raw", 0, "d.mid")
    ]
    out = quality(pipe.store, OUT, as_of=story.first_built)
    assert out.suspect
    (why,) = out.because
    assert [
        (str(s.from_table), s.from_snapshot, str(s.to_table), s.to_snapshot) for s in why.path
    ] == [
        ("d.raw", 0, "d.mid", 0),
        ("d.mid", 0, "d.out", 0),
    ]
    assert why.path[0].run_id == story.runs["build_mid"]
    assert why.path[1].run_id == story.runs["build_out"]
    document = quality_json(out)
    assert document["suspect"] is True and document["snapshot"] == 0
    assert document["because"][0]["assertion"] == "not_null"
    assert document["because"][0]["path"][1] == {
        "from_table": "d.mid",
        "from_snapshot": 0,
        "to_table": "d.out",
        "to_snapshot": 0,
        "run": story.runs["build_out"],
    }


def test_a_clean_branch_stays_clean(pipe: Pipeline, story: QualityStory) -> None:
    side = quality(pipe.store, SIDE, as_of=story.fixed)
    assert [(r.check, r.success) for r in side.results] == [("not_null", True)]
    downstream = quality(pipe.store, SIDE_OUT, as_of=story.fixed)
    assert not downstream.suspect and not downstream.failed and downstream.because == ()
    assert quality_json(downstream)["suspect"] is False


def test_the_exact_snapshot_decides_as_of_a(pipe: Pipeline, story: QualityStory) -> None:
    """Rebuilt from raw's fixed snapshot, out is clean from then on; as of before, suspect."""
    later = quality(pipe.store, OUT, as_of=story.fixed)
    assert later.snapshot is not None and later.snapshot.snapshot.snapshot_id == 1
    assert not later.suspect
    assert quality(pipe.store, OUT, as_of=story.first_built).suspect
    raw = quality(pipe.store, RAW, as_of=story.fixed)
    assert [(r.check, r.success) for r in raw.results] == [("not_null", True)]


def test_a_failure_recorded_later_does_not_change_an_answer_known_earlier(
    pipe: Pipeline, story: QualityStory
) -> None:
    known = story.failure_recorded_before
    earlier = quality(pipe.store, OUT, as_of=story.first_built, known_at=known)
    assert earlier.snapshot is not None and not earlier.suspect
    assert not quality(pipe.store, RAW, as_of=story.first_built, known_at=known).failed
    assert quality(pipe.store, OUT, as_of=story.first_built).suspect


def test_a_result_stated_after_a_does_not_count_as_of_a(pipe: Pipeline) -> None:
    run, check = new_run(), new_run()
    _, at = pipe.write("t", 0, run_id=run)
    pipe.sync()
    pipe.send(
        event("START", run, "load", at - SECOND),
        event("COMPLETE", run, "load", at + SECOND / 100, outputs=[io("t")]),
    )
    time.sleep(0.01)
    before_check = now()
    time.sleep(0.01)
    facets = assertions(("unique", "v", False))
    started = now()
    pipe.send(
        event("START", check, "check", started, inputs=[io("t")]),
        event(
            "COMPLETE",
            check,
            "check",
            started + SECOND / 100,
            inputs=[io("t", input_facets=facets)],
        ),
    )
    table = TableRef("d", "t")
    assert quality(pipe.store, table, as_of=before_check).results == ()
    assert quality(pipe.store, table, as_of=started + SECOND).failed


def test_an_output_facet_describes_the_snapshot_the_run_produced(pipe: Pipeline) -> None:
    run = new_run()
    started = now()
    time.sleep(0.01)
    pipe.write("t", 0, run_id=run)
    pipe.sync()
    facets = assertions(("row_count", None, False))
    pipe.send(
        event("START", run, "load", started),
        event("COMPLETE", run, "load", now(), outputs=[io("t", output_facets=facets)]),
    )
    report = quality(pipe.store, TableRef("d", "t"), as_of=now())
    assert [(r.check, r.direction, r.snapshot) for r in report.results] == [
        ("row_count", "output", 0)
    ]
    assert report.results[0].evidence[1].kind.value == "commit_property"


def test_quality_events_ingested_before_their_table_is_synced_match_later(pipe: Pipeline) -> None:
    run = new_run()
    started = now()
    time.sleep(0.01)
    pipe.write("t", 0, run_id=run)
    facets = assertions(("not_null", "v", False))
    pipe.send(
        event("START", run, "load", started),
        event("COMPLETE", run, "load", now(), outputs=[io("t", output_facets=facets)]),
    )
    pipe.sync()
    report = quality(pipe.store, TableRef("d", "t"), as_of=now())
    assert [(r.check, r.success) for r in report.results] == [("not_null", False)]


def test_an_unknown_table_is_refused(pipe: Pipeline) -> None:
    with pytest.raises(TableNotFound):
        quality(pipe.store, TableRef("d", "nope"), as_of=now())


def test_a_result_sent_on_start_and_complete_counts_once(pipe: Pipeline) -> None:
    run = new_run()
    started = now()
    time.sleep(0.01)
    pipe.write("t", 0, run_id=run)
    pipe.sync()
    facets = assertions(("row_count", None, True))
    out = [io("t", output_facets=facets)]
    pipe.send(
        event("START", run, "load", started, outputs=out),
        event("COMPLETE", run, "load", now(), outputs=out),
    )
    report = quality(pipe.store, TableRef("d", "t"), as_of=now())
    assert [(r.check, r.success) for r in report.results] == [("row_count", True)]


def test_an_input_result_describes_the_snapshot_the_event_pins(pipe: Pipeline) -> None:
    """The run read version 0 (its version facet says so) although version 1 was the head
    when it started: the failed assertion is about version 0, which out was built from."""
    first, second, build_run, check = new_run(), new_run(), new_run(), new_run()
    pipe.write("t", 0, run_id=first)
    time.sleep(0.01)
    started = now()
    time.sleep(0.01)
    pipe.write("out", 0, run_id=build_run)
    time.sleep(0.01)
    pipe.write("t", 1, run_id=second)
    pipe.sync()
    pinned = io("t")
    pinned["facets"]["version"] = {
        "_producer": "https://example.com/tests",
        "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json",
        "datasetVersion": "0",
    }
    failed = {**pinned, "inputFacets": assertions(("unique", "v", False))}
    pipe.send(
        event("START", build_run, "build", started, inputs=[pinned]),
        event("COMPLETE", build_run, "build", now(), inputs=[pinned], outputs=[io("out")]),
        event("START", check, "check", now(), inputs=[pinned]),
        event("COMPLETE", check, "check", now(), inputs=[failed]),
    )
    table = quality(pipe.store, TableRef("d", "t"), as_of=now())
    assert table.snapshot is not None and table.snapshot.snapshot.snapshot_id == 1
    assert table.results == ()  # the head (version 1) was not the one checked
    out = quality(pipe.store, TableRef("d", "out"), as_of=now())
    (why,) = out.because
    assert (why.check.snapshot, why.check.evidence[1].kind.value) == (0, "dataset_version")
