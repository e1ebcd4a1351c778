// The HTTP API: JSON requests with the stored bearer token, errors as exceptions.

const TOKEN_KEY = "temporal-lineage.token";
const BASE = new URL("../api/v1/", document.baseURI);

/** The API refused the request for lack of a valid token (HTTP 401). */
export class Unauthorized extends Error {}

/** Any other failed request: `status` and the one-line `detail` of the answer. */
export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

export function storedToken() {
  return localStorage.getItem(TOKEN_KEY);
}

export function storeToken(token) {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

// Snapshot ids are 64-bit integers: JSON.parse would round those above 2^53, so such
// integer literals (outside strings) become strings before parsing.
const BIG_INTEGER = /"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/g;

/** JSON.parse that keeps integers beyond Number.MAX_SAFE_INTEGER exact (as strings). */
export function parseJson(text) {
  const safe = text.replace(BIG_INTEGER, (token) =>
    token[0] === '"' || Number.isSafeInteger(Number(token)) ? token : `"${token}"`,
  );
  return JSON.parse(safe);
}

/** "/tables/<ref>/<tail>" with the table reference encoded as one path segment. */
export function tablePath(ref, tail) {
  return `tables/${encodeURIComponent(ref)}${tail ? `/${tail}` : ""}`;
}

function url(path, params) {
  const target = new URL(path, BASE);
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== "") {
      target.searchParams.set(key, String(value));
    }
  }
  return target;
}

async function request(path, params, body) {
  const headers = { Accept: "application/json" };
  const token = storedToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { headers };
  if (body !== undefined) {
    init.method = "POST";
    init.body = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  const response = await fetch(url(path, params), init);
  if (response.ok) return response;
  let detail = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body && typeof body.detail === "string") detail = body.detail;
    else if (body && body.detail) detail = JSON.stringify(body.detail);
  } catch {
    // not a JSON error body: keep the status line
  }
  if (response.status === 401) throw new Unauthorized(detail);
  throw new ApiError(response.status, detail);
}

/** GET a JSON answer (64-bit integers kept exact). */
export async function getJson(path, params) {
  const response = await request(path, params);
  return parseJson(await response.text());
}

/** POST a JSON body to a read endpoint and parse its JSON answer (64-bit integers kept exact). */
export async function postJson(path, body) {
  const response = await request(path, null, body);
  return parseJson(await response.text());
}

/** GET a document to save: its exact text and the file name the server suggests. */
export async function getDownload(path, params, fallbackName) {
  const response = await request(path, params);
  const text = await response.text();
  const disposition = response.headers.get("Content-Disposition") || "";
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  const name = match ? decodeURIComponent(match[1]) : fallbackName;
  return { text, name, type: response.headers.get("Content-Type") || "application/json" };
}
