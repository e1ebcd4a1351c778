"""Freshness as of A and known at K on SQLite and PostgreSQL: last commit, lag, SLA, and
the late upstream tables named nearest first."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from temporal_lineage.errors import TableNotFound
from temporal_lineage.model import TableRef
from temporal_lineage.operations_config import FreshnessRule
from temporal_lineage.query.freshness import freshness, table_lags
from temporal_lineage.query.operations_shapes import freshness_json
from temporal_lineage.store import Store
from temporal_lineage.times import format_time, now

from .operations_scenario import MART, MID, RAW, Story, build
from .scenario import SECOND, Pipeline

RULES = (
    FreshnessRule("d.raw", timedelta(hours=1)),
    FreshnessRule("d.mi*", timedelta(minutes=30)),
    FreshnessRule("d.*", timedelta(days=1)),
)


@pytest.fixture
def story(tmp_path: Path, store: Store) -> Story:
    return build(Pipeline(tmp_path, store))


def test_lag_is_a_minus_the_last_commit_and_late_beyond_the_sla(story: Story) -> None:
    at = story.late_at
    (raw,) = freshness(story.pipe.store, [RAW], as_of=at, rules=RULES)
    assert raw.last_commit == story.raw_at
    assert raw.lag == at - story.raw_at
    assert raw.sla == timedelta(hours=1) and raw.late
    (fresh_raw,) = freshness(story.pipe.store, [RAW], as_of=story.raw_at + SECOND, rules=RULES)
    assert not fresh_raw.late and fresh_raw.lag == SECOND


def test_the_first_matching_rule_wins_and_no_rule_means_no_sla(story: Story) -> None:
    at = story.late_at
    mid, mart = freshness(story.pipe.store, [MID, MART], as_of=at, rules=RULES[:2])
    assert mid.sla == timedelta(minutes=30) and mid.late
    assert mart.sla is None and not mart.late
    (mart_all,) = freshness(story.pipe.store, [MART], as_of=at, rules=RULES)
    assert mart_all.sla == timedelta(days=1) and not mart_all.late


def test_the_late_upstream_is_named_nearest_first(story: Story) -> None:
    (mart,) = freshness(story.pipe.store, [MART], as_of=story.late_at, rules=RULES[:2])
    assert [str(u.table) for u in mart.late_upstream] == ["d.mid", "d.raw"]
    assert all(u.late and u.late_upstream == () for u in mart.late_upstream)
    (document,) = freshness_json([mart])
    assert document["late_upstream"][0] == {
        "table": "d.mid",
        "last_commit": format_time(story.mid_at),
        "lag_seconds": (story.late_at - story.mid_at).total_seconds(),
        "sla_seconds": 1800.0,
        "late": True,
    }
    relaxed = (FreshnessRule("d.raw", timedelta(hours=1)),)
    (mart,) = freshness(story.pipe.store, [MART], as_of=story.late_at, rules=relaxed)
    assert [str(u.table) for u in mart.late_upstream] == ["d.raw"]


def test_the_whole_store_walks_down_from_the_late_tables(story: Story) -> None:
    answer = freshness(story.pipe.store, None, as_of=story.late_at, rules=RULES[:2])
    by_table = {str(f.table): f for f in answer}
    assert list(by_table) == ["d.mart", "d.mid", "d.raw"]
    assert [str(u.table) for u in by_table["d.mart"].late_upstream] == ["d.mid", "d.raw"]
    assert [str(u.table) for u in by_table["d.mid"].late_upstream] == ["d.raw"]
    assert by_table["d.raw"].late_upstream == ()
    named = freshness(story.pipe.store, [MART, MID, RAW], as_of=story.late_at, rules=RULES[:2])
    assert sorted(named, key=lambda f: str(f.table)) == answer
    lags = table_lags(story.pipe.store, as_of=story.late_at, rules=RULES[:2])
    assert [(f.table, f.lag, f.late) for f in lags] == [(f.table, f.lag, f.late) for f in answer]


def test_before_the_first_commit_there_is_nothing_to_be_late(story: Story) -> None:
    before = story.raw_at - SECOND
    assert freshness(story.pipe.store, None, as_of=before, rules=RULES) == []
    (raw,) = freshness(story.pipe.store, [RAW], as_of=before, rules=RULES)
    assert (raw.last_commit, raw.lag, raw.late) == (None, None, False)


def test_a_commit_recorded_after_k_is_not_seen(story: Story) -> None:
    known = now()
    time.sleep(0.01)
    _, again = story.pipe.write("raw", 1)
    story.pipe.sync()
    at = again + timedelta(minutes=90)
    (then,) = freshness(story.pipe.store, [RAW], as_of=at, known_at=known, rules=RULES)
    (latest,) = freshness(story.pipe.store, [RAW], as_of=at, rules=RULES)
    assert then.last_commit == story.raw_at and then.lag == at - story.raw_at
    assert latest.last_commit == again and latest.lag == timedelta(minutes=90)
    whole = freshness(story.pipe.store, None, as_of=at, known_at=known, rules=RULES)
    assert next(f for f in whole if f.table == RAW).last_commit == story.raw_at


def test_an_unknown_table_is_refused(story: Story) -> None:
    with pytest.raises(TableNotFound, match="d.nope"):
        freshness(story.pipe.store, [TableRef("d", "nope")], as_of=now())


def test_late_upstream_follows_the_lineage_in_force_at_a(story: Story) -> None:
    """publish is re-pointed at raw three hours on: from then on mid is no longer upstream
    of mart (before then it still is)."""
    from .scenario import dataset, event, new_run

    changed = new_run()
    at = story.mart_at + timedelta(hours=3)
    raw, mart = (dataset("file", str(story.pipe.path(n))) for n in ("raw", "mart"))
    story.pipe.send(
        event("START", changed, "dag/publish", at),
        event("COMPLETE", changed, "dag/publish", at + SECOND, inputs=[raw], outputs=[mart]),
    )
    for as_of, expected in ((story.late_at, ["d.mid", "d.raw"]), (at + SECOND, ["d.raw"])):
        (named,) = freshness(story.pipe.store, [MART], as_of=as_of, rules=RULES[:2])
        whole = freshness(story.pipe.store, None, as_of=as_of, rules=RULES[:2])
        assert [str(u.table) for u in named.late_upstream] == expected, as_of
        assert next(f for f in whole if f.table == MART) == named
