"""The JSON form of the audit report: fields, times, redaction and summary counts."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from temporal_lineage.redaction import redact
from temporal_lineage.report import audit_document
from temporal_lineage.report.evidence import normalize_evidence
from tests.report.graphs import AS_OF, GENERATED_AT, RUN_CLEAN, RUN_SESSIONS, RUN_TRAINING


def _document(lineage: dict[str, Any], provenance: dict[str, Any], **extra: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "root": "lake.features.training_set",
        "as_of": AS_OF,
        "known_at": None,
        "generated_at": GENERATED_AT,
        "store": "sqlite:///lineage.db",
        "lineage": lineage,
        "provenance": provenance,
    }
    arguments.update(extra)
    return audit_document(**arguments)


def test_document_header_fields(lineage: dict[str, Any], provenance: dict[str, Any]) -> None:
    doc = _document(lineage, provenance, known_at=datetime(2026, 3, 4, 8, 0, 0, 123456))
    assert doc["report"] == "temporal-lineage audit"
    assert doc["version"] == 1
    assert doc["root"] == "lake.features.training_set"
    assert doc["as_of"] == "2026-03-03T00:00:00.000Z"
    assert doc["known_at"] == "2026-03-04T08:00:00.123456Z"  # naive means UTC
    assert doc["generated_at"] == "2026-03-05T12:30:00.000Z"
    assert doc["lineage"] == lineage
    assert doc["provenance"] == provenance
    assert json.loads(json.dumps(doc)) == doc


def test_summary_counts(lineage: dict[str, Any], provenance: dict[str, Any]) -> None:
    summary = _document(lineage, provenance)["summary"]
    assert summary["tables"] == 5
    assert summary["snapshots"] == 5
    assert summary["links"] == 5
    assert summary["evidence"] == {"commit_property": 2, "dataset_version": 2, "inferred": 2}
    assert summary["inferred_only_links"] == 2
    assert summary["links_without_evidence"] == 0
    assert summary["snapshots_without_run"] == 1
    assert summary["runs"] == 4
    assert summary["code_versions"] == ["git:abc1234", "git:c0ffee1", "sql:select 1"]
    assert summary["lineage_tables"] == 5
    assert summary["lineage_edges"] == 5
    assert summary["lineage_evidence"] == {
        "commit_property": 1,
        "dataset_version": 1,
        "inferred": 1,
        "openlineage_event": 1,
        "none": 1,
    }
    assert summary["inferred_only_lineage_edges"] == 1


def test_summary_of_nothing() -> None:
    summary = _document({}, {"nodes": None, "edges": "garbage"})["summary"]
    assert summary["tables"] == summary["links"] == summary["runs"] == 0
    assert summary["evidence"] == {"commit_property": 0, "dataset_version": 0, "inferred": 0}
    assert summary["code_versions"] == []


def test_runs_counted_once_across_nodes_and_links(provenance: dict[str, Any]) -> None:
    provenance["nodes"] = [n for n in provenance["nodes"] if n["table"] != "deltas.users"]
    runs = _document({}, provenance)["summary"]["runs"]
    assert runs == len({RUN_CLEAN, RUN_SESSIONS, RUN_TRAINING})


def test_store_password_is_hidden(lineage: dict[str, Any], provenance: dict[str, Any]) -> None:
    doc = _document(lineage, provenance, store="postgresql+psycopg://tl:hunter2@db:5432/lineage")
    assert doc["store"] == "postgresql+psycopg://tl:***@db:5432/lineage"
    assert "hunter2" not in json.dumps(doc)


def test_redaction_leaves_plain_urls_alone() -> None:
    assert redact("postgresql+psycopg://tl@db/lineage") == ("postgresql+psycopg://tl@db/lineage")
    assert redact("postgresql://u:p%40ss@db/x?password=y") == (
        "postgresql://u:***@db/x?password=***"
    )


def test_evidence_is_read_tolerantly() -> None:
    assert [item.kind for item in normalize_evidence([{"kind": "inferred"}, "x", 3])] == [
        "inferred",
        "x",
        "unknown",
    ]
    assert normalize_evidence({"kind": "dataset_version", "detail": {"v": 1}})[0].detail == (
        '{"v": 1}'
    )
    assert normalize_evidence([]) == ()
