// SVG plot pieces shared by the table health page: time and value scales with readable
// ticks, axes, frames sized to their box, tooltips (<title>) and durations as text.

import { h, s } from "./dom.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// Tick steps for a time axis, smallest first: [step in ms, label of an instant].
const TIME_STEPS = [
  [SECOND, "second"], [2 * SECOND, "second"], [5 * SECOND, "second"], [10 * SECOND, "second"],
  [15 * SECOND, "second"], [30 * SECOND, "second"], [MINUTE, "minute"], [5 * MINUTE, "minute"], [15 * MINUTE, "minute"], [30 * MINUTE, "minute"],
  [HOUR, "hour"], [3 * HOUR, "hour"], [6 * HOUR, "hour"], [12 * HOUR, "hour"],
  [DAY, "day"], [2 * DAY, "day"], [7 * DAY, "day"], [14 * DAY, "day"], [30 * DAY, "day"],
];

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n) => String(n).padStart(2, "0");

/** "Nov 24", "Nov 24 06:00", "06:15" or "06:15:30" (UTC) for a tick at `ms` of a step of `unit`. */
function tickLabel(ms, unit, first) {
  const d = new Date(ms);
  const day = `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
  let clock = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  if (unit === "second") clock += `:${pad(d.getUTCSeconds())}`;
  if (unit === "day") return day;
  const midnight = d.getUTCHours() === 0 && d.getUTCMinutes() === 0;
  return first || midnight ? `${day} ${clock}` : clock;
}

/** Ticks [{at, label}] of a time range, at most about `count` of them, on round UTC instants. */
export function timeTicks(start, end, count) {
  const span = Math.max(end - start, SECOND);
  const [step, unit] = TIME_STEPS.find(([ms]) => span / ms <= count) || TIME_STEPS[TIME_STEPS.length - 1];
  const ticks = [];
  for (let at = Math.ceil(start / step) * step; at <= end; at += step) {
    ticks.push({ at, label: tickLabel(at, unit, ticks.length === 0) });
  }
  return ticks;
}

/** A round upper bound and its ticks for values from 0 to `max` (at most about `count`). */
export function valueTicks(max, count, steps = [1, 2, 5]) {
  const top = max > 0 ? max : 1;
  const raw = top / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = (steps.map((m) => m * power).find((m) => m >= raw)) || 10 * power;
  const ticks = [];
  for (let v = 0; v <= top + step * 0.999; v += step) ticks.push(v);
  return { max: ticks[ticks.length - 1], ticks };
}

const DURATION_STEPS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

/** Ticks for durations in seconds: round seconds, minutes, hours or days. */
export function durationTicks(max, count) {
  const top = max > 0 ? max : 1;
  const step = DURATION_STEPS.find((d) => top / d <= count) || Math.ceil(top / count / 86400) * 86400;
  const ticks = [];
  const steps = Math.ceil(top / step - 1e-9);
  for (let i = 0; i <= steps; i += 1) ticks.push(Math.round(i * step * 1000) / 1000);
  return { max: ticks[ticks.length - 1], ticks };
}

/** A duration in seconds as text: "51ms", "4.2s", "3m 05s", "2h 10m", "3d 4h" (null as an en dash). */
export function durationText(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "\u2013";
  const sign = seconds < 0 ? "\u2212" : "";
  let rest = Math.abs(seconds);
  if (rest === 0) return "0s";
  if (rest < 1) return `${sign}${Math.round(rest * 1000)}ms`;
  if (rest < 10) return `${sign}${Math.round(rest * 10) / 10}s`;
  rest = Math.round(rest);
  const d = Math.floor(rest / 86400);
  const hr = Math.floor((rest % 86400) / 3600);
  const m = Math.floor((rest % 3600) / 60);
  const sec = rest % 60;
  if (d) return `${sign}${d}d${hr ? ` ${hr}h` : ""}`;
  if (hr) return `${sign}${hr}h${m ? ` ${pad(m)}m` : ""}`;
  if (m) return `${sign}${m}m${sec ? ` ${pad(sec)}s` : ""}`;
  return `${sign}${sec}s`;
}

/** The margins of every plot: their time axes line up one above the other. */
export const MARGIN = { left: 64, right: 88, top: 26, bottom: 28 };

/** A linear map from [d0, d1] to [r0, r1]. */
export function scale(d0, d1, r0, r1) {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** A tooltip for an SVG element. */
export function tip(text) {
  return s("title", {}, text);
}

/**
 * An empty chart of `width` x `height` px with its plot area inside `margin`:
 * {svg, plot, x, y, inner}. `x` maps instants (ms) and `y` values to pixels.
 */
export function frame({ width, height, margin, start, end, yMax, label, testid }) {
  const inner = { left: margin.left, top: margin.top, right: width - margin.right, bottom: height - margin.bottom };
  const svg = s("svg", {
    class: "plot",
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": label,
    "data-testid": testid,
    "data-start": String(start),
    "data-end": String(end),
  });
  svg.append(tip(label));
  const x = scale(start, end, inner.left, inner.right);
  const y = scale(0, yMax, inner.bottom, inner.top);
  svg.append(s("rect", { class: "plot-area", x: inner.left, y: inner.top, width: inner.right - inner.left, height: inner.bottom - inner.top }));
  return { svg, x, y, inner };
}

/** The time axis under the plot area: grid lines and labels at round instants. */
export function timeAxis(chart, start, end) {
  const { svg, x, inner } = chart;
  const count = Math.max(2, Math.floor((inner.right - inner.left) / 84));
  const group = s("g", { class: "axis time-axis", "aria-hidden": "true" });
  for (const tick of timeTicks(start, end, count)) {
    const px = x(tick.at);
    // A label near an edge starts or ends at its tick rather than running off the plot.
    const anchor = px - inner.left < 40 ? "start" : inner.right - px < 40 ? "end" : "middle";
    group.append(
      s("line", { class: "grid-line", x1: px, x2: px, y1: inner.top, y2: inner.bottom }),
      s("line", { class: "tick-mark", x1: px, x2: px, y1: inner.bottom, y2: inner.bottom + 4 }),
      s("text", { x: px, y: inner.bottom + 16, "text-anchor": anchor }, tick.label),
    );
  }
  group.append(s("line", { class: "axis-line", x1: inner.left, x2: inner.right, y1: inner.bottom, y2: inner.bottom }));
  svg.append(group);
}

/** The value axis left of the plot area; `format` writes a tick's value. */
export function valueAxis(chart, ticks, format, title) {
  const { svg, y, inner } = chart;
  const group = s("g", { class: "axis value-axis", "aria-hidden": "true" });
  for (const value of ticks) {
    const py = y(value);
    group.append(
      s("line", { class: "grid-line", x1: inner.left, x2: inner.right, y1: py, y2: py }),
      s("text", { x: inner.left - 6, y: py + 4, "text-anchor": "end" }, format(value)),
    );
  }
  if (title) group.append(s("text", { class: "axis-title", x: inner.left, y: inner.top - 8, "text-anchor": "start" }, title));
  svg.append(group);
}

/** The instant A as a dashed vertical line labelled "A" at the top of the plot area. */
export function asOfMarker(chart, at) {
  const { svg, x, inner } = chart;
  const px = x(at);
  svg.append(
    s(
      "g",
      { class: "as-of-marker" },
      tip(`A = ${new Date(at).toISOString()}`),
      s("line", { x1: px, x2: px, y1: inner.top, y2: inner.bottom }),
      s("text", { x: px - 4, y: inner.top + 12, "text-anchor": "end" }, "A"),
    ),
  );
}

/**
 * A box that draws `paint(width)` (an SVG element) at its own width, again when that width
 * changes, so text in the plots stays at its size on any screen.
 */
export function sizedPlot(testid, paint) {
  const box = h("div", { class: "plot-box", "data-testid": `${testid}-box` });
  let drawn = 0;
  const draw = () => {
    const width = Math.max(320, Math.floor(box.clientWidth));
    if (Math.abs(width - drawn) < 8) return;
    drawn = width;
    box.replaceChildren(paint(width));
  };
  // The observer also fires once the box is laid out for the first time.
  new ResizeObserver(draw).observe(box);
  return box;
}

/** A note in italics in the middle of an empty plot area. */
export function emptyNote(chart, text) {
  const { svg, inner } = chart;
  svg.append(s("text", { class: "empty-note", x: (inner.left + inner.right) / 2, y: (inner.top + inner.bottom) / 2, "text-anchor": "middle" }, text));
}

/** A small legend: [{css, label}] as swatches in a row. */
export function legend(items) {
  return h(
    "div",
    { class: "plot-legend" },
    items.map((item) => h("span", { class: "legend-item" }, h("span", { class: `swatch ${item.css}`, "aria-hidden": "true" }), item.label)),
  );
}
