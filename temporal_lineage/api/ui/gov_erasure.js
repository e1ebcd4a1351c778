// The erasure check of one table: a predicate, "Check", and where the subject's rows live.

import { Unauthorized, getJson, tablePath } from "./api.js";
import { h, show } from "./dom.js";
import { display } from "./time.js";

export class ErasureForm {
  /** `onWhere(where)` is told each predicate checked; `onUnauthorized(error)` on a 401. */
  constructor(ref, { where = "", onWhere = () => {}, onUnauthorized = () => {} } = {}) {
    this.ref = ref;
    this.onWhere = onWhere;
    this.onUnauthorized = onUnauthorized;
    this.sequence = 0;
    this.input = h("input", { type: "text", class: "where", value: where, placeholder: "customer_id = 42", "aria-label": "Subject predicate", "data-testid": "erasure-where", required: true });
    this.button = h("button", { type: "submit", class: "primary", "data-testid": "erasure-check" }, "Check");
    this.status = h("span", { class: "muted small", "data-testid": "erasure-status" });
    this.result = h("div", { "data-testid": "erasure-result" });
    this.el = h(
      "section",
      { class: "card erasure", "data-testid": "erasure", "data-state": "idle" },
      h("h2", {}, "Erasure check"),
      h(
        "form",
        { class: "erasure", "data-testid": "erasure-form", onsubmit: (event) => { event.preventDefault(); this.check(); } },
        h("label", {}, "Rows where ", this.input),
        this.button,
        this.status,
      ),
      this.result,
    );
    if (where) this.check();
  }

  async check() {
    const where = this.input.value.trim();
    if (!where) return;
    const sequence = ++this.sequence;
    this.onWhere(where);
    this.el.dataset.state = "loading";
    this.button.disabled = true;
    this.status.textContent = "checking\u2026";
    try {
      const answer = await getJson(tablePath(this.ref, "erasure"), { where, probe: "true" });
      if (sequence !== this.sequence) return;
      this.status.textContent = "";
      this.paint(answer);
      this.el.dataset.state = "ready";
    } catch (error) {
      if (sequence !== this.sequence) return;
      if (error instanceof Unauthorized) this.onUnauthorized(error);
      this.status.textContent = error && error.message ? error.message : String(error);
      this.status.className = "error small";
      this.el.dataset.state = "error";
    } finally {
      if (sequence === this.sequence) this.button.disabled = false;
    }
  }

  paint(answer) {
    this.status.className = "muted small";
    this.result.replaceChildren(
      h(
        "p",
        { "data-testid": "erasure-verdict", "data-complete": String(answer.complete) },
        h("span", { class: `badge complete-${answer.complete}` }, answer.complete ? "complete" : "not complete"),
        " ",
        h("span", { class: "mono" }, answer.where),
        h("span", { class: "muted small" }, ` checked ${display(answer.checked_at)}${answer.probed ? ", rows counted" : ""}`),
      ),
      h("ul", { class: "erased" }, answer.tables.map((t) => this.table(t))),
    );
  }

  table(t) {
    const holding = t.snapshots.filter((s) => s.rows !== null && s.rows > 0);
    return h(
      "li",
      { class: "erased-table", "data-testid": "erasure-table", "data-table": t.table, "data-status": t.status },
      h("span", { class: `badge status-${t.status}`, "data-testid": "erasure-table-status" }, t.status),
      " ",
      h("strong", { class: "mono" }, t.table),
      t.where ? h("span", { class: "muted small mono" }, ` where ${t.where}`) : null,
      t.reason ? h("div", { class: "muted small" }, t.reason) : null,
      t.carried_by.length ? h("div", { class: "small" }, "key carried by ", t.carried_by.map((c) => `${c.column} \u2190 ${c.from_column}`).join(", ")) : null,
      t.head ? h("div", { class: "small", "data-testid": "erasure-head", "data-rows": show(t.head.rows) }, `head snapshot ${t.head.snapshot}: ${show(t.head.rows)} row(s)`) : null,
      t.snapshots.length ? this.snapshots(t, holding) : null,
    );
  }

  snapshots(t, holding) {
    return h(
      "details",
      { class: "sql", open: holding.length > 0 && holding.length <= 5 ? true : null },
      h("summary", {}, `${holding.length} of ${t.snapshots.length} snapshot(s) hold rows`),
      h(
        "table",
        { class: "grid compact" },
        h("thead", {}, h("tr", {}, ["snapshot", "committed", "readable", "rows", "SQL"].map((c) => h("th", {}, c)))),
        h(
          "tbody",
          {},
          t.snapshots.map((s) =>
            h(
              "tr",
              { "data-testid": "erasure-snapshot", "data-snapshot": String(s.snapshot), "data-rows": show(s.rows) },
              h("td", { class: "mono" }, String(s.snapshot)),
              h("td", { class: "small" }, display(s.committed_at)),
              h("td", {}, s.readable ? "yes" : h("span", { class: "muted" }, `no: ${show(s.unreadable_because)}`)),
              h("td", {}, show(s.rows), s.counted_by ? h("span", { class: "muted small" }, ` (${s.counted_by})`) : null),
              h(
                "td",
                {},
                h(
                  "details",
                  { class: "sql", "data-testid": "erasure-sql" },
                  h("summary", {}, "Spark / Trino"),
                  h("div", { class: "muted small" }, "Spark SQL"),
                  h("pre", {}, show(s.engine_sql.spark_sql)),
                  h("div", { class: "muted small" }, "Trino SQL"),
                  h("pre", {}, show(s.engine_sql.trino_sql)),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }
}
