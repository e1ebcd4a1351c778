// The side panel of a table: its snapshot timeline (runs, evidence) and schema history as diffs.

import { ApiError, Unauthorized, getJson, tablePath } from "./api.js";
import { h, queryString, replace, s, show } from "./dom.js";
import { display, iso } from "./time.js";

const SHOWN_SNAPSHOTS = 60;

/** Links to the pages of a table, keeping the chosen times. */
export function tableLinks(table, times) {
  const query = {};
  if (times.refName && times.refName !== "main") query.ref = times.refName;
  if (times.asOf !== null) query.as_of = iso(times.asOf);
  if (times.knownAt !== null) query.known_at = iso(times.knownAt);
  const text = queryString(query);
  const tail = text ? `?${text}` : "";
  const ref = encodeURIComponent(table);
  return {
    lineage: `#/table/${ref}${tail}`,
    provenance: `#/provenance/${ref}${tail}`,
    impact: `#/impact/${ref}${tail}`,
    governance: `#/governance/${ref}${tail}`,
    health: `#/health/${ref}${tail}`,
  };
}

/** A run id as a link to its page. */
export function runLink(run, knownAt) {
  if (!run) return h("span", { class: "muted" }, "no run known");
  const tail = knownAt !== null && knownAt !== undefined ? `?known_at=${encodeURIComponent(iso(knownAt))}` : "";
  return h("a", { href: `#/run/${encodeURIComponent(run)}${tail}`, class: "mono", "data-testid": "run-link" }, run);
}

/**
 * Evidence [{kind, detail}] as badges with their detail; a detail that only repeats the
 * run id shown next to it (`run`) is left to the badge's tooltip.
 */
export function evidenceList(evidence, run = null) {
  if (!evidence || !evidence.length) return h("span", { class: "muted", "data-testid": "evidence" }, "no evidence");
  return h(
    "ul",
    { class: "evidence", "data-testid": "evidence" },
    evidence.map((e) =>
      h(
        "li",
        {},
        h("span", { class: `badge ev-${e.kind}`, "data-kind": e.kind, title: show(e.detail) }, e.kind),
        run && e.detail === `run id ${run}` ? null : [" ", h("span", { class: "detail" }, show(e.detail))],
      ),
    ),
  );
}

const SIGN = {
  added: "+",
  dropped: "\u2212",
  renamed: "~",
  type_changed: "~",
  nullability_changed: "~",
  doc_changed: "~",
  moved: "~",
};

/** One schema change as a diff line. */
export function changeLine(change) {
  const kind = change.kind;
  let text;
  if (kind === "added") text = `${change.path}  ${show(change.new_type)}`;
  else if (kind === "dropped") text = `${change.old_path || change.path}  ${show(change.old_type)}`;
  else if (kind === "renamed") text = `${change.old_path} \u2192 ${change.path}`;
  else if (kind === "type_changed") text = `${change.path}  ${show(change.old_type)} \u2192 ${show(change.new_type)}`;
  else if (kind === "moved") text = `${show(change.old_path)} \u2192 ${show(change.path)}`;
  else text = `${change.path || change.old_path}`;
  return h(
    "div",
    { class: `diff diff-${kind}`, "data-testid": "schema-change", "data-kind": kind, "data-field-id": show(change.field_id) },
    h("span", { class: "sign" }, SIGN[kind] || "~"),
    h("span", { class: "kind" }, kind.replace("_", " ")),
    h("span", { class: "what mono" }, text),
    change.field_id !== null && change.field_id !== undefined ? h("span", { class: "muted" }, ` field ${change.field_id}`) : null,
    change.hint ? h("span", { class: "muted" }, ` (${change.hint})`) : null,
  );
}

function timelineSvg(snapshots, head, asOf, onPick) {
  const width = 380;
  const height = 46;
  const times = snapshots.map((snap) => Date.parse(snap.committed_at));
  const first = Math.min(...times);
  const lastCommit = Math.max(...times);
  const last = Math.max(lastCommit, asOf ?? lastCommit, first + 1);
  const x = (t) => 10 + ((t - first) / (last - first)) * (width - 20);
  const marks = snapshots.map((snap, i) => {
    const current = head !== null && String(snap.snapshot) === String(head);
    const dot = s(
      "circle",
      {
        cx: x(times[i]).toFixed(1),
        cy: "22",
        r: current ? "7" : "4.5",
        class: `dot${current ? " current" : ""}${snap.expired_in_source ? " expired" : ""}`,
        "data-snapshot": String(snap.snapshot),
      },
      s("title", {}, `snapshot ${snap.snapshot}\n${snap.committed_at}\n${snap.operation || ""}`),
    );
    dot.addEventListener("click", () => onPick(times[i]));
    return dot;
  });
  const cursor =
    asOf !== null ? s("line", { x1: x(asOf).toFixed(1), x2: x(asOf).toFixed(1), y1: "6", y2: "38", class: "as-of-line" }) : null;
  return s(
    "svg",
    { class: "timeline", viewBox: `0 0 ${width} ${height}`, "data-testid": "snapshot-timeline-chart" },
    s("line", { x1: "10", x2: String(width - 10), y1: "22", y2: "22", class: "axis" }),
    cursor,
    marks,
    s("text", { x: "10", y: "44", class: "axis-label" }, display(iso(first))),
    s("text", { x: String(width - 10), y: "44", class: "axis-label", "text-anchor": "end" }, display(iso(lastCommit))),
  );
}

