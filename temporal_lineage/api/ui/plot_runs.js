// The producing runs of a table over the window before A: one mark per run at its start,
// as high as it lasted; failed runs are red crosses, retries (attempt > 1) are ringed,
// runs still going are hollow; the colour is the job's.

import { s } from "./dom.js";
import { MARGIN, asOfMarker, durationText, emptyNote, durationTicks, frame, timeAxis, tip, valueAxis } from "./plots.js";

export const JOB_COLOURS = 6;
const FAILED = new Set(["FAIL", "ABORT"]);

/** Whether a run state is a failure. */
export function failed(state) {
  return FAILED.has(String(state || "").toUpperCase());
}

/** The colour class of each job (in first-seen order, cycling over the palette). */
export function jobClasses(runs, jobs) {
  const names = [...new Set([...jobs.map((j) => j.job), ...runs.map((r) => r.job)])];
  return new Map(names.map((name, i) => [name, `job-${i % JOB_COLOURS}`]));
}

/** Where a run is drawn: {at (ms) of its start, seconds it lasted (to A when unfinished), open}. */
export function runPoint(run, asOf) {
  const start = Date.parse(run.started_at);
  const end = Date.parse(run.ended_at);
  const at = Number.isFinite(start) ? start : end;
  if (!Number.isFinite(at)) return null;
  if (run.duration_seconds !== null && run.duration_seconds !== undefined) return { at, seconds: run.duration_seconds, open: false };
  if (Number.isFinite(end)) return { at, seconds: Math.max(0, (end - at) / 1000), open: false };
  return { at, seconds: Math.max(0, (asOf - at) / 1000), open: true };
}

function mark(px, py, { css, isFailed, retry, open }) {
  const group = s("g", { class: `run-mark ${css}${isFailed ? " failed" : ""}${open ? " open" : ""}` });
  if (isFailed) {
    const r = 5;
    group.append(s("path", { class: "cross", d: `M${px - r},${py - r}L${px + r},${py + r}M${px - r},${py + r}L${px + r},${py - r}` }));
  } else {
    group.append(s("circle", { class: "dot", cx: px, cy: py, r: 4.5 }));
  }
  if (retry) group.append(s("circle", { class: "retry-ring", cx: px, cy: py, r: 8.5 }));
  return group;
}

/** The SVG of the runs at `width` px: {runs, jobs, start, end, asOf, runHref}. */
export function runsPlot(width, { runs, jobs, start, end, asOf, runHref }) {
  const colours = jobClasses(runs, jobs);
  const placed = runs.map((run) => ({ run, point: runPoint(run, asOf) })).filter((r) => r.point && r.point.at >= start - 1 && r.point.at <= end + 1);
  const top = Math.max(0.001, ...placed.map((r) => r.point.seconds)) * 1.1;
  const { max, ticks } = durationTicks(top, 4);
  const failures = placed.filter((r) => failed(r.run.state)).length;
  const chart = frame({
    width,
    height: 220,
    margin: MARGIN,
    start,
    end,
    yMax: max,
    label: `Durations of ${placed.length} producing run(s) by start time, ${failures} failed`,
    testid: "runs-plot",
  });
  const { svg, x, y } = chart;
  svg.dataset.yMax = String(max);
  valueAxis(chart, ticks, (v) => durationText(v), "duration");
  timeAxis(chart, start, end);
  const marks = s("g", { class: "run-marks" });
  // Failed runs last, so a red cross is never hidden under a dot.
  placed.sort((a, b) => Number(failed(a.run.state)) - Number(failed(b.run.state)));
  for (const { run, point } of placed) {
    const isFailed = failed(run.state);
    const retry = (run.attempt || 1) > 1;
    const g = mark(x(point.at), y(point.seconds), { css: colours.get(run.job) || "job-0", isFailed, retry, open: point.open });
    g.setAttribute("data-testid", "run-mark");
    g.setAttribute("data-run", run.run);
    g.setAttribute("data-state", String(run.state || ""));
    g.setAttribute("data-attempt", String(run.attempt || 1));
    g.setAttribute("data-seconds", String(point.seconds));
    g.append(
      tip(
        `${run.job || "job unknown"} \u00b7 ${run.state || "state unknown"}${retry ? ` \u00b7 attempt ${run.attempt}` : ""}\n` +
          `started ${run.started_at || "\u2013"}\nended ${run.ended_at || "\u2013 (not ended by A)"}\n` +
          `lasted ${durationText(point.seconds)}${point.open ? " so far" : ""}\nrun ${run.run}`,
      ),
    );
    marks.append(s("a", { href: runHref(run.run) }, g));
  }
  svg.append(marks);
  if (!placed.length) emptyNote(chart, "no producing run in the window");
  asOfMarker(chart, asOf);
  return svg;
}
