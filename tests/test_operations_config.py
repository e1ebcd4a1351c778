"""``freshness:`` in lineage.yaml: rules parsed in order, one-line errors naming the entry."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from temporal_lineage.config import load_settings
from temporal_lineage.errors import ConfigError
from temporal_lineage.operations_config import FreshnessRule, parse_freshness, sla_of


def test_rules_parse_in_order_and_the_first_match_wins(tmp_path: Path) -> None:
    config = tmp_path / "lineage.yaml"
    config.write_text(
        "freshness:\n"
        '  - {table: "lake.raw.*", sla: 1h}\n'
        '  - {table: "lake.*", sla: 2d}\n'
        '  - {table: "deltas.events", sla: 30m}\n'
    )
    rules = load_settings(config).freshness
    assert rules == (
        FreshnessRule("lake.raw.*", timedelta(hours=1)),
        FreshnessRule("lake.*", timedelta(days=2)),
        FreshnessRule("deltas.events", timedelta(minutes=30)),
    )
    assert sla_of(rules, "lake.raw.orders") == timedelta(hours=1)
    assert sla_of(rules, "lake.marts.revenue") == timedelta(days=2)
    assert sla_of(rules, "deltas.events") == timedelta(minutes=30)
    assert sla_of(rules, "deltas.other") is None
    config.write_text("sources: []\n")
    assert load_settings(config).freshness == ()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"table": "lake.*"}, r"t: freshness\[0\] \(lake\.\*\): sla is required"),
        (
            {"table": "lake.*", "sla": "soon"},
            r"freshness\[0\] \(lake\.\*\): sla: not an age: 'soon'",
        ),
        ({"table": "lake.*", "sla": "-1h"}, r"freshness\[0\] \(lake\.\*\): sla: not an age"),
        ({"table": "", "sla": "1h"}, r"freshness\[0\]: table must be a table reference or glob"),
        (
            {"table": "lake.*", "sla": "1h", "owner": "x"},
            r"freshness\[0\]: unknown key\(s\): owner",
        ),
        ("lake.*", r"freshness\[0\] must be a mapping"),
    ],
)
def test_a_bad_entry_is_named_on_one_line(raw: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_freshness([raw], "t")
    assert "\n" not in str(caught.value)


def test_freshness_must_be_a_list(tmp_path: Path) -> None:
    config = tmp_path / "lineage.yaml"
    config.write_text("freshness: {table: lake.*, sla: 1h}\n")
    with pytest.raises(ConfigError, match="freshness must be a list"):
        load_settings(config)
    config.write_text("freshness:\n  - {table: a.b, sla: 1h}\n  - {table: a.c, sla: 0s}\n")
    with pytest.raises(
        ConfigError, match=r"freshness\[1\] \(a\.c\): sla: age '0s' must be positive"
    ):
        load_settings(config)
