// The provenance of a table's snapshot as of a time, and the reproduction manifest download.

import { getDownload, getJson, parseJson, tablePath } from "./api.js";
import { h, show } from "./dom.js";
import { TablePage } from "./frame.js";
import { GraphView, strongestKind } from "./graph.js";
import { TablePanel, evidenceList, runLink } from "./panel.js";
import { display, iso } from "./time.js";

function keyOf(table, snapshot) {
  return `${table}@${snapshot === null || snapshot === undefined ? "-" : snapshot}`;
}

function shortCode(version) {
  return version ? String(version).slice(0, 12) : null;
}

/** The provenance answer as graph nodes (one per snapshot) and edges. */
export function provenanceModel(answer) {
  const nodes = answer.nodes.map((node) => {
    const snapshot = node.snapshot === null || node.snapshot === undefined ? null : String(node.snapshot);
    const code = shortCode(node.code_version);
    return {
      id: keyOf(node.table, snapshot),
      kind: node.table === answer.root ? "root" : "table",
      lines: [
        node.table,
        snapshot !== null ? `snapshot ${snapshot} \u00b7 schema ${show(node.schema_id)}` : "no snapshot",
        node.job ? `${node.job}${code ? ` @ ${code}` : ""}` : "no producing run known",
      ],
      attrs: { "data-table": node.table, "data-snapshot": snapshot ?? "", "data-run": node.run ?? "" },
    };
  });
  const known = new Set(nodes.map((n) => n.id));
  for (const edge of answer.edges) {
    for (const [table, snapshot] of [
      [edge.from_table, edge.from_snapshot],
      [edge.to_table, edge.to_snapshot],
    ]) {
      const id = keyOf(table, snapshot);
      if (known.has(id)) continue;
      known.add(id);
      nodes.push({
        id,
        kind: "dataset",
        lines: [table, snapshot !== null && snapshot !== undefined ? `snapshot ${snapshot}` : "no snapshot", ""],
        attrs: { "data-table": table, "data-snapshot": snapshot ?? "", "data-run": "" },
      });
    }
  }
  const merged = new Map();
  for (const edge of answer.edges) {
    const from = keyOf(edge.from_table, edge.from_snapshot);
    const to = keyOf(edge.to_table, edge.to_snapshot);
    const key = `${from}\u0000${to}`;
    if (!merged.has(key)) merged.set(key, { from, to, links: [] });
    merged.get(key).links.push(edge);
  }
  const edges = [...merged.values()].map(({ from, to, links }) => ({
    from,
    to,
    links,
    kind: strongestKind(links.flatMap((l) => l.evidence || [])),
    title: [
      `${from} \u2192 ${to}`,
      ...links.map((l) => `run ${show(l.run)}  [${(l.evidence || []).map((e) => e.kind).join(", ") || "no evidence"}]`),
    ].join("\n"),
    attrs: { "data-run": links[0].run ?? "" },
  }));
  return { nodes, edges };
}

export class ProvenancePage extends TablePage {
  constructor(root, ref, params, ctx) {
    super(root, ref, params, ctx, "provenance");
    this.answer = null;
    this.selected = params.node || null;
    this.graph = new GraphView({
      label: `Provenance of ${ref}`,
      onNode: (id) => this.selectNode(id),
      onEdge: (edge) => {
        const run = edge.links.find((l) => l.run);
        if (!run) return;
        const known = this.times.knownAt;
        location.hash = `#/run/${encodeURIComponent(run.run)}${known !== null ? `?known_at=${encodeURIComponent(iso(known))}` : ""}`;
      },
    });
    this.panel = new TablePanel({
      onAsOf: (ms) => {
        this.time.setValue(ms, this.times.knownAt);
        this.setTimes({ asOf: ms, knownAt: this.times.knownAt });
      },
      onClose: () => this.selectNode(null),
      onError: (error) => this.fail(error),
    });
    this.reproduceStatus = h("span", { class: "muted", "data-testid": "reproduce-status", role: "status" });
    this.reproduceButton = h(
      "button",
      { type: "button", class: "primary", "data-testid": "reproduce-download", onclick: () => this.reproduce() },
      "Reproduce: download the manifest",
    );
    this.summary = h("div", { class: "summary muted", "data-testid": "provenance-summary" });
    this.rows = h("tbody");
    this.el.append(
      h("div", { class: "options" }, this.reproduceButton, this.reproduceStatus, this.summary),
      h("div", { class: "workspace" }, this.graph.el, this.panel.el),
      h(
        "table",
        { class: "grid", "data-testid": "provenance-table" },
        h(
          "thead",
          {},
          h("tr", {}, ["table", "snapshot", "committed", "run", "job", "code version", "parameters", "evidence"].map((c) => h("th", {}, c))),
        ),
        this.rows,
      ),
    );
    this.refresh();
  }

  applyParams(params) {
    this.selected = params.node || null;
  }

