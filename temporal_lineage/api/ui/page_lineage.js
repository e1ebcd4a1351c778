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
    this.followSelect = h(
      "select",
      { class: "follow-tag", "aria-label": "Follow tag", "data-testid": "follow-tag", onchange: () => this.setFollow() },
      h("option", { value: "" }, "none"),
    );
    this.graph = new GraphView({
      tagLine: true,
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
        h("label", { title: "Tags: \u25cf direct, \u25cb propagated, ? may contain" }, "Follow tag ", this.followSelect),
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
      tag: params.tag || null,
    };
    if (this.direction) {
      this.direction.value = this.options.direction;
      this.depth.value = String(this.options.depth);
    }
  }

  extraQuery() {
    const query = { direction: this.options.direction, depth: String(this.options.depth) };
    if (this.options.node) query.node = this.options.node;
    if (this.options.tag) query.tag = this.options.tag;
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

  setFollow() {
    this.options.tag = this.followSelect.value || null;
    this.graph.follow(this.options.tag);
    this.writeQuery();
  }

  /** The tags of every table of the graph as of the same time; the follow-tag choices. */
  async loadTags(ticket, times) {
    let answer;
    try {
      answer = await getJson(tablePath(this.ref, "lineage/tags"), {
        ...times,
        direction: this.options.direction,
        depth: this.options.depth,
      });
    } catch (error) {
      if (ticket.isCurrent()) this.summary.textContent += " \u00b7 tags unavailable";
      return;
    }
    if (!ticket.isCurrent()) return;
    const byNode = new Map(answer.tables.map((t) => [t.table, t.tags]));
    const names = [...new Set(answer.tables.flatMap((t) => t.tags.map((g) => g.tag)))].sort();
    if (this.options.tag && !names.includes(this.options.tag)) names.push(this.options.tag);
    this.followSelect.replaceChildren(
      h("option", { value: "" }, "none"),
      ...names.map((n) => h("option", { value: n, selected: n === this.options.tag }, n)),
    );
    this.graph.setTags(byNode);
    this.graph.follow(this.options.tag);
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
      await this.loadTags(ticket, times);
      if (!ticket.isCurrent()) return;
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
