"""Snapshot-run links with evidence, on both databases, whatever order facts arrive in."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from temporal_lineage.model import EvidenceKind, RunState, TableRef
from temporal_lineage.query import history
from temporal_lineage.query.links import producers
from temporal_lineage.query.provenance import provenance
from temporal_lineage.store import Store
from temporal_lineage.times import now

from .scenario import SECOND, Pipeline, dataset, event, new_run


@pytest.fixture
def pipe(tmp_path: Path, store: Store) -> Pipeline:
    return Pipeline(tmp_path, store)


def links(pipe: Pipeline, table: str, known_at: object = None) -> dict[int, tuple[str, str]]:
    ref = TableRef("d", table)
    snaps = history.list_snapshots(pipe.store, ref)
    with pipe.store.reader() as reader:
        found = producers(reader, reader.get_table(ref), snaps, known_at)  # type: ignore[arg-type]
    return {k: (v.run_id, v.evidence[0].kind.value) for k, v in found.items()}


@pytest.mark.parametrize("events_first", [True, False])
def test_the_three_kinds_of_evidence(pipe: Pipeline, events_first: bool) -> None:
    tagged, versioned, silent = new_run(), new_run(), new_run()
    out = lambda v=None: [dataset("file", str(pipe.path("t")), v)]  # noqa: E731
    v0, at0 = pipe.write("t", 0, run_id=tagged)
    time.sleep(0.01)
    v1, at1 = pipe.write("t", 1)
    time.sleep(0.01)
    v2, at2 = pipe.write("t", 2)
    events = [
        event("START", tagged, "tag", at0 - SECOND),
        event("COMPLETE", tagged, "tag", at0 + SECOND / 100, outputs=out()),
        event("START", versioned, "ver", at1 - SECOND / 200),
        event("COMPLETE", versioned, "ver", at1 + SECOND / 200, outputs=out(v1)),
        event("START", silent, "silent", at2 - SECOND / 200),
        event("COMPLETE", silent, "silent", at2 + SECOND / 200, outputs=out()),
    ]
    if events_first:
        pipe.send(*events)
        pipe.sync()
    else:
        pipe.sync()
        pipe.send(*events)
    assert links(pipe, "t") == {
        v0: (tagged, "commit_property"),
        v1: (versioned, "dataset_version"),
        v2: (silent, "inferred"),
    }


def test_out_of_order_and_duplicate_events_give_one_state(pipe: Pipeline) -> None:
    run = new_run()
    _, at = pipe.write("t", 0, run_id=run)
    pipe.sync()
    complete = event("COMPLETE", run, "job", at + SECOND)
    start = event("START", run, "job", at - SECOND)
    first = pipe.send(complete, start)
    again = pipe.send(start, complete)
    assert (first.accepted, first.duplicates) == (2, 0)
    assert (again.accepted, again.duplicates) == (2, 2)
    graph = provenance(pipe.store, TableRef("d", "t"), now())
    (node,) = graph.nodes
    assert node.run is not None and node.run.state is RunState.COMPLETE
    assert node.run.started_at == at - SECOND and node.run.ended_at == at + SECOND


def test_known_at_answers_do_not_change_later(pipe: Pipeline) -> None:
    import json

    from temporal_lineage.query import shapes

    run = new_run()
    _, at = pipe.write("t", 0)
    pipe.sync()
    pipe.send(event("START", run, "job", at - SECOND))
    known = now()
    time.sleep(0.01)

    def answer() -> str:
        graph = provenance(pipe.store, TableRef("d", "t"), now(), known_at=known)
        return json.dumps(shapes.provenance_json(graph), sort_keys=True).replace(
            shapes.format_time(graph.as_of) or "", "AS_OF"
        )

    before = answer()
    pipe.send(event("COMPLETE", run, "job", at + SECOND, outputs=[dataset("d", "t", 0)]))
    pipe.write("t", 1)
    pipe.sync()
    assert answer() == before
    # As known now, the run is complete and names the snapshot.
    (node,) = provenance(pipe.store, TableRef("d", "t"), at).nodes
    assert node.run_id == run and node.evidence[0].kind is EvidenceKind.DATASET_VERSION


def test_an_inferred_link_needs_exactly_one_candidate(pipe: Pipeline) -> None:
    a, b = new_run(), new_run()
    v0, at = pipe.write("t", 0)
    pipe.sync()
    out = [dataset("d", "t")]
    pipe.send(
        event("START", a, "one", at - SECOND),
        event("COMPLETE", a, "one", at + SECOND, outputs=out),
        event("START", b, "two", at - SECOND),
        event("COMPLETE", b, "two", at + SECOND, outputs=out),
    )
    assert links(pipe, "t") == {}  # two candidate runs: no claim


def test_failed_runs_produce_nothing(pipe: Pipeline) -> None:
    failed = new_run()
    _, at = pipe.write("t", 0)
    pipe.sync()
    pipe.send(
        event("START", failed, "job", at - SECOND),
        event("FAIL", failed, "job", at + SECOND, outputs=[dataset("d", "t")]),
    )
    assert links(pipe, "t") == {}


def test_engine_ids_in_the_commit_match_runs_whose_events_carry_them(pipe: Pipeline) -> None:
    """A Spark commit names its application, not our run: the run's events carry the app id."""
    first, second = new_run(), new_run()
    _, at0 = pipe.write("t", 0, properties={"spark.app.id": "application_42"})
    time.sleep(0.01)
    _, at1 = pipe.write("t", 1, properties={"spark.app.id": "application_42"})
    pipe.sync()
    facet = {
        "gcp_dataproc_spark": {
            "_producer": "https://x",
            "_schemaURL": "https://x",
            "appId": "application_42",
        }
    }
    one = event("START", first, "a", at0 - SECOND / 100)
    one_done = event("COMPLETE", first, "a", at0 + SECOND / 200)
    two = event("START", second, "b", at1 - SECOND / 200)
    two_done = event("COMPLETE", second, "b", at1 + SECOND / 100)
    for item in (one, one_done, two, two_done):
        item["run"]["facets"] = facet
    pipe.send(one, one_done, two, two_done)
    # One application, two runs: the commit time picks the run whose window holds it.
    assert links(pipe, "t") == {0: (first, "commit_property"), 1: (second, "commit_property")}