  extraQuery() {
    return this.selected ? { node: this.selected } : {};
  }

  async refresh() {
    const ticket = this.begin();
    try {
      const answer = await getJson(tablePath(this.ref, "provenance"), this.apiTimes());
      if (!ticket.isCurrent()) return;
      this.answer = answer;
      const { nodes, edges } = provenanceModel(answer);
      await this.graph.setGraph(nodes, edges);
      if (!ticket.isCurrent()) return;
      this.graph.select(this.selected);
      this.rows.replaceChildren(...answer.nodes.map((node) => this.row(node)));
      this.summary.textContent =
        `${answer.nodes.length} snapshots \u00b7 as of ${display(answer.as_of)}` +
        (answer.known_at ? ` \u00b7 known at ${display(answer.known_at)}` : "");
      this.el.dataset.asOf = answer.as_of || "";
      this.done();
      if (this.selected) this.openPanel();
      else this.panel.hide();
    } catch (error) {
      if (ticket.isCurrent()) this.fail(error);
    }
  }

  row(node) {
    const params = node.parameters ? Object.entries(node.parameters).map(([k, v]) => `${k}=${v}`).join(", ") : "";
    return h(
      "tr",
      { "data-testid": "provenance-row", "data-table": node.table, "data-snapshot": show(node.snapshot) },
      h("td", { class: "mono" }, h("a", { href: "#", onclick: (event) => { event.preventDefault(); this.selectNode(keyOf(node.table, node.snapshot)); } }, node.table)),
      h("td", { class: "mono" }, show(node.snapshot)),
      h("td", {}, display(node.committed_at)),
      h("td", {}, runLink(node.run, this.times.knownAt), node.run_state ? h("span", { class: `badge state-${node.run_state}` }, node.run_state) : null),
      h("td", { class: "mono" }, show(node.job)),
      h("td", { class: "mono", title: show(node.code_version) }, show(shortCode(node.code_version))),
      h("td", { class: "mono small" }, show(params)),
      h("td", {}, evidenceList(node.evidence)),
    );
  }

  selectNode(id) {
    this.selected = id;
    this.graph.select(id);
    this.writeQuery();
    if (id === null) this.panel.hide();
    else this.openPanel();
  }

  openPanel() {
    const node = this.answer && this.answer.nodes.find((n) => keyOf(n.table, n.snapshot) === this.selected);
    if (!node) {
      this.panel.hide();
      return;
    }
    const extra = h(
      "section",
      { "data-testid": "provenance-node" },
      h("h3", {}, `Snapshot ${show(node.snapshot)}`),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "run"),
        h("dd", {}, runLink(node.run, this.times.knownAt), node.run_state ? ` ${node.run_state}` : ""),
        h("dt", {}, "job"),
        h("dd", { class: "mono" }, show(node.job)),
        h("dt", {}, "code version"),
        h("dd", { class: "mono" }, show(node.code_version)),
        h("dt", {}, "job version"),
        h("dd", { class: "mono" }, show(node.job_version)),
        h("dt", {}, "run window"),
        h("dd", {}, `${display(node.started_at)} \u2192 ${display(node.ended_at)}`),
        h("dt", {}, "parameters"),
        h("dd", { class: "mono" }, node.parameters && Object.keys(node.parameters).length ? Object.entries(node.parameters).map(([k, v]) => `${k}=${v}`).join(", ") : "\u2013"),
      ),
      evidenceList(node.evidence),
    );
    this.panel.open(node.table, {
      asOf: this.times.asOf,
      at: Date.parse(this.answer.as_of),
      knownAt: this.times.knownAt,
      extra,
    });
  }

  async reproduce() {
    const times = this.apiTimes();
    this.reproduceButton.disabled = true;
    this.reproduceStatus.textContent = "building the manifest (reads every pinned table once)\u2026";
    this.reproduceStatus.dataset.state = "loading";
    try {
      const safe = this.ref.replace(/[^\w.-]+/g, "_");
      const file = await getDownload(tablePath(this.ref, "reproduce"), times, `${safe}-${(times.as_of ?? "now").replace(/:/g, "")}.manifest.json`);
      const manifest = parseJson(file.text);
      const blob = new Blob([file.text], { type: "application/json" });
      const url = URL.createObjectURL(blob);
      const link = h("a", { href: url, download: file.name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      const tables = Array.isArray(manifest.tables) ? manifest.tables : [];
      const failed = tables.filter((t) => t.error).length;
      this.reproduceStatus.textContent =
        `downloaded ${file.name}: ${tables.length} table(s)` + (failed ? `, ${failed} no longer readable` : "");
      this.reproduceStatus.dataset.state = "done";
    } catch (error) {
      this.reproduceStatus.textContent = "";
      this.reproduceStatus.dataset.state = "error";
      this.fail(error);
    } finally {
      this.reproduceButton.disabled = false;
    }
  }
}
