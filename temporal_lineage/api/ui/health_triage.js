// "What changed upstream before A": the ranked causes of the triage answer (kind, table or
// job, when, lineage distance, detail, evidence), the ten likeliest first, filterable by kind.

import { h, show } from "./dom.js";
import { healthLink } from "./health_parts.js";
import { evidenceList, runLink } from "./panel.js";
import { durationText } from "./plots.js";

export const TRIAGE_WINDOWS = ["1h", "6h", "24h", "3d", "7d"];
const SHOWN = 10;

const KIND_LABELS = {
  new_snapshot: "new snapshot",
  schema_change: "schema change",
  code_change: "code change",
  parameter_change: "parameter change",
  failed_run: "failed run",
  late: "late",
  quality_failure: "quality failure",
};

function distanceText(distance) {
  if (distance === 0) return "this table";
  if (distance === 1) return "1 hop up";
  return distance === null || distance === undefined ? "\u2013" : `${distance} hops up`;
}

/** Evidence as the API gives it: [{kind, detail}], a list of texts, or one text. */
function evidenceOf(evidence, run) {
  const items = Array.isArray(evidence) ? evidence : evidence === null || evidence === undefined ? [] : [evidence];
  if (!items.length) return h("span", { class: "muted", "data-testid": "evidence" }, "no evidence");
  if (items.every((e) => e && typeof e === "object" && "kind" in e)) return evidenceList(items, run);
  return h("ul", { class: "evidence", "data-testid": "evidence" }, items.map((e) => h("li", {}, typeof e === "string" ? e : JSON.stringify(e))));
}

/** The detail split into what changed and how it was scored ("...; score 0.8 = ..."). */
function splitDetail(detail) {
  const text = show(detail);
  const cut = text.lastIndexOf("; score ");
  return cut < 0 ? [text, null] : [text.slice(0, cut), text.slice(cut + 2)];
}

/** The window selector of the triage: `onChange(window)` when another one is picked. */
export function triageWindowPicker(current, onChange) {
  return h(
    "label",
    { class: "inline-option" },
    h("span", { class: "muted" }, "look back"),
    h(
      "select",
      { "aria-label": "Triage window", "data-testid": "triage-window", onchange: (event) => onChange(event.target.value) },
      TRIAGE_WINDOWS.map((w) => h("option", { value: w, selected: w === current }, w)),
    ),
  );
}

function cause(c, triageAt, times) {
  const [what, score] = splitDetail(c.detail);
  const at = Date.parse(c.at);
  const before = Number.isFinite(at) && Number.isFinite(triageAt) ? `${durationText((triageAt - at) / 1000)} before A` : null;
  const where = c.table ? healthLink(c.table, times, "cause-table") : h("span", { class: "mono", "data-testid": "cause-job" }, show(c.job));
  return h(
    "li",
    { class: `cause kind-${c.kind}`, "data-testid": "triage-cause", "data-kind": c.kind, "data-rank": String(c.rank), "data-table": show(c.table) },
    h(
      "div",
      { class: "cause-head" },
      h("span", { class: "rank" }, `#${c.rank}`),
      h("span", { class: `badge cause-${c.kind}`, "data-testid": "cause-kind" }, KIND_LABELS[c.kind] || c.kind),
      where,
      c.snapshot !== null && c.snapshot !== undefined ? h("span", { class: "mono muted small" }, `@${c.snapshot}`) : null,
      h("span", { class: "distance small", "data-testid": "cause-distance", title: show(c.at) }, `${distanceText(c.distance)}${before ? ` \u00b7 ${before}` : ""}`),
    ),
    h("div", { class: "cause-detail", "data-testid": "cause-detail", title: score || "" }, what),
    h(
      "details",
      { class: "cause-foot small" },
      h("summary", {}, c.run ? "run, evidence and score" : "evidence and score"),
      c.run ? h("div", {}, "run ", runLink(c.run, times.knownAt), c.job && c.table ? h("span", { class: "muted" }, ` of ${c.job}`) : null) : null,
      evidenceOf(c.evidence, c.run),
      score ? h("div", { class: "muted" }, score) : null,
    ),
  );
}

/** The ranked causes of a triage answer {table, at, window_seconds, causes}. */
export function triageList(triage, times) {
  const causes = [...triage.causes].sort((a, b) => a.rank - b.rank);
  const triageAt = Date.parse(triage.at);
  const counts = new Map();
  for (const c of causes) counts.set(c.kind, (counts.get(c.kind) || 0) + 1);
  const state = { kind: null, all: false };
  const list = h("ol", { class: "causes", "data-testid": "triage-causes" });
  const more = h("button", { type: "button", class: "link", "data-testid": "triage-more", onclick: () => { state.all = !state.all; paint(); } });
  const chips = h("div", { class: "cause-kinds" });
  function paint() {
    const picked = causes.filter((c) => state.kind === null || c.kind === state.kind);
    const shown = state.all ? picked : picked.slice(0, SHOWN);
    list.replaceChildren(...shown.map((c) => cause(c, triageAt, times)));
    more.hidden = picked.length <= SHOWN;
    more.textContent = state.all ? `show the ${SHOWN} likeliest only` : `show all ${picked.length}`;
    chips.replaceChildren(
      ...[[null, causes.length], ...counts.entries()].map(([kind, n]) =>
        h(
          "button",
          { type: "button", class: `chip${state.kind === kind ? " on" : ""}`, "aria-pressed": String(state.kind === kind), "data-testid": "cause-filter", "data-kind": kind || "all", onclick: () => { state.kind = kind; state.all = false; paint(); } },
          `${kind ? KIND_LABELS[kind] || kind : "all"} ${n}`,
        ),
      ),
    );
  }
  paint();
  return h(
    "div",
    { class: "triage" },
    h("p", { class: "muted small", "data-testid": "triage-summary" }, `${causes.length} change(s) upstream in the ${durationText(triage.window_seconds)} before ${show(triage.at)}, likeliest first (ranked by lineage distance and nearness to A)`),
    causes.length ? [chips, list, more] : h("p", { class: "ok-note", "data-testid": "triage-empty" }, "Nothing changed upstream in this window."),
  );
}
