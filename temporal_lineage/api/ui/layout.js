// Layered left-to-right layout of a directed graph (Sugiyama-lite), computed in the browser.
//
// Steps: depth-first back edges are reversed to break cycles; longest-path layering from the
// sources, then each source moved next to its nearest consumer; edges longer than one layer
// get a dummy point per layer crossed; barycentre sweeps order each layer (the order with
// the fewest crossings seen is kept); vertical centres are the least-squares fit to the
// neighbours' mean that keeps the order without overlap (isotonic regression); edges are
// routed from the source's right side through their dummy points to the target's left side.

const DEFAULTS = {
  layerGap: 72,
  nodeGap: 18,
  dummyGap: 8,
  margin: 24,
  width: 200,
  height: 56,
  sweeps: 24,
  passes: 8,
};

/** Which edges to reverse so that the graph has no cycle (the back edges of a DFS). */
function backEdges(count, pairs) {
  const out = Array.from({ length: count }, () => []);
  pairs.forEach(([source, target], number) => out[source].push([target, number]));
  const state = new Uint8Array(count); // 0 unseen, 1 on the stack, 2 done
  const flip = new Array(pairs.length).fill(false);
  // Sources first, so that the edges reversed are those that close a cycle late.
  const indegree = new Uint32Array(count);
  for (const [, target] of pairs) indegree[target]++;
  const starts = [...Array(count).keys()].sort((a, b) => (indegree[a] > 0) - (indegree[b] > 0));
  for (const start of starts) {
    if (state[start]) continue;
    state[start] = 1;
    const stack = [[start, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [node, cursor] = top;
      if (cursor === out[node].length) {
        state[node] = 2;
        stack.pop();
        continue;
      }
      top[1] = cursor + 1;
      const [target, number] = out[node][cursor];
      if (state[target] === 1) flip[number] = true;
      else if (state[target] === 0) {
        state[target] = 1;
        stack.push([target, 0]);
      }
    }
  }
  return flip;
}

/** Longest-path layers from the sources; a source then sits just left of its nearest consumer. */
function assignLayers(count, dag) {
  const preds = Array.from({ length: count }, () => []);
  const succs = Array.from({ length: count }, () => []);
  for (const [source, target] of dag) {
    succs[source].push(target);
    preds[target].push(source);
  }
  const waiting = preds.map((p) => p.length);
  const layer = new Array(count).fill(0);
  const queue = [];
  for (let node = 0; node < count; node++) if (!waiting[node]) queue.push(node);
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head];
    for (const next of succs[node]) {
      layer[next] = Math.max(layer[next], layer[node] + 1);
      if (--waiting[next] === 0) queue.push(next);
    }
  }
  for (let node = 0; node < count; node++) {
    if (!preds[node].length && succs[node].length) {
      layer[node] = Math.min(...succs[node].map((next) => layer[next])) - 1;
    }
  }
  return layer;
}

/** Pool-adjacent-violators: the non-decreasing sequence nearest (weighted) to `values`. */
function isotonic(values, weights) {
  const blocks = [];
  for (let i = 0; i < values.length; i++) {
    blocks.push({ value: values[i], weight: weights[i], size: 1 });
    while (blocks.length > 1) {
      const last = blocks[blocks.length - 1];
      const before = blocks[blocks.length - 2];
      if (before.value <= last.value) break;
      const weight = before.weight + last.weight;
      before.value = (before.value * before.weight + last.value * last.weight) / weight;
      before.weight = weight;
      before.size += last.size;
      blocks.pop();
    }
  }
  const fitted = [];
  for (const block of blocks) for (let i = 0; i < block.size; i++) fitted.push(block.value);
  return fitted;
}

/**
 * Lay out `nodes` ([{id, width, height}]) joined by `edges` ([{from, to}]).
 *
 * Returns {boxes: Map(id -> {x, y, width, height, layer}), routes: [{from, to, points,
 * reversed}], width, height, crossings}. Node ids only named by edges get the default size.
 */
