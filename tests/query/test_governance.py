"""Governance as of a time over the sample warehouse (day 8: personal data), on SQLite and
PostgreSQL: classification and its propagation, policies, manual tags, erasure."""

from __future__ import annotations

from datetime import timedelta

import pyarrow.compute as pc
import pytest

from temporal_lineage.config import Settings, load_settings
from temporal_lineage.errors import BadPredicate, ColumnNotFound, ConfigError, TableNotFound
from temporal_lineage.governance_config import parse_governance
from temporal_lineage.ingest import ingest_files
from temporal_lineage.model import TableRef, TagAction, TagOrigin
from temporal_lineage.query.classification import classification, lineage_tags
from temporal_lineage.query.erasure import ErasureStatus, erasure
from temporal_lineage.query.governance_shapes import graph_tags_json
from temporal_lineage.query.lineage import Direction
from temporal_lineage.query.policy import policy_check
from temporal_lineage.query.tag_flow import How
from temporal_lineage.query.tagging import write_tag
from temporal_lineage.sources.snapshot_data import SNAPSHOT_DATA
from temporal_lineage.store import Store
from temporal_lineage.sync import sync
from temporal_lineage.times import now, parse_time
from warehouse_fixtures.timeline import Timeline

CUSTOMERS = TableRef.from_user_string("lake.crm.customers")
CONTACTS = TableRef.from_user_string("deltas.marketing_contacts")
HASHED = TableRef.from_user_string("deltas.customer_emails_hashed")


@pytest.fixture
def settings(warehouse: Timeline, store: Store) -> Settings:
    loaded = load_settings(warehouse.root / "lineage.yaml")
    assert sync(store, loaded).errors == []
    assert ingest_files(store, [warehouse.events_path]).rejected == []
    return loaded


def test_tags_of_events_ingested_before_the_sync_match_later(
    warehouse: Timeline, store: Store
) -> None:
    loaded = load_settings(warehouse.root / "lineage.yaml")
    assert ingest_files(store, [warehouse.events_path]).rejected == []
    assert sync(store, loaded).errors == []
    answer = classification(store, loaded.governance, CUSTOMERS, _as_of(warehouse))
    email = _tags(answer, "email")
    assert {(t.tag, t.how, t.source) for t in email.tags} == {
        ("pii", How.DIRECT, TagOrigin.OPENLINEAGE),
        ("pii", How.DIRECT, TagOrigin.RULE),
    }


def _as_of(warehouse: Timeline):  # type: ignore[no-untyped-def]
    assert warehouse.governance is not None
    return parse_time(warehouse.governance.as_of)


def _tags(answer, column):  # type: ignore[no-untyped-def]
    return next(c for c in answer.columns if c.column == column)


def test_a_tag_flows_unmasked_into_the_leak_with_its_path(
    store: Store, settings: Settings, warehouse: Timeline
) -> None:
    answer = classification(store, settings.governance, CONTACTS, _as_of(warehouse))
    email = _tags(answer, "email")
    propagated = [t for t in email.tags if t.tag == "pii" and t.how is How.PROPAGATED]
    assert len(propagated) == 1
    carried = propagated[0]
    assert (str(carried.origin_table), carried.origin_column) == (str(CUSTOMERS), "email")
    assert carried.source is TagOrigin.OPENLINEAGE
    assert [
        (str(h.from_node), h.from_column, str(h.to_node), h.to_column) for h in carried.path
    ] == [(str(CUSTOMERS), "email", str(CONTACTS), "email")]
    assert "export-contacts" in str(carried.path[0].job)
    key = _tags(answer, "customer_id")
    assert {t.tag for t in key.tags} == {"customer_key"}
    assert _tags(answer, "country").tags == ()


