"""Ingestion through the store: real events, rejections with reasons, idempotency."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from temporal_lineage.cli.main import cli
from temporal_lineage.errors import InvalidEvent
from temporal_lineage.ingest import ingest_files, ingest_payload
from temporal_lineage.store import Store
from temporal_lineage.store import tables as t

OPENLINEAGE = Path(__file__).resolve().parents[1].parent / "shared" / "realworld" / "openlineage"
COMPLETE = [
    *sorted((OPENLINEAGE / "compat_airflow").glob("*.json")),
    *sorted((OPENLINEAGE / "compat_spark_dataproc").glob("*.json")),
    OPENLINEAGE / "spec" / "example_full_event.json",
    OPENLINEAGE / "spec" / "fluentd_event_full.json",
]
TEMPLATES = sorted((OPENLINEAGE / "ol_spark_integration_expected").glob("*.json"))


def count(store: Store, table: object) -> int:
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_the_corpus_is_there() -> None:
    assert OPENLINEAGE.is_dir(), f"the real-world corpus is missing: {OPENLINEAGE}"
    assert len(COMPLETE) == 9 and len(TEMPLATES) == 10


def test_real_complete_events_are_accepted_and_normalised(store: Store) -> None:
    report = ingest_files(store, COMPLETE)
    assert report.rejected == [] and report.accepted == 9
    assert count(store, t.events) == 9
    assert count(store, t.runs) >= 5 and count(store, t.jobs) >= 5
    with store.connect() as conn:
        datasets = conn.execute(select(t.run_datasets.c.namespace, t.run_datasets.c.name)).all()
    assert datasets, "inputs and outputs are kept as lineage nodes even when no table matches"
    again = ingest_files(store, COMPLETE)
    assert (again.accepted, again.duplicates) == (9, 9)
    assert count(store, t.events) == 9 and count(store, t.run_states) == 9


def test_partial_templates_are_rejected_whole_with_a_reason(store: Store) -> None:
    report = ingest_files(store, TEMPLATES)
    assert report.accepted == 0 and len(report.rejected) == len(TEMPLATES)
    for rejection in report.rejected:
        assert "\n" not in rejection.error
        assert any(f in rejection.error for f in ("eventTime", "producer", "schemaURL", "runId"))
    assert count(store, t.events) == 0 and count(store, t.run_datasets) == 0


def test_one_bad_event_among_good_ones(store: Store) -> None:
    good = json.loads((OPENLINEAGE / "spec" / "example_full_event.json").read_text())
    bad = dict(good, run={"runId": "not-a-uuid"})
    payload = "\n".join(json.dumps(e) for e in (bad, good))
    report = ingest_payload(store, payload, origin="mixed.ndjson")
    assert report.accepted == 1
    [(index, error)] = [(r.index, r.error) for r in report.rejected]
    assert index == 0 and "runId" in error
    assert count(store, t.events) == 1


def test_not_json_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InvalidEvent):
        ingest_payload(store, b"{nope", origin="x.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{nope")
    result = CliRunner().invoke(
        cli,
        [
            "ingest",
            str(broken),
            str(COMPLETE[0]),
            "--store",
            store.engine.url.render_as_string(hide_password=False),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 1
    answer = json.loads(result.stdout)
    assert answer["accepted"] == 1 and answer["rejected"][0]["file"] == str(broken)
    assert result.stderr.startswith("rejected: ")


def test_column_lineage_of_real_events_is_kept_per_run(store: Store) -> None:
    """Spark's column lineage (Dataproc CLL scenario): every input field and transformation."""
    ingest_files(store, [OPENLINEAGE / "compat_spark_dataproc" / "cll_8_complete.json"])
    with store.connect() as conn:
        rows = conn.execute(
            select(
                t.column_edges.c.output_field,
                t.column_edges.c.input_name,
                t.column_edges.c.input_field,
                t.column_edges.c.kind,
                t.column_edges.c.subtype,
                t.column_edges.c.origin,
            )
        ).all()
    edges = {tuple(r) for r in rows}
    assert ("ident", "/tmp/cll_test/cll_source1", "a", "DIRECT", "IDENTITY", "facet") in edges
    assert ("trans", "/tmp/cll_test/cll_source1", "b", "DIRECT", "TRANSFORMATION", "facet") in edges
    assert ("agg", "/tmp/cll_test/cll_source2", "c", "DIRECT", "AGGREGATION", "facet") in edges
    assert ("agg", "/tmp/cll_test/cll_source2", "a", "INDIRECT", "JOIN", "facet") in edges
    assert {r.output_field for r in rows} == {"ident", "trans", "agg"}


