// The web UI of temporal-lineage: hash routes, the bearer token, one page at a time.
//
//   #/                                   tables (search)
//   #/table/<ref>?as_of=&known_at=&direction=&depth=&node=   lineage graph
//   #/provenance/<ref>?as_of=&known_at=&node=                provenance + reproduce
//   #/impact/<ref>?column=&change=&since=&as_of=&known_at=   impact and propagation
//   #/governance/<ref>?as_of=&known_at=&where=               tags, policies, erasure
//   #/health/<ref>?as_of=&known_at=&window=&triage=          freshness, cadence, runs, triage
//   #/run/<id>?known_at=                                     one run

import { storeToken, storedToken } from "./api.js";
import { h, queryString, replace } from "./dom.js";
import { GovernancePage } from "./page_governance.js";
import { HealthPage } from "./page_table.js";
import { ImpactPage } from "./page_impact.js";
import { LineagePage } from "./page_lineage.js";
import { ProvenancePage } from "./page_provenance.js";
import { RunPage } from "./page_run.js";
import { SearchPage } from "./page_search.js";

const PAGES = {
  "": SearchPage,
  tables: SearchPage,
  table: LineagePage,
  lineage: LineagePage,
  provenance: ProvenancePage,
  impact: ImpactPage,
  governance: GovernancePage,
  health: HealthPage,
  run: RunPage,
};

const main = document.getElementById("main");
const auth = document.getElementById("auth");
let current = null;

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const cut = raw.indexOf("?");
  const path = cut < 0 ? raw : raw.slice(0, cut);
  const query = cut < 0 ? "" : raw.slice(cut + 1);
  const [name, ...rest] = path.split("/");
  let arg = null;
  if (rest.length) {
    try {
      arg = decodeURIComponent(rest.join("/"));
    } catch {
      arg = rest.join("/");
    }
  }
  return { name, arg, params: Object.fromEntries(new URLSearchParams(query)) };
}

function hashOf(name, arg, params) {
  const query = queryString(params);
  const path = arg !== null ? `${name}/${encodeURIComponent(arg)}` : name;
  return `#/${path}${query ? `?${query}` : ""}`;
}

const ctx = {
  /** Put the page's state into the URL without a new history entry or a re-render. */
  replaceQuery(params) {
    const { name, arg } = parseHash();
    const hash = hashOf(name, arg, params);
    if (hash !== location.hash) history.replaceState(null, "", hash);
  },
  /** The API answered 401: ask for a token, then show the page again. */
  unauthorized(error) {
    showTokenForm(error.message);
  },
};

function route({ remount = false } = {}) {
  const { name, arg, params } = parseHash();
  const key = `${name}\u0000${arg}`;
  if (!remount && current && current.key === key && current.page.update) {
    current.page.update(params);
    return;
  }
  main.replaceChildren();
  const Page = PAGES[name];
  if (!Page || (name !== "" && name !== "tables" && !arg)) {
    main.append(h("section", { class: "page", "data-testid": "not-found" }, h("h1", {}, "Not found"), h("p", {}, h("a", { href: "#/" }, "All tables"))));
    current = null;
    return;
  }
  current = { key, page: new Page(main, arg, params, ctx) };
  document.title = arg ? `${arg} \u00b7 temporal-lineage` : "temporal-lineage";
}

function paintAuth() {
  if (storedToken()) {
    replace(
      auth,
      h("span", { class: "muted" }, "token set"),
      " ",
      h("button", { type: "button", class: "link", "data-testid": "token-forget", onclick: () => { storeToken(null); paintAuth(); route({ remount: true }); } }, "forget"),
    );
  } else {
    auth.replaceChildren();
  }
}

let tokenDialog = null;

function showTokenForm(detail) {
  if (tokenDialog) {
    tokenDialog.querySelector("[data-testid=token-detail]").textContent = detail;
    return;
  }
  const input = h("input", {
    type: "password",
    autocomplete: "off",
    required: true,
    placeholder: "the token of `temporal-lineage token create --scope read`",
    "aria-label": "API token",
    "data-testid": "token-input",
  });
  const hadToken = Boolean(storedToken());
  tokenDialog = h(
    "div",
    { class: "overlay" },
    h(
      "form",
      {
        class: "token-form",
        "data-testid": "token-form",
        onsubmit: (event) => {
          event.preventDefault();
          const token = input.value.trim();
          if (!token) return;
          storeToken(token);
          tokenDialog.remove();
          tokenDialog = null;
          paintAuth();
          route({ remount: true });
        },
      },
      h("h2", {}, "A token is needed"),
      h(
        "p",
        {},
        hadToken ? "The server refused the stored token. " : "This server answers only requests with a token. ",
        "Create one with ",
        h("code", {}, "temporal-lineage token create --scope read"),
        "; it is kept in this browser (localStorage).",
      ),
      h("p", { class: "muted small", "data-testid": "token-detail" }, detail),
      input,
      h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary", "data-testid": "token-submit" }, "Use this token")),
    ),
  );
  document.body.append(tokenDialog);
  input.focus();
}

window.addEventListener("hashchange", () => route());
paintAuth();
route();