def test_the_tags_of_a_lineage_graph_agree_with_each_tables_classification(
    store: Store, settings: Settings, warehouse: Timeline
) -> None:
    at = _as_of(warehouse)
    answers = lineage_tags(store, settings.governance, CUSTOMERS, at, None, Direction.DOWNSTREAM)
    by_table = {str(a.table): a for a in answers}
    assert {str(CUSTOMERS), str(CONTACTS), str(HASHED)} <= set(by_table)
    for ref in (CUSTOMERS, CONTACTS, HASHED):
        alone = classification(store, settings.governance, ref, at)
        assert by_table[str(ref)] == alone
    brief = {t["table"]: t["tags"] for t in graph_tags_json(answers)}
    for ref, answer in by_table.items():
        held = {(t.tag, c.column) for c in answer.columns for t in c.tags} | {
            (t.tag, None) for t in answer.table_tags
        }
        shown = {(t["tag"], col) for t in brief[ref] for col in t["columns"] or [None]}
        assert {tag for tag, _ in shown} == {tag for tag, _ in held}
        assert {p for p in shown if p[1]} == {p for p in held if p[1]}
    contacts = next(t for t in brief[str(CONTACTS)] if t["tag"] == "pii")
    assert "email" in contacts["columns"]


def test_propagation_stops_at_masking_and_at_a_hashed_sql_expression(
    store: Store, settings: Settings, warehouse: Timeline
) -> None:
    assert warehouse.governance is not None and warehouse.governance.masked
    for masked in warehouse.governance.masked:
        table = TableRef.from_user_string(masked.table)
        answer = classification(store, settings.governance, table, _as_of(warehouse))
        column = _tags(answer, masked.column)
        assert masked.tag not in {t.tag for t in column.tags}
        rules = {s.rule.split(":")[0] for s in column.stopped if s.tag.tag == masked.tag}
        assert rules == {"masking", "masking_function"}, column.stopped
        assert all(str(s.hop.from_node) == masked.from_table for s in column.stopped)


def test_a_rule_tag_keeps_across_a_rename_upstream(
    store: Store, settings: Settings, warehouse: Timeline
) -> None:
    governance = parse_governance([{"tag": "finance", "column": "^amount_sum$"}], None, None, "t")
    features = TableRef.from_user_string("lake.features.user_features")
    renamed = warehouse.events_for(str(features), "rename_column")[0].at
    before = classification(
        store, governance, features, parse_time(renamed) - timedelta(milliseconds=1)
    )
    after = classification(store, governance, features, parse_time("2100-01-01"))
    assert {t.tag for t in _tags(before, "amount_sum").tags} == {"finance"}
    tagged = _tags(after, "total_amount").tags
    assert [(t.tag, t.how, t.source) for t in tagged] == [("finance", How.DIRECT, TagOrigin.RULE)]
    assert tagged[0].since == _tags(before, "amount_sum").tags[0].since


def test_policies_match_the_story(store: Store, settings: Settings, warehouse: Timeline) -> None:
    assert warehouse.governance is not None
    report = policy_check(store, settings.governance, _as_of(warehouse))
    for result in report.results:
        truth = warehouse.governance.policy(result.policy.name)
        assert result.ok == truth.ok, result
        got = {(str(v.table), v.column) for v in result.violations}
        assert {(v.table, v.column) for v in truth.violations} <= got
    leak = next(r for r in report.results if r.policy.name == "pii-confined")
    assert any(v.path and str(v.path[0].from_node) == str(CUSTOMERS) for v in leak.violations)
    with pytest.raises(ConfigError, match="unknown policy 'nope'"):
        policy_check(store, settings.governance, _as_of(warehouse), only="nope")


