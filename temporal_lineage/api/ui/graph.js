// An SVG graph view: the server's layered layout, pan (drag), zoom (wheel, buttons), fit, find a node.

import { postJson } from "./api.js";
import { ellipsize, h, s } from "./dom.js";

/** Evidence kinds, strongest first; an edge is drawn in the style of its strongest kind. */
export const EVIDENCE_KINDS = [
  ["commit_property", "run id written in the commit"],
  ["dataset_version", "a version facet or commit/scan report names it"],
  ["openlineage_event", "seen in an OpenLineage event"],
  ["inferred", "inferred from a time window only"],
  ["other", "another kind of evidence"],
  ["none", "no evidence recorded"],
];
const KNOWN_KINDS = new Set(EVIDENCE_KINDS.map(([kind]) => kind));

/** The strongest evidence kind of a list of {kind, detail} (or "none"). */
export function strongestKind(evidence) {
  if (!evidence || !evidence.length) return "none";
  const kinds = new Set(evidence.map((e) => e.kind));
  for (const [kind] of EVIDENCE_KINDS) if (kinds.has(kind)) return kind;
  return KNOWN_KINDS.has(evidence[0].kind) ? evidence[0].kind : "other";
}

const NODE_HEIGHT = 60;
const CHAR_WIDTH = 7.2;
const MIN_WIDTH = 190;
const MAX_WIDTH = 240;
const PAD = 10;
const MIN_ZOOM = 0.03;
const MAX_ZOOM = 4;

function nodeWidth(lines) {
  const longest = Math.max(...lines.map((line) => String(line || "").length));
  return Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, longest * CHAR_WIDTH + 2 * PAD));
}

/** The server's layout of nodes ({id, width, height}) and edges, boxes as a Map by id. */
async function layoutGraph(nodes, edges) {
  const answer = await postJson("layout", {
    nodes,
    edges: edges.map((edge) => ({ from: edge.from, to: edge.to })),
  });
  return { ...answer, boxes: new Map(answer.boxes.map((box) => [box.id, box])) };
}

function pathOf(points) {
  const [first, ...rest] = points;
  let d = `M${first[0].toFixed(1)},${first[1].toFixed(1)}`;
  let previous = first;
  for (const point of rest) {
    const bend = (point[0] - previous[0]) / 2;
    d +=
      ` C${(previous[0] + bend).toFixed(1)},${previous[1].toFixed(1)}` +
      ` ${(point[0] - bend).toFixed(1)},${point[1].toFixed(1)}` +
      ` ${point[0].toFixed(1)},${point[1].toFixed(1)}`;
    previous = point;
  }
  return d;
}

/**
 * A graph of nodes ({id, lines: [title, line2, line3], kind, title, attrs}) and edges
 * ({from, to, kind, title, attrs}); `onNode(id)` and `onEdge(edge)` are called on clicks.
 */
