// Columns of a table: the downstream impact of one column (with what-if verdicts) and the
// propagation of every schema change of the table to its consumers.

import { getJson, tablePath } from "./api.js";
import { h, show } from "./dom.js";
import { TablePage } from "./frame.js";
import { changeLine, runLink, tableLinks } from "./panel.js";
import { display, iso, parseInstant } from "./time.js";

const CHANGES = [
  ["", "no change (what it feeds)"],
  ["drop", "what if it were dropped"],
  ["rename", "what if it were renamed"],
  ["type", "what if its type became\u2026"],
];

export class ImpactPage extends TablePage {
  constructor(root, ref, params, ctx) {
    super(root, ref, params, ctx, "impact");
    this.fields = [];
    this.applyParams(params);
    this.columnSelect = h("select", { "aria-label": "Column", "data-testid": "impact-column", onchange: () => this.setOptions() });
    this.changeSelect = h(
      "select",
      { "aria-label": "Change", "data-testid": "impact-change", onchange: () => this.setOptions() },
      CHANGES.map(([value, label]) => h("option", { value }, label)),
    );
    this.typeInput = h("input", { type: "text", placeholder: "new type, e.g. long", "aria-label": "New type", "data-testid": "impact-type", onchange: () => this.setOptions() });
    this.sinceInput = h("input", { type: "text", class: "instant", placeholder: "all changes", "aria-label": "Changes since (UTC)", "data-testid": "propagation-since", onchange: () => this.setOptions() });
    this.note = h("div", { class: "note", "data-testid": "impact-note" });
    this.impactBox = h("section", { class: "impact", "data-testid": "impact" });
    this.propagationBox = h("section", { class: "propagation", "data-testid": "propagation" });
    this.el.append(
      h(
        "div",
        { class: "options" },
        h("label", {}, "Column ", this.columnSelect),
        h("label", {}, "Change ", this.changeSelect, " ", this.typeInput),
        h("label", {}, "Schema changes since ", this.sinceInput),
      ),
      this.note,
      h("div", { class: "columns-two" }, this.impactBox, this.propagationBox),
    );
    this.paintOptions();
    this.refresh();
  }

  applyParams(params) {
    const change = params.change || "";
    this.options = {
      column: params.column || "",
      change: change.startsWith("type:") ? "type" : change,
      type: change.startsWith("type:") ? change.slice(5) : "",
      since: parseInstant(params.since),
    };
    if (this.columnSelect) this.paintOptions();
  }

  paintOptions() {
    this.changeSelect.value = this.options.change;
    this.typeInput.value = this.options.type;
    this.typeInput.hidden = this.options.change !== "type";
    if (document.activeElement !== this.sinceInput) {
      this.sinceInput.value = this.options.since !== null ? iso(this.options.since) : "";
    }
  }

  changeParam() {
    if (this.options.change === "type") return this.options.type ? `type:${this.options.type}` : null;
    return this.options.change || null;
  }

  extraQuery() {
    const query = {};
    if (this.options.column) query.column = this.options.column;
    const change = this.changeParam();
    if (change) query.change = change;
    if (this.options.since !== null) query.since = iso(this.options.since);
    return query;
  }

  setOptions() {
    this.options.column = this.columnSelect.value;
    this.options.change = this.changeSelect.value;
    this.options.type = this.typeInput.value.trim();
    this.options.since = parseInstant(this.sinceInput.value);
    this.paintOptions();
    this.writeQuery();
    this.refresh();
  }

  async refresh() {
    const ticket = this.begin();
    const times = this.apiTimes();
    try {
      const schema = await getJson(tablePath(this.ref, "schema"), times);
      if (!ticket.isCurrent()) return;
      this.pickColumn(schema);
      const column = this.options.column;
      const [impact, propagation] = await Promise.all([
        column
          ? getJson(tablePath(this.ref, "impact"), { ...times, column, change: this.changeParam() })
          : Promise.resolve(null),
        getJson(tablePath(this.ref, "propagation"), {
          ...times,
          since: this.options.since !== null ? iso(this.options.since) : null,
        }),
      ]);
      if (!ticket.isCurrent()) return;
      this.paintImpact(impact);
      this.paintPropagation(propagation, impact ? impact.field_id : null);
      this.el.dataset.asOf = times.as_of ?? "";
      this.done();
    } catch (error) {
      if (ticket.isCurrent()) this.fail(error);
    }
  }

  /** Fill the column list from the schema at the time; follow a renamed column by field id. */
  pickColumn(schema) {
    const previous = this.fields.find((f) => f.path === this.options.column);
    this.fields = schema ? schema.fields : [];
    this.note.textContent = "";
    const exists = this.fields.some((f) => f.path === this.options.column);
    if (this.options.column && !exists) {
      const same = previous ? this.fields.find((f) => f.id !== null && f.id === previous.id) : null;
      if (same) {
        this.note.textContent = `${this.options.column} is called ${same.path} at this time (field ${same.id}).`;
        this.options.column = same.path;
      } else {
        this.note.textContent = `${this.ref} has no column ${this.options.column} at this time.`;
        this.options.column = "";
      }
      this.writeQuery();
    }
    this.columnSelect.replaceChildren(
      h("option", { value: "" }, this.fields.length ? "pick a column\u2026" : "no schema at this time"),
      ...this.fields.map((f) => h("option", { value: f.path }, `${f.path}  (${show(f.type)}, field ${show(f.id)})`)),
    );
    this.columnSelect.value = this.options.column;
  }

