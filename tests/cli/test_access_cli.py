"""``access TABLE`` as a user types it: JSON rows, the table view, the column filter and
window, one-line errors with their exit codes (a real Iceberg table, its reads ingested)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from temporal_lineage.store import open_store
from temporal_lineage.times import format_time, now
from tests.cli.test_cli import args, run
from tests.query.test_access import (
    build_lake,
    contact_lineage,
    run_event,
    scan_facet,
    scan_report,
    spark_user,
)


@pytest.fixture
def config(tmp_path: Path) -> tuple[str, int, int]:
    settings, first, second, between, after = build_lake(tmp_path)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    config = f"--config={tmp_path / 'lineage.yaml'}\n--store={url}"
    run(*args(config, "sync", "--format", "json"))
    events = tmp_path / "events.ndjson"
    events.write_text(
        "\n".join(
            [
                run_event(
                    between,
                    "export",
                    run_facets=spark_user("alice"),
                    input_facets=scan_facet(first, ["id", "email"]),
                ),
                run_event(after, "contacts", outputs=contact_lineage("mail")),
            ]
        ),
        encoding="utf-8",
    )
    ingested = run(*args(config, "ingest", str(events), "--format", "json"))
    assert ingested["accepted"] == 2
    store = open_store(url)
    try:
        store.record_metrics_reports([scan_report(second, [1], ["id"], "carol")], now())
    finally:
        store.close()
    return config, first, second


def test_access_lists_every_read_as_json(config: tuple[str, int, int]) -> None:
    flags, first, second = config
    reads = run(*args(flags, "access", "lake.crm.people", "--format", "json"))
    assert [list(r) for r in reads] == [
        ["at", "run", "job", "principal", "snapshot", "columns", "evidence"]
    ] * 3
    assert [(r["principal"], r["snapshot"], r["columns"], r["job"]) for r in reads] == [
        ("alice", first, ["id", "email"], "etl/export"),
        (None, second, ["mail"], "etl/contacts"),  # no facet names who ran it
        ("carol", second, ["id"], None),
    ]
    uuid.UUID(reads[0]["run"])


def test_the_column_filter_and_the_window(config: tuple[str, int, int]) -> None:
    flags, _, _ = config
    mail = run(*args(flags, "access", "lake.crm.people", "--column", "mail", "--format", "json"))
    assert [r["job"] for r in mail] == ["etl/export", "etl/contacts"]  # email, then mail
    future = format_time(now() + timedelta(days=1))
    none = run(*args(flags, "access", "lake.crm.people", "--from", future, "--format", "json"))
    assert none == []
    text = run(*args(flags, "access", "lake.crm.people", "--column", "id"))
    assert "alice" in text.stdout and "carol" in text.stdout and "etl/contacts" not in text.stdout


def test_errors_are_one_line_with_their_exit_codes(config: tuple[str, int, int]) -> None:
    flags, _, _ = config
    unknown = run(*args(flags, "access", "lake.crm.nobody"), expect=3)
    assert unknown.stderr.startswith("error: unknown table lake.crm.nobody")
    column = run(*args(flags, "access", "lake.crm.people", "--column", "phone"), expect=1)
    assert column.stderr.strip() == "error: lake.crm.people never had a column 'phone'"


def test_no_read_says_so(tmp_path: Path) -> None:
    build_lake(tmp_path)
    flags = f"--config={tmp_path / 'lineage.yaml'}\n--store=sqlite:///{tmp_path / 's.db'}"
    run(*args(flags, "sync", "--format", "json"))
    assert "no read" in run(*args(flags, "access", "lake.crm.people")).stdout
    assert run(*args(flags, "access", "lake.crm.people", "--format", "json")) == []