export class GraphView {
  constructor({ onNode, onEdge, label, legend = true, tagLine = false }) {
    this.tagLine = tagLine;
    this.nodeHeight = tagLine ? NODE_HEIGHT + 14 : NODE_HEIGHT;
    this.tags = new Map();
    this.followed = null;
    this.onNode = onNode;
    this.onEdge = onEdge;
    this.nodes = new Map();
    this.elements = new Map();
    this.edgeElements = [];
    this.layout = null;
    this.signature = null;
    this.view = { k: 1, x: 0, y: 0 };
    this.needsFit = false;
    this.selected = null;
    this.frame = 0;
    this.drawing = 0;

    this.edgeLayer = s("g", { class: "edges" });
    this.nodeLayer = s("g", { class: "nodes" });
    this.viewport = s("g", { class: "viewport" }, this.edgeLayer, this.nodeLayer);
    const markers = EVIDENCE_KINDS.map(([kind]) =>
      s(
        "marker",
        {
          id: `arrow-${kind}`,
          viewBox: "0 0 10 10",
          refX: "9",
          refY: "5",
          markerUnits: "userSpaceOnUse",
          markerWidth: "9",
          markerHeight: "9",
          orient: "auto-start-reverse",
          class: `marker ev-${kind}`,
        },
        s("path", { d: "M0,0 L10,5 L0,10 z" }),
      ),
    );
    this.svg = s(
      "svg",
      { class: "graph-svg", "data-testid": "graph-svg", role: "img", "aria-label": label },
      s("defs", {}, markers),
      this.viewport,
    );
    this.findInput = h("input", {
      type: "search",
      class: "find",
      placeholder: "Find a node\u2026",
      "aria-label": "Find a node",
      "data-testid": "graph-find",
      oninput: () => this.find(this.findInput.value, false),
      onkeydown: (event) => {
        if (event.key === "Enter") this.find(this.findInput.value, true);
      },
    });
    this.countLabel = h("span", { class: "muted", "data-testid": "graph-count" });
    const button = (text, title, testid, action) =>
      h("button", { type: "button", title, "aria-label": title, "data-testid": testid, onclick: action }, text);
    const toolbar = h(
      "div",
      { class: "graph-toolbar" },
      this.findInput,
      button("+", "Zoom in", "zoom-in", () => this.zoomBy(1.25)),
      button("\u2212", "Zoom out", "zoom-out", () => this.zoomBy(0.8)),
      button("Fit", "Fit the graph to the view", "zoom-fit", () => {
        this.userMoved = false;
        this.fit();
      }),
      this.countLabel,
    );
    const legendBox = legend
      ? h(
          "div",
          { class: "legend", "aria-label": "Edge evidence" },
          EVIDENCE_KINDS.filter(([kind]) => kind !== "other").map(([kind, meaning]) =>
            h(
              "span",
              { class: "legend-item", title: meaning },
              s("svg", { width: "28", height: "10" }, s("line", { x1: "0", y1: "5", x2: "28", y2: "5", class: `edge-line ev-${kind}` })),
              kind.replace("_", " "),
            ),
          ),
        )
      : null;
    this.el = h("div", { class: "graph-view", "data-testid": "graph-view" }, toolbar, this.svg, legendBox);
    this.bindPanZoom();
    // Until the user pans or zooms, the graph keeps fitting the view (e.g. when a panel opens).
    this.userMoved = false;
    new ResizeObserver(() => {
      if ((this.needsFit || !this.userMoved) && this.svg.clientWidth > 0) this.fit();
    }).observe(this.svg);
  }

