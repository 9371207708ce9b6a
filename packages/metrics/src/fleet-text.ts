import { type FleetCounts, type OrchestratorCounts, TOKEN_KINDS } from "./fleet-counts.js";

/** The per-orchestrator families, written as text directly (see `createFleetText`). */
const FAMILIES = [
  ["catalyst_workers", "Workers by orchestrator, status and phase (an unknown status is counted as other)."],
  [
    "catalyst_needs_you",
    "Rows of the needs-you list by orchestrator and kind (attention, failed, dead, stalled, corrupt; budget for the fleet, with an empty orchestrator).",
  ],
  [
    "catalyst_pull_requests",
    "Workers' pull requests by orchestrator and CI state (pending, passing, failing, merged, unknown, other).",
  ],
  [
    "catalyst_cost_usd",
    "What the orchestrator's workers have cost so far, in US dollars (sum of the workers' costUSD).",
  ],
  [
    "catalyst_tokens",
    "Tokens the orchestrator's workers used, by kind (input, output, cache_read, cache_creation).",
  ],
] as const;

type Segments = { version: number; parts: string[] };

/** A label value in the text format: backslash, double quote and newline escaped. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function segmentsOf(o: OrchestratorCounts): string[] {
  const orch = `orchestrator="${escapeLabel(o.id)}"`;
  const where = `${orch},project="${escapeLabel(o.project)}",host="${escapeLabel(o.host)}"`;
  let workers = "";
  for (const [key, n] of o.workers) {
    const [status, phase] = key.split("\u0000") as [string, string];
    workers += `catalyst_workers{${orch},status="${escapeLabel(status)}",phase="${escapeLabel(phase)}"} ${n}\n`;
  }
  let needs = "";
  for (const [kind, n] of o.needsYou)
    needs += `catalyst_needs_you{${orch},kind="${escapeLabel(kind)}"} ${n}\n`;
  let prs = "";
  for (const [status, n] of o.prs)
    prs += `catalyst_pull_requests{${orch},status="${escapeLabel(status)}"} ${n}\n`;
  const cost = `catalyst_cost_usd{${where}} ${o.costUsd}\n`;
  let tokens = "";
  for (const kind of TOKEN_KINDS) tokens += `catalyst_tokens{${where},kind="${kind}"} ${o.tokens[kind]}\n`;
  return [workers, needs, prs, cost, tokens];
}

/**
 * The fleet's per-orchestrator families as Prometheus text. Each orchestrator's lines are kept and
 * rebuilt only when its counts moved (its `version`), so a scrape of a quiet fleet joins cached
 * strings, O(orchestrators), and one of a busy fleet rebuilds only the orchestrators that changed.
 * Written directly rather than through prom-client's labelled gauges, whose per-series label
 * hashing made a 10,000-worker scrape cost ~100 ms on a loaded box (BENCHMARKS.md, Metrics).
 */
export function createFleetText(fleet: FleetCounts): { render(): string } {
  const cache = new Map<string, Segments>();
  // Nothing moved since the last scrape: the same text, O(1).
  let whole: { version: number; text: string } | null = null;
  return {
    render() {
      if (whole !== null && whole.version === fleet.version()) return whole.text;
      const version = fleet.version();
      const out: string[][] = FAMILIES.map(([name, help]) => [
        `# HELP ${name} ${help}\n# TYPE ${name} gauge\n`,
      ]);
      const seen = new Set<string>();
      for (const o of fleet.orchestrators()) {
        seen.add(o.id);
        let entry = cache.get(o.id);
        if (entry === undefined || entry.version !== o.version) {
          entry = { version: o.version, parts: segmentsOf(o) };
          cache.set(o.id, entry);
        }
        for (let i = 0; i < FAMILIES.length; i++) if (entry.parts[i] !== "") out[i]!.push(entry.parts[i]!);
      }
      for (const [kind, n] of fleet.fleetNeedsYou())
        out[1]!.push(`catalyst_needs_you{orchestrator="",kind="${escapeLabel(kind)}"} ${n}\n`);
      if (cache.size > seen.size) for (const id of cache.keys()) if (!seen.has(id)) cache.delete(id);
      const text = out.map((lines) => lines.join("")).join("");
      whole = { version, text };
      return text;
    },
  };
}
