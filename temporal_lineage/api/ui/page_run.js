// One run: its job, state, window, code, parent, and the snapshots it read and wrote.

import { getJson } from "./api.js";
import { h, show } from "./dom.js";
import { Page, timesOf } from "./frame.js";
import { evidenceList, runLink, tableLinks } from "./panel.js";
import { display, iso } from "./time.js";

export class RunPage extends Page {
  constructor(root, runId, params, ctx) {
    super(root, ctx, "run-page");
    this.runId = runId;
    this.times = timesOf(params);
    this.body = h("div", { class: "run-body" });
    this.el.append(
      h(
        "header",
        { class: "page-head" },
        h("div", { class: "crumbs" }, h("a", { href: "#/" }, "Tables"), " / run"),
        h("h1", { class: "mono", "data-testid": "page-title" }, runId),
      ),
      this.error,
      this.body,
    );
    this.refresh();
  }

  update(params) {
    this.times = timesOf(params);
    this.refresh();
  }

  async refresh() {
    const ticket = this.begin();
    try {
      const run = await getJson(`runs/${encodeURIComponent(this.runId)}`, {
        known_at: this.times.knownAt !== null ? iso(this.times.knownAt) : null,
      });
      if (!ticket.isCurrent()) return;
      this.paint(run);
      this.done();
    } catch (error) {
      if (ticket.isCurrent()) this.fail(error);
    }
  }

  /** Rows of a run's inputs ({table, matched, snapshot, committed_at, evidence}). */
  datasets(title, testid, rows, at) {
    return h(
      "section",
      { "data-testid": testid },
      h("h2", {}, `${title} (${rows.length})`),
      rows.length
        ? h(
            "table",
            { class: "grid" },
            h("thead", {}, h("tr", {}, ["table", "snapshot", "committed", "evidence"].map((c) => h("th", {}, c)))),
            h(
              "tbody",
              {},
              rows.map((d) =>
                h(
                  "tr",
                  { "data-testid": "run-dataset", "data-table": show(d.table), "data-snapshot": show(d.snapshot) },
                  h(
                    "td",
                    { class: "mono" },
                    d.matched !== false
                      ? h("a", { href: tableLinks(d.table, { asOf: at, knownAt: this.times.knownAt }).lineage, title: "lineage as of the run" }, d.table)
                      : h("span", { title: "not a table of a watched source" }, d.table),
                  ),
                  h("td", { class: "mono" }, show(d.snapshot)),
                  h("td", {}, display(d.committed_at)),
                  h("td", {}, evidenceList(d.evidence)),
                ),
              ),
            ),
          )
        : h("p", { class: "muted" }, "none"),
    );
  }

  paint(run) {
    const at = Date.parse(run.ended_at || run.started_at || "");
    const when = Number.isFinite(at) ? at : null;
    const fact = (label, value) => [h("dt", {}, label), h("dd", {}, value)];
    this.body.replaceChildren(
      h(
        "dl",
        { class: "facts", "data-testid": "run-facts" },
        fact("job", h("span", { class: "mono", "data-testid": "run-job" }, show(run.job))),
        fact("state", h("span", { class: `badge state-${run.state}`, "data-testid": "run-state" }, show(run.state))),
        fact("started", display(run.started_at)),
        fact("ended", display(run.ended_at)),
        fact("code version", h("span", { class: "mono" }, show(run.code_version))),
        run.job_version !== undefined ? fact("job version", h("span", { class: "mono" }, show(run.job_version))) : null,
        run.parameters && Object.keys(run.parameters).length
          ? fact("parameters", h("span", { class: "mono" }, Object.entries(run.parameters).map(([k, v]) => `${k}=${v}`).join(", ")))
          : null,
        fact("parent run", run.parent_run ? runLink(run.parent_run, this.times.knownAt) : "\u2013"),
        run.known_at ? fact("known at", display(run.known_at)) : null,
      ),
      run.sql ? h("details", { class: "sql" }, h("summary", {}, "SQL"), h("pre", { class: "mono" }, run.sql)) : null,
      h(
        "div",
        { class: "columns-two" },
        this.datasets("Inputs", "run-inputs", run.inputs || [], when),
        this.datasets(
          "Outputs",
          "run-outputs",
          (run.outputs || []).flatMap((o) =>
            o.snapshots && o.snapshots.length
              ? o.snapshots.map((snap) => ({ table: o.table, matched: o.matched, ...snap }))
              : [{ table: o.table, matched: o.matched, snapshot: null, committed_at: null, evidence: null }],
          ),
          when,
        ),
      ),
    );
  }
}
