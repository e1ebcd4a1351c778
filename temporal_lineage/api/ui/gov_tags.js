// Governance pieces shared by the pages: tag badges, where a tag comes from, hop paths.

import { h, show } from "./dom.js";
import { runLink } from "./panel.js";

const HOW_LABEL = { direct: "direct", propagated: "propagated", may_contain: "may contain" };

/** "table.column", or the table alone when the column is null. */
export function placeOf(at) {
  if (!at) return "\u2013";
  return at.column ? `${at.table}.${at.column}` : at.table;
}

/** The edges a tag travelled (origin to here): job, kind, run of each. */
export function hopList(path, knownAt) {
  if (!path || !path.length) return null;
  return h(
    "ol",
    { class: "hops", "data-testid": "tag-path" },
    path.map((hop) =>
      h(
        "li",
        { "data-testid": "tag-hop", "data-from": hop.from, "data-to": hop.to },
        h("span", { class: "mono" }, hop.from),
        " \u2192 ",
        h("span", { class: "mono" }, hop.to),
        h("span", { class: "muted" }, ` \u00b7 ${show(hop.job)} \u00b7 ${show(hop.kind)} \u00b7 `),
        runLink(hop.run, knownAt),
      ),
    ),
  );
}

/** One carried tag: name and how badges, origin, source detail and path. */
export function carriedTag(tag, knownAt, testid = "tag") {
  return h(
    "div",
    { class: "tag-item", "data-testid": testid, "data-tag": tag.tag, "data-how": tag.how, "data-origin": placeOf(tag.origin) },
    h("span", { class: "badge tag-name" }, tag.tag),
    h("span", { class: `badge how-${tag.how}`, "data-testid": "tag-how", title: show(tag.detail) }, HOW_LABEL[tag.how] || tag.how),
    tag.how !== "direct" ? h("span", { class: "small" }, "from ", h("span", { class: "mono", "data-testid": "tag-origin" }, placeOf(tag.origin))) : null,
    h("span", { class: "muted small" }, `${show(tag.source)}: ${show(tag.detail)}`),
    h("div", { class: "tag-path-wrap" }, hopList(tag.path, knownAt)),
  );
}

/** A tag stopped on the way into a column, with the rule that stopped it. */
export function stoppedTag(stop, knownAt) {
  return h(
    "div",
    { class: "tag-item", "data-testid": "stopped-tag", "data-tag": stop.tag, "data-rule": stop.rule },
    h("span", { class: "badge stopped" }, stop.tag),
    h("span", { class: "small" }, "stopped by ", h("strong", { "data-testid": "stopped-rule" }, stop.rule), "\u00a0from ", h("span", { class: "mono" }, placeOf(stop.from))),
    h("span", { class: "muted small" }, `origin ${placeOf(stop.origin)} \u00b7 ${show(stop.job)}`),
    h("div", { class: "tag-path-wrap" }, hopList(stop.path, knownAt)),
  );
}
