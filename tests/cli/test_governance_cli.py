"""The governance commands as a user types them: answers, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import args, run
from warehouse_fixtures.timeline import Timeline


@pytest.fixture(scope="module")
def governed(warehouse: Timeline, tmp_path_factory: pytest.TempPathFactory) -> str:
    store = tmp_path_factory.mktemp("governance") / "store.db"
    path = str(warehouse.root / "lineage.yaml")
    config = f"--config={path}\n--store=sqlite:///{store}"
    run(*args(config, "sync", "--format", "json"))
    run(*args(config, "ingest", str(warehouse.events_path), "--format", "json"))
    return config


def test_classification_and_policy_check_gate(governed: str, warehouse: Timeline) -> None:
    assert warehouse.governance is not None
    as_of = warehouse.governance.as_of
    answer = run(
        *args(
            governed,
            "classification",
            "deltas.marketing_contacts",
            "--as-of",
            as_of,
            "--format",
            "json",
        )
    )
    assert list(answer) == ["table", "as_of", "known_at", "columns", "table_tags"]
    email = next(c for c in answer["columns"] if c["column"] == "email")
    assert {"direct", "propagated"} <= {t["how"] for t in email["tags"]}
    report = run(*args(governed, "policy", "check", "--as-of", as_of, "--format", "json"), expect=1)
    assert report["ok"] is False
    assert {p["policy"]: p["ok"] for p in report["policies"]}["pii-confined"] is False
    text = run(*args(governed, "policy", "check", "--as-of", as_of), expect=1)
    assert "pii-confined" in text.stdout
    ok = run(*args(governed, "policy", "check", "--as-of", "2000-01-01", "--format", "json"))
    assert ok["ok"] is True
    bad = run(*args(governed, "policy", "check", "--policy", "nope"), expect=2)
    assert bad.stderr.strip() == (
        "error: unknown policy 'nope' (known: pii-confined, pii-owned, pii-retention)"
    )


def test_tag_add_and_remove(governed: str) -> None:
    added = run(
        *args(
            governed,
            "tag",
            "add",
            "deltas.training_set.country",
            "geo",
            "--reason",
            "r",
            "--format",
            "json",
        )
    )
    assert (added["table"], added["column"], added["action"]) == (
        "deltas.training_set",
        "country",
        "add",
    )
    run(*args(governed, "tag", "remove", "deltas.training_set.country", "geo"))
    again = run(*args(governed, "tag", "remove", "deltas.training_set.country", "geo"), expect=2)
    assert again.stderr.count("\n") == 1 and "carries no tag 'geo'" in again.stderr


def test_erasure_report_and_verify(governed: str, tmp_path: Path) -> None:
    html = tmp_path / "erasure.html"
    answer = run(
        *args(
            governed,
            "erasure",
            "lake.crm.customers",
            "--where",
            "customer_id = 42",
            "-o",
            str(html),
            "--format",
            "json",
        )
    )
    assert answer["complete"] is False
    assert {t["table"]: t["status"] for t in answer["tables"]}[
        "deltas.customer_emails_hashed"
    ] == "holds"
    verified = run(
        *args(
            governed,
            "erasure",
            "verify",
            "lake.crm.customers",
            "--where",
            "customer_id = 42",
            "--format",
            "json",
        ),
        expect=1,
    )
    assert verified["complete"] is False
    page = run(
        *args(
            governed,
            "erasure",
            "lake.crm.customers",
            "--where",
            "customer_id = 42",
            "-o",
            str(html),
        )
    )
    assert "incomplete" in html.read_text() and "customer_emails_hashed" in page.stdout
    hashed = next(t for t in answer["tables"] if t["table"] == "deltas.customer_emails_hashed")
    results = tmp_path / "results.json"
    snapshot = next(s["snapshot"] for s in hashed["snapshots"] if s["rows"])
    results.write_text(
        json.dumps([{"table": "deltas.customer_emails_hashed", "snapshot": snapshot, "rows": 0}])
    )
    engine = run(
        *args(
            governed,
            "erasure",
            "verify",
            "lake.crm.customers",
            "--where",
            "customer_id = 42",
            "--results",
            str(results),
            "--format",
            "json",
        )
    )
    assert engine["complete"] is True
    bad = run(
        *args(governed, "erasure", "lake.crm.customers", "--where", "customer_id ="), expect=2
    )
    assert bad.stderr.count("\n") == 1 and "bad predicate" in bad.stderr