/**
 * The panel of one node. `onAsOf(ms)` moves the page's time; `onClose()` hides the panel;
 * `onError(error)` handles a refused token.
 */
export class TablePanel {
  constructor({ onAsOf, onClose, onError }) {
    this.onAsOf = onAsOf;
    this.onClose = onClose;
    this.onError = onError;
    this.sequence = 0;
    this.showAll = false;
    this.el = h("aside", { class: "panel", "data-testid": "node-panel", hidden: true });
  }

  hide() {
    this.sequence++;
    this.el.hidden = true;
    this.el.replaceChildren();
  }

  /**
   * Show `table` at these times (`at`: the instant "now" stood for in the page's answer);
   * `extra` and `after` are shown above and below its history.
   */
  async open(table, { matched = true, asOf, at = null, knownAt, extra = null, after = null }) {
    const sequence = ++this.sequence;
    if (table !== this.table) this.showAll = false;
    this.table = table;
    this.el.hidden = false;
    this.el.dataset.table = table;
    this.el.dataset.state = "loading";
    const links = tableLinks(table, { asOf, knownAt });
    const header = h(
      "div",
      { class: "panel-head" },
      h("h2", { class: "mono", title: table }, table),
      h("button", { type: "button", class: "close", title: "Close", "aria-label": "Close", "data-testid": "panel-close", onclick: () => this.onClose() }, "\u00d7"),
    );
    if (!matched) {
      replace(
        this.el,
        header,
        extra,
        h("p", { class: "muted" }, "A dataset seen in OpenLineage events, not a table of a watched source: it has no snapshots here."),
        after,
      );
      this.el.dataset.state = "ready";
      return;
    }
    const nav = h(
      "nav",
      { class: "panel-links" },
      h("a", { href: links.lineage, "data-testid": "panel-lineage-link" }, "Lineage"),
      h("a", { href: links.provenance, "data-testid": "panel-provenance-link" }, "Provenance"),
      h("a", { href: links.impact, "data-testid": "panel-impact-link" }, "Columns & impact"),
      h("a", { href: links.health, "data-testid": "panel-health-link" }, "Health"),
    );
    replace(this.el, header, nav, extra, h("p", { class: "muted" }, "Loading\u2026"));
    const instant = iso(asOf ?? at ?? Date.now());
    const known = knownAt !== null ? iso(knownAt) : null;
    let snapshots;
    let heads;
    let history;
    try {
      [snapshots, heads, history] = await Promise.all([
        getJson(tablePath(table, "snapshots"), { known_at: known }),
        getJson(tablePath(table, "snapshots"), { as_of: instant, known_at: known }),
        getJson(tablePath(table, "schema-history"), { known_at: known }),
      ]);
    } catch (error) {
      if (sequence !== this.sequence) return;
      if (error instanceof Unauthorized) {
        this.onError(error);
        return;
      }
      replace(this.el, header, nav, extra, h("p", { class: "error", "data-testid": "panel-error" }, error instanceof ApiError ? error.message : String(error)));
      this.el.dataset.state = "error";
      return;
    }
    if (sequence !== this.sequence) return;
    const head = heads.length ? heads[0] : null;
    replace(
      this.el,
      header,
      nav,
      extra,
      this.headSection(head, asOf),
      this.snapshotSection(snapshots, head, asOf, knownAt),
      this.schemaSection(history, table, instant, known),
      after,
    );
    this.el.dataset.state = "ready";
    this.el.dataset.head = head ? String(head.snapshot) : "";
  }

  headSection(head, asOf) {
    const when = asOf === null ? "now" : display(iso(asOf));
    if (!head) {
      return h("p", { class: "head", "data-testid": "panel-head" }, `No snapshot in effect at ${when} (before the first commit).`);
    }
    return h(
      "p",
      { class: "head", "data-testid": "panel-head" },
      `In effect at ${when}: snapshot `,
      h("strong", { class: "mono" }, String(head.snapshot)),
      ` (committed ${display(head.committed_at)})`,
    );
  }

