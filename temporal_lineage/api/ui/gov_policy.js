// The policy check as of a time: each policy ok or violated, each violation with its path.

import { getJson } from "./api.js";
import { h, show } from "./dom.js";
import { hopList } from "./gov_tags.js";
import { tableLinks } from "./panel.js";

/** Load and paint `GET /policy` into `box` for the times ({asOf, knownAt} and API params). */
export async function loadPolicies(box, apiTimes, times) {
  const answer = await getJson("policy", { as_of: apiTimes.as_of, known_at: apiTimes.known_at });
  paintPolicies(box, answer, times);
  return answer;
}

function violation(v, times) {
  const links = tableLinks(v.table, times);
  return h(
    "li",
    { "data-testid": "policy-violation", "data-table": v.table, "data-column": show(v.column) },
    h("a", { href: links.governance, class: "mono", "data-testid": "violation-link" }, v.column ? `${v.table}.${v.column}` : v.table),
    " \u2013 ",
    h("span", { "data-testid": "violation-detail" }, v.detail),
    hopList(v.path, times.knownAt),
  );
}

export function paintPolicies(box, answer, times) {
  box.dataset.ok = String(answer.ok);
  box.replaceChildren(
    h("h2", {}, "Policies ", h("span", { class: `badge ok-${answer.ok}`, "data-testid": "policy-verdict" }, answer.ok ? "all hold" : "violated")),
    answer.policies.length
      ? h(
          "ul",
          { class: "policies" },
          answer.policies.map((p) =>
            h(
              "li",
              { class: "policy", "data-testid": "policy-row", "data-policy": p.policy, "data-ok": String(p.ok) },
              h("span", { class: `badge ok-${p.ok}`, "data-testid": "policy-status" }, p.ok ? "ok" : "violated"),
              " ",
              h("strong", { class: "mono" }, p.policy),
              h("span", { class: "muted small" }, ` ${p.kind} \u00b7 tag ${p.tag}`),
              p.violations.length ? h("ul", { class: "violations" }, p.violations.map((v) => violation(v, times))) : null,
            ),
          ),
        )
      : h("p", { class: "muted" }, "No policy in lineage.yaml."),
  );
}