  /**
   * Show a graph; when its nodes and edges are those already shown, only their text changes.
   * Resolves once it is drawn (or superseded by a later call); rejects when the layout fails.
   */
  async setGraph(nodes, edges) {
    const signature = JSON.stringify([
      nodes.map((n) => n.id).sort(),
      edges.map((e) => `${e.from}\u0000${e.to}`).sort(),
    ]);
    const drawing = ++this.drawing;
    if (signature === this.signature) {
      this.nodes = new Map(nodes.map((n) => [n.id, n]));
      for (const node of nodes) this.paintNode(this.elements.get(node.id), node);
      const byPair = new Map(this.edgeElements.map((g) => [`${g.edge.from}\u0000${g.edge.to}`, g]));
      for (const edge of edges) {
        const g = byPair.get(`${edge.from}\u0000${edge.to}`);
        if (g) this.paintEdge(g, edge);
      }
      this.paintTags();
      return;
    }
    const sized = nodes.map((n) => ({ id: n.id, width: nodeWidth(n.lines), height: this.nodeHeight }));
    const layout = await layoutGraph(sized, edges);
    if (drawing !== this.drawing) return;
    this.signature = signature;
    this.nodes = new Map(nodes.map((n) => [n.id, n]));
    this.layout = layout;
    const byPair = new Map(this.layout.routes.map((r) => [`${r.from}\u0000${r.to}`, r]));
    const edgeFragment = document.createDocumentFragment();
    this.edgeElements = edges.map((edge) => {
      const route = byPair.get(`${edge.from}\u0000${edge.to}`);
      const line = s("path", { class: "edge-line", d: route ? pathOf(route.points) : "" });
      const hit = s("path", { class: "edge-hit", d: route ? pathOf(route.points) : "" });
      const g = s("g", { class: "edge", "data-testid": "graph-edge" }, s("title"), hit, line);
      g.addEventListener("click", (event) => {
        if (this.dragged) return;
        event.stopPropagation();
        if (this.onEdge) this.onEdge(g.edge);
      });
      this.paintEdge(g, edge);
      edgeFragment.append(g);
      return g;
    });
    const nodeFragment = document.createDocumentFragment();
    this.elements = new Map();
    for (const node of nodes) {
      const box = this.layout.boxes.get(node.id);
      const g = s(
        "g",
        {
          class: "node",
          transform: `translate(${box.x.toFixed(1)},${box.y.toFixed(1)})`,
          tabindex: "0",
          role: "button",
          "data-testid": "graph-node",
        },
        s("title"),
        s("rect", { width: box.width.toFixed(1), height: box.height, rx: "7" }),
        s("text", { class: "line1", x: PAD, y: "19" }),
        s("text", { class: "line2", x: PAD, y: "36" }),
        s("text", { class: "line3", x: PAD, y: "51" }),
        ...(this.tagLine ? [s("text", { class: "tags-line", x: PAD, y: "66" })] : []),
      );
      g.nodeId = node.id;
      g.charLimit = Math.floor((box.width - 2 * PAD) / CHAR_WIDTH);
      g.addEventListener("click", (event) => {
        if (this.dragged) return;
        event.stopPropagation();
        this.onNode(g.nodeId);
      });
      g.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          this.onNode(g.nodeId);
        }
      });
      this.paintNode(g, node);
      this.elements.set(node.id, g);
      nodeFragment.append(g);
    }
    this.edgeLayer.replaceChildren(edgeFragment);
    this.nodeLayer.replaceChildren(nodeFragment);
    this.countLabel.textContent = `${nodes.length} nodes, ${edges.length} edges`;
    if (this.selected) this.select(this.selected);
    if (this.findInput.value) this.find(this.findInput.value, false);
    this.paintTags();
    this.userMoved = false;
    this.fit();
  }

  paintNode(g, node) {
    const [line1, line2, line3] = node.lines;
    const limit = g.charLimit;
    g.querySelector("title").textContent = node.title || node.lines.filter(Boolean).join("\n");
    g.querySelector(".line1").textContent = ellipsize(line1 || "", limit);
    g.querySelector(".line2").textContent = ellipsize(line2 || "", limit + 4);
    g.querySelector(".line3").textContent = ellipsize(line3 || "", limit + 4);
    g.setAttribute("class", `node kind-${node.kind || "table"}${this.selected === node.id ? " selected" : ""}`);
    g.setAttribute("data-node", node.id);
    for (const [key, value] of Object.entries(node.attrs || {})) {
      g.setAttribute(key, value === null || value === undefined ? "" : String(value));
    }
  }

  paintEdge(g, edge) {
    g.edge = edge;
    const kind = edge.kind || "none";
    g.setAttribute("class", `edge${g.classList.contains("near") ? " near" : ""}`);
    g.dataset.from = edge.from;
    g.dataset.to = edge.to;
    for (const [key, value] of Object.entries(edge.attrs || {})) {
      g.setAttribute(key, value === null || value === undefined ? "" : String(value));
    }
    g.querySelector("title").textContent = edge.title || `${edge.from} \u2192 ${edge.to}`;
    const line = g.querySelector(".edge-line");
    line.setAttribute("class", `edge-line ev-${kind}`);
    line.setAttribute("marker-end", `url(#arrow-${kind})`);
  }

  /**
   * Tags per node id ({tag, how, columns}[]), written on the nodes' tag line; with
   * `follow(tag)`, the nodes holding that tag and the edges between them stand out.
   */
  setTags(byNode) {
    this.tags = byNode;
    this.paintTags();
  }

  follow(tag) {
    this.followed = tag || null;
    this.paintTags();
  }

  paintTags() {
    const followed = this.followed;
    for (const [id, g] of this.elements) {
      const tags = this.tags.get(id) || [];
      const line = g.querySelector(".tags-line");
      if (line) {
        const text = tags.map((t) => (t.how === "direct" ? `\u25cf ${t.tag}` : `\u25cb ${t.tag}${t.how === "may_contain" ? "?" : ""}`));
        line.textContent = ellipsize(text.join("  "), g.charLimit + 6);
      }
      const holds = followed !== null && tags.some((t) => t.tag === followed);
      g.classList.toggle("holds-tag", holds);
      g.dataset.tags = tags.map((t) => `${t.tag}:${t.how}`).join(" ");
      const title = g.querySelector("title");
      const base = title.textContent.split("\n\ntags:")[0];
      title.textContent = tags.length
        ? `${base}\n\ntags:\n${tags.map((t) => `  ${t.tag} (${t.how.replace("_", " ")})${t.columns.length ? `: ${t.columns.join(", ")}` : ""}`).join("\n")}`
        : base;
    }
    const holding = (id) => followed !== null && (this.tags.get(id) || []).some((t) => t.tag === followed);
    for (const g of this.edgeElements) g.classList.toggle("carries", holding(g.edge.from) && holding(g.edge.to));
    this.svg.classList.toggle("following", followed !== null);
  }

  /** Mark one node (and its edges) as selected; null clears. */
  select(id) {
    this.selected = id;
    for (const [key, g] of this.elements) g.classList.toggle("selected", key === id);
    for (const g of this.edgeElements) {
      g.classList.toggle("near", id !== null && (g.edge.from === id || g.edge.to === id));
    }
  }

  /** Highlight the nodes whose id contains `text`; with `jump`, centre the first one. */
  find(text, jump) {
    const needle = text.trim().toLowerCase();
    let first = null;
    for (const [key, g] of this.elements) {
      const hit = Boolean(needle) && key.toLowerCase().includes(needle);
      g.classList.toggle("match", hit);
      if (hit && first === null) first = key;
    }
    this.svg.classList.toggle("finding", Boolean(needle));
    if (jump && first !== null) this.centreOn(first);
  }

  centreOn(id) {
    const box = this.layout && this.layout.boxes.get(id);
    if (!box) return;
    this.userMoved = true;
    const k = Math.max(this.view.k, 0.8);
    this.view = {
      k,
      x: this.svg.clientWidth / 2 - (box.x + box.width / 2) * k,
      y: this.svg.clientHeight / 2 - (box.y + box.height / 2) * k,
    };
    this.apply();
  }

  fit() {
    const width = this.svg.clientWidth;
    const height = this.svg.clientHeight;
    if (!this.layout || !width || !height) {
      this.needsFit = true;
      return;
    }
    this.needsFit = false;
    const k = Math.max(
      MIN_ZOOM,
      Math.min(1.2, (0.96 * width) / this.layout.width, (0.96 * height) / this.layout.height),
    );
    this.view = {
      k,
      x: (width - this.layout.width * k) / 2,
      y: (height - this.layout.height * k) / 2,
    };
    this.apply();
  }

  zoomBy(factor, cx = this.svg.clientWidth / 2, cy = this.svg.clientHeight / 2) {
    this.userMoved = true;
    const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, this.view.k * factor));
    const ratio = k / this.view.k;
    this.view = { k, x: cx - (cx - this.view.x) * ratio, y: cy - (cy - this.view.y) * ratio };
    this.apply();
  }

  apply() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const { k, x, y } = this.view;
      this.viewport.setAttribute("transform", `translate(${x.toFixed(2)},${y.toFixed(2)}) scale(${k.toFixed(4)})`);
      this.svg.classList.toggle("far", k < 0.45);
    });
  }

  bindPanZoom() {
    let drag = null;
    this.svg.addEventListener(
      "wheel",
      (event) => {
        event.preventDefault();
        const rect = this.svg.getBoundingClientRect();
        this.zoomBy(Math.exp(-event.deltaY * 0.0015), event.clientX - rect.left, event.clientY - rect.top);
      },
      { passive: false },
    );
    this.svg.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      drag = { id: event.pointerId, x: event.clientX, y: event.clientY, view: { ...this.view } };
      this.dragged = false;
    });
    this.svg.addEventListener("pointermove", (event) => {
      if (!drag || event.pointerId !== drag.id) return;
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (!this.dragged && Math.hypot(dx, dy) < 4) return;
      if (!this.dragged) {
        // Captured only once it is a drag, so that a plain click still reaches the node.
        this.dragged = true;
        this.userMoved = true;
        this.svg.setPointerCapture(drag.id);
        this.svg.classList.add("panning");
      }
      this.view = { k: drag.view.k, x: drag.view.x + dx, y: drag.view.y + dy };
      this.apply();
    });
    const end = (event) => {
      if (!drag || event.pointerId !== drag.id) return;
      drag = null;
      this.svg.classList.remove("panning");
      // The click that ends a drag must not select; the next pointerdown resets the flag.
      setTimeout(() => (this.dragged = false), 0);
    };
    this.svg.addEventListener("pointerup", end);
    this.svg.addEventListener("pointercancel", end);
  }
}
