// Freshness against the SLA: the lag of a table over the window before A as a saw-tooth
// (it grows with time and drops at each commit), the SLA as a horizontal line and the
// stretches above it filled as breaches.

import { s } from "./dom.js";
import { MARGIN, asOfMarker, durationText, emptyNote, durationTicks, frame, timeAxis, tip, valueAxis } from "./plots.js";

const MAX_DOTS = 240;
/** An SLA this many times above the highest lag is not scaled in (it would flatten the lag). */
const OFF_SCALE = 4;

/** The lag points [{at (ms), lag (s)}] in time order; null lags split the line. */
export function lagPoints(series) {
  return series
    .map((p, index) => ({ at: Date.parse(p.at), lag: p.lag_seconds, index }))
    .filter((p) => Number.isFinite(p.at))
    .sort((a, b) => a.at - b.at || a.index - b.index);
}

/**
 * The stretches of the curve at or above `sla`: polygons [[{at, lag}...]] along the curve
 * (with the crossings put in) and the seconds they last in total.
 */
export function breaches(points, sla) {
  const groups = [];
  let group = null;
  const close = () => {
    if (group && group.length > 1) groups.push(group);
    group = null;
  };
  for (let i = 0; i < points.length; i += 1) {
    const p = points[i];
    const prev = i > 0 ? points[i - 1] : null;
    if (p.lag === null || p.lag === undefined) { close(); continue; }
    if (prev && prev.lag !== null && prev.lag !== undefined && (prev.lag - sla) * (p.lag - sla) < 0) {
      const share = (sla - prev.lag) / (p.lag - prev.lag);
      const crossing = { at: prev.at + share * (p.at - prev.at), lag: sla };
      if (group) { group.push(crossing); close(); } else group = [crossing];
    }
    if (p.lag >= sla) {
      if (!group) group = [];
      group.push(p);
    } else close();
  }
  close();
  const seconds = groups.reduce((sum, g) => sum + (g[g.length - 1].at - g[0].at) / 1000, 0);
  return { groups, seconds };
}

/** The SVG of the freshness at `width` px: {series, sla (s or null), start, end, asOf, late}. */
export function freshnessPlot(width, { series, sla, start, end, asOf, late }) {
  const points = lagPoints(series).filter((p) => p.at >= start - 1 && p.at <= end + 1);
  const lags = points.map((p) => p.lag).filter((v) => v !== null && v !== undefined);
  const highest = Math.max(0, ...lags);
  const slaShown = sla && (highest === 0 ? sla : sla <= OFF_SCALE * highest) ? sla : null;
  const top = Math.max(highest > 0 ? 0 : 1, highest, slaShown || 0) * 1.12;
  const { max, ticks } = durationTicks(top, 5);
  const current = points.length ? points[points.length - 1].lag : null;
  const chart = frame({
    width,
    height: 240,
    margin: MARGIN,
    start,
    end,
    yMax: max,
    label: `Lag of the table before A${sla ? ` against an SLA of ${durationText(sla)}` : ""}; lag at A ${durationText(current)}${late ? " (late)" : ""}`,
    testid: "freshness-plot",
  });
  const { svg, x, y, inner } = chart;
  svg.dataset.yMax = String(max);
  valueAxis(chart, ticks, (v) => durationText(v), "lag");
  timeAxis(chart, start, end);
  if (slaShown) {
    const { groups, seconds } = breaches(points, sla);
    svg.dataset.breachSeconds = String(Math.round(seconds));
    const areas = s("g", { class: "breaches" });
    for (const g of groups) {
      const along = g.map((p) => `${x(p.at).toFixed(1)},${y(p.lag).toFixed(1)}`);
      const back = [`${x(g[g.length - 1].at).toFixed(1)},${y(sla).toFixed(1)}`, `${x(g[0].at).toFixed(1)},${y(sla).toFixed(1)}`];
      const lasted = (g[g.length - 1].at - g[0].at) / 1000;
      areas.append(
        s(
          "polygon",
          { class: "breach", points: [...along, ...back].join(" "), "data-testid": "breach-area", "data-from": new Date(g[0].at).toISOString(), "data-to": new Date(g[g.length - 1].at).toISOString() },
          tip(`SLA breached for ${durationText(lasted)}: ${new Date(g[0].at).toISOString()} to ${new Date(g[g.length - 1].at).toISOString()}`),
        ),
      );
    }
    svg.append(areas);
  }
  const line = s("g", { class: "lag-line" });
  let run = [];
  const flush = () => {
    if (run.length > 1) line.append(s("polyline", { points: run.join(" "), "data-testid": "lag-line" }));
    run = [];
  };
  for (const p of points) {
    if (p.lag === null || p.lag === undefined) { flush(); continue; }
    run.push(`${x(p.at).toFixed(1)},${y(p.lag).toFixed(1)}`);
  }
  flush();
  svg.append(line);
  if (points.length <= MAX_DOTS) {
    const dots = s("g", { class: "lag-dots" });
    for (const p of points) {
      if (p.lag === null || p.lag === undefined) continue;
      dots.append(s("circle", { cx: x(p.at), cy: y(p.lag), r: 2.6, "data-testid": "lag-point", "data-lag": String(p.lag) }, tip(`${new Date(p.at).toISOString()}\nlag ${durationText(p.lag)}`)));
    }
    svg.append(dots);
  }
  if (sla && !slaShown) {
    svg.append(
      s(
        "g",
        { class: "sla off-scale", "data-testid": "sla-off-scale", "data-sla-seconds": String(sla) },
        tip(`SLA: at most ${durationText(sla)} since the last commit, far above every lag of the window (not to scale)`),
        s("text", { class: "sla-label", x: inner.right + 6, y: inner.top + 4 }, `SLA ${durationText(sla)}`),
        s("text", { class: "sla-label", x: inner.right + 6, y: inner.top + 18 }, "\u2191 above"),
      ),
    );
  }
  if (slaShown) {
    const py = y(sla);
    svg.append(
      s(
        "g",
        { class: "sla" },
        tip(`SLA: at most ${durationText(sla)} since the last commit`),
        s("line", { class: "sla-line", x1: inner.left, x2: inner.right, y1: py, y2: py, "data-testid": "sla-line", "data-sla-seconds": String(sla) }),
        s("text", { class: "sla-label", x: inner.right + 6, y: py + 4 }, `SLA ${durationText(sla)}`),
      ),
    );
  }
  if (current !== null && current !== undefined) {
    const last = points[points.length - 1];
    const near = slaShown && Math.abs(y(last.lag) - y(sla)) < 14 ? 14 : 0;
    const floor = sla && !slaShown ? inner.top + 34 : inner.top + 10;
    const py = Math.max(floor, Math.min(inner.bottom, y(last.lag) + 4) - near);
    svg.append(s("text", { class: `now-label${late ? " late" : ""}`, x: inner.right + 6, y: py }, durationText(current)));
  }
  if (!lags.length) emptyNote(chart, "no lag known in the window (no commit by A)");
  asOfMarker(chart, asOf);
  return svg;
}
