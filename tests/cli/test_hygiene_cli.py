"""``hygiene`` as a user types it: the JSON answer, the ranked table with readable sizes,
``--window`` and the ``hygiene:`` config, one-line errors."""

from __future__ import annotations

from datetime import timedelta

import pyarrow as pa
import pytest

from temporal_lineage.times import format_time, now
from tests.cli.test_cli import args, run


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> str:
    from deltalake import write_deltalake

    root = tmp_path_factory.mktemp("hygiene")
    for i in range(3):
        write_deltalake(root / "delta" / "tiny", pa.table({"v": [i]}), mode="append")
    big = pa.table({"v": list(range(50_000)), "s": [f"row {i} of many" for i in range(50_000)]})
    write_deltalake(root / "delta" / "big", big)
    (root / "lineage.yaml").write_text(
        "store: sqlite:///store.db\n"
        "sources:\n  - {name: d, format: delta, root: delta}\n"
        "hygiene: {small_commits_min: 3, retain: 1d}\n",
        encoding="utf-8",
    )
    options = f"--config={root / 'lineage.yaml'}"
    run(*args(options, "sync", "--format", "json"))
    return options


def _later() -> str:
    return format_time(now() + timedelta(days=10)) or ""


def test_the_json_answer_follows_the_config(config: str) -> None:
    answer = run(*args(config, "hygiene", "--as-of", _later(), "--format", "json"))
    assert list(answer) == [
        "as_of",
        "known_at",
        "window_seconds",
        "unused",
        "redundant",
        "small_commits",
        "retained",
    ]
    assert answer["window_seconds"] == 30 * 86400
    assert [u["table"] for u in answer["unused"]] == ["d.big", "d.tiny"]  # largest first
    assert answer["unused"][0]["bytes"] > answer["unused"][1]["bytes"] > 0
    assert [(s["table"], s["commits"]) for s in answer["small_commits"]] == [("d.tiny", 3)]
    assert [(r["table"], r["snapshots"], r["max_age_seconds"]) for r in answer["retained"]] == [
        ("d.tiny", 2, 86400)
    ]
    assert answer["redundant"] == []


def test_window_narrows_what_counts(config: str) -> None:
    answer = run(
        *args(config, "hygiene", "--as-of", _later(), "--window", "1d", "--format", "json")
    )
    assert answer["window_seconds"] == 86400
    assert answer["small_commits"] == []  # the commits were ten days before
    assert [u["table"] for u in answer["unused"]] == ["d.big", "d.tiny"]


def test_the_table_shows_readable_sizes(config: str) -> None:
    shown = run(*args(config, "hygiene", "--as-of", _later())).stdout
    assert "unused in the 30d before" in shown
    assert "KiB" in shown and "d.big" in shown
    assert "no redundant jobs" in shown
    assert shown.index("d.big") < shown.index("d.tiny")


def test_a_bad_window_is_a_one_line_error(config: str) -> None:
    bad = run(*args(config, "hygiene", "--window", "soon"), expect=2)
    assert bad.stderr.strip() == ("error: --window: not an age: 'soon' (e.g. 30d, 12w, 7y)")
