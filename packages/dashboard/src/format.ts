// Pure text formatting for the dashboard (no DOM), so it can be unit-tested in Node.

/** Milliseconds since epoch of an ISO timestamp, or null when missing or unparseable. */
export function parseTime(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}

/** A live age like the reference UI: "12s", "3m 04s", "2h 05m", "3d 4h" (FORMATS §5.13). */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Age of `iso` at `now`, or "—" when the timestamp is missing. */
export function formatAgeSince(iso: string | null | undefined, now: number): string {
  const at = parseTime(iso);
  return at === null ? "—" : formatAge(now - at);
}

/** Dollars with cents ("$0.42", "$12.30"), "$0" for zero. */
export function formatUsd(usd: number): string {
  if (!Number.isFinite(usd) || usd === 0) return "$0";
  return usd < 0.01 ? "<$0.01" : `$${usd.toFixed(2)}`;
}

/** Token counts as "950", "12.3k", "4.1M". */
export function formatTokens(n: number): string {
  if (!Number.isFinite(n) || n <= 0) return "0";
  if (n < 1000) return String(Math.round(n));
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** Local wall-clock time "HH:MM:SS" of an ISO timestamp (or of a ms value); "—" if unknown. */
export function formatClock(at: string | number | null | undefined): string {
  const ms = typeof at === "number" ? at : parseTime(at);
  if (ms === null) return "—";
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

/** Natural order for tickets: CTL-9 before CTL-10. */
export function compareNatural(a: string, b: string): number {
  return collator.compare(a, b);
}

/** The project key of a ticket id ("CTL" for "CTL-48"), or null when it has no `KEY-n` shape. */
export function ticketProject(ticket: string): string | null {
  const match = /^([A-Za-z][A-Za-z0-9]*)-\d+/.exec(ticket);
  return match ? match[1]!.toUpperCase() : null;
}
