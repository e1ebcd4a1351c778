// The lineage of a table as of a time: the graph with the snapshot in effect on each node.

import { getJson, tablePath } from "./api.js";
import { h, show } from "./dom.js";
import { TablePage } from "./frame.js";
import { GraphView, strongestKind } from "./graph.js";
import { TablePanel, evidenceList, runLink } from "./panel.js";
import { display, iso } from "./time.js";

const DIRECTIONS = ["upstream", "downstream", "both"];

/** The lineage answer as graph nodes and edges (edges of several jobs between two tables merged). */
export function lineageModel(answer) {
  const nodes = answer.nodes.map((node) => {
    const snapshot = node.snapshot === null || node.snapshot === undefined ? null : String(node.snapshot);
    const matched = node.matched !== false;
    let line2 = "not a watched table";
    if (matched) line2 = snapshot !== null ? `snapshot ${snapshot}` : "no snapshot at this time";
    return {
      id: node.table,
      kind: node.table === answer.root ? "root" : matched ? "table" : "dataset",
      lines: [node.table, line2, node.committed_at ? `committed ${display(node.committed_at)}` : ""],
      attrs: {
        "data-table": node.table,
        "data-snapshot": snapshot ?? "",
        "data-committed-at": node.committed_at ?? "",
        "data-matched": matched ? "true" : "false",
      },
    };
  });
  const merged = new Map();
  for (const edge of answer.edges) {
    const key = `${edge.from}\u0000${edge.to}`;
    if (!merged.has(key)) merged.set(key, { from: edge.from, to: edge.to, links: [] });
    merged.get(key).links.push(edge);
  }
  const edges = [...merged.values()].map(({ from, to, links }) => {
    const evidence = links.flatMap((link) => link.evidence || []);
    return {
      from,
      to,
      links,
      kind: strongestKind(evidence),
      title: [
        `${from} \u2192 ${to}`,
        ...links.map((l) => `${l.job}  run ${show(l.run)}  [${(l.evidence || []).map((e) => e.kind).join(", ") || "no evidence"}]`),
        "(click: the run)",
      ].join("\n"),
      attrs: { "data-job": links.map((l) => l.job).join(" "), "data-run": links[0].run ?? "" },
    };
  });
  return { nodes, edges };
}

export class LineagePage extends TablePage {
  constructor(root, ref, params, ctx) {
    super(root, ref, params, ctx, "lineage");
    this.applyParams(params);
    this.answer = null;
    this.direction = h(
      "select",
      { "aria-label": "Direction", "data-testid": "direction-select", onchange: () => this.setOptions() },
      DIRECTIONS.map((d) => h("option", { value: d, selected: d === this.options.direction }, d)),
    );
    this.depth = h("input", {
      type: "number",
      min: "1",
      max: "100",
      value: String(this.options.depth),
      "aria-label": "Depth",
      "data-testid": "depth-input",
      onchange: () => this.setOptions(),
    });
    this.graph = new GraphView({
      label: `Lineage of ${ref}`,
      onNode: (id) => this.selectNode(id),
      onEdge: (edge) => this.openEdge(edge),
    });
    this.panel = new TablePanel({
      onAsOf: (ms) => {
        this.time.setValue(ms, this.times.knownAt);
        this.setTimes({ asOf: ms, knownAt: this.times.knownAt });
      },
      onClose: () => this.selectNode(null),
      onError: (error) => this.fail(error),
    });
    this.summary = h("div", { class: "summary muted", "data-testid": "lineage-summary" });
    this.el.append(
      h(
        "div",
        { class: "options" },
        h("label", {}, "Direction ", this.direction),
        h("label", {}, "Depth ", this.depth),
        this.summary,
      ),
      h("div", { class: "workspace" }, this.graph.el, this.panel.el),
    );
    this.refresh();
  }

  applyParams(params) {
    const depth = Number.parseInt(params.depth, 10);
    this.options = {
      direction: DIRECTIONS.includes(params.direction) ? params.direction : "both",
      depth: Number.isFinite(depth) && depth >= 1 && depth <= 100 ? depth : 5,
      node: params.node || null,
    };
    if (this.direction) {
      this.direction.value = this.options.direction;
      this.depth.value = String(this.options.depth);
    }
  }

  extraQuery() {
    const query = { direction: this.options.direction, depth: String(this.options.depth) };
    if (this.options.node) query.node = this.options.node;
    return query;
  }

  setOptions() {
    const depth = Number.parseInt(this.depth.value, 10);
    this.options.direction = this.direction.value;
    this.options.depth = Number.isFinite(depth) ? Math.min(100, Math.max(1, depth)) : 5;
    this.depth.value = String(this.options.depth);
    this.writeQuery();
    this.refresh();
  }

  async refresh() {
    const ticket = this.begin();
    const times = this.apiTimes();
    try {
      const answer = await getJson(tablePath(this.ref, "lineage"), {
        ...times,
        direction: this.options.direction,
        depth: this.options.depth,
      });
      if (!ticket.isCurrent()) return;
      this.answer = answer;
      const { nodes, edges } = lineageModel(answer);
      await this.graph.setGraph(nodes, edges);
      if (!ticket.isCurrent()) return;
      this.graph.select(this.options.node);
      this.summary.textContent =
        `${nodes.length} tables, ${edges.length} edges \u00b7 as of ${display(answer.as_of)}` +
        (answer.known_at ? ` \u00b7 known at ${display(answer.known_at)}` : "");
      this.el.dataset.asOf = answer.as_of || "";
      this.el.dataset.knownAt = answer.known_at || "";
      this.done();
      if (this.options.node) this.openPanel();
      else this.panel.hide();
    } catch (error) {
      if (ticket.isCurrent()) this.fail(error);
    }
  }

  selectNode(id) {
    this.options.node = id;
    this.graph.select(id);
    this.writeQuery();
    if (id === null) this.panel.hide();
    else this.openPanel();
  }

  openPanel() {
    const id = this.options.node;
    const node = this.answer && this.answer.nodes.find((n) => n.table === id);
    if (!node) {
      this.panel.hide();
      return;
    }
    const edges = this.answer.edges.filter((e) => e.from === id || e.to === id);
    const after = edges.length
      ? h(
          "section",
          { "data-testid": "node-edges" },
          h("h3", {}, "Edges at this time"),
          h(
            "ul",
            { class: "edge-list" },
            edges.map((e) =>
              h(
                "li",
                {},
                h("div", { class: "mono" }, e.from === id ? `\u2192 ${e.to}` : `\u2190 ${e.from}`),
                h("div", {}, h("span", { class: "muted" }, `${e.job} \u00b7 run `), runLink(e.run, this.times.knownAt)),
                evidenceList(e.evidence),
              ),
            ),
          ),
        )
      : null;
    this.panel.open(id, {
      matched: node.matched !== false,
      asOf: this.times.asOf,
      at: Date.parse(this.answer.as_of),
      knownAt: this.times.knownAt,
      after,
    });
  }

  openEdge(edge) {
    const run = edge.links.find((l) => l.run);
    if (!run) return;
    const tail = this.times.knownAt !== null ? `?known_at=${encodeURIComponent(iso(this.times.knownAt))}` : "";
    location.hash = `#/run/${encodeURIComponent(run.run)}${tail}`;
  }
}
