"""The lineage graph shows each table's tags as of A and follows one tag (Chromium)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api.browser_support import Server, open_page

CUSTOMERS = "lake.crm.customers"
MARKETING = "deltas.marketing_contacts"
HASHED = "deltas.customer_emails_hashed"


def test_following_pii_marks_the_tables_holding_it(
    browser: Any, open_server: Server, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    answer = open_server.api(f"tables/{CUSTOMERS}/lineage/tags", direction="downstream", depth="3")
    holding = {t["table"] for t in answer["tables"] if any(g["tag"] == "pii" for g in t["tags"])}
    assert {CUSTOMERS, MARKETING} <= holding
    graph = open_server.api(f"tables/{CUSTOMERS}/lineage", direction="downstream", depth="3")
    others = {n["table"] for n in graph["nodes"]} - holding
    assert others, "the story has tables downstream of the customers that hold no pii"

    context, page, problems = open_page(browser)
    page.goto(f"{open_server.url}/ui/#/table/{CUSTOMERS}?direction=downstream&depth=3")
    page.locator("[data-testid=lineage-page][data-state=ready]").wait_for()
    customers = page.locator(f'[data-testid=graph-node][data-node="{CUSTOMERS}"]')
    expect(customers).to_have_attribute("data-tags", _contains("pii:direct"))
    expect(customers.locator(".tags-line")).to_contain_text("pii")

    page.get_by_test_id("follow-tag").select_option("pii")
    for table in holding & {n["table"] for n in graph["nodes"]}:
        node = page.locator(f'[data-testid=graph-node][data-node="{table}"]')
        expect(node).to_have_class(_contains("holds-tag"))
    for table in others:
        node = page.locator(f'[data-testid=graph-node][data-node="{table}"]')
        expect(node).not_to_have_class(_contains("holds-tag"))
    expect(page.get_by_test_id("graph-svg")).to_have_class(_contains("following"))
    assert "tag=pii" in page.url

    page.reload()  # the followed tag is part of the address
    page.locator("[data-testid=lineage-page][data-state=ready]").wait_for()
    marketing = page.locator(f'[data-testid=graph-node][data-node="{MARKETING}"]')
    expect(marketing).to_have_class(_contains("holds-tag"))
    page.screenshot(path=str(tmp_path / "follow-tag.png"))
    problems.assert_none()
    context.close()


def _contains(text: str) -> Any:
    import re

    return re.compile(rf"(^|\s|:){re.escape(text)}(\s|$)")
