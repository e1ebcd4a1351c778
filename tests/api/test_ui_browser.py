"""The web UI end to end: headless Debian Chromium against ``temporal-lineage serve``.

The pages are compared with the API's own answers for the same times, over the sample
warehouse (a column rename on ``lake.features.user_features``, runs that first fail then
adopt it) and over a synthetic 200-table graph.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from temporal_lineage.times import format_time, parse_time
from tests.api.browser_support import (
    SampleStore,
    Server,
    chain_store,
    open_page,
)
from warehouse_fixtures.timeline import Timeline

__all__ = ["chain_store"]

RENAMED = "lake.features.user_features"
TRAINING = "deltas.training_set"
EVENTS = "lake.raw.events"


def instant(text: str) -> str:
    """An ISO time as the API and the pages print it (milliseconds, ``Z``)."""
    formatted = format_time(parse_time(text))
    assert formatted is not None
    return formatted


def millis(text: str) -> int:
    return int(parse_time(text).timestamp() * 1000)


def first_event(warehouse: Timeline, action: str, table: str, day: int) -> str:
    return next(
        e.at for e in warehouse.events if (e.action, e.table, e.day) == (action, table, day)
    )


def first_status(warehouse: Timeline, status: str) -> str:
    return min(
        s.as_of
        for change in warehouse.propagation
        if change.table == RENAMED
        for d in change.downstream
        for s in d.statuses
        if s.status == status
    )


def rename_statuses(answer: list[dict[str, Any]]) -> list[str]:
    """The downstream statuses of the rename in a propagation answer."""
    renames = [c for c in answer if c["change"]["kind"] == "renamed"]
    return [d["status"] for c in renames for d in c["downstream"]]


def shown_snapshots(page: Any) -> dict[str, str]:
    """Table -> snapshot id as the graph's nodes show them."""
    pairs = page.eval_on_selector_all(
        "[data-testid=graph-node]", "els => els.map(e => [e.dataset.table, e.dataset.snapshot])"
    )
    return dict(pairs)


def api_snapshots(answer: dict[str, Any]) -> dict[str, str]:
    return {
        n["table"]: "" if n["snapshot"] is None else str(n["snapshot"]) for n in answer["nodes"]
    }


def lineage_ready(page: Any, **attrs: str) -> Any:
    selector = "".join(f'[data-{k.replace("_", "-")}="{v}"]' for k, v in attrs.items())
    page.locator(f"[data-testid=lineage-page][data-state=ready]{selector}").wait_for()


def test_search_lineage_time_travel_node_panel_and_run(
    browser: Any, open_server: Server, sample_store: SampleStore, warehouse: Timeline
) -> None:
    from playwright.sync_api import expect

    context, page, problems = open_page(browser)
    page.goto(open_server.url + "/")  # redirects to /ui/

    # Search, open the table.
    page.get_by_test_id("table-search").fill("training")
    expect(page.get_by_test_id("table-count")).to_contain_text("matching")
    expect(page.get_by_test_id("table-row")).to_have_count(1)
    page.get_by_test_id("table-row").get_by_role("link", name=TRAINING).click()
    lineage_ready(page, table=TRAINING)
    now_answer = open_server.api(f"tables/{TRAINING}/lineage", direction="both")
    assert shown_snapshots(page) == api_snapshots(now_answer)
    assert len(now_answer["nodes"]) >= 4

    # Slider to an earlier time: the nodes show the snapshots in effect then.
    day4 = instant(first_event(warehouse, "overwrite", TRAINING, 4))
    page.get_by_test_id("as-of-slider").fill(str(millis(day4)))
    lineage_ready(page, as_of=day4)
    then_answer = open_server.api(f"tables/{TRAINING}/lineage", as_of=day4, direction="both")
    assert shown_snapshots(page) == api_snapshots(then_answer)
    assert api_snapshots(then_answer) != api_snapshots(now_answer)
    assert f"as_of={day4}" in page.url

    # Known at a time after the sync, before the events: no run known, so no edge.
    page.get_by_test_id("known-at-input").fill(sample_store.synced_at)
    page.get_by_test_id("known-at-input").press("Enter")
    lineage_ready(page, as_of=day4, known_at=sample_store.synced_at)
    known_answer = open_server.api(
        f"tables/{TRAINING}/lineage", as_of=day4, direction="both", known_at=sample_store.synced_at
    )
    assert known_answer["edges"] == []
    assert shown_snapshots(page) == api_snapshots(known_answer)
    expect(page.get_by_test_id("graph-edge")).to_have_count(0)
    page.get_by_test_id("known-at-clear").click()
    lineage_ready(page, as_of=day4, known_at="")
    assert shown_snapshots(page) == api_snapshots(then_answer)

    # A node: its snapshot timeline with runs and evidence, its schema history as diffs.
    page.locator(f'[data-testid=graph-node][data-table="{RENAMED}"]').click()
    panel = page.locator(f'[data-testid=node-panel][data-state=ready][data-table="{RENAMED}"]')
    panel.wait_for()
    snapshots = open_server.api(f"tables/{RENAMED}/snapshots")
    head = open_server.api(f"tables/{RENAMED}/snapshots", as_of=day4)[0]
    expect(panel.get_by_test_id("snapshot-row")).to_have_count(len(snapshots))
    current = panel.locator("[data-testid=snapshot-row][data-current=true]")
    expect(current).to_have_attribute("data-snapshot", str(head["snapshot"]))
    expect(current.get_by_test_id("run-link")).to_have_text(head["run"])
    kind = head["evidence"][0]["kind"]
    expect(current.locator(f'[data-testid=evidence] [data-kind="{kind}"]')).to_have_count(1)
    rename = panel.locator("[data-testid=schema-change][data-kind=renamed]")
    expect(rename).to_have_count(1)
    expect(rename).to_contain_text("amount_sum")
    expect(rename).to_contain_text("total_amount")

    # Its producing run.
    current.get_by_test_id("run-link").click()
    page.locator("[data-testid=run-page][data-state=ready]").wait_for()
    run = open_server.api(f"runs/{head['run']}")
    expect(page.get_by_test_id("run-job")).to_have_text(run["job"])
    expect(page.get_by_test_id("run-state")).to_have_text(run["state"])
    written = page.locator(
        f'[data-testid=run-outputs] [data-testid=run-dataset][data-table="{RENAMED}"]'
    )
    expect(written).to_have_attribute("data-snapshot", str(head["snapshot"]))
    expect(page.locator("[data-testid=run-inputs] [data-testid=run-dataset]")).to_have_count(
        len(run["inputs"])
    )
    problems.assert_none()
    context.close()


