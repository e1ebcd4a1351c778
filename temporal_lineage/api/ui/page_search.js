// The list of tables, searched by name.

import { getJson } from "./api.js";
import { h, show } from "./dom.js";
import { Page } from "./frame.js";

const DELAY_MS = 200;

export class SearchPage extends Page {
  constructor(root, _arg, params, ctx) {
    super(root, ctx, "search-page");
    this.timer = 0;
    this.input = h("input", {
      type: "search",
      value: params.q || "",
      placeholder: "Search tables (e.g. features)",
      "aria-label": "Search tables",
      "data-testid": "table-search",
      oninput: () => {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.search(), DELAY_MS);
      },
      onkeydown: (event) => {
        if (event.key !== "Enter") return;
        clearTimeout(this.timer);
        const first = this.rows.querySelector("a");
        if (first && this.shownQuery === this.input.value.trim()) location.hash = first.getAttribute("href");
        else this.search();
      },
    });
    this.count = h("p", { class: "muted", "data-testid": "table-count" });
    this.rows = h("tbody");
    this.el.append(
      h("header", { class: "page-head" }, h("h1", {}, "Tables")),
      h("div", { class: "search" }, this.input),
      this.error,
      this.count,
      h(
        "table",
        { class: "grid", "data-testid": "table-list" },
        h("thead", {}, h("tr", {}, ["table", "format", "snapshots", "current snapshot", "health", "location"].map((c) => h("th", {}, c)))),
        this.rows,
      ),
    );
    this.search();
    queueMicrotask(() => this.input.focus());
  }

  update(params) {
    if ((params.q || "") !== this.input.value) {
      this.input.value = params.q || "";
      this.search();
    }
  }

  async search() {
    const ticket = this.begin();
    const query = this.input.value.trim();
    this.ctx.replaceQuery(query ? { q: query } : {});
    try {
      const tables = await getJson("tables", { q: query || null });
      if (!ticket.isCurrent()) return;
      this.shownQuery = query;
      this.count.textContent = `${tables.length} table(s)${query ? ` matching \u201c${query}\u201d` : ""}`;
      this.rows.replaceChildren(
        ...tables.map((t) =>
          h(
            "tr",
            { "data-testid": "table-row", "data-table": t.table },
            h("td", { class: "mono" }, h("a", { href: `#/table/${encodeURIComponent(t.table)}` }, t.table)),
            h("td", {}, show(t.format)),
            h("td", {}, show(t.snapshots)),
            h("td", { class: "mono" }, show(t.current_snapshot)),
            h("td", {}, h("a", { href: `#/health/${encodeURIComponent(t.table)}`, "data-testid": "table-health-link", title: `freshness, commits and runs of ${t.table}` }, "health")),
            h("td", { class: "mono small muted" }, show(t.location)),
          ),
        ),
      );
      this.done();
    } catch (error) {
      if (ticket.isCurrent()) this.fail(error);
    }
  }
}