export function layoutGraph(nodes, edges, options = {}) {
  const sp = { ...DEFAULTS, ...options };
  const index = new Map();
  const items = [];
  const addNode = (id, width, height) => {
    if (index.has(id)) return;
    index.set(id, items.length);
    items.push({ id, width: width ?? sp.width, height: height ?? sp.height });
  };
  for (const node of nodes) addNode(node.id, node.width, node.height);
  const pairs = [];
  const seen = new Set();
  for (const edge of edges) {
    addNode(edge.from);
    addNode(edge.to);
    const a = index.get(edge.from);
    const b = index.get(edge.to);
    const key = `${a},${b}`;
    if (a === b || seen.has(key)) continue;
    seen.add(key);
    pairs.push([a, b]);
  }
  const count = items.length;
  const flip = backEdges(count, pairs);
  const dag = pairs.map(([a, b], i) => (flip[i] ? [b, a] : [a, b]));
  const layer = assignLayers(count, dag);

  // The layered graph: real nodes, then one dummy per layer crossed by a long edge.
  const vx = items.map((item, i) => ({
    layer: layer[i],
    width: item.width,
    height: item.height,
    real: true,
    up: [],
    down: [],
  }));
  const link = (u, v) => {
    vx[u].down.push(v);
    vx[v].up.push(u);
  };
  const chains = dag.map(([a, b]) => {
    const chain = [a];
    let previous = a;
    for (let l = layer[a] + 1; l < layer[b]; l++) {
      const dummy = vx.length;
      vx.push({ layer: l, width: 0, height: 2, real: false, up: [], down: [] });
      link(previous, dummy);
      chain.push(dummy);
      previous = dummy;
    }
    link(previous, b);
    chain.push(b);
    return chain;
  });
  const layerCount = count ? Math.max(...layer) + 1 : 0;
  const rows = Array.from({ length: layerCount }, () => []);
  vx.forEach((v, i) => rows[v.layer].push(i));

  // Order within layers: barycentre sweeps, keeping the order with the fewest crossings.
  const pos = new Float64Array(vx.length);
  const setPositions = (row) => row.forEach((v, i) => (pos[v] = i));
  rows.forEach(setPositions);
  const crossingsBelow = (l) => {
    const list = [];
    for (const u of rows[l]) for (const v of vx[u].down) list.push([pos[u], pos[v]]);
    list.sort((p, q) => p[0] - q[0] || p[1] - q[1]);
    const size = rows[l + 1].length;
    const tree = new Int32Array(size + 1);
    let crossings = 0;
    let inserted = 0;
    for (const [, p] of list) {
      let atMost = 0;
      for (let i = p + 1; i > 0; i -= i & -i) atMost += tree[i];
      crossings += inserted - atMost;
      for (let i = p + 1; i <= size; i += i & -i) tree[i]++;
      inserted++;
    }
    return crossings;
  };
  const crossings = () => {
    let total = 0;
    for (let l = 0; l + 1 < layerCount; l++) total += crossingsBelow(l);
    return total;
  };
  const sortRow = (l, downward) => {
    const key = new Map();
    for (const v of rows[l]) {
      const near = downward ? vx[v].up : vx[v].down;
      key.set(v, near.length ? near.reduce((sum, u) => sum + pos[u], 0) / near.length : pos[v]);
    }
    rows[l].sort((a, b) => key.get(a) - key.get(b) || pos[a] - pos[b]);
    setPositions(rows[l]);
  };
  let best = rows.map((row) => row.slice());
  let fewest = crossings();
  for (let sweep = 0; sweep < sp.sweeps && fewest > 0; sweep++) {
    if (sweep % 2 === 0) for (let l = 1; l < layerCount; l++) sortRow(l, true);
    else for (let l = layerCount - 2; l >= 0; l--) sortRow(l, false);
    const found = crossings();
    if (found < fewest) {
      fewest = found;
      best = rows.map((row) => row.slice());
    }
  }
  best.forEach((row, l) => {
    rows[l] = row;
    setPositions(row);
  });

  // Vertical centres: each layer fitted to its neighbours' mean, order kept, no overlap.
  const centre = new Float64Array(vx.length);
  const gaps = rows.map((row) =>
    row.map((v, i) => {
      if (i === 0) return 0;
      const prev = vx[row[i - 1]];
      const gap = prev.real && vx[v].real ? sp.nodeGap : sp.dummyGap;
      return prev.height / 2 + vx[v].height / 2 + gap;
    }),
  );
  const place = (l, wanted) => {
    const row = rows[l];
    let offset = 0;
    const offsets = row.map((_, i) => (offset += gaps[l][i]));
    const weights = row.map((v) => (vx[v].real ? 1 : 2));
    const fitted = isotonic(
      row.map((v, i) => wanted(v) - offsets[i]),
      weights,
    );
    row.forEach((v, i) => (centre[v] = fitted[i] + offsets[i]));
  };
  rows.forEach((_, l) => place(l, () => 0));
  const mean = (v, near) =>
    near.length ? near.reduce((sum, u) => sum + centre[u], 0) / near.length : centre[v];
  for (let pass = 0; pass < sp.passes; pass++) {
    if (pass % 2 === 0) for (let l = 1; l < layerCount; l++) place(l, (v) => mean(v, vx[v].up));
    else for (let l = layerCount - 2; l >= 0; l--) place(l, (v) => mean(v, vx[v].down));
  }
  for (let l = 0; l < layerCount; l++) {
    place(l, (v) => mean(v, vx[v].up.concat(vx[v].down)));
  }
  let top = Infinity;
  let bottom = -Infinity;
  vx.forEach((v, i) => {
    top = Math.min(top, centre[i] - v.height / 2);
    bottom = Math.max(bottom, centre[i] + v.height / 2);
  });
  const shift = count ? sp.margin - top : 0;

  // Horizontal: one column per layer, as wide as its widest node.
  const columnX = [];
  const columnWidth = [];
  let x = sp.margin;
  for (let l = 0; l < layerCount; l++) {
    const width = Math.max(40, ...rows[l].map((v) => vx[v].width));
    columnX.push(x);
    columnWidth.push(width);
    x += width + sp.layerGap;
  }

  const boxes = new Map();
  items.forEach((item, i) => {
    boxes.set(item.id, {
      x: columnX[layer[i]],
      y: centre[i] - item.height / 2 + shift,
      width: item.width,
      height: item.height,
      layer: layer[i],
    });
  });
  const routes = dag.map(([a, b], i) => {
    const chain = chains[i];
    const points = [[columnX[layer[a]] + items[a].width, centre[a] + shift]];
    for (const dummy of chain.slice(1, -1)) {
      const l = vx[dummy].layer;
      points.push([columnX[l], centre[dummy] + shift]);
      points.push([columnX[l] + columnWidth[l], centre[dummy] + shift]);
    }
    points.push([columnX[layer[b]], centre[b] + shift]);
    const [from, to] = flip[i] ? [items[b].id, items[a].id] : [items[a].id, items[b].id];
    return { from, to, points: flip[i] ? points.reverse() : points, reversed: flip[i] };
  });
  return {
    boxes,
    routes,
    width: count ? x - sp.layerGap + sp.margin : 2 * sp.margin,
    height: count ? bottom - top + 2 * sp.margin : 2 * sp.margin,
    crossings: fewest,
    layers: layerCount,
  };
}
