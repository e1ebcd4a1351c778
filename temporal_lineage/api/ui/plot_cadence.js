// Commit cadence of a table over the window before A: commits per hour or per day as bars
// stacked by operation, and above them one tick per commit (linked to its run).

import { s } from "./dom.js";
import { MARGIN, asOfMarker, emptyNote, frame, timeAxis, tip, valueAxis, valueTicks } from "./plots.js";

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

/** The colour class of a commit operation (Iceberg and Delta names alike). */
export function operationClass(operation) {
  const op = String(operation || "").toLowerCase();
  if (/optimi|compact|rewrite|vacuum|zorder/.test(op)) return "op-maintenance";
  if (/replace|overwrite|truncate/.test(op)) return "op-overwrite";
  if (/delete/.test(op)) return "op-delete";
  if (/merge|update|upsert/.test(op)) return "op-merge";
  if (/append|write|create|insert|streaming/.test(op)) return "op-append";
  return "op-other";
}

export const OPERATION_LABELS = {
  "op-append": "append / write",
  "op-overwrite": "overwrite / replace",
  "op-merge": "merge / update",
  "op-delete": "delete",
  "op-maintenance": "compaction",
  "op-other": "other",
};

// Bar widths, smallest first: [ms, what a bar counts].
const BUCKETS = [
  [100, "100 ms"], [500, "500 ms"], [1000, "second"], [5000, "5 s"], [15000, "15 s"], [60000, "minute"],
  [300000, "5 min"], [900000, "15 min"], [HOUR, "hour"], [6 * HOUR, "6 h"], [DAY, "day"], [7 * DAY, "week"],
];
const MAX_BARS = 48;

/** The bar width for a time range: the smallest that gives at most 48 bars ([ms, name]). */
export function bucketOf(start, end) {
  return BUCKETS.find(([ms]) => (end - start) / ms <= MAX_BARS) || BUCKETS[BUCKETS.length - 1];
}

function bucketLabel(at, size) {
  const text = new Date(at).toISOString().replace("T", " ").replace("Z", " UTC");
  if (size >= DAY) return text.slice(0, 10);
  return size >= 60000 ? `${text.slice(0, 16)} UTC` : text;
}

/** The SVG of the cadence at `width` px: commits [{snapshot, committed_at, operation, run}]. */
export function cadencePlot(width, { commits, start, end, asOf, runHref }) {
  const [size, unit] = bucketOf(start, end);
  const first = Math.floor(start / size) * size;
  const buckets = new Map();
  const dated = commits.map((c) => ({ ...c, at: Date.parse(c.committed_at), css: operationClass(c.operation) })).filter((c) => Number.isFinite(c.at));
  for (const c of dated) {
    const key = Math.floor(c.at / size) * size;
    if (!buckets.has(key)) buckets.set(key, []);
    buckets.get(key).push(c);
  }
  const most = Math.max(1, ...[...buckets.values()].map((b) => b.length));
  const { max, ticks } = valueTicks(most, 4, [1, 2, 5]);
  const chart = frame({
    width,
    height: 190,
    margin: { ...MARGIN, top: 34 },
    start,
    end,
    yMax: max,
    label: `Commits per ${unit} between ${new Date(start).toISOString()} and ${new Date(end).toISOString()}: ${dated.length} commit(s)`,
    testid: "cadence-plot",
  });
  const { svg, x, y, inner } = chart;
  valueAxis(chart, ticks.filter((t) => Number.isInteger(t)), (v) => String(v), null);
  timeAxis(chart, start, end);
  const bars = s("g", { class: "bars" });
  for (const [key, list] of [...buckets.entries()].sort((a, b) => a[0] - b[0])) {
    if (key + size < first) continue;
    const x0 = Math.max(inner.left, x(key));
    const x1 = Math.min(inner.right, x(key + size));
    const gap = x1 - x0 > 6 ? 1 : 0;
    const counts = {};
    for (const c of list) counts[c.css] = (counts[c.css] || 0) + 1;
    const text = Object.entries(counts).map(([css, n]) => `${n} ${OPERATION_LABELS[css]}`).join(", ");
    const bar = s("g", { class: "bar", "data-testid": "commit-bar", "data-bucket": new Date(key).toISOString(), "data-count": String(list.length) }, tip(`${bucketLabel(key, size)}: ${list.length} commit(s) (${text})`));
    let level = 0;
    for (const css of Object.keys(OPERATION_LABELS)) {
      if (!counts[css]) continue;
      const top = y(level + counts[css]);
      bar.append(s("rect", { class: css, x: x0 + gap, y: top, width: Math.max(1, x1 - x0 - 2 * gap), height: y(level) - top }));
      level += counts[css];
    }
    bars.append(bar);
  }
  svg.append(bars);
  const strip = s("g", { class: "commit-strip" }, s("text", { class: "strip-label", x: inner.left - 6, y: inner.top - 14, "text-anchor": "end" }, "each"));
  for (const c of dated) {
    const px = x(c.at);
    if (px < inner.left - 1 || px > inner.right + 1) continue;
    const mark = s(
      "line",
      { class: `commit-tick ${c.css}`, x1: px, x2: px, y1: inner.top - 24, y2: inner.top - 6, "data-testid": "commit-tick", "data-snapshot": String(c.snapshot) },
      tip(`snapshot ${c.snapshot}\n${c.committed_at}\n${c.operation || "operation unknown"}\nrun ${c.run || "unknown"}`),
    );
    strip.append(c.run ? s("a", { href: runHref(c.run) }, mark) : mark);
  }
  svg.append(strip);
  if (!dated.length) emptyNote(chart, "no commit in the window");
  asOfMarker(chart, asOf);
  return svg;
}
