// The cards of the table health page around its plots: the verdict line, the freshness
// facts with the late upstream tables, the per-job run statistics and the quality verdict.

import { h, show } from "./dom.js";
import { runLink, tableLinks } from "./panel.js";
import { durationText } from "./plots.js";
import { display } from "./time.js";

/** A link to another table's health page at the same times. */
export function healthLink(table, times, testid = "health-link") {
  return h("a", { href: tableLinks(table, times).health, class: "mono", "data-testid": testid, "data-table": table }, table);
}

function verdict(label, css, text, testid, note) {
  return h(
    "div",
    { class: `verdict ${css}`, "data-testid": testid },
    h("span", { class: "verdict-label" }, label),
    h("strong", {}, text),
    note ? h("span", { class: "verdict-note" }, note) : null,
  );
}

/** The line an on-call engineer reads first: fresh or late, suspect or not, failures. */
export function verdictLine(health, quality) {
  const f = health.freshness || {};
  const failedRuns = health.jobs.reduce((sum, j) => sum + (j.failed || 0), 0);
  const runs = health.jobs.reduce((sum, j) => sum + (j.runs || 0), 0);
  const late = Boolean(f.late);
  const lateUp = (f.late_upstream || []).length;
  let freshText;
  if (f.lag_seconds === null || f.lag_seconds === undefined) freshText = "no commit by A";
  else if (late) freshText = `late: ${durationText(f.lag_seconds)} since the last commit`;
  else freshText = `${durationText(f.lag_seconds)} since the last commit`;
  const slaText = f.sla_seconds ? `SLA ${durationText(f.sla_seconds)}` : "no SLA in lineage.yaml";
  return h(
    "div",
    { class: "verdicts", "data-testid": "verdicts" },
    verdict("Freshness", late ? "bad" : f.sla_seconds ? "good" : "neutral", freshText, "freshness-verdict", `${slaText} \u00b7 last commit ${display(f.last_commit)}`),
    verdict("Upstream", lateUp ? "bad" : "good", lateUp ? `${lateUp} late upstream table(s)` : "no late upstream", "upstream-verdict", lateUp ? f.late_upstream.map((u) => u.table).join(", ") : null),
    quality ? verdict("Quality", quality.suspect ? "bad" : "good", quality.suspect ? "suspect" : "not suspect", "quality-verdict", quality.suspect ? `${quality.because.length} failed check(s) upstream` : "no failed check upstream") : null,
    verdict("Producing runs", failedRuns ? "bad" : runs ? "good" : "neutral", runs ? `${failedRuns} of ${runs} failed` : "no producing run", "runs-verdict", `in the ${durationText(health.window_seconds)} before A`),
  );
}

/** The freshness facts and the late upstream tables, each linked to its own health page. */
export function freshnessFacts(freshness, times) {
  const f = freshness || {};
  const upstream = f.late_upstream || [];
  return h(
    "div",
    { class: "freshness-facts" },
    h(
      "p",
      { class: "small" },
      h("span", { class: `badge late-${Boolean(f.late)}`, "data-testid": "late-badge" }, f.late ? "late" : f.sla_seconds ? "on time" : "no SLA"),
      ` last commit ${display(f.last_commit)} \u00b7 lag ${durationText(f.lag_seconds)} \u00b7 SLA ${f.sla_seconds ? durationText(f.sla_seconds) : "none"}`,
    ),
    upstream.length
      ? h(
          "div",
          { class: "late-upstream", "data-testid": "late-upstream" },
          h("strong", {}, "Late upstream: "),
          h(
            "ul",
            {},
            upstream.map((u) =>
              h(
                "li",
                { "data-testid": "late-upstream-row", "data-table": u.table },
                healthLink(u.table, times, "late-upstream-link"),
                h("span", { class: "muted small" }, ` lag ${durationText(u.lag_seconds)} against ${durationText(u.sla_seconds)} \u00b7 last commit ${display(u.last_commit)}`),
              ),
            ),
          ),
        )
      : null,
  );
}

