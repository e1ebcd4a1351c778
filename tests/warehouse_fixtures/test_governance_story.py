"""Day 8: the personal data, its facets, and the data subject's erasure, read from the real
tables and events (timeline.json's ``governance`` is what the product should answer)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from deltalake import DeltaTable
from pyiceberg.catalog import Catalog
from pyiceberg.table import Table

from temporal_lineage.config import load_settings
from tests.instrument.openlineage_spec import SPEC_DIR, checked_facet_schemas, spec_errors
from warehouse_fixtures import lineage_config
from warehouse_fixtures.__main__ import main
from warehouse_fixtures.delta_tables import query_table
from warehouse_fixtures.event_log import read_events
from warehouse_fixtures.governance_jobs import (
    CONTACTS_SQL,
    CUSTOMERS,
    EMAILS_HASHED,
    ERASE_SUBJECT,
    EXPORT_CONTACTS,
    EXPORT_CUSTOMERS,
    GOVERNANCE_DAY,
    GOVERNANCE_TABLES,
    HASH_CUSTOMER_EMAILS,
    HASH_SQL,
    MARKETING_CONTACTS,
    SUBJECT_WHERE,
)
from warehouse_fixtures.governance_records import CLEAN, HOLDS, ErasureTableRecord
from warehouse_fixtures.iceberg_tables import close_catalog, open_catalog
from warehouse_fixtures.timeline import Timeline, parse_iso_ms

Event = dict[str, Any]


@pytest.fixture(scope="module")
def catalog(warehouse: Timeline) -> Iterator[Catalog]:
    cat = open_catalog(warehouse.root)
    yield cat
    close_catalog(cat)


@pytest.fixture(scope="module")
def customers(catalog: Catalog) -> Table:
    return catalog.load_table(CUSTOMERS.split(".", 1)[1])


@pytest.fixture(scope="module")
def day8_events(warehouse: Timeline) -> list[Event]:
    day8 = {r.run_id for r in warehouse.runs if r.day == GOVERNANCE_DAY}
    return [e for e in read_events(warehouse.root) if e["run"]["runId"] in day8]


def _erasure(warehouse: Timeline, table: str) -> ErasureTableRecord:
    assert warehouse.governance is not None
    return next(t for t in warehouse.governance.erasure.tables if t.table == table)


def _delta_path(warehouse: Timeline, table: str) -> Path:
    return warehouse.root / "delta" / table.split(".", 1)[1]


def _delta_subject_rows(path: Path, version: int) -> int:
    counted = query_table(path, f"SELECT count(*) AS n FROM t WHERE {SUBJECT_WHERE}", version)
    return int(counted["n"][0].as_py())


def _events_of(events: list[Event], job: str) -> list[Event]:
    found = [e for e in events if e["job"]["name"] == job]
    assert [e["eventType"] for e in found] == ["START", "COMPLETE"], job
    return found


# --- the tables ---------------------------------------------------------------------------------


def test_customers_hold_personal_columns_and_no_longer_the_subject(
    warehouse: Timeline, customers: Table
) -> None:
    fields = [(f.field_id, f.name, str(f.field_type)) for f in customers.schema().fields]
    assert fields == [
        (1, "customer_id", "long"),
        (2, "email", "string"),
        (3, "phone", "string"),
        (4, "country", "string"),
        (5, "signup_date", "date"),
    ]
    head = customers.scan().to_arrow()
    assert head.num_rows == 49 and 42 not in head["customer_id"].to_pylist()
    assert sorted(head["customer_id"].to_pylist()) == [i for i in range(1, 51) if i != 42]
    assert all(e.endswith("@example.com") for e in head["email"].to_pylist())
    # Every snapshot still in the metadata misses the subject; the append that held it expired.
    remaining = [s.snapshot_id for s in customers.metadata.snapshots]
    for snapshot_id in remaining:
        scan = customers.scan(snapshot_id=snapshot_id, row_filter=SUBJECT_WHERE)
        assert scan.to_arrow().num_rows == 0, snapshot_id
    record = _erasure(warehouse, CUSTOMERS)
    assert [s.snapshot for s in record.snapshots if s.in_source] == remaining
    (expired,) = [s for s in record.snapshots if not s.in_source]
    assert expired.rows == 1 and not expired.readable
    assert warehouse.table(CUSTOMERS).snapshot(expired.snapshot).expired
    assert record.status == CLEAN and record.head == customers.metadata.current_snapshot_id


def test_the_hashed_table_still_holds_the_subject_in_an_older_readable_version(
    warehouse: Timeline, customers: Table
) -> None:
    path = _delta_path(warehouse, EMAILS_HASHED)
    head = DeltaTable(str(path)).version()
    assert _delta_subject_rows(path, head) == 0
    first = query_table(path, version=0)
    assert first.column_names == ["customer_id", "email_hash", "country"]
    assert first.num_rows == 50 and _delta_subject_rows(path, 0) == 1
    emails = dict(
        zip(
            *customers.scan().to_arrow().select(["customer_id", "email"]).to_pydict().values(),
            strict=True,
        )
    )
    for row in first.to_pylist():
        if row["customer_id"] in emails:
            digest = hashlib.sha256(emails[row["customer_id"]].encode()).hexdigest()
            assert row["email_hash"] == digest
    record = _erasure(warehouse, EMAILS_HASHED)
    assert record.status == HOLDS and (record.head, record.head_rows) == (head, 0)
    assert [(s.snapshot, s.rows) for s in record.holding] == [(0, 1)]


def test_the_vacuumed_contacts_table_keeps_no_readable_version_with_the_subject(
    warehouse: Timeline,
) -> None:
    path = _delta_path(warehouse, MARKETING_CONTACTS)
    record = _erasure(warehouse, MARKETING_CONTACTS)
    operations = [h["operation"] for h in reversed(DeltaTable(str(path)).history())]
    assert operations == ["WRITE", "DELETE", "VACUUM START", "VACUUM END"]
    with pytest.raises(FileNotFoundError):
        DeltaTable(str(path), version=0).to_pyarrow_table()
    for version in range(1, 4):
        assert _delta_subject_rows(path, version) == 0
    assert query_table(path).column_names == ["customer_id", "email", "country"]
    assert [(s.snapshot, s.readable) for s in record.snapshots] == [
        (0, False),
        (1, True),
        (2, True),
        (3, True),
    ]
    assert record.status == CLEAN and not record.holding


def test_the_recorded_holdings_are_what_the_tables_return(
    warehouse: Timeline, customers: Table
) -> None:
    assert warehouse.governance is not None
    erasure = warehouse.governance.erasure
    assert (erasure.table, erasure.where, erasure.complete) == (CUSTOMERS, SUBJECT_WHERE, False)
    assert [t.table for t in erasure.tables] == list(GOVERNANCE_TABLES)
    live = {s.snapshot_id for s in customers.metadata.snapshots}
    for table in erasure.tables:
        for held in table.snapshots:
            if table.table == CUSTOMERS:
                assert (held.snapshot in live) == held.in_source == held.readable
                if held.readable:
                    scan = customers.scan(snapshot_id=held.snapshot, row_filter=SUBJECT_WHERE)
                    assert scan.to_arrow().num_rows == held.rows
            elif held.readable:
                path = _delta_path(warehouse, table.table)
                assert _delta_subject_rows(path, held.snapshot) == held.rows
        assert table.head_rows == 0 and table.head == table.snapshots[-1].snapshot
    carried = {
        t.table: [(c.column, c.from_column, c.job) for c in t.carried_by] for t in erasure.tables
    }
    assert carried == {
        CUSTOMERS: [],
        EMAILS_HASHED: [("customer_id", "customer_id", HASH_CUSTOMER_EMAILS.name)],
        MARKETING_CONTACTS: [("customer_id", "customer_id", EXPORT_CONTACTS.name)],
    }


def test_the_erasure_steps_come_after_the_writes_and_when_prints_them(
    warehouse: Timeline, capsys: pytest.CaptureFixture[str]
) -> None:
    assert warehouse.governance is not None
    erasure = warehouse.governance.erasure
    (erase_run,) = warehouse.runs_of(ERASE_SUBJECT.name)
    assert erasure.requested_at == erase_run.started_at
    steps = [
        (CUSTOMERS, "delete"),
        (MARKETING_CONTACTS, "delete"),
        (EMAILS_HASHED, "delete"),
        (CUSTOMERS, "expire_snapshots"),
        (MARKETING_CONTACTS, "vacuum"),
    ]
    day8 = [(e.table, e.action) for e in warehouse.events if e.day == GOVERNANCE_DAY]
    assert day8[-len(steps) :] == steps
    writes = [e.at for e in warehouse.events if e.day == GOVERNANCE_DAY][: -len(steps)]
    assert max(writes) < erasure.requested_at < erasure.done_at == warehouse.governance.as_of
    for table, action in steps:
        (event,) = warehouse.events_for(table, action)
        assert main(["when", str(warehouse.root), action, "--table", table]) == 0
        assert capsys.readouterr().out == f"{event.at}\n"
    assert event.at == erasure.done_at


def test_day_8_leaves_the_earlier_days_alone(warehouse: Timeline) -> None:
    day7_end = max(parse_iso_ms(r.ended_at or "") for r in warehouse.runs if r.day == 7)
    for name, table in warehouse.tables.items():
        late = [s for s in table.snapshots if parse_iso_ms(s.committed_at) > day7_end]
        assert bool(late) == (name in GOVERNANCE_TABLES), name
    touched = {e.table for e in warehouse.events if e.day == GOVERNANCE_DAY}
    assert touched == set(GOVERNANCE_TABLES)


# --- the events ---------------------------------------------------------------------------------


def _schema_id(facet: str) -> str:
    path = SPEC_DIR / "facets" / f"{facet}.json"
    return str(json.loads(path.read_text())["$id"])


def test_day_8_events_are_valid_openlineage(day8_events: list[Event]) -> None:
    assert len(day8_events) == 10  # the daily run and four job runs, START and COMPLETE
    checked: set[str] = set()
    for event in day8_events:
        assert spec_errors(event) == [], (event["job"]["name"], event["eventType"])
        checked |= checked_facet_schemas(event)
    assert {"tags", "ownership", "sql", "columnLineage"} <= checked
    # The added facets name the local spec schemas, so spec_errors checked them too.
    (export, _) = _events_of(day8_events, EXPORT_CUSTOMERS.name)
    facets = export["outputs"][0]["facets"]
    urls = {
        "TagsDatasetFacet": facets["tags"]["_schemaURL"],
        "OwnershipDatasetFacet": facets["ownership"]["_schemaURL"],
        "OwnershipJobFacet": export["job"]["facets"]["ownership"]["_schemaURL"],
    }
    for name, url in urls.items():
        assert url == f"{_schema_id(name)}#/$defs/{name}"


def test_the_crm_export_tags_and_owns_what_it_writes(day8_events: list[Event]) -> None:
    for event in _events_of(day8_events, EXPORT_CUSTOMERS.name):
        assert event["job"]["facets"]["ownership"]["owners"] == [
            {"name": "team:crm", "type": "MAINTAINER"}
        ]
        (output,) = event["outputs"]
        assert (output["namespace"], output["name"]) == ("lake", "crm.customers")
        tags = [
            (t["key"], t["value"], t["field"], t["source"])
            for t in output["facets"]["tags"]["tags"]
        ]
        assert tags == [
            ("pii", "true", "email", "CRM"),
            ("customer_key", "true", "customer_id", "CRM"),
        ]
        assert output["facets"]["ownership"]["owners"][0]["name"] == "team:crm"


def test_the_hashing_job_masks_the_email_in_its_sql_and_lineage(day8_events: list[Event]) -> None:
    start, complete = _events_of(day8_events, HASH_CUSTOMER_EMAILS.name)
    assert complete["job"]["facets"]["sql"]["query"] == HASH_SQL
    assert "sha2(email, 256) AS email_hash" in HASH_SQL and "lake.crm.customers" in HASH_SQL
    (output,) = complete["outputs"]
    fields = output["facets"]["columnLineage"]["fields"]
    (email,) = fields["email_hash"]["inputFields"]
    assert (email["namespace"], email["name"], email["field"]) == ("lake", "crm.customers", "email")
    assert email["transformations"] == [
        {"type": "DIRECT", "subtype": "TRANSFORMATION", "masking": True}
    ]
    for column in ("customer_id", "country"):
        (source,) = fields[column]["inputFields"]
        assert source["field"] == column
        assert source["transformations"] == [{"type": "DIRECT", "subtype": "IDENTITY"}]
    assert "tags" not in output["facets"]


def test_the_marketing_export_copies_the_email_and_names_no_owner(
    day8_events: list[Event],
) -> None:
    for event in _events_of(day8_events, EXPORT_CONTACTS.name):
        assert "ownership" not in event["job"]["facets"]
        assert all("ownership" not in o["facets"] for o in event["outputs"])
    complete = _events_of(day8_events, EXPORT_CONTACTS.name)[1]
    assert complete["job"]["facets"]["sql"]["query"] == CONTACTS_SQL
    fields = complete["outputs"][0]["facets"]["columnLineage"]["fields"]
    (email,) = fields["email"]["inputFields"]
    assert email["transformations"] == [{"type": "DIRECT", "subtype": "IDENTITY"}]
    for event in _events_of(day8_events, ERASE_SUBJECT.name):
        assert "ownership" not in event["job"]["facets"]


def test_only_the_day_8_jobs_gained_facets(warehouse: Timeline) -> None:
    earlier = {r.run_id for r in warehouse.runs if r.day < GOVERNANCE_DAY}
    for event in read_events(warehouse.root):
        if event["run"]["runId"] not in earlier:
            continue
        assert "ownership" not in event["job"]["facets"]
        for output in event["outputs"]:
            assert not {"tags", "ownership"} & set(output["facets"])


# --- lineage.yaml -------------------------------------------------------------------------------


def test_lineage_yaml_carries_the_governance_keys(warehouse: Timeline) -> None:
    path = warehouse.root / "lineage.yaml"
    config = yaml.safe_load(path.read_text())
    assert config["classify"] == [
        {"tag": "pii", "column": "(?i)^(email|phone)$"},
        {"tag": "customer_key", "column": "^customer_id$", "table": "lake.crm.*"},
    ]
    assert config["governance"] == {
        "masking_functions": ["sha1", "sha2", "md5", "hash", "mask", "xxhash64", "crc32"],
        "propagate_indirect": False,
    }
    assert config["policies"] == [
        {
            "name": "pii-confined",
            "kind": "confined",
            "tag": "pii",
            "namespaces": ["lake.crm.*", "lake.secure.*"],
            "unless_masked": True,
        },
        {"name": "pii-owned", "kind": "owner_required", "tag": "pii"},
        {"name": "pii-retention", "kind": "retention", "tag": "pii", "max_age": "30d"},
    ]
    assert warehouse.governance is not None
    expected = [p.policy for p in warehouse.governance.policies]
    assert expected == [p["name"] for p in config["policies"]]
    load_settings(path)  # the service accepts the file as written


def test_the_governance_keys_can_be_turned_off(
    warehouse: Timeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lineage_config, "GOVERNANCE_KEYS_ENABLED", False)
    config = yaml.safe_load(lineage_config.lineage_config_text(warehouse.root))
    assert set(config) == {"store", "sources"}


def test_the_expected_policy_outcomes(warehouse: Timeline) -> None:
    assert warehouse.governance is not None
    outcomes = {
        p.policy: [(v.table, v.column) for v in p.violations] for p in warehouse.governance.policies
    }
    assert outcomes == {
        "pii-confined": [(MARKETING_CONTACTS, "email")],
        "pii-owned": [(MARKETING_CONTACTS, None)],
        "pii-retention": [],
    }
    (masked,) = warehouse.governance.masked
    assert (masked.table, masked.column, masked.from_column) == (
        EMAILS_HASHED,
        "email_hash",
        "email",
    )
