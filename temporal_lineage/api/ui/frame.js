// What every page about one table shares: title, tabs, the time control, errors, staleness.

import { Unauthorized, getJson, tablePath } from "./api.js";
import { h } from "./dom.js";
import { tableLinks } from "./panel.js";
import { iso, parseInstant } from "./time.js";
import { TimeControl } from "./timecontrol.js";

/** Times from the page query: {asOf, knownAt} in ms or null. */
export function timesOf(params) {
  return { asOf: parseInstant(params.as_of), knownAt: parseInstant(params.known_at) };
}

/** The base of a page: an error line and a request counter that drops stale answers. */
export class Page {
  constructor(root, ctx, testid) {
    this.ctx = ctx;
    this.sequence = 0;
    this.error = h("div", { class: "error-banner", role: "alert", "data-testid": "error", hidden: true });
    this.el = h("section", { class: `page ${testid}`, "data-testid": testid, "data-state": "loading" });
    root.append(this.el);
  }

  /** Start a request round; `isCurrent()` of the returned ticket says if it is still wanted. */
  begin() {
    const sequence = ++this.sequence;
    this.el.dataset.state = "loading";
    return { isCurrent: () => sequence === this.sequence };
  }

  done() {
    this.error.hidden = true;
    this.error.textContent = "";
    this.el.dataset.state = "ready";
  }

  fail(error) {
    if (error instanceof Unauthorized) {
      this.ctx.unauthorized(error);
      return;
    }
    this.error.textContent = error && error.message ? error.message : String(error);
    this.error.hidden = false;
    this.el.dataset.state = "error";
  }
}

const TABS = [
  ["lineage", "Lineage"],
  ["provenance", "Provenance"],
  ["impact", "Columns & impact"],
  ["governance", "Governance"],
  ["health", "Health"],
];

/** A page about one table at chosen times: title, tabs and the time control. */
export class TablePage extends Page {
  constructor(root, ref, params, ctx, tab) {
    super(root, ctx, `${tab}-page`);
    this.ref = ref;
    this.tab = tab;
    this.times = timesOf(params);
    this.refName = params.ref || "main";
    this.el.dataset.table = ref;
    this.time = new TimeControl({ onChange: (times) => this.setTimes(times) });
    this.time.setValue(this.times.asOf, this.times.knownAt);
    this.tabs = h("nav", { class: "tabs" });
    // Branches and tags (Iceberg refs): the answers are asked of the chosen one; main is
    // the table's head. Hidden while the table has no other ref.
    this.refPicker = h(
      "select",
      { "aria-label": "Branch or tag", "data-testid": "ref-select", hidden: true, onchange: () => this.setRef() },
      h("option", { value: "main", selected: true }, "main"),
    );
    this.head = h(
      "header",
      { class: "page-head" },
      h("div", { class: "crumbs" }, h("a", { href: "#/" }, "Tables"), " / "),
      h("h1", { class: "mono", "data-testid": "page-title" }, ref),
      this.refPicker,
      this.tabs,
    );
    this.el.append(this.head, this.time.el, this.error);
    this.paintTabs();
    this.loadCommits();
    this.loadRefs();
  }

  async loadRefs() {
    try {
      const refs = await getJson(tablePath(this.ref, "refs"), {});
      const names = [...new Set(refs.map((r) => `${r.name}\u0000${r.kind}`))].sort();
      if (!names.length && this.refName === "main") return;
      this.refPicker.replaceChildren(
        h("option", { value: "main", selected: this.refName === "main" }, "main (head)"),
        ...names.map((key) => {
          const [name, kind] = key.split("\u0000");
          return h("option", { value: name, selected: name === this.refName }, `${name} (${kind})`);
        }),
      );
      this.refPicker.hidden = false;
    } catch (error) {
      this.fail(error);
    }
  }

  setRef() {
    if (this.refPicker.value === this.refName) return;
    this.refName = this.refPicker.value;
    this.writeQuery();
    this.refresh();
  }

  paintTabs() {
    const links = tableLinks(this.ref, { ...this.times, refName: this.refName });
    this.tabs.replaceChildren(
      ...TABS.map(([name, label]) =>
        h("a", { href: links[name], class: name === this.tab ? "active" : "", "data-testid": `tab-${name}` }, label),
      ),
    );
  }

  /** The query of this page's URL besides the times. */
  extraQuery() {
    return {};
  }

  writeQuery() {
    const query = { ...this.extraQuery() };
    if (this.refName !== "main") query.ref = this.refName;
    if (this.times.asOf !== null) query.as_of = iso(this.times.asOf);
    if (this.times.knownAt !== null) query.known_at = iso(this.times.knownAt);
    this.ctx.replaceQuery(query);
    this.paintTabs();
  }

  /** The times as API parameters (no as_of: the server's now, whatever this clock says). */
  apiTimes() {
    return {
      as_of: this.times.asOf !== null ? iso(this.times.asOf) : null,
      known_at: this.times.knownAt !== null ? iso(this.times.knownAt) : null,
      ref: this.refName !== "main" ? this.refName : null,
    };
  }

  async loadCommits() {
    const known = this.times.knownAt;
    try {
      const snapshots = await getJson(tablePath(this.ref, "snapshots"), {
        known_at: known !== null ? iso(known) : null,
      });
      if (known !== this.times.knownAt) return;
      this.time.setCommits(snapshots.map((snap) => ({ at: Date.parse(snap.committed_at), snapshot: snap.snapshot })));
    } catch (error) {
      if (known === this.times.knownAt) this.fail(error);
    }
  }

  setTimes({ asOf, knownAt }) {
    if (asOf === this.times.asOf && knownAt === this.times.knownAt) return;
    const knownChanged = knownAt !== this.times.knownAt;
    this.times = { asOf, knownAt };
    this.writeQuery();
    if (knownChanged) this.loadCommits();
    this.refresh();
  }

  /** The URL changed (a link or the back button): take its query. */
  update(params) {
    const times = timesOf(params);
    this.refName = params.ref || "main";
    this.refPicker.value = this.refName;
    this.applyParams(params);
    this.time.setValue(times.asOf, times.knownAt);
    const knownChanged = times.knownAt !== this.times.knownAt;
    this.times = times;
    this.paintTabs();
    if (knownChanged) this.loadCommits();
    this.refresh();
  }

  /** Take the page-specific part of a new URL query. */
  applyParams() {}

  refresh() {}
}
