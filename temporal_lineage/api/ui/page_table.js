// The health of one table as of A: freshness against its SLA, commit cadence and producing
// runs over a window before A (SVG plots), its quality verdict and what changed upstream.

import { Unauthorized, getJson, tablePath } from "./api.js";
import { h } from "./dom.js";
import { TablePage } from "./frame.js";
import { freshnessFacts, jobsTable, qualityCard, verdictLine } from "./health_parts.js";
import { TRIAGE_WINDOWS, triageList, triageWindowPicker } from "./health_triage.js";
import { OPERATION_LABELS, bucketOf, cadencePlot, operationClass } from "./plot_cadence.js";
import { freshnessPlot } from "./plot_freshness.js";
import { jobClasses, runsPlot } from "./plot_runs.js";
import { durationText, legend, sizedPlot } from "./plots.js";
import { iso } from "./time.js";

const WINDOWS = ["1d", "7d", "30d", "90d"];
const DEFAULT_WINDOW = "30d";
const DEFAULT_TRIAGE = "24h";
/** Data filling less than this share of the window is drawn zoomed unless asked otherwise. */
const ZOOM_BELOW = 0.1;

/** Where a zoomed time axis starts: a little before the window's first commit, lag or run. */
export function dataStart(health, asOf) {
  const windowStart = asOf - health.window_seconds * 1000;
  const times = [
    ...health.commits.map((c) => Date.parse(c.committed_at)),
    ...health.lag_series.map((p) => Date.parse(p.at)),
    ...health.runs.map((r) => Date.parse(r.started_at || r.ended_at)),
  ].filter((t) => Number.isFinite(t) && t >= windowStart && t < asOf);
  if (!times.length) return windowStart;
  const first = Math.min(...times);
  return Math.max(windowStart, first - Math.max(1000, 0.05 * (asOf - first)));
}

function card(title, testid, ...children) {
  return h("section", { class: "card health-card", "data-testid": testid }, h("h2", {}, title), ...children);
}

export class HealthPage extends TablePage {
  constructor(root, ref, params, ctx) {
    super(root, ref, params, ctx, "health");
    this.applyParams(params);
    this.windowPicker = h(
      "select",
      { "aria-label": "Plot window", "data-testid": "health-window", onchange: () => { this.window = this.windowPicker.value; this.writeQuery(); this.refresh(); } },
      WINDOWS.map((w) => h("option", { value: w, selected: w === this.window }, `last ${w}`)),
    );
    this.zoomBox = h("input", { type: "checkbox", "data-testid": "health-zoom", onchange: () => { this.zoom = this.zoomBox.checked ? "1" : "0"; this.writeQuery(); if (this.health) this.paint(this.health, this.quality); } });
    this.zoomNote = h("span", { class: "muted small", "data-testid": "zoom-note" });
    this.verdicts = h("div", { "data-testid": "verdict-box" });
    this.left = h("div", { class: "health-column" });
    this.right = h("div", { class: "health-column" });
    this.triageBox = h("div", { "data-testid": "triage-box" });
    this.el.append(
      h(
        "div",
        { class: "options" },
        h("label", {}, h("span", {}, "plots over the"), this.windowPicker, h("span", {}, "before A")),
        h("label", { title: "Start the time axis at the first commit or run of the window instead of the window's start" }, this.zoomBox, h("span", {}, "zoom to the data")),
        this.zoomNote,
      ),
      this.verdicts,
      h("div", { class: "health-grid" }, this.left, this.right),
    );
    this.refresh();
  }

  extraQuery() {
    const query = {};
    if (this.window !== DEFAULT_WINDOW) query.window = this.window;
    if (this.triageWindow !== DEFAULT_TRIAGE) query.triage = this.triageWindow;
    if (this.zoom !== null) query.zoom = this.zoom;
    return query;
  }

  applyParams(params) {
    this.window = WINDOWS.includes(params.window) ? params.window : DEFAULT_WINDOW;
    this.triageWindow = TRIAGE_WINDOWS.includes(params.triage) ? params.triage : DEFAULT_TRIAGE;
    // "1" or "0" as chosen; null: zoom when the data fills only the end of the window.
    this.zoom = params.zoom === "1" || params.zoom === "0" ? params.zoom : null;
    if (this.windowPicker) this.windowPicker.value = this.window;
  }

  linkTimes() {
    return { ...this.times, refName: this.refName };
  }

  runHref(run) {
    const known = this.times.knownAt;
    return `#/run/${encodeURIComponent(run)}${known !== null ? `?known_at=${encodeURIComponent(iso(known))}` : ""}`;
  }

