// The as-of slider (a table's first to last commit) and the as-of / known-at fields.

import { h } from "./dom.js";
import { iso, parseInstant } from "./time.js";

const LIVE_DELAY_MS = 150;
const MAX_TICKS = 400;

/**
 * `onChange({asOf, knownAt})` is called with instants in ms (null = now / everything known)
 * whenever the user picks another time.
 */
export class TimeControl {
  constructor({ onChange }) {
    this.onChange = onChange;
    this.commits = [];
    this.asOf = null;
    this.knownAt = null;
    this.timer = 0;

    this.slider = h("input", {
      type: "range",
      min: "0",
      max: "1",
      step: "1",
      value: "1",
      disabled: true,
      "aria-label": "As of (time slider)",
      "data-testid": "as-of-slider",
      oninput: () => this.slide(false),
      onchange: () => this.slide(true),
      // Arrow keys go from commit to commit (a step of the range itself is one millisecond).
      onkeydown: (event) => {
        const direction = { ArrowLeft: -1, ArrowDown: -1, ArrowRight: 1, ArrowUp: 1 }[event.key];
        if (!direction) return;
        event.preventDefault();
        this.step(direction);
      },
    });
    this.ticks = h("div", { class: "ticks", "aria-hidden": "true" });
    this.asOfInput = h("input", {
      type: "text",
      class: "instant",
      spellcheck: "false",
      placeholder: "now",
      "aria-label": "As of (UTC, ISO-8601)",
      "data-testid": "as-of-input",
      onchange: () => this.typed(),
    });
    this.knownAtInput = h("input", {
      type: "text",
      class: "instant",
      spellcheck: "false",
      placeholder: "now (everything recorded)",
      "aria-label": "Known at (UTC, ISO-8601)",
      "data-testid": "known-at-input",
      onchange: () => this.typed(),
    });
    this.message = h("span", { class: "field-error", role: "alert", "data-testid": "time-error" });
    this.range = h("span", { class: "muted range-label", "data-testid": "as-of-range" });
    const button = (text, title, testid, action) =>
      h("button", { type: "button", title, "data-testid": testid, onclick: action }, text);
    this.el = h(
      "div",
      { class: "time-control", "data-testid": "time-control" },
      h(
        "div",
        { class: "slider-row" },
        button("\u25c0", "Previous commit", "as-of-prev", () => this.step(-1)),
        h("div", { class: "slider-wrap" }, this.slider, this.ticks),
        button("\u25b6", "Next commit", "as-of-next", () => this.step(1)),
        button("Now", "The latest state", "as-of-now", () => this.pick(null, this.knownAt)),
      ),
      h(
        "div",
        { class: "time-fields" },
        h("label", {}, h("span", {}, "As of (UTC)"), this.asOfInput),
        h("label", {}, h("span", {}, "Known at (UTC)"), this.knownAtInput),
        button("Apply", "Apply the typed times", "time-apply", () => this.typed()),
        button("Clear known-at", "Everything recorded until now", "known-at-clear", () =>
          this.pick(this.asOf, null),
        ),
        this.message,
        this.range,
      ),
    );
  }

  /** The commits of the table ([{at: ms, snapshot}]), in time order. */
  setCommits(commits) {
    this.commits = commits.slice().sort((a, b) => a.at - b.at);
    const ticks = [];
    if (this.commits.length) {
      const first = this.commits[0].at;
      const last = Math.max(this.commits[this.commits.length - 1].at, first + 1);
      this.slider.min = String(first);
      this.slider.max = String(last);
      this.slider.disabled = false;
      const every = Math.max(1, Math.ceil(this.commits.length / MAX_TICKS));
      this.commits.forEach((commit, i) => {
        if (i % every) return;
        const left = ((commit.at - first) / (last - first)) * 100;
        ticks.push(h("span", { class: "tick", style: `left:${left.toFixed(3)}%`, title: `snapshot ${commit.snapshot} at ${iso(commit.at)}` }));
      });
      this.range.textContent = `${this.commits.length} commits, ${iso(first)} \u2192 ${iso(this.commits[this.commits.length - 1].at)}`;
    } else {
      this.slider.disabled = true;
      this.range.textContent = "no commit known";
    }
    this.ticks.replaceChildren(...ticks);
    this.show();
  }

  /** Show these times (ms or null) without reporting a change. */
  setValue(asOf, knownAt) {
    this.asOf = asOf;
    this.knownAt = knownAt;
    this.show();
  }

  show() {
    const max = Number(this.slider.max);
    this.slider.value = String(this.asOf === null ? max : Math.min(max, Math.max(Number(this.slider.min), this.asOf)));
    if (document.activeElement !== this.asOfInput) {
      this.asOfInput.value = this.asOf === null ? "" : iso(this.asOf);
    }
    if (document.activeElement !== this.knownAtInput) {
      this.knownAtInput.value = this.knownAt === null ? "" : iso(this.knownAt);
    }
  }

  slide(final) {
    this.asOf = Number(this.slider.value);
    this.asOfInput.value = iso(this.asOf);
    this.message.textContent = "";
    clearTimeout(this.timer);
    if (final) this.report();
    else this.timer = setTimeout(() => this.report(), LIVE_DELAY_MS);
  }

  step(direction) {
    const current = this.asOf === null ? Infinity : this.asOf;
    const times = this.commits.map((c) => c.at);
    const target =
      direction < 0
        ? times.filter((t) => t < current).pop()
        : times.find((t) => t > current);
    if (target !== undefined) this.pick(target, this.knownAt);
  }

  typed() {
    const asOfText = this.asOfInput.value.trim();
    const knownText = this.knownAtInput.value.trim();
    const asOf = asOfText ? parseInstant(asOfText) : null;
    const knownAt = knownText ? parseInstant(knownText) : null;
    if ((asOfText && asOf === null) || (knownText && knownAt === null)) {
      this.message.textContent = "not an ISO-8601 time (e.g. 2026-03-03T10:00:00Z)";
      return;
    }
    this.pick(asOf, knownAt);
  }

  pick(asOf, knownAt) {
    this.message.textContent = "";
    clearTimeout(this.timer);
    this.asOfInput.blur();
    this.knownAtInput.blur();
    this.asOf = asOf;
    this.knownAt = knownAt;
    this.show();
    this.report();
  }

  report() {
    this.onChange({ asOf: this.asOf, knownAt: this.knownAt });
  }
}
