"""The audit page's Classification and Policies sections, and the tags in its drawing, from
hand-built documents: every fact shown, every name escaped, no password, old pages unchanged."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from temporal_lineage.report import audit_document, render_html
from tests.report.graphs import AS_OF, GENERATED_AT, RUN_CLEAN
from tests.report.test_page import _parse, _svg

EVIL = '<img src=x onerror="alert(1)">&'
SECRET = "hunter2"


def _hop(source: str, target: str) -> dict[str, Any]:
    return {
        "from": source,
        "to": target,
        "job": "spark/clean_events",
        "run": RUN_CLEAN,
        "kind": "DIRECT/IDENTITY",
    }


def _carried(tag: str, how: str, origin: tuple[str, str | None], path: list[Any]) -> dict[str, Any]:
    return {
        "tag": tag,
        "how": how,
        "source": "openlineage" if path else "rule",
        "detail": "OpenLineage tags facet" if path else f"rule {tag}: column ~ (?i)^email$",
        "since": "2026-03-01T10:00:00.000Z",
        "origin": {"table": origin[0], "column": origin[1]},
        "path": path,
    }


def _table(name: str, columns: list[Any], own: Sequence[Any] = ()) -> dict[str, Any]:
    return {
        "table": name,
        "as_of": "2026-03-03T00:00:00.000Z",
        "known_at": None,
        "columns": columns,
        "table_tags": list(own),
    }


def _column(name: str, tags: list[Any], stopped: Sequence[Any] = ()) -> dict[str, Any]:
    return {"column": name, "field_id": 3, "tags": tags, "stopped": list(stopped)}


def _classification() -> list[dict[str, Any]]:
    hop = _hop("lake.raw.events.email", f"lake.staging.clean_events.{EVIL}")
    stop = {
        "tag": "pii",
        "at": {"table": "lake.staging.sessions", "column": "email_hash"},
        "from": {"table": "lake.raw.events", "column": "email"},
        "rule": "masking_function: the job's SQL computes it with sha2()",
        "job": "spark/sessionize",
        "run": RUN_CLEAN,
        "origin": {"table": "lake.raw.events", "column": "email"},
        "path": [_hop("lake.raw.events.email", "lake.staging.sessions.email_hash")],
    }

    return [
        _table("lake.features.training_set", [_column("label", [])]),
        _table(
            "lake.raw.events",
            [_column("email", [_carried("pii", "direct", ("lake.raw.events", "email"), [])])],
        ),
        _table(
            "lake.staging.clean_events",
            [
                _column(EVIL, [_carried("pii", "propagated", ("lake.raw.events", "email"), [hop])]),
                _column("country", []),
            ],
        ),
        _table("lake.staging.sessions", [_column("email_hash", [], [stop])]),
        _table(
            "deltas.users",
            [],
            [_carried(f"note postgresql://u:{SECRET}@db/x", "may_contain", ("x.y", None), [hop])],
        ),
    ]


def _policies() -> dict[str, Any]:
    leak = {
        "table": "lake.staging.clean_events",
        "column": EVIL,
        "detail": "pii from lake.raw.events.email reached it in 1 hop(s)",
        "path": [_hop("lake.raw.events.email", f"lake.staging.clean_events.{EVIL}")],
    }
    elsewhere = {"table": "lake.other.t", "column": None, "detail": "no owner", "path": []}
    return {
        "as_of": "2026-03-03T00:00:00.000Z",
        "known_at": None,
        "ok": False,
        "policies": [
            {"policy": f"pii-{EVIL}", "kind": "confined", "tag": "pii", "ok": False,
             "violations": [leak]},
            {"policy": "pii-owned", "kind": "owner_required", "tag": "pii", "ok": False,
             "violations": [elsewhere]},
            {"policy": "pii-retention", "kind": "retention", "tag": "pii", "ok": True,
             "violations": []},
        ],
    }  # fmt: skip


def _document(lineage: dict[str, Any], provenance: dict[str, Any], **extra: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "root": provenance["root"],
        "as_of": AS_OF,
        "known_at": None,
        "generated_at": GENERATED_AT,
        "store": "sqlite:///l.db",
        "lineage": lineage,
        "provenance": provenance,
        "classification": _classification(),
        "policies": _policies(),
    }
    arguments.update(extra)
    return audit_document(**arguments)


def _section(page: str, name: str) -> str:
    start = page.index(f'<section id="{name}">')
    return page[start : page.index("</section>", start)]


def test_json_keeps_both_parts_and_hides_passwords(
    lineage: dict[str, Any], provenance: dict[str, Any]
) -> None:
    document = _document(lineage, provenance)
    text = json.dumps(document)
    assert SECRET not in text and "postgresql://u:***@db/x" in text
    assert [t["table"] for t in document["classification"]][:2] == [
        "lake.features.training_set",
        "lake.raw.events",
    ]
    assert document["policies"]["policies"][1] == _policies()["policies"][1]
    bare = audit_document(
        root="s.t", as_of=AS_OF, known_at=None, generated_at=GENERATED_AT,
        store="sqlite:///l.db", lineage={}, provenance={},
    )  # fmt: skip
    assert bare["classification"] == [] and bare["policies"] is None


def test_classification_section_shows_how_origin_path_and_stops(
    lineage: dict[str, Any], provenance: dict[str, Any]
) -> None:
    page = render_html(_document(lineage, provenance))
    _parse(page)
    section = _section(page, "classification")
    assert "<h3>lake.features.training_set (the root)</h3>" in section
    for how in ("direct", "propagated", "may_contain"):
        assert f'<span class="how">{how}</span>' in section
    assert "from <code>lake.raw.events.email</code>" in section
    assert (
        "path <code>lake.raw.events.email -&gt; lake.staging.clean_events."
        "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;</code>"
    ) in section
    assert f"(run <code>{RUN_CLEAN}</code>, DIRECT/IDENTITY)" in section
    assert '<span class="tag stopped">pii</span>' in section
    assert "masking_function: the job&#x27;s SQL computes it with sha2()" in section
    assert "Columns without a tag (1): <code>country</code>" in section
    assert "Tags of the table as a whole" in section
    assert "No schema known" in section  # deltas.users has no columns


def test_policies_section_shows_results_and_marks_this_reports_tables(
    lineage: dict[str, Any], provenance: dict[str, Any]
) -> None:
    page = render_html(_document(lineage, provenance))
    section = _section(page, "policies")
    assert section.count('class="result-violated">violated') == 2
    assert section.count('class="result-ok">ok') == 1
    rows = section[section.index("<h3>Violations</h3>") :].split("<tr")[2:]
    assert len(rows) == 2
    assert rows[0].startswith(' class="here"') and "lake.staging.clean_events" in rows[0]
    assert "pii from lake.raw.events.email reached it in 1 hop(s)" in rows[0]
    assert "lake.raw.events.email -&gt; lake.staging.clean_events." in rows[0]
    assert not rows[1].startswith(' class="here"') and "lake.other.t" in rows[1]
    summary = _section(page, "summary")
    assert "Policies: 2 of 3 violated, 2 violations (1 at tables of this report)" in summary
    assert "Classification: 3 of 5 tables carry tags: " in summary
    assert "<strong>Policy violations</strong> in this report: pii-&lt;img" in summary


def test_every_name_is_escaped_and_the_page_stays_self_contained(
    lineage: dict[str, Any], provenance: dict[str, Any]
) -> None:
    page = render_html(_document(lineage, provenance))
    parser = _parse(page)
    assert "<img" not in page and "img" not in parser.tags
    assert "onerror=&quot;alert(1)&quot;" in page
    assert SECRET not in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    for tag, name, value in parser.attributes:
        if name in ("href", "src"):
            assert value.startswith("#"), (tag, name, value)


def test_drawing_writes_the_tags_of_tagged_tables(
    lineage: dict[str, Any], provenance: dict[str, Any]
) -> None:
    page = render_html(_document(lineage, provenance))
    svg = _svg(page)
    assert svg.count('<text class="tags"') == 3  # events, clean_events, users (not sessions)
    assert ">tags: pii</text>" in svg
    assert "note postgresql://u:***@db/x?" in svg  # may_contain only: written tag?
    assert 'height="68"' in svg
    assert "the tags the table carries" in page


def test_a_page_without_governance_draws_as_before(
    lineage: dict[str, Any], provenance: dict[str, Any]
) -> None:
    old = render_html(_document(lineage, provenance, classification=(), policies=None))
    assert 'class="tags"' not in old and "the tags the table carries" not in old
    assert "No classification in this document." in old
    assert "No policy check in this document." in old
    assert "Classification:" not in _section(old, "summary")
    untagged = render_html(_document(lineage, provenance, classification=[]))
    assert _svg(untagged) == _svg(old)