def test_answers_known_at_a_time_never_change(
    store: Store, settings: Settings, warehouse: Timeline
) -> None:
    as_of = _as_of(warehouse)
    known = now()
    first = classification(store, settings.governance, HASHED, as_of, known)
    policies = policy_check(store, settings.governance, as_of, known)
    write_tag(store, f"{HASHED}.country", "pii", TagAction.ADD, effective_at=as_of)
    assert classification(store, settings.governance, HASHED, as_of, known) == first
    assert policy_check(store, settings.governance, as_of, known) == policies
    now_known = classification(store, settings.governance, HASHED, as_of)
    assert "pii" in {t.tag for t in _tags(now_known, "country").tags}
    assert not policy_check(store, settings.governance, as_of).ok
    # Removing ends the validity; the fact and the earlier answer stay.
    later = as_of + timedelta(milliseconds=1)
    write_tag(store, f"{HASHED}.country", "pii", TagAction.REMOVE, effective_at=later)
    ended = classification(store, settings.governance, HASHED, later)
    assert "pii" not in {t.tag for t in _tags(ended, "country").tags}
    again = classification(store, settings.governance, HASHED, as_of)
    assert "pii" in {t.tag for t in _tags(again, "country").tags}


def test_manual_tags_refuse_bad_input(store: Store, settings: Settings) -> None:
    with pytest.raises(ConfigError, match="not a tag name"):
        write_tag(store, str(CONTACTS), "two words", TagAction.ADD)
    with pytest.raises(ColumnNotFound, match="no column 'nope'"):
        write_tag(store, f"{CONTACTS}.nope", "pii", TagAction.ADD)
    with pytest.raises(TableNotFound):
        write_tag(store, "deltas.nothing.here", "pii", TagAction.ADD)
    with pytest.raises(ConfigError, match="carries no tag 'geo'"):
        write_tag(store, f"{CONTACTS}.country", "geo", TagAction.REMOVE)


def test_erasure_matches_the_story_and_direct_reads(
    store: Store, settings: Settings, warehouse: Timeline
) -> None:
    assert warehouse.governance is not None
    truth = warehouse.governance.erasure
    answer = erasure(store, settings, CUSTOMERS, truth.where)
    assert answer.complete is truth.complete is False
    by_table = {str(t.table): t for t in answer.tables}
    for expected in truth.tables:
        part = by_table[expected.table]
        assert part.status.value == expected.status, part
        assert part.head is not None and part.head.rows == expected.head_rows
        holding = {(s.snapshot_id, s.rows) for s in part.snapshots if s.readable and s.rows}
        assert holding == {(s.snapshot, s.rows) for s in expected.holding}
    for part in answer.tables:
        table = part.table
        data = SNAPSHOT_DATA[next(i.format for i in _infos(store) if i.ref == table)]
        location = _location(store, table)
        key = part.carried_by[0].column
        for check in part.snapshots:
            if not check.readable:
                continue
            rows = data.read(str(table), location, check.snapshot_id, {})
            assert check.rows == pc.sum(pc.equal(rows[key], 42)).as_py() or check.rows == 0
            assert "VERSION AS OF" in check.engine_sql["spark_sql"]


def _infos(store: Store):  # type: ignore[no-untyped-def]
    with store.reader() as reader:
        return reader.list_tables()


def _location(store: Store, ref: TableRef) -> str:
    with store.reader() as reader:
        table = reader.get_table(ref)
        return SNAPSHOT_DATA[table.format].read_location(table.location, reader.table_cursor(table))


def test_erasure_refuses_bad_predicates(store: Store, settings: Settings) -> None:
    with pytest.raises(BadPredicate, match="customer_id = = 42"):
        erasure(store, settings, CUSTOMERS, "customer_id = = 42")
    with pytest.raises(ColumnNotFound, match="no column 'custid'"):
        erasure(store, settings, CUSTOMERS, "custid = 42")
    with pytest.raises(BadPredicate, match="compare it with an integer"):
        erasure(store, settings, CUSTOMERS, "customer_id = '42'")


def test_erasure_without_probe_reads_no_data(store: Store, settings: Settings) -> None:
    answer = erasure(store, settings, CUSTOMERS, "customer_id = 42", probe=False)
    assert all(c.rows is None for t in answer.tables for c in t.snapshots)
    assert not answer.complete
    assert {t.status for t in answer.tables} == {ErasureStatus.HOLDS}
