"""A small pipeline with data-quality results: real Delta tables, hand-written events.

raw --build_mid--> mid --build_out--> out        (a failed not_null on raw's first snapshot)
side --build_side--> side_out                    (a clean branch: every assertion passes)

``check_raw`` is a test-only run (as ``dbt test`` sends them): it reads raw and states the
assertion in ``inputFacets.dataQualityAssertions``. Later raw is fixed (a second snapshot,
checked clean) and mid and out are rebuilt from it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from temporal_lineage.model import TableRef
from temporal_lineage.times import now

from .scenario import PRODUCER, SECOND, Pipeline, event, new_run

RAW, MID, OUT = TableRef("d", "raw"), TableRef("d", "mid"), TableRef("d", "out")
SIDE, SIDE_OUT = TableRef("d", "side"), TableRef("d", "side_out")
ASSERTIONS_URL = "https://openlineage.io/spec/facets/1-1-0/DataQualityAssertionsDatasetFacet.json"


def assertions(*items: tuple[str, str | None, bool]) -> dict[str, Any]:
    """A ``dataQualityAssertions`` facet: (assertion, column, success) each."""
    listed = []
    for assertion, column, success in items:
        entry: dict[str, Any] = {"assertion": assertion, "success": success}
        if column:
            entry["column"] = column
        listed.append(entry)
    return {
        "dataQualityAssertions": {
            "_producer": PRODUCER,
            "_schemaURL": ASSERTIONS_URL,
            "assertions": listed,
        }
    }


def io(name: str, *, input_facets: Any = None, output_facets: Any = None) -> dict[str, Any]:
    found: dict[str, Any] = {"namespace": "d", "name": name, "facets": {}}
    if input_facets:
        found["inputFacets"] = input_facets
    if output_facets:
        found["outputFacets"] = output_facets
    return found


@dataclass
class QualityStory:
    """The times and snapshots of the scenario."""

    first_built: datetime
    """After mid and out were built from raw's failed first snapshot."""
    failure_recorded_before: datetime
    """A known-at before the failed assertion was ingested (everything else known)."""
    fixed: datetime
    """After raw was fixed and mid/out rebuilt from it."""
    check_run: str
    runs: dict[str, str] = field(default_factory=dict)


def _job(pipe: Pipeline, job: str, reads: list[str], writes: str, value: int) -> str:
    run = new_run()
    time.sleep(0.01)
    started = now()
    time.sleep(0.01)
    pipe.write(writes, value, run_id=run)
    pipe.sync()
    pipe.send(
        event("START", run, job, started, inputs=[io(r) for r in reads]),
        event("COMPLETE", run, job, now(), inputs=[io(r) for r in reads], outputs=[io(writes)]),
    )
    return run


def _check(
    pipe: Pipeline, job: str, table: str, *items: tuple[str, str | None, bool], send: bool = True
) -> tuple[str, list[dict[str, Any]]]:
    """A test-only run reading ``table`` now; its events (sent unless ``send`` is false)."""
    run = new_run()
    time.sleep(0.01)
    started = now()
    facets = assertions(*items)
    events = [
        event("START", run, job, started, inputs=[io(table)]),
        event(
            "COMPLETE", run, job, started + SECOND / 100, inputs=[io(table, input_facets=facets)]
        ),
    ]
    if send:
        pipe.send(*events)
    time.sleep(0.02)
    return run, events


def build(pipe: Pipeline) -> QualityStory:
    """Run the scenario (about a second of wall time).

    The failed assertion's events are sent last (with their own, earlier event times): as
    known before they arrived, nothing is suspect.
    """
    runs: dict[str, str] = {}
    runs["load_raw"] = _job(pipe, "load_raw", [], "raw", 0)
    runs["load_side"] = _job(pipe, "load_side", [], "side", 0)
    runs["check_side"], _ = _check(pipe, "check_side", "side", ("not_null", "v", True))
    check_run, late_events = _check(
        pipe, "check_raw", "raw", ("not_null", "v", False), ("row_count", None, True), send=False
    )
    runs["build_mid"] = _job(pipe, "build_mid", ["raw"], "mid", 1)
    runs["build_out"] = _job(pipe, "build_out", ["mid"], "out", 2)
    runs["build_side"] = _job(pipe, "build_side", ["side"], "side_out", 3)
    time.sleep(0.01)
    first_built = now()
    known = now()
    time.sleep(0.01)
    pipe.send(*late_events)
    runs["fix_raw"] = _job(pipe, "load_raw", [], "raw", 10)
    runs["check_fixed"], _ = _check(pipe, "check_raw", "raw", ("not_null", "v", True))
    runs["rebuild_mid"] = _job(pipe, "build_mid", ["raw"], "mid", 11)
    runs["rebuild_out"] = _job(pipe, "build_out", ["mid"], "out", 12)
    time.sleep(0.01)
    return QualityStory(first_built, known, now(), check_run, runs)