  async refresh() {
    const ticket = this.begin();
    const times = this.apiTimes();
    const asked = { as_of: times.as_of, known_at: times.known_at };
    try {
      const [health, quality] = await Promise.all([
        getJson(tablePath(this.ref, "health"), { ...asked, window: this.window }),
        getJson(tablePath(this.ref, "quality"), asked).catch((error) => this.optional(error)),
      ]);
      if (!ticket.isCurrent()) return;
      this.health = health;
      this.quality = quality;
      this.paint(health, quality);
      await this.loadTriage(ticket);
      if (!ticket.isCurrent()) return;
      this.el.dataset.asOf = health.as_of;
      this.done();
    } catch (error) {
      if (ticket.isCurrent()) this.fail(error);
    }
  }

  /** A part the page can do without: its error is shown in its card, not the page's. */
  optional(error) {
    if (error instanceof Unauthorized) throw error;
    return { error: error.message || String(error) };
  }

  async loadTriage(ticket) {
    const at = this.health.as_of;
    const triage = await getJson(tablePath(this.ref, "triage"), { at, known_at: this.apiTimes().known_at, window: this.triageWindow }).catch((error) => this.optional(error));
    if (!ticket.isCurrent()) return;
    this.triageBox.replaceChildren(triage.error ? h("p", { class: "error", "data-testid": "triage-error" }, triage.error) : triageList(triage, this.linkTimes()));
  }

  async setTriageWindow(window) {
    this.triageWindow = window;
    this.writeQuery();
    const ticket = this.begin();
    try {
      await this.loadTriage(ticket);
      if (ticket.isCurrent()) this.done();
    } catch (error) {
      if (ticket.isCurrent()) this.fail(error);
    }
  }

  paint(health, quality) {
    const asOf = Date.parse(health.as_of);
    const windowStart = asOf - health.window_seconds * 1000;
    const first = dataStart(health, asOf);
    const auto = this.zoom === null && asOf - first < ZOOM_BELOW * (asOf - windowStart);
    const zoom = this.zoom === "1" || auto;
    this.zoomBox.checked = zoom;
    this.zoomNote.textContent = auto ? `zoomed: the window's data fills only its last ${durationText((asOf - first) / 1000)}` : "";
    this.el.dataset.zoomed = String(zoom);
    const span = { start: zoom ? first : windowStart, end: asOf, asOf };
    const quality_ = quality && !quality.error ? quality : null;
    const f = health.freshness || {};
    const colours = jobClasses(health.runs, health.jobs);
    this.verdicts.replaceChildren(verdictLine(health, quality_));
    const ops = [...new Set(health.commits.map((c) => operationClass(c.operation)))];
    const jobsShown = [...colours.entries()].slice(0, 8).map(([job, css]) => ({ css, label: job }));
    this.left.replaceChildren(
      card(
        "Freshness against the SLA",
        "freshness-card",
        freshnessFacts(f, this.linkTimes()),
        sizedPlot("freshness-plot", (width) => freshnessPlot(width, { ...span, series: health.lag_series, sla: f.sla_seconds, late: f.late })),
        legend([{ css: "lag", label: "lag (time since the last commit)" }, { css: "sla", label: "SLA" }, { css: "breach", label: "in breach" }, { css: "as-of", label: "A" }]),
      ),
      card(
        `Commit cadence: ${health.commits.length} commit(s), bars per ${bucketOf(span.start, span.end)[1]}`,
        "cadence-card",
        sizedPlot("cadence-plot", (width) => cadencePlot(width, { ...span, commits: health.commits, runHref: (run) => this.runHref(run) })),
        legend(ops.map((css) => ({ css, label: OPERATION_LABELS[css] }))),
      ),
      card(
        `Producing runs (${health.runs.length})`,
        "runs-card",
        sizedPlot("runs-plot", (width) => runsPlot(width, { ...span, runs: health.runs, jobs: health.jobs, runHref: (run) => this.runHref(run) })),
        legend([...jobsShown, { css: "failed", label: "failed" }, { css: "retry", label: "retry (attempt > 1)" }, { css: "open", label: "not ended by A" }]),
        jobsTable(health.jobs, colours),
      ),
    );
    this.right.replaceChildren(
      card("What changed upstream before A", "triage-card", h("div", { class: "card-tools" }, triageWindowPicker(this.triageWindow, (w) => this.setTriageWindow(w))), this.triageBox),
      card("Quality", "quality-card", quality && quality.error ? h("p", { class: "error", "data-testid": "quality-error" }, quality.error) : qualityCard(quality_, this.linkTimes())),
    );
  }
}