  snapshotSection(snapshots, head, asOf, knownAt) {
    const title = h("h3", {}, `Snapshots (${snapshots.length})`);
    if (!snapshots.length) return h("section", { "data-testid": "snapshot-timeline" }, title, h("p", { class: "muted" }, "none known"));
    const ordered = snapshots.slice().reverse();
    let shown = ordered;
    if (!this.showAll && ordered.length > SHOWN_SNAPSHOTS) {
      const at = head ? ordered.findIndex((snap) => String(snap.snapshot) === String(head.snapshot)) : 0;
      const start = Math.max(0, Math.min(at - SHOWN_SNAPSHOTS / 2, ordered.length - SHOWN_SNAPSHOTS));
      shown = ordered.slice(start, start + SHOWN_SNAPSHOTS);
    }
    const rows = shown.map((snap) => {
      const current = head && String(snap.snapshot) === String(head.snapshot);
      return h(
        "li",
        {
          class: `snapshot${current ? " current" : ""}`,
          "data-testid": "snapshot-row",
          "data-snapshot": String(snap.snapshot),
          "data-current": current ? "true" : "false",
        },
        h(
          "div",
          { class: "snapshot-head" },
          h("span", { class: "mono strong" }, String(snap.snapshot)),
          h("span", { class: "muted" }, ` ${show(snap.operation)} \u00b7 schema ${show(snap.schema_id)}`),
          snap.expired_in_source ? h("span", { class: "badge expired", title: `gone from the source since ${snap.expired_in_source}` }, "expired in source") : null,
          h(
            "button",
            { type: "button", class: "link", title: "Move the time to this commit", "data-testid": "snapshot-go", onclick: () => this.onAsOf(Date.parse(snap.committed_at)) },
            display(snap.committed_at),
          ),
        ),
        h("div", { class: "snapshot-run" }, "run ", runLink(snap.run, knownAt), evidenceList(snap.evidence, snap.run)),
      );
    });
    const section = h(
      "section",
      { "data-testid": "snapshot-timeline" },
      title,
      timelineSvg(snapshots, head ? head.snapshot : null, asOf, (t) => this.onAsOf(t)),
      h("ol", { class: "snapshots" }, rows),
    );
    if (shown.length < ordered.length) {
      const showAll = () => {
        this.showAll = true;
        section.replaceWith(this.snapshotSection(snapshots, head, asOf, knownAt));
      };
      section.append(h("button", { type: "button", class: "link", "data-testid": "snapshots-all", onclick: showAll }, `show all ${ordered.length}`));
    }
    return section;
  }

  schemaSection(history, table, at, known) {
    // The schema in force at a time is the latest one that took effect at or before it.
    const instant = Date.parse(at);
    let inForce = -1;
    history.forEach((entry, i) => {
      if (Date.parse(entry.effective_at) <= instant) inForce = i;
    });
    const entries = history.map((entry, i) =>
      h(
        "li",
        {
          class: `schema-entry${i === inForce ? " current" : ""}`,
          title: i === inForce ? "the schema in force at this time" : null,
          "data-testid": "schema-version",
          "data-schema-id": show(entry.schema_id),
          "data-current": i === inForce ? "true" : "false",
        },
        h(
          "div",
          { class: "schema-head" },
          h("strong", {}, `schema ${show(entry.schema_id)}`),
          h("span", { class: "muted" }, ` since ${display(entry.effective_at)}`),
          entry.dated_by ? h("span", { class: "muted", title: "how the start is known" }, ` (${entry.dated_by})`) : null,
          entry.snapshot !== null && entry.snapshot !== undefined ? h("span", { class: "muted" }, ` \u00b7 snapshot ${entry.snapshot}`) : null,
        ),
        entry.changes && entry.changes.length
          ? entry.changes.map(changeLine)
          : h("div", { class: "diff diff-none muted" }, i === 0 ? "initial schema" : "no column change"),
      ),
    );
    const fields = h("div", { class: "fields" });
    const details = h(
      "details",
      {
        "data-testid": "schema-fields",
        ontoggle: async () => {
          if (!details.open || fields.childNodes.length) return;
          try {
            const schema = await getJson(tablePath(table, "schema"), { as_of: at, known_at: known });
            replace(fields, schemaTable(schema));
          } catch (error) {
            if (error instanceof Unauthorized) this.onError(error);
            else replace(fields, h("p", { class: "error" }, error.message));
          }
        },
      },
      h("summary", {}, "Schema at this time"),
      fields,
    );
    return h(
      "section",
      { "data-testid": "schema-history" },
      h("h3", {}, `Schema history (${history.length})`),
      h("ol", { class: "schema-history" }, entries.reverse()),
      details,
    );
  }
}

/** The fields of a `schema` answer as a table. */
export function schemaTable(schema) {
  if (!schema) return h("p", { class: "muted" }, "no schema at that time");
  return h(
    "table",
    { class: "grid compact" },
    h("thead", {}, h("tr", {}, ["id", "path", "type", "nullable"].map((c) => h("th", {}, c)))),
    h(
      "tbody",
      {},
      schema.fields.map((f) =>
        h("tr", {}, h("td", {}, show(f.id)), h("td", { class: "mono" }, f.path), h("td", { class: "mono" }, show(f.type)), h("td", {}, f.nullable ? "yes" : "no")),
      ),
    ),
  );
}