def _event(run_id: str, job: str) -> str:
    # ensure_ascii: a lone surrogate stays the \ud800 escape a Java writer sends.
    return json.dumps(
        {
            "eventTime": "2024-10-16T16:53:51.761Z",
            "producer": "https://example.com/producer",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "eventType": "COMPLETE",
            "run": {"runId": run_id},
            "job": {"namespace": "default", "name": job},
        },
        ensure_ascii=True,
    )


def test_a_lone_surrogate_rejects_its_event_and_the_file_goes_on(
    store: Store, tmp_path: Path
) -> None:
    """Regression: '\\ud800' in an event reached the driver (UnicodeEncodeError) and killed
    the whole file; now the event is rejected naming the field and the others are stored."""
    path = tmp_path / "events.ndjson"
    good = "0192963f-f6f8-71c0-8380-500bc70883e1"
    lines = [
        _event("0192963f-f6f8-71c0-8380-500bc70883e0", "etl\ud800"),
        _event(good, "etl"),
        _event("0192963f-f6f8-71c0-8380-500bc70883e2", "nul\x00"),
    ]
    path.write_text("\n".join(lines) + "\n")
    url = store.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["ingest", str(path), "--store", url, "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    answer = json.loads(result.stdout)
    assert answer["accepted"] == 1 and result.exit_code == 1
    assert [r["error"] for r in answer["rejected"]] == [
        "event 0: job.name: not valid Unicode: lone surrogate U+D800 at character 3",
        "event 2: job.name: NUL character U+0000 at character 3 (the store cannot keep it)",
    ]
    with store.connect() as conn:
        assert list(conn.execute(select(t.runs.c.run_id)).scalars()) == [good]


def test_a_value_wider_than_its_column_is_refused_alike_on_both_databases(store: Store) -> None:
    """PostgreSQL enforces VARCHAR widths and SQLite does not: the store checks first."""
    payload = "\n".join(
        [
            _event("0192963f-f6f8-71c0-8380-500bc70883e3", "j" * 1001),
            _event("0192963f-f6f8-71c0-8380-500bc70883e4", "fine"),
        ]
    )
    report = ingest_payload(store, payload, origin="wide.ndjson")
    assert report.accepted == 1 and [r.index for r in report.rejected] == [0]
    assert report.rejected[0].error == (
        "event 0: cannot be stored: jobs.name: 1001 characters, more than the 1000 the store keeps"
    )
    assert count(store, t.events) == 1 and count(store, t.jobs) == 1


def test_a_wide_dataset_name_refuses_its_event_and_the_batch_goes_on(store: Store) -> None:
    """Rows other than the job's are checked when the batch is written: the batch is then
    stored event by event, and only the event with the wide value is refused."""
    events = [json.loads(_event(f"0192963f-f6f8-71c0-8380-500bc70883f{i}", "etl")) for i in "01"]
    events[0]["inputs"] = [{"namespace": "n" * 1001, "name": "t"}]
    events[1]["inputs"] = [{"namespace": "file", "name": "/data/t"}]
    report = ingest_payload(store, "\n".join(map(json.dumps, events)), origin="wide.ndjson")
    assert report.accepted == 1 and [r.index for r in report.rejected] == [0]
    assert report.rejected[0].error == (
        "event 0: cannot be stored: run_datasets.namespace: 1001 characters, "
        "more than the 1000 the store keeps"
    )
    assert count(store, t.events) == 1 and count(store, t.run_datasets) == 1


def test_an_unexpected_error_storing_one_event_is_its_rejection(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last line of defence: an error nobody foresaw, raised while one event is written,
    becomes that event's one-line rejection; the others of the batch are stored."""
    from temporal_lineage.store.event_writes import EventWriter

    original = EventWriter.write

    def write(self: EventWriter, event: object, edges: object) -> None:
        if getattr(event, "run_id", None) == "0192963f-f6f8-71c0-8380-500bc70883e6":
            raise RuntimeError("boom\nsecond line")
        original(self, event, edges)  # type: ignore[arg-type]

    monkeypatch.setattr(EventWriter, "write", write)
    payload = "\n".join(_event(f"0192963f-f6f8-71c0-8380-500bc70883e{n}", "etl") for n in (5, 6, 7))
    report = ingest_payload(store, payload, origin="x.ndjson")
    assert report.accepted == 2
    assert [(r.index, r.error) for r in report.rejected] == [
        (1, "event 1: unexpected error while storing it: boom")
    ]
    assert count(store, t.events) == 2
