"""The ``hygiene:`` key of lineage.yaml: typed, defaults when absent, every mistake a one-line
error naming the key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from temporal_lineage.config import load_settings
from temporal_lineage.errors import ConfigError
from temporal_lineage.hygiene_config import MIB, HygieneConfig, parse_size


def _load(tmp_path: Path, text: str) -> HygieneConfig:
    path = tmp_path / "lineage.yaml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path).hygiene


def test_the_documented_example_parses(tmp_path: Path) -> None:
    config = _load(
        tmp_path,
        "hygiene: {window: 30d, small_commit_bytes: 8MB, small_commits_min: 10, retain: 7d}\n",
    )
    assert config == HygieneConfig(
        window=timedelta(days=30),
        small_commit_bytes=8 * MIB,
        small_commits_min=10,
        retain=timedelta(days=7),
    )


def test_absent_keys_take_the_defaults(tmp_path: Path) -> None:
    assert _load(tmp_path, "store: sqlite:///x.db\n") == HygieneConfig()
    partial = _load(tmp_path, "hygiene: {retain: 2w}\n")
    assert partial.retain == timedelta(weeks=2) and partial.window == timedelta(days=30)
    assert partial.small_commit_bytes == 8 * MIB and partial.small_commits_min == 10


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("512", 512),
        ("512B", 512),
        ("4KB", 4096),
        ("4 KiB", 4096),
        ("1.5mb", 1572864),
        ("2G", 2 * 1024**3),
        ("1TB", 1024**4),
        (100, 100),
    ],
)
def test_sizes(text: object, size: int) -> None:
    assert parse_size(text, "x") == size


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hygiene: [30d]\n", "hygiene must be a mapping"),
        ("hygiene: {windows: 30d}\n", "hygiene: unknown key(s): windows"),
        ("hygiene: {window: soon}\n", "hygiene.window: not an age: 'soon'"),
        ("hygiene: {retain: -1d}\n", "hygiene.retain: not an age"),
        ("hygiene: {retain: 0d}\n", "hygiene.retain: age '0d' must be positive"),
        ("hygiene: {small_commit_bytes: lots}\n", "hygiene.small_commit_bytes: not a size"),
        ("hygiene: {small_commit_bytes: 8XB}\n", "hygiene.small_commit_bytes: not a size"),
        ("hygiene: {small_commit_bytes: 0}\n", "must be at least one byte"),
        ("hygiene: {small_commit_bytes: true}\n", "hygiene.small_commit_bytes: not a size"),
        ("hygiene: {small_commits_min: 0}\n", "small_commits_min must be a whole number >= 1"),
        ("hygiene: {small_commits_min: 2.5}\n", "small_commits_min must be a whole number"),
        ("hygiene: {small_commits_min: yes}\n", "small_commits_min must be a whole number"),
    ],
)
def test_mistakes_are_one_line_errors_naming_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    error = str(caught.value)
    assert message in error and "\n" not in error, error
    assert str(tmp_path / "lineage.yaml") in error
