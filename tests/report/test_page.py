"""The HTML page: well formed, complete, self-contained, escaped, deterministic and fast."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from temporal_lineage.report import audit_document, render_html
from tests.report.graphs import (
    AS_OF,
    GENERATED_AT,
    RUN_CLEAN,
    RUN_SESSIONS,
    RUN_TRAINING,
    RUN_USERS,
    build_lineage,
    build_provenance,
    random_provenance,
)

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
SVG_SELF_CLOSING = {"path", "rect", "circle", "line", "polyline", "polygon", "ellipse"}


class StrictParser(HTMLParser):
    """Fails on unbalanced tags; records every tag, attribute and text run."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((tag, name, value or "") for name, value in attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((tag, name, value or "") for name, value in attrs)
        if tag not in VOID and tag not in SVG_SELF_CLOSING:
            self.errors.append(f"self-closed <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> StrictParser:
    parser = StrictParser()
    parser.feed(page)
    parser.close()
    assert parser.errors == []
    assert parser.stack == []
    return parser


def _page(lineage: dict[str, Any], provenance: dict[str, Any], **extra: Any) -> str:
    arguments: dict[str, Any] = {
        "root": provenance["root"],
        "as_of": AS_OF,
        "known_at": None,
        "generated_at": GENERATED_AT,
        "store": "postgresql+psycopg://auditor:s3cret@db.internal:5432/lineage",
        "lineage": lineage,
        "provenance": provenance,
    }
    arguments.update(extra)
    return render_html(audit_document(**arguments))


def _svg(page: str) -> str:
    return page[page.index("<svg") : page.index("</svg>")]


def test_page_is_well_formed(lineage: dict[str, Any], provenance: dict[str, Any]) -> None:
    page = _page(lineage, provenance)
    parser = _parse(page)
    assert page.startswith("<!DOCTYPE html>")
    assert parser.tags.count("svg") == 1
    assert page.count("<svg") == 1


def test_page_shows_every_fact(lineage: dict[str, Any], provenance: dict[str, Any]) -> None:
    page = _page(lineage, provenance)
    for node in provenance["nodes"]:
        assert node["table"] in page
        assert str(node["snapshot"]) in page
        if node["code_version"]:
            assert node["code_version"] in page
    for run in (RUN_CLEAN, RUN_SESSIONS, RUN_TRAINING, RUN_USERS):
        assert run in page
    for kind in ("commit_property", "dataset_version", "inferred", "openlineage_event"):
        assert f">{kind}</span>" in page
    for detail in ("lineage.run-id", "head at run start", "icebergScanReport", "COMPLETE event"):
        assert detail in page
    assert "2026-03-03T00:00:00.000Z" in page
    assert "2026-03-05T12:30:00.000Z" in page
    assert "latest knowledge" in page


def test_header_hides_the_store_password(
    lineage: dict[str, Any], provenance: dict[str, Any]
) -> None:
    page = _page(lineage, provenance)
    assert "s3cret" not in page
    assert "postgresql+psycopg://auditor:***@db.internal:5432/lineage" in page


def test_inferred_only_links_raise_a_warning(
    lineage: dict[str, Any], provenance: dict[str, Any]
) -> None:
    page = _page(lineage, provenance)
    assert "2 of 5 links rest only on <em>inferred</em> evidence" in page
    for link in provenance["edges"]:
        link["evidence"] = [{"kind": "commit_property", "detail": "lineage.run-id"}]
    assert "links rest only on" not in _page(lineage, provenance)


def test_drawing_has_every_snapshot_and_a_legend(
    lineage: dict[str, Any], provenance: dict[str, Any]
) -> None:
    page = _page(lineage, provenance)
    svg = _svg(page)
    for node in provenance["nodes"]:
        assert f"{node['table']} @ {node['snapshot']}" in svg
    assert svg.count('class="link ') == len(provenance["edges"])
    assert svg.count("<marker ") >= 4
    legend = page[page.index('class="legend"') :]
    for kind in ("commit_property", "dataset_version", "inferred", "openlineage_event"):
        assert kind in legend[: legend.index("</ul>")]


def test_page_is_self_contained(lineage: dict[str, Any], provenance: dict[str, Any]) -> None:
    page = _page(lineage, provenance)
    parser = _parse(page)
    assert "http://" not in page
    assert "https://" not in page
    assert "script" not in parser.tags
    assert "link" not in parser.tags
    assert "<script" not in page
    for tag, name, value in parser.attributes:
        if name in ("href", "src", "xlink:href", "action"):
            assert value.startswith("#"), (tag, name, value)
        if "url(" in value:
            assert value.startswith("url(#"), (tag, name, value)
    assert "@import" not in page


def test_urls_in_user_data_stay_text(lineage: dict[str, Any], provenance: dict[str, Any]) -> None:
    provenance["edges"][0]["evidence"] = [
        {"kind": "dataset_version", "detail": 'see https://evil.example/x?a=1&b="2"'}
    ]
    provenance["nodes"][1]["job"] = "http://airflow.example/dags/clean"
    page = _page(lineage, provenance)
    parser = _parse(page)
    for _tag, _name, value in parser.attributes:
        assert "http" not in value
    text = "".join(parser.text)
    assert 'see https://evil.example/x?a=1&b="2"' in text
    assert "https://evil.example/x?a=1&amp;b=&quot;2&quot;" in page


def test_hostile_names_are_escaped(lineage: dict[str, Any], provenance: dict[str, Any]) -> None:
    hostile = "<script>alert(1)</script>"
    provenance["nodes"][3]["table"] = hostile
    for link in provenance["edges"]:
        if link["from_table"] == "lake.raw.events":
            link["from_table"] = hostile
    provenance["nodes"][1]["job"] = '"><img src=x onerror=alert(2)>'
    lineage["edges"][0]["from"] = hostile
    page = _page(lineage, provenance, root="</title><script>alert(3)</script>")
    parser = _parse(page)
    assert "<script" not in page
    assert "<img" not in page
    assert "script" not in parser.tags and "img" not in parser.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert hostile in "".join(parser.text)
    assert "onerror" not in {name for _tag, name, _value in parser.attributes}


def test_missing_and_odd_values_render(lineage: dict[str, Any]) -> None:
    provenance = build_provenance()
    provenance["nodes"].append({"table": None, "snapshot": None})
    provenance["edges"].append({"from_table": "x.only_in_a_link", "to_table": "x.y"})
    provenance["edges"].append({"evidence": 42})
    lineage["edges"].append({"from": "a", "to": "b", "evidence": {"kind": "weird"}})
    page = _page(lineage, provenance)
    _parse(page)
    assert "x.only_in_a_link" in _svg(page)
    assert ">weird</span>" in page


def test_empty_report_still_has_one_drawing() -> None:
    empty = {"root": "lake.nothing", "nodes": [], "edges": []}
    page = _page({}, empty)
    _parse(page)
    assert page.count("<svg") == 1
    assert "No snapshot of lake.nothing" in page


def test_render_without_summary_recomputes_it(
    lineage: dict[str, Any], provenance: dict[str, Any]
) -> None:
    document = audit_document(
        root=provenance["root"],
        as_of=AS_OF,
        known_at=None,
        generated_at=GENERATED_AT,
        store="sqlite:///l.db",
        lineage=lineage,
        provenance=provenance,
    )
    without = {key: value for key, value in document.items() if key != "summary"}
    assert render_html(without) == render_html(document)


def test_output_is_deterministic(lineage: dict[str, Any], provenance: dict[str, Any]) -> None:
    assert _page(lineage, provenance) == _page(build_lineage(), build_provenance())


_HASH_SCRIPT = """
import hashlib
from temporal_lineage.report import audit_document, render_html
from tests.report.graphs import AS_OF, GENERATED_AT, build_lineage, build_provenance
from tests.report.graphs import random_provenance
pages = [
    render_html(audit_document(root=p["root"], as_of=AS_OF, known_at=None,
        generated_at=GENERATED_AT, store="sqlite:///l.db", lineage=build_lineage(),
        provenance=p))
    for p in (build_provenance(), random_provenance(60, 3))
]
print(hashlib.sha256("".join(pages).encode()).hexdigest())
"""


def test_output_does_not_depend_on_hash_seed() -> None:
    root = Path(__file__).resolve().parents[2]
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", _HASH_SCRIPT],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        digests.add(done.stdout.strip())
    assert len(digests) == 1


def test_two_hundred_snapshots_render_completely() -> None:
    provenance = random_provenance(200, seed=11)
    page = _page({}, provenance)
    _parse(page)
    svg = _svg(page)
    for node in provenance["nodes"]:
        assert f"{node['table']} @ {node['snapshot']}" in svg
    assert svg.count('class="link ') == len(provenance["edges"])
    width = float(svg.split('width="', 1)[1].split('"', 1)[0])
    assert width > 1000  # drawn at full size inside a scrolling box, not shrunk to fit
    assert "overflow: auto" in page


@pytest.mark.parametrize("count", [1, 2, 30])
def test_small_random_graphs_render(count: int) -> None:
    _parse(_page({}, random_provenance(count, seed=count)))


def test_page_digest_is_stable(lineage: dict[str, Any], provenance: dict[str, Any]) -> None:
    first = hashlib.sha256(_page(lineage, provenance).encode()).hexdigest()
    assert first == hashlib.sha256(_page(lineage, provenance).encode()).hexdigest()
