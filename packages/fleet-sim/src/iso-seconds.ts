/**
 * Format a time the way the shell writers do (`date -u +%Y-%m-%dT%H:%M:%SZ`): UTC, whole seconds,
 * literal `Z` (FORMATS §0). `gc` compares these as strings, so milliseconds would break it.
 */
export function formatIsoSeconds(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

/** The UTC month of a time as `YYYY-MM`, the name of its event-log file (FORMATS §1.3). */
export function formatUtcMonth(at: Date): string {
  return at.toISOString().slice(0, 7);
}

/** The UTC day of a time as `YYYY-MM-DD`, used in generated orchestrator names. */
export function formatUtcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}