/** Per-job statistics of the producing runs, the job's colour as in the plot. */
export function jobsTable(jobs, colours) {
  if (!jobs.length) return h("p", { class: "muted", "data-testid": "jobs-empty" }, "No producing run in the window.");
  return h(
    "table",
    { class: "grid compact jobs", "data-testid": "jobs-table" },
    h("thead", {}, h("tr", {}, ["job", "runs", "failed", "failure rate", "retries", "p50", "p95"].map((c) => h("th", {}, c)))),
    h(
      "tbody",
      {},
      jobs.map((j) =>
        h(
          "tr",
          { "data-testid": "job-row", "data-job": j.job },
          h("td", { class: "mono" }, h("span", { class: `swatch ${colours.get(j.job) || "job-0"}`, "aria-hidden": "true" }), " ", j.job),
          h("td", { class: "num" }, show(j.runs)),
          h("td", { class: `num${j.failed ? " bad-text" : ""}` }, show(j.failed)),
          h("td", { class: "num" }, j.failure_rate === null || j.failure_rate === undefined ? "\u2013" : `${(100 * j.failure_rate).toFixed(j.failure_rate > 0 && j.failure_rate < 0.1 ? 1 : 0)}%`),
          h("td", { class: "num" }, show(j.retries)),
          h("td", { class: "num" }, durationText(j.duration_p50_seconds)),
          h("td", { class: "num" }, durationText(j.duration_p95_seconds)),
        ),
      ),
    ),
  );
}

/** The quality of the table's snapshot at A: verdict, check results and why it is suspect. */
export function qualityCard(quality, times) {
  if (!quality) return h("p", { class: "muted" }, "Quality answers are not available from this server.");
  const hops = (path) =>
    path.length
      ? h(
          "ol",
          { class: "hops", "data-testid": "suspect-path" },
          path.map((p) =>
            h(
              "li",
              { "data-testid": "suspect-hop" },
              h("span", { class: "mono" }, `${p.from_table}@${p.from_snapshot}`),
              " \u2192 ",
              h("span", { class: "mono" }, `${p.to_table}@${p.to_snapshot}`),
              h("span", { class: "muted" }, " written by run "),
              runLink(p.run, times.knownAt),
            ),
          ),
        )
      : null;
  return h(
    "div",
    { "data-suspect": String(Boolean(quality.suspect)) },
    h("p", {}, h("span", { class: `badge suspect-${Boolean(quality.suspect)}`, "data-testid": "suspect-badge" }, quality.suspect ? "suspect" : "not suspect"), h("span", { class: "muted small" }, ` snapshot ${show(quality.snapshot)}`)),
    quality.because.length
      ? h(
          "ul",
          { class: "because", "data-testid": "suspect-because" },
          quality.because.map((b) =>
            h(
              "li",
              { "data-testid": "because-row", "data-table": b.table },
              "failed ",
              h("strong", { class: "mono" }, show(b.assertion)),
              " on ",
              healthLink(b.table, times, "because-link"),
              h("span", { class: "mono muted" }, `@${show(b.snapshot)}`),
              hops(b.path || []),
            ),
          ),
        )
      : null,
    quality.results.length
      ? h(
          "table",
          { class: "grid compact", "data-testid": "quality-results" },
          h("thead", {}, h("tr", {}, ["check", "kind", "column", "result", "value", "run"].map((c) => h("th", {}, c)))),
          h(
            "tbody",
            {},
            quality.results.map((r) =>
              h(
                "tr",
                { "data-testid": "quality-row" },
                h("td", { class: "mono" }, show(r.check)),
                h("td", {}, show(r.kind)),
                h("td", { class: "mono" }, show(r.column)),
                h("td", {}, r.success === null || r.success === undefined ? "\u2013" : h("span", { class: `badge ok-${r.success}` }, r.success ? "pass" : "fail")),
                h("td", { class: "mono" }, show(r.value)),
                h("td", {}, runLink(r.run, times.knownAt)),
              ),
            ),
          ),
        )
      : h("p", { class: "muted small" }, "No check result on this snapshot."),
  );
}
