"""Root-cause triage on SQLite and PostgreSQL: one true cause among decoys ranks first.

src --build_raw--> raw --build_dash--> dash        other (unrelated, written by other_job)

In the window: a routine append to src (far upstream), raw's schema drops ``amount`` (the
true cause: dash's consumers read it), dash rebuilt, and two decoys: a snapshot of the
unrelated table and a run of another job.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from temporal_lineage.model import TableRef
from temporal_lineage.operations_config import FreshnessRule
from temporal_lineage.query.triage import CauseKind, triage
from temporal_lineage.query.triage_shapes import triage_json
from temporal_lineage.store import Store
from temporal_lineage.times import now

from .quality_scenario import assertions, io
from .scenario import SECOND, Pipeline, event, new_run

SRC, RAW, DASH, OTHER = (TableRef("d", n) for n in ("src", "raw", "dash", "other"))


@pytest.fixture
def pipe(tmp_path: Path, store: Store) -> Pipeline:
    return Pipeline(tmp_path, store)


def _write_raw(pipe: Pipeline, run_id: str, columns: dict[str, list[int]], **kwargs: Any) -> None:
    from deltalake import CommitProperties, write_deltalake

    write_deltalake(
        pipe.path("raw"),
        pa.table({k: pa.array(v, pa.int64()) for k, v in columns.items()}),
        commit_properties=CommitProperties(custom_metadata={"lineage.run-id": run_id}),
        **kwargs,
    )


def _run(
    pipe: Pipeline,
    job: str,
    reads: list[str],
    writes: str | None,
    commit: Any = None,
    *,
    code: str = "v1",
    inputs: list[dict[str, Any]] | None = None,
) -> str:
    run = new_run()
    time.sleep(0.01)
    started = now()
    time.sleep(0.01)
    if commit is not None:
        commit(run)
    elif writes is not None:
        pipe.write(writes, 1, run_id=run)
    pipe.sync()
    ins = inputs or [io(r) for r in reads]
    outs = [io(writes)] if writes else []
    pipe.send(
        event("START", run, job, started, inputs=ins, code_version=code),
        event("COMPLETE", run, job, now(), inputs=ins, outputs=outs, code_version=code),
    )
    return run


def _story(pipe: Pipeline) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    _run(pipe, "load_src", [], "src")
    _run(
        pipe,
        "build_raw",
        ["src"],
        "raw",
        lambda r: _write_raw(pipe, r, {"v": [1], "amount": [5]}, mode="append"),
    )
    _run(pipe, "build_dash", ["raw"], "dash")
    _run(pipe, "other_job", [], "other")
    time.sleep(0.02)
    facts["before_change"] = now()
    time.sleep(0.02)
    facts["append"] = _run(pipe, "load_src", [], "src")  # routine, far upstream
    facts["drop"] = _run(
        pipe,
        "build_raw",
        ["src"],
        "raw",
        lambda r: _write_raw(pipe, r, {"v": [2]}, mode="overwrite", schema_mode="overwrite"),
    )
    facts["rebuild"] = _run(pipe, "build_dash", ["raw"], "dash")
    facts["decoy_run"] = _run(pipe, "other_job", [], "other")  # another job, unrelated table
    time.sleep(0.02)
    facts["at"] = now()
    return facts


def test_the_true_cause_ranks_first_among_decoys(pipe: Pipeline) -> None:
    facts = _story(pipe)
    answer = triage(pipe.store, DASH, at=facts["at"])
    first = answer.causes[0]
    assert first.kind is CauseKind.SCHEMA_CHANGE and first.table == RAW, answer.causes[:3]
    assert first.distance == 1
    assert "dropped amount" in first.detail and "score" in first.detail
    assert "dropped amount" in first.evidence[0].detail
    tables = {c.table for c in answer.causes}
    assert OTHER not in tables  # the unrelated table's snapshot is no cause
    assert facts["decoy_run"] not in {c.run_id for c in answer.causes}
    append = next(c for c in answer.causes if c.run_id == facts["append"])
    assert (append.kind, append.table, append.distance) == (CauseKind.NEW_SNAPSHOT, SRC, 2)
    assert append.score < first.score
    assert dict(answer.upstream) == {DASH: 0, RAW: 1, SRC: 2}
    ranks = [c["rank"] for c in triage_json(answer)["causes"]]
    assert ranks == list(range(1, len(answer.causes) + 1))
    scores = [c.score for c in answer.causes]
    assert scores == sorted(scores, reverse=True)


def test_the_window_and_known_at_bound_the_causes(pipe: Pipeline) -> None:
    facts = _story(pipe)
    narrow = triage(pipe.store, DASH, at=facts["at"], window=facts["at"] - facts["before_change"])
    runs = {c.run_id for c in narrow.causes if c.kind is CauseKind.NEW_SNAPSHOT}
    assert runs == {facts["append"], facts["drop"], facts["rebuild"]}
    known = triage(pipe.store, DASH, at=facts["at"], known_at=facts["before_change"])
    assert all(c.kind is not CauseKind.SCHEMA_CHANGE for c in known.causes)
    assert all(c.at <= facts["before_change"] for c in known.causes)


def test_code_parameter_failed_run_and_quality_causes(pipe: Pipeline) -> None:
    _run(pipe, "load_src", [], "src")
    _run(pipe, "build_dash", ["src"], "dash")
    changed = _run(pipe, "build_dash", ["src"], "dash", code="v2")
    failed = new_run()
    started = now()
    pipe.send(
        event("START", failed, "load_src", started, outputs=[io("src")]),
        event("FAIL", failed, "load_src", started + SECOND / 10, outputs=[io("src")]),
    )
    bad = assertions(("not_null", "v", False))
    checker = _run(pipe, "check_src", [], None, inputs=[io("src", input_facets=bad)])
    at = now() + SECOND
    answer = triage(pipe.store, DASH, at=at, window=timedelta(hours=1))
    kinds = {(c.kind, c.run_id) for c in answer.causes}
    assert (CauseKind.CODE_CHANGE, changed) in kinds
    assert (CauseKind.FAILED_RUN, failed) in kinds
    assert (CauseKind.QUALITY_FAILURE, checker) in kinds
    code = next(c for c in answer.causes if c.kind is CauseKind.CODE_CHANGE)
    assert "v1 -> v2" in code.detail and code.distance == 0


def test_a_late_upstream_table_is_a_cause(pipe: Pipeline) -> None:
    _run(pipe, "load_src", [], "src")
    _run(pipe, "build_dash", ["src"], "dash")
    at = now() + timedelta(hours=2)
    rules = (FreshnessRule("d.src", timedelta(hours=1)),)
    answer = triage(pipe.store, DASH, at=at, rules=rules)
    late = [c for c in answer.causes if c.kind is CauseKind.LATE]
    assert [(c.table, c.distance) for c in late] == [(SRC, 1)]
    assert "late" in late[0].detail
    assert not any(c.kind is CauseKind.LATE for c in triage(pipe.store, DASH, at=at).causes)


def test_the_rename_of_a_column_read_downstream_explains_the_failed_training_run(
    warehouse: Any, store: Store
) -> None:
    """The sample warehouse: lake.features.user_features renames total_amount and the next
    run of deltas.training_set fails. As of that failure the rename ranks first (its column
    is read into the training set), above the training job's own failure (the symptom)."""
    from temporal_lineage.config import load_settings
    from temporal_lineage.ingest import ingest_files
    from temporal_lineage.sync import sync
    from temporal_lineage.times import parse_time

    settings = load_settings(warehouse.root / "lineage.yaml")
    assert sync(store, settings).errors == []
    assert ingest_files(store, [warehouse.events_path]).rejected == []
    broken = min(
        s.as_of
        for change in warehouse.propagation
        if change.table == "lake.features.user_features"
        for d in change.downstream
        for s in d.statuses
        if s.status == "broken"
    )
    answer = triage(
        store,
        TableRef.from_user_string("deltas.training_set"),
        at=parse_time(broken),
        window=timedelta(hours=1),
    )
    first = answer.causes[0]
    assert first.kind is CauseKind.SCHEMA_CHANGE
    assert str(first.table) == "lake.features.user_features"
    assert "total_amount" in first.detail and "read into deltas.training_set" in first.detail
    failed = [c for c in answer.causes if c.kind is CauseKind.FAILED_RUN]
    assert failed and all(c.score < first.score for c in failed)
