// Time travel's pure parts (issue 25): the `?at=` of the page URL and the times a user types.

/**
 * A typed time in ms: an ISO 8601 time (a missing zone is read as UTC, as the log's times are), a
 * date (UTC midnight), or `YYYY-MM-DD HH:MM`; null when it is not a time.
 */
export function parseAtInput(text: string): number | null {
  let value = text.trim();
  if (value === "") return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) value = `${value}T00:00:00Z`;
  value = value.replace(/^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(:\d{2}(\.\d+)?)?)$/, "$1T$2Z");
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

/** The time of the URL's `?at=`, or null (absent or not a time). */
export function atFromSearch(search: string): number | null {
  const at = new URLSearchParams(search).get("at");
  return at === null ? null : parseAtInput(at);
}

/** The search string with `at` set to the time (ISO) or removed (null); other parameters kept. */
export function withAt(search: string, atMs: number | null): string {
  const params = new URLSearchParams(search);
  if (atMs === null) params.delete("at");
  else params.set("at", new Date(atMs).toISOString());
  const text = params.toString().replaceAll("%2C", ",").replaceAll("%3A", ":");
  return text ? `?${text}` : "";
}

/** A viewed time as the bar says it: `2026-04-14 03:00:00 UTC`. */
export function formatViewed(atMs: number): string {
  return `${new Date(atMs).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}
