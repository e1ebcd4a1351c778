// Governance of one table as of a time: each column's tags (how, origin, path), the tags
// stopped on the way in, the table's own tags, the policy check and an erasure check.

import { getJson, tablePath } from "./api.js";
import { h, show } from "./dom.js";
import { ErasureForm } from "./gov_erasure.js";
import { loadPolicies } from "./gov_policy.js";
import { carriedTag, stoppedTag } from "./gov_tags.js";
import { TablePage } from "./frame.js";

export class GovernancePage extends TablePage {
  constructor(root, ref, params, ctx) {
    super(root, ref, params, ctx, "governance");
    this.where = params.where || "";
    this.classBox = h("section", { class: "card", "data-testid": "classification" });
    this.policyBox = h("section", { class: "card", "data-testid": "policy" });
    this.erasure = new ErasureForm(ref, {
      where: this.where,
      onWhere: (where) => { this.where = where; this.writeQuery(); },
      onUnauthorized: (error) => this.ctx.unauthorized(error),
    });
    this.el.append(h("div", { class: "governance-grid" }, this.classBox, this.policyBox, this.erasure.el));
    this.refresh();
  }

  extraQuery() {
    return this.where ? { where: this.where } : {};
  }

  applyParams(params) {
    this.where = params.where || "";
  }

  async refresh() {
    const ticket = this.begin();
    const times = this.apiTimes();
    const asked = { as_of: times.as_of, known_at: times.known_at };
    try {
      const [answer] = await Promise.all([
        getJson(tablePath(this.ref, "classification"), asked),
        loadPolicies(this.policyBox, asked, this.times),
      ]);
      if (!ticket.isCurrent()) return;
      this.paintClassification(answer);
      this.el.dataset.asOf = times.as_of ?? "";
      this.done();
    } catch (error) {
      if (ticket.isCurrent()) this.fail(error);
    }
  }

  paintClassification(answer) {
    const known = this.times.knownAt;
    const tagged = answer.columns.filter((c) => c.tags.length || c.stopped.length).length;
    this.classBox.replaceChildren(
      h("h2", {}, "Classification"),
      h("p", { class: "muted small", "data-testid": "classification-summary" }, `${answer.columns.length} column(s), ${tagged} with tags, as of ${show(answer.as_of)}`),
      h(
        "div",
        { class: "tag-list", "data-testid": "table-tags" },
        h("h3", {}, "Table tags"),
        answer.table_tags.length ? answer.table_tags.map((t) => carriedTag(t, known, "table-tag")) : h("span", { class: "muted" }, "none"),
      ),
      h(
        "table",
        { class: "grid", "data-testid": "classification-table" },
        h("thead", {}, h("tr", {}, ["column", "field", "tags", "stopped on the way in"].map((c) => h("th", {}, c)))),
        h(
          "tbody",
          {},
          answer.columns.map((c) =>
            h(
              "tr",
              { "data-testid": "classification-row", "data-column": c.column, "data-tags": [...new Set(c.tags.map((t) => t.tag))].join(" ") },
              h("td", { class: "mono" }, c.column),
              h("td", {}, show(c.field_id)),
              h("td", {}, c.tags.length ? h("div", { class: "tag-list" }, c.tags.map((t) => carriedTag(t, known))) : h("span", { class: "muted" }, "\u2013")),
              h("td", {}, c.stopped.length ? h("div", { class: "tag-list" }, c.stopped.map((s) => stoppedTag(s, known))) : h("span", { class: "muted" }, "\u2013")),
            ),
          ),
        ),
      ),
    );
  }
}
