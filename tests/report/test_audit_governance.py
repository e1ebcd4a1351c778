"""The audit report over the sample warehouse's day 8 (personal data), on SQLite and
PostgreSQL: each stored table's classification and the policy check, in JSON and HTML."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from temporal_lineage.config import Settings, load_settings
from temporal_lineage.ingest import ingest_files
from temporal_lineage.model import TableRef
from temporal_lineage.query.classification import classification
from temporal_lineage.query.governance_shapes import classification_json, policy_json
from temporal_lineage.query.policy import policy_check
from temporal_lineage.report import audit_of, render_html
from temporal_lineage.store import Store
from temporal_lineage.sync import sync
from temporal_lineage.times import parse_time
from tests.report.test_page import _parse, _svg
from warehouse_fixtures.timeline import Timeline

CUSTOMERS = "lake.crm.customers"
CONTACTS = "deltas.marketing_contacts"
HASHED = "deltas.customer_emails_hashed"
LEAK_PATH = f"{CUSTOMERS}.email -> {CONTACTS}.email"


@pytest.fixture
def settings(warehouse: Timeline, store: Store) -> Settings:
    loaded = load_settings(warehouse.root / "lineage.yaml")
    assert sync(store, loaded).errors == []
    assert ingest_files(store, [warehouse.events_path]).rejected == []
    return loaded


def _as_of(warehouse: Timeline) -> datetime:
    assert warehouse.governance is not None
    return parse_time(warehouse.governance.as_of)


def _audit(store: Store, settings: Settings | None, table: str, as_of: datetime) -> dict[str, Any]:
    extra = {"governance": settings.governance} if settings is not None else {}
    ref = TableRef.from_user_string(table)
    return audit_of(store, ref, as_of, known_at=None, depth=10, **extra)


def _column(document: dict[str, Any], table: str, column: str) -> dict[str, Any]:
    (found,) = [t for t in document["classification"] if t["table"] == table]
    (named,) = [c for c in found["columns"] if c["column"] == column]
    return named


def _path(hops: list[dict[str, Any]]) -> str:
    return " -> ".join([hops[0]["from"], *(h["to"] for h in hops)]) if hops else ""


def test_json_report_classifies_the_leak_and_names_the_violation(
    store: Store, settings: Settings, warehouse: Timeline
) -> None:
    as_of = _as_of(warehouse)
    document = _audit(store, settings, CONTACTS, as_of)
    assert json.loads(json.dumps(document)) == document
    # Every stored table node, the root first; the CRM database (no table) is left out.
    assert [t["table"] for t in document["classification"]] == [CONTACTS, CUSTOMERS]
    assert any(not n["matched"] for n in document["lineage"]["nodes"])
    email = _column(document, CONTACTS, "email")
    (leak,) = [t for t in email["tags"] if t["tag"] == "pii" and t["how"] == "propagated"]
    assert leak["origin"] == {"table": CUSTOMERS, "column": "email"}
    assert _path(leak["path"]) == LEAK_PATH
    assert "export-contacts" in leak["path"][0]["job"]
    policies = {p["policy"]: p for p in document["policies"]["policies"]}
    confined = policies["pii-confined"]
    assert confined["ok"] is False
    assert LEAK_PATH in {
        _path(v["path"])
        for v in confined["violations"]
        if (v["table"], v["column"]) == (CONTACTS, "email")
    }
    assert warehouse.governance is not None
    for truth in warehouse.governance.policies:
        got = policies[truth.policy]
        assert got["ok"] is truth.ok, truth.policy
        where = {(v["table"], v["column"]) for v in got["violations"]}
        assert {(v.table, v.column) for v in truth.violations} <= where, truth.policy


def test_json_parts_are_the_query_answers_of_one_tag_map(
    store: Store, settings: Settings, warehouse: Timeline
) -> None:
    """One tag map over the report's tables gives what ``classification TABLE`` gives for
    each of them, and ``policies`` is the ``policy check`` answer, serialized alike."""
    as_of = _as_of(warehouse)
    document = _audit(store, settings, HASHED, as_of)
    for part in document["classification"]:
        ref = TableRef.from_user_string(part["table"])
        alone = classification(store, settings.governance, ref, as_of)
        assert part == classification_json(alone), part["table"]
    assert document["policies"] == policy_json(policy_check(store, settings.governance, as_of))
    stopped = _column(document, HASHED, "email_hash")["stopped"]
    assert {s["rule"].split(":")[0] for s in stopped} == {"masking", "masking_function"}


def test_html_report_shows_classification_and_policies_escaped(
    store: Store, settings: Settings, warehouse: Timeline
) -> None:
    as_of = _as_of(warehouse)
    page = render_html(_audit(store, settings, CONTACTS, as_of))
    parser = _parse(page)
    assert "script" not in parser.tags and "http://" not in page and "https://" not in page
    classified = page[page.index('<section id="classification">') :]
    assert f"<h3>{CONTACTS} (the root)</h3>" in classified
    assert '<span class="tag">pii</span><span class="how">propagated</span>' in classified
    assert f"path <code>{LEAK_PATH.replace('->', '-&gt;')}</code>" in classified
    assert "rule pii: column ~ (?i)^(email|phone)$" in classified
    policies = page[page.index('<section id="policies">') :]
    assert '<td class="id">pii-confined</td>' in policies
    assert 'class="result-violated">violated' in policies
    assert f'<tr class="here"><td>pii-confined</td><td class="id">{CONTACTS}' in policies
    assert ">tags: customer_key, pii</text>" in _svg(page)
    hashed = render_html(_audit(store, settings, HASHED, as_of))
    _parse(hashed)
    assert '<span class="tag stopped">pii</span>' in hashed
    assert "the producer&#x27;s columnLineage marks" in hashed and "with sha2()" in hashed


def test_without_governance_settings_only_stored_tags_count(
    store: Store, settings: Settings, warehouse: Timeline
) -> None:
    document = _audit(store, None, CONTACTS, _as_of(warehouse))
    assert document["policies"]["policies"] == [] and document["policies"]["ok"] is True
    email = _column(document, CONTACTS, "email")
    assert {(t["how"], t["source"]) for t in email["tags"]} == {("propagated", "openlineage")}
    assert "Policy violations" not in render_html(document)
