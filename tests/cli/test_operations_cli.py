"""``freshness`` and ``job`` as a user types them, and ``run`` with duration and attempt:
json answers, the table with late rows marked and the late upstream named, one-line errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from temporal_lineage.store import open_store
from temporal_lineage.times import format_time
from tests.cli.test_cli import args, run
from tests.query.operations_scenario import Story, build
from tests.query.scenario import Pipeline

CONFIG = """\
sources:
  - {name: d, format: delta, root: delta}
freshness:
  - {table: d.raw, sla: 1h}
  - {table: "d.mi*", sla: 30m}
"""


@pytest.fixture
def story(tmp_path: Path) -> Iterator[tuple[Story, str]]:
    (tmp_path / "lineage.yaml").write_text(CONFIG)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = open_store(url)
    try:
        built = build(Pipeline(tmp_path, store))
    finally:
        store.close()
    yield built, f"--config={tmp_path / 'lineage.yaml'}\n--store={url}"


def test_freshness_json_names_the_late_upstream(story: tuple[Story, str]) -> None:
    built, config = story
    at = format_time(built.late_at) or ""
    answer = run(*args(config, "freshness", "--as-of", at, "--format", "json"))
    assert [(f["table"], f["late"]) for f in answer] == [
        ("d.mart", False),
        ("d.mid", True),
        ("d.raw", True),
    ]
    assert [u["table"] for u in answer[0]["late_upstream"]] == ["d.mid", "d.raw"]
    assert list(answer[0]) == [
        "table",
        "last_commit",
        "lag_seconds",
        "sla_seconds",
        "late",
        "late_upstream",
    ]
    (mart,) = run(*args(config, "freshness", "d.mart", "--as-of", at, "--format", "json"))
    assert mart == answer[0]
    early = run(
        *args(
            config,
            "freshness",
            "d.raw",
            "--as-of",
            format_time(built.mart_at) or "",
            "--format",
            "json",
        )
    )
    assert early[0]["late"] is False and early[0]["sla_seconds"] == 3600.0


def test_freshness_table_marks_late_rows(story: tuple[Story, str]) -> None:
    built, config = story
    text = run(*args(config, "freshness", "--as-of", format_time(built.late_at) or "")).stdout
    assert "2 of 3 late" in text
    mart = next(line for line in text.splitlines() if "d.mart" in line and "d.mid (" in line)
    assert "d.raw (2h" in mart
    assert sum("LATE" in line for line in text.splitlines()) == 2


def test_job_view_and_run_answer(story: tuple[Story, str]) -> None:
    built, config = story
    at = format_time(built.late_at) or ""
    job = run(*args(config, "job", "tests/stage", "--as-of", at, "--format", "json"))
    assert job["stats"] == {
        "job": "tests/stage",
        "runs": 2,
        "failed": 1,
        "failure_rate": 0.5,
        "retries": 1,
        "duration_p50_seconds": 2.5,
        "duration_p95_seconds": 2.95,
    }
    assert [(r["state"], r["attempt"]) for r in job["runs"]] == [("FAIL", 1), ("COMPLETE", 2)]
    text = run(*args(config, "job", "tests/dag/publish", "--as-of", at, "--window", "7d")).stdout
    assert "failure_rate: 50%" in text and "retries: 1" in text
    detail = run(*args(config, "run", built.stage_retry, "--format", "json"))
    assert (detail["duration_seconds"], detail["attempt"]) == (3.0, 2)


def test_errors_are_one_line(story: tuple[Story, str]) -> None:
    _, config = story
    missing = run(*args(config, "job", "tests/none"), expect=3)
    assert missing.stderr.strip().startswith("error: job tests/none: no run of this job")
    bad = run(*args(config, "job", "tests/stage", "--window", "soon"), expect=2)
    assert bad.stderr.strip() == "error: --window: not a duration: 'soon' (e.g. 60s, 5m, 1h)"
    unknown = run(*args(config, "freshness", "d.nope"), expect=3)
    assert unknown.stderr.count("\n") == 1 and "d.nope" in unknown.stderr
