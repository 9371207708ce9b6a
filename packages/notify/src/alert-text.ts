import type { Severity } from "./types.js";

// Titles and one-line messages per kind. A kind we do not know (a needs-you reason added after
// this was written) still alerts, as a warning, with its name in the text.

const SEVERITY: Record<string, Severity> = {
  attention: "critical",
  "needs-input": "critical",
  "needs-human": "critical",
  failed: "critical",
  dead: "critical",
  blocked: "warning",
  stalled: "warning",
  corrupt: "warning",
  "ci-failing": "warning",
  "host-stale": "warning",
  "pr-merged": "info",
  "wave-completed": "info",
  "orchestrator-finished": "info",
  test: "info",
};

/** How loud an alert of this kind is. */
export function severityOf(kind: string): Severity {
  return SEVERITY[kind] ?? "warning";
}

/** What happened to one subject, e.g. `failed`, `needs you`. */
const SINGLE: Record<string, string> = {
  attention: "needs you",
  "needs-input": "needs input",
  "needs-human": "needs a human",
  failed: "failed",
  dead: "died (its process is gone)",
  blocked: "is blocked",
  stalled: "stalled",
  corrupt: "has an unreadable file",
  "ci-failing": "has failing CI",
  "host-stale": "went silent",
};

/** The same for several workers, e.g. `12 workers of orch-a failed`. */
const PLURAL: Record<string, string> = {
  attention: "need you",
  "needs-input": "need input",
  "needs-human": "need a human",
  failed: "failed",
  dead: "died",
  blocked: "are blocked",
  stalled: "stalled",
  corrupt: "have unreadable files",
  "ci-failing": "have failing CI",
};

/** The title of an incident about one subject (a worker, an orchestrator or a host). */
export function singleTitle(kind: string, subject: string): string {
  return `${subject} ${SINGLE[kind] ?? `needs you (${kind})`}`;
}

/** The title of an incident that counts several workers of one orchestrator. */
export function groupTitle(kind: string, count: number, orchestrator: string): string {
  return `${count} workers of ${orchestrator} ${PLURAL[kind] ?? `need you (${kind})`}`;
}

const MAX_MESSAGE = 300;

/** One line: newlines and runs of spaces collapsed, at most 300 characters. */
export function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= MAX_MESSAGE ? flat : `${flat.slice(0, MAX_MESSAGE - 1)}…`;
}

/** `a, b, c and 47 more`. */
export function listSome(names: readonly string[], shown = 5): string {
  if (names.length <= shown) return names.join(", ");
  return `${names.slice(0, shown).join(", ")} and ${names.length - shown} more`;
}

/** The dashboard deep link for an orchestrator and worker, or null without a dashboard URL. */
export function deepLink(
  base: string | null,
  orchestrator: string | null,
  worker: string | null,
): string | null {
  if (base === null) return null;
  const params = new URLSearchParams();
  if (orchestrator !== null) params.set("orch", orchestrator);
  if (worker !== null) params.set("worker", worker);
  const query = params.toString();
  const cut = base.indexOf("?");
  const bare = cut === -1 ? base : base.slice(0, cut);
  return query === "" ? bare : `${bare}?${query}`;
}