def test_provenance_and_reproduce_download(
    browser: Any, open_server: Server, warehouse: Timeline, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    context, page, problems = open_page(browser, accept_downloads=True)
    day4 = instant(first_event(warehouse, "overwrite", TRAINING, 4))
    page.goto(f"{open_server.url}/ui/#/provenance/{TRAINING}?as_of={day4}")
    page.locator("[data-testid=provenance-page][data-state=ready]").wait_for()
    answer = open_server.api(f"tables/{TRAINING}/provenance", as_of=day4)
    pinned = {
        (n["table"], str(n["snapshot"])) for n in answer["nodes"] if n["snapshot"] is not None
    }
    expect(page.get_by_test_id("provenance-row")).to_have_count(len(answer["nodes"]))
    shown = page.eval_on_selector_all(
        "[data-testid=provenance-row]", "els => els.map(e => [e.dataset.table, e.dataset.snapshot])"
    )
    assert {tuple(p) for p in shown if p[1] != "\u2013"} == pinned

    with page.expect_download() as started:
        page.get_by_test_id("reproduce-download").click()
    target = tmp_path / started.value.suggested_filename
    started.value.save_as(target)
    manifest = json.loads(target.read_text())
    assert manifest["root"] == TRAINING
    assert manifest["as_of"] == day4
    assert {(t["table"], str(t["snapshot"])) for t in manifest["tables"]} == pinned
    expect(page.get_by_test_id("reproduce-status")).to_contain_text(
        f"{len(manifest['tables'])} table(s)"
    )
    problems.assert_none()
    context.close()


def test_the_ref_picker_asks_of_the_audit_branch(
    browser: Any, open_server: Server, warehouse: Timeline
) -> None:
    """Day 7 stages lake.raw.events on the ``audit`` branch before publishing it: before
    the publish, the lineage root shows main's head, and with ``audit`` picked the branch's."""
    from playwright.sync_api import expect

    context, page, problems = open_page(browser)
    staged = instant(first_event(warehouse, "append_to_branch", EVENTS, 7))
    page.goto(f"{open_server.url}/ui/#/table/{EVENTS}?as_of={staged}")
    page.locator("[data-testid=lineage-page][data-state=ready]").wait_for()
    picker = page.get_by_test_id("ref-select")
    expect(picker).to_be_visible()
    main = open_server.api(f"tables/{EVENTS}/lineage", as_of=staged)
    audit = open_server.api(f"tables/{EVENTS}/lineage", as_of=staged, ref="audit")
    root = f'[data-testid=graph-node][data-table="{EVENTS}"]'
    (main_node,) = [n for n in main["nodes"] if n["table"] == EVENTS]
    (audit_node,) = [n for n in audit["nodes"] if n["table"] == EVENTS]
    assert main_node["snapshot"] != audit_node["snapshot"]
    expect(page.locator(root)).to_have_attribute("data-snapshot", str(main_node["snapshot"]))
    picker.select_option("audit")
    expect(page.locator(root)).to_have_attribute("data-snapshot", str(audit_node["snapshot"]))
    assert "ref=audit" in page.url
    page.get_by_test_id("tab-provenance").click()
    page.locator("[data-testid=provenance-page][data-state=ready]").wait_for()
    answer = open_server.api(f"tables/{EVENTS}/provenance", as_of=staged, ref="audit")
    assert answer["ref"] == "audit"
    expect(page.get_by_test_id("provenance-row").first).to_have_attribute(
        "data-snapshot", str(audit_node["snapshot"])
    )
    problems.assert_none()
    context.close()


def test_impact_and_propagation_of_the_rename(
    browser: Any, open_server: Server, warehouse: Timeline
) -> None:
    from playwright.sync_api import expect

    context, page, problems = open_page(browser)
    broken = instant(first_status(warehouse, "broken"))
    adopted = instant(first_status(warehouse, "adopted"))
    page.goto(
        f"{open_server.url}/ui/#/impact/{RENAMED}?column=total_amount&change=rename&as_of={broken}"
    )
    page.locator(f'[data-testid=impact-page][data-state=ready][data-as-of="{broken}"]').wait_for()
    impact = open_server.api(
        f"tables/{RENAMED}/impact", column="total_amount", change="rename", as_of=broken
    )
    assert impact["affected"]
    expect(page.get_by_test_id("impact-row")).to_have_count(len(impact["affected"]))
    rename = page.locator("[data-testid=propagation-change][data-kind=renamed]")
    expect(rename).to_contain_text("amount_sum")
    downstream = rename.get_by_test_id("propagation-row")
    statuses = open_server.api(f"tables/{RENAMED}/propagation", as_of=broken)
    expected = [
        d["status"] for c in statuses if c["change"]["kind"] == "renamed" for d in c["downstream"]
    ]
    assert "broken" in expected
    expect(downstream).to_have_count(len(expected))
    expect(rename.locator("[data-testid=propagation-row][data-status=broken]")).to_have_count(
        expected.count("broken")
    )

    page.get_by_test_id("as-of-input").fill(adopted)
    page.get_by_test_id("as-of-input").press("Enter")
    page.locator(f'[data-testid=impact-page][data-state=ready][data-as-of="{adopted}"]').wait_for()
    statuses = open_server.api(f"tables/{RENAMED}/propagation", as_of=adopted)
    expected = [
        d["status"] for c in statuses if c["change"]["kind"] == "renamed" for d in c["downstream"]
    ]
    assert "adopted" in expected
    expect(rename.locator("[data-testid=propagation-row][data-status=adopted]")).to_have_count(
        expected.count("adopted")
    )
    problems.assert_none()
    context.close()


def test_token_prompt_when_reads_need_a_token(
    browser: Any, serve: Any, sample_store: SampleStore
) -> None:
    from playwright.sync_api import expect

    server: Server = serve(sample_store.config, sample_store.store_url, open_reads=False)
    token = json.loads(server.cli("token", "create", "--scope", "read", "--format", "json"))
    context, page, _ = open_page(browser)
    page.goto(server.url + "/ui/")
    form = page.get_by_test_id("token-form")
    expect(form).to_be_visible()
    page.get_by_test_id("token-input").fill("tl_00000000_not-a-token")
    page.get_by_test_id("token-submit").click()
    expect(page.get_by_test_id("token-detail")).to_contain_text("unknown or revoked token")

    page.get_by_test_id("token-input").fill(token["token"])
    page.get_by_test_id("token-submit").click()
    expect(form).to_have_count(0)
    tables = server.api("tables", token=token["token"])
    expect(page.get_by_test_id("table-row")).to_have_count(len(tables))
    stored = page.evaluate("() => localStorage.getItem('temporal-lineage.token')")
    assert stored == token["token"]

    page.reload()
    expect(page.get_by_test_id("table-row")).to_have_count(len(tables))
    expect(form).to_have_count(0)
    context.close()


def test_graph_of_200_tables(browser: Any, serve: Any, chain_store: tuple[Path, str, str]) -> None:
    from playwright.sync_api import expect

    config, store_url, root = chain_store
    server: Server = serve(config, store_url, open_reads=True)
    answer = server.api(f"tables/{root}/lineage", direction="upstream", depth=30)
    assert len(answer["nodes"]) == 200
    pairs = {(e["from"], e["to"]) for e in answer["edges"]}

    context, page, problems = open_page(browser)
    page.goto(f"{server.url}/ui/#/table/{root}?direction=upstream&depth=30")
    lineage_ready(page, table=root)
    expect(page.get_by_test_id("graph-node")).to_have_count(200)
    expect(page.get_by_test_id("graph-edge")).to_have_count(len(pairs))
    assert shown_snapshots(page) == api_snapshots(answer)
    assert all(shown_snapshots(page).values())

    # No two boxes overlap.
    boxes = page.eval_on_selector_all(
        "[data-testid=graph-node]",
        """els => els.map(e => {
            const m = /translate\\(([-\\d.]+),([-\\d.]+)\\)/.exec(e.getAttribute('transform'));
            const r = e.querySelector('rect');
            return [+m[1], +m[2], +r.getAttribute('width'), +r.getAttribute('height')];
        })""",
    )
    for i, (x1, y1, w1, h1) in enumerate(boxes):
        for x2, y2, w2, h2 in boxes[i + 1 :]:
            apart = x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1
            assert apart, ((x1, y1, w1, h1), (x2, y2, w2, h2))

    # Find, zoom, pan and open one node of the big graph.
    page.get_by_test_id("graph-find").fill("l05_c3")
    page.get_by_test_id("graph-find").press("Enter")
    for button in ("zoom-in", "zoom-out", "zoom-fit"):
        page.get_by_test_id(button).click()
    svg = page.get_by_test_id("graph-svg").bounding_box()
    page.mouse.move(svg["x"] + 40, svg["y"] + 40)
    page.mouse.down()
    page.mouse.move(svg["x"] + 140, svg["y"] + 90, steps=5)
    page.mouse.up()
    page.mouse.wheel(0, -400)
    page.get_by_test_id("graph-find").press("Enter")
    page.locator('[data-testid=graph-node][data-table="syn.l05_c3"]').click()
    page.locator('[data-testid=node-panel][data-state=ready][data-table="syn.l05_c3"]').wait_for()
    expect(page.get_by_test_id("snapshot-row")).to_have_count(1)
    problems.assert_none()
    context.close()


@pytest.mark.parametrize("width,height", [(1400, 900), (1920, 1080)])
def test_the_impact_table_reads_at_desktop_widths(
    browser: Any, open_server: Server, tmp_path: Path, width: int, height: int
) -> None:
    """No cell of the impact table is squeezed to a letter per line: each is at least 60 px
    wide, and the table stays inside its card (or the card scrolls sideways)."""
    from playwright.sync_api import expect

    context, page, problems = open_page(browser)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{open_server.url}/ui/#/impact/{RENAMED}?column=total_amount")
    page.locator("[data-testid=impact-page][data-state=ready]").wait_for()
    expect(page.get_by_test_id("impact-table")).to_be_visible()
    shot = tmp_path / f"impact-{width}x{height}.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert len(data) > 1000 and data[:8] == b"\x89PNG\r\n\x1a\n"
    measured = page.evaluate(
        """() => {
            const card = document.querySelector('[data-testid=impact]');
            const table = card.querySelector('[data-testid=impact-table]');
            const cells = [...table.querySelectorAll('th, td')];
            return {
                narrowest: Math.min(...cells.map(c => c.getBoundingClientRect().width)),
                tableWidth: table.getBoundingClientRect().width,
                scrollWidth: card.scrollWidth,
                clientWidth: card.clientWidth,
                overflowX: getComputedStyle(card).overflowX,
                rowHeights: [...table.querySelectorAll('tbody tr')].map(
                    r => r.getBoundingClientRect().height),
                wrappedNames: [...table.querySelectorAll('tbody td:nth-child(2) a')]
                    .filter(a => a.getClientRects().length > 1).map(a => a.textContent),
            };
        }"""
    )
    assert measured["narrowest"] >= 60, measured
    fits = measured["scrollWidth"] <= measured["clientWidth"]
    assert fits or measured["overflowX"] in ("auto", "scroll"), measured
    # A row of ids wrapped one letter per line would be hundreds of pixels tall.
    assert max(measured["rowHeights"]) < 120, measured
    assert measured["wrappedNames"] == [], measured
    problems.assert_none()
    context.close()


MARKETING = "deltas.marketing_contacts"
CUSTOMERS = "lake.crm.customers"
HASHED = "deltas.customer_emails_hashed"


def test_governance_tags_and_policies(browser: Any, open_server: Server, tmp_path: Path) -> None:
    """deltas.marketing_contacts.email carries pii propagated from lake.crm.customers.email;
    the policy pii-confined is violated there, and the violation links to its table."""
    from playwright.sync_api import expect

    context, page, problems = open_page(browser)
    page.goto(f"{open_server.url}/ui/#/governance/{MARKETING}")
    page.locator("[data-testid=governance-page][data-state=ready]").wait_for()
    answer = open_server.api(f"tables/{MARKETING}/classification")
    expect(page.get_by_test_id("classification-row")).to_have_count(len(answer["columns"]))
    email = page.locator("[data-testid=classification-row][data-column=email]")
    pii = email.locator("[data-testid=tag][data-tag=pii][data-how=propagated]")
    expect(pii.first).to_be_visible()
    expect(pii.first.get_by_test_id("tag-how")).to_have_text("propagated")
    expect(pii.first.get_by_test_id("tag-origin")).to_have_text(f"{CUSTOMERS}.email")
    hops = pii.first.get_by_test_id("tag-hop")
    expect(hops.first).to_have_attribute("data-from", f"{CUSTOMERS}.email")
    assert hops.count() >= 1

    policy = page.locator("[data-testid=policy-row][data-policy=pii-confined]")
    expect(policy).to_have_attribute("data-ok", "false")
    expect(policy.get_by_test_id("policy-status")).to_have_text("violated")
    checked = open_server.api("policy")
    (confined,) = [p for p in checked["policies"] if p["policy"] == "pii-confined"]
    expect(policy.get_by_test_id("policy-violation")).to_have_count(len(confined["violations"]))
    to_marketing = policy.locator(f'[data-testid=policy-violation][data-table="{MARKETING}"]')
    expect(to_marketing.first).to_be_visible()
    expect(page.get_by_test_id("policy-verdict")).to_have_text("violated")

    # The stopped tag on the hashed table, through a violation-free table's page.
    page.goto(f"{open_server.url}/ui/#/governance/{HASHED}")
    page.locator(
        f'[data-testid=governance-page][data-state=ready][data-table="{HASHED}"]'
    ).wait_for()
    email_hash = "[data-testid=classification-row][data-column=email_hash]"
    stopped = page.locator(f"{email_hash} [data-testid=stopped-tag][data-tag=pii]")
    expect(stopped.first).to_have_attribute("data-rule", re.compile(r"^masking\b"))
    page.screenshot(path=str(tmp_path / "governance.png"), full_page=True)
    problems.assert_none()
    context.close()


def test_erasure_form_finds_the_subject_in_the_hashed_table(
    browser: Any, open_server: Server, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    context, page, problems = open_page(browser)
    page.goto(f"{open_server.url}/ui/#/table/{CUSTOMERS}")
    lineage_ready(page, table=CUSTOMERS)
    page.get_by_test_id("tab-governance").click()
    page.locator("[data-testid=governance-page][data-state=ready]").wait_for()
    classified = open_server.api(f"tables/{CUSTOMERS}/classification")
    (email,) = [c for c in classified["columns"] if c["column"] == "email"]
    direct = [t for t in email["tags"] if (t["tag"], t["how"]) == ("pii", "direct")]
    assert direct
    direct_pii = "[data-testid=tag][data-how=direct][data-tag=pii]"
    expect(
        page.locator(f"[data-testid=classification-row][data-column=email] {direct_pii}")
    ).to_have_count(len(direct))
    page.get_by_test_id("erasure-where").fill("customer_id = 42")
    page.get_by_test_id("erasure-check").click()
    page.locator("[data-testid=erasure][data-state=ready]").wait_for()
    answer = open_server.api(f"tables/{CUSTOMERS}/erasure", where="customer_id = 42")
    verdict = page.get_by_test_id("erasure-verdict")
    expect(verdict).to_have_attribute("data-complete", str(answer["complete"]).lower())
    expect(page.get_by_test_id("erasure-table")).to_have_count(len(answer["tables"]))
    hashed = page.locator(f'[data-testid=erasure-table][data-table="{HASHED}"]')
    expect(hashed).to_have_attribute("data-status", "holds")
    expect(hashed.get_by_test_id("erasure-table-status")).to_have_text("holds")
    (expected,) = [t for t in answer["tables"] if t["table"] == HASHED]
    expect(hashed.get_by_test_id("erasure-snapshot")).to_have_count(len(expected["snapshots"]))
    assert "where=customer_id" in page.url
    page.screenshot(path=str(tmp_path / "erasure.png"), full_page=True)
    problems.assert_none()
    context.close()