  paintImpact(answer) {
    if (!answer) {
      this.impactBox.replaceChildren(h("h2", {}, "Impact"), h("p", { class: "muted" }, "Pick a column to see what it feeds downstream."));
      return;
    }
    const judged = answer.change !== null && answer.change !== undefined;
    const tables = new Set(answer.affected.map((a) => a.table));
    const columns = ["depth", "table", "column", "job", "kind", "run"];
    if (judged) columns.push("breaks");
    this.impactBox.replaceChildren(
      h("h2", {}, "Impact"),
      h(
        "p",
        { "data-testid": "impact-summary" },
        `${answer.table}.${answer.column} (field ${show(answer.field_id)}) feeds ${answer.affected.length} column(s) in ${tables.size} table(s)`,
        judged ? `; if ${answer.change}: ${answer.affected.filter((a) => a.breaks === true).length} break` : "",
      ),
      answer.affected.length
        ? h(
            "table",
            { class: "grid", "data-testid": "impact-table" },
            h("thead", {}, h("tr", {}, columns.map((c) => h("th", {}, c)))),
            h(
              "tbody",
              {},
              answer.affected.map((a) =>
                h(
                  "tr",
                  { "data-testid": "impact-row", "data-table": a.table, "data-column": a.column, "data-breaks": show(a.breaks) },
                  h("td", {}, show(a.depth)),
                  h("td", { class: "mono" }, h("a", { href: tableLinks(a.table, this.times).impact }, a.table)),
                  h("td", { class: "mono" }, show(a.column)),
                  h("td", { class: "mono" }, show(a.job)),
                  h("td", { class: "small" }, [a.kind, a.subtype].filter(Boolean).join(" / ") || "\u2013", a.origin ? h("div", { class: "muted" }, a.origin) : null),
                  h("td", {}, runLink(a.run, this.times.knownAt)),
                  judged
                    ? h(
                        "td",
                        {},
                        h("span", { class: `badge breaks-${show(a.breaks)}` }, a.breaks === true ? "breaks" : a.breaks === false ? "safe" : "unknown"),
                        a.reason ? h("div", { class: "muted small" }, a.reason) : null,
                      )
                    : null,
                ),
              ),
            ),
          )
        : h("p", { class: "muted" }, "No downstream column."),
    );
  }

  paintPropagation(items, fieldId) {
    this.propagationBox.replaceChildren(
      h("h2", {}, "Propagation of schema changes"),
      items.length
        ? h(
            "ol",
            { class: "changes" },
            items.map((item) =>
              h(
                "li",
                {
                  class: `change${fieldId !== null && item.change.field_id === fieldId ? " focus" : ""}`,
                  "data-testid": "propagation-change",
                  "data-kind": item.change.kind,
                  "data-field-id": show(item.change.field_id),
                },
                changeLine(item.change),
                h("div", { class: "muted small" }, `effective ${display(item.change.effective_at)}`),
                item.downstream.length
                  ? h(
                      "table",
                      { class: "grid compact" },
                      h("thead", {}, h("tr", {}, ["status", "table", "column", "job", "runs since the change"].map((c) => h("th", {}, c)))),
                      h(
                        "tbody",
                        {},
                        item.downstream.map((d) =>
                          h(
                            "tr",
                            { "data-testid": "propagation-row", "data-table": d.table, "data-column": show(d.column), "data-status": d.status },
                            h("td", {}, h("span", { class: `badge status-${d.status}`, "data-testid": "propagation-status", title: show(d.reason) }, d.status), d.reason ? h("div", { class: "muted small" }, d.reason) : null),
                            h("td", { class: "mono" }, d.table),
                            h("td", { class: "mono" }, show(d.column)),
                            h("td", { class: "mono" }, show(d.job)),
                            h(
                              "td",
                              {},
                              (d.runs || []).length
                                ? h(
                                    "ul",
                                    { class: "runs" },
                                    d.runs.map((r) =>
                                      h("li", {}, h("span", { class: `badge state-${r.state}` }, r.state), " ", runLink(r.run, this.times.knownAt), r.started_at ? h("span", { class: "muted small" }, ` ${display(r.started_at)}`) : null),
                                    ),
                                  )
                                : h("span", { class: "muted" }, "none yet"),
                            ),
                          ),
                        ),
                      ),
                    )
                  : h("p", { class: "muted" }, "No downstream consumer."),
              ),
            ),
          )
        : h("p", { class: "muted" }, "No schema change in this period."),
    );
  }
}
