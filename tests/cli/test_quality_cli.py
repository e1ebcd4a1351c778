"""``quality`` and ``triage`` as a user types them: answers, SUSPECT said plainly, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from temporal_lineage.store import Store
from temporal_lineage.times import format_time
from tests.cli.test_cli import run
from tests.query.quality_scenario import QualityStory, build
from tests.query.scenario import Pipeline


@pytest.fixture
def story(tmp_path: Path, sqlite_store: Store) -> tuple[QualityStory, list[str]]:
    pipe = Pipeline(tmp_path, sqlite_store)
    built = build(pipe)
    options = ["--config", str(tmp_path / "lineage.yaml"), "--store", sqlite_store.url]
    return built, options


def test_quality_json_and_table(story: tuple[QualityStory, list[str]]) -> None:
    built, options = story
    as_of = format_time(built.first_built) or ""
    answer = run("quality", "d.out", "--as-of", as_of, "--format", "json", *options)
    assert list(answer) == [
        "table",
        "as_of",
        "known_at",
        "snapshot",
        "results",
        "failed",
        "suspect",
        "because",
    ]
    assert answer["suspect"] is True
    assert [s["to_table"] for s in answer["because"][0]["path"]] == ["d.mid", "d.out"]
    text = run("quality", "d.out", "--as-of", as_of, *options).stdout
    assert "SUSPECT" in text and "d.raw@0 -> d.mid@0 -> d.out@0" in text
    raw = run("quality", "d.raw", "--as-of", as_of, *options).stdout
    assert "FAILED" in raw and "SUSPECT" not in raw and "not_null" in raw
    known = format_time(built.failure_recorded_before) or ""
    earlier = run(
        "quality", "d.out", "--as-of", as_of, "--known-at", known, "--format", "json", *options
    )
    assert earlier["suspect"] is False
    clean = run("quality", "d.side_out", *options).stdout
    assert "clean" in clean and "SUSPECT" not in clean


def test_triage_json_table_and_errors(story: tuple[QualityStory, list[str]]) -> None:
    built, options = story
    at = format_time(built.fixed) or ""
    answer = run("triage", "d.out", "--at", at, "--window", "1h", "--format", "json", *options)
    assert answer["window_seconds"] == 3600
    assert answer["causes"] and answer["causes"][0]["rank"] == 1
    kinds = {c["kind"] for c in answer["causes"]}
    assert {"new_snapshot", "quality_failure"} <= kinds
    assert {u["table"]: u["distance"] for u in answer["upstream"]} == {
        "d.out": 0,
        "d.mid": 1,
        "d.raw": 2,
    }
    text = run("triage", "d.out", "--at", at, *options).stdout
    assert "quality_failure" in text
    missing = run("triage", "d.out", *options, expect=2)
    assert "--at" in missing.stderr
    bad = run("triage", "d.out", "--at", at, "--window", "soon", *options, expect=2)
    assert bad.stderr.startswith("error: ") and "--window" in bad.stderr
    unknown = run("quality", "d.nope", *options, expect=3)
    assert unknown.stderr.strip().startswith("error: unknown table d.nope")
