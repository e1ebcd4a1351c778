// Instants: the API speaks ISO-8601 UTC with "Z"; a naive time typed by the user is UTC,
// a bare date is 00:00 UTC of that day (as on the command line).

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const NAIVE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
const ZONED = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** Milliseconds since the epoch of an ISO-8601 text, or null when it is not one. */
export function parseInstant(text) {
  if (text === null || text === undefined) return null;
  let value = String(text).trim();
  if (!value) return null;
  if (DATE.test(value)) value = `${value}T00:00:00Z`;
  else if (NAIVE.test(value)) value = `${value.replace(" ", "T")}Z`;
  else if (ZONED.test(value)) value = value.replace(" ", "T");
  else return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

/** The ISO-8601 text (milliseconds, UTC, "Z") of an instant in milliseconds. */
export function iso(ms) {
  return new Date(ms).toISOString();
}

/** A stored ISO time for display: "2026-11-24 03:13:24.706Z" (null as an en dash). */
export function display(text) {
  if (!text) return "\u2013";
  return String(text).replace("T", " ");
}
