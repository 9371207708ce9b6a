import type { SeededRandom } from "./seeded-random.js";

/** How a simulated worker's story ends. */
export type WorkerFate =
  | { kind: "succeed" }
  /** The worker reports `failed` when it would leave `atStatus`. */
  | { kind: "fail"; atStatus: string; reason: string }
  /** The worker's process dies during `atStatus`; the orchestrator later revives it. */
  | { kind: "crash"; atStatus: string };

/** One worker of a planned orchestration. */
export interface PlannedWorker {
  ticket: string;
  title: string;
  wave: number;
  fate: WorkerFate;
}

/** One wave of a planned orchestration (the local state's wave object, FORMATS §3.6). */
export interface PlannedWave {
  wave: number;
  tickets: string[];
  dependsOn: number[];
}

/** Everything about an orchestration that the seed decides up front. */
export interface PlannedOrchestration {
  id: string;
  projectKey: string;
  repository: string;
  baseBranch: string;
  /** `runs` → `runs/<id>/`; `wt` → the nested `wt/<projectKey>/<id>/` layout (FORMATS §1.1, §1.2). */
  layout: "runs" | "wt";
  /** The orchestrator directory, relative to the catalyst dir, with `/` separators. */
  relativeDir: string;
  workers: PlannedWorker[];
  waves: PlannedWave[];
  /** The PR number the first worker to open a PR gets; later ones count up. */
  firstPrNumber: number;
}

/** What a generation of orchestrations looks like. */
export interface GenerationShape {
  orchestrators: number;
  workersPerOrchestrator: number;
  /** The UTC day (`YYYY-MM-DD`) used in generated names, as `setup-orchestrator.sh` does. */
  day: string;
}

/** Plans orchestrations; remembers ids and ticket numbers so later generations never reuse them. */
export interface FleetPlanner {
  planGeneration(shape: GenerationShape): PlannedOrchestration[];
}

// Invented projects and tickets. The owner is not a real GitHub account the demo could reach:
// PR polling is off in demo mode anyway (no token), and nothing here touches the network.
const PROJECTS = [
  { key: "ctl", repository: "catalyst-demo/catalyst" },
  { key: "adv", repository: "catalyst-demo/advisor" },
  { key: "web", repository: "catalyst-demo/storefront" },
  { key: "ops", repository: "catalyst-demo/infra" },
] as const;

const ORCHESTRATION_SLUGS = [
  "api-redesign",
  "billing-export",
  "onboarding-flow",
  "search-revamp",
  "audit-trail",
  "rate-limits",
  "mobile-sync",
  "perf-sweep",
] as const;

const TICKET_TITLES = [
  "Rate-limit the token endpoint",
  "Audit log schema",
  "Self-service API keys",
  "Paginate the orders list",
  "Retry webhooks with backoff",
  "CSV export for invoices",
  "Dark mode for settings",
  "Cache product search results",
  "Move sessions to signed cookies",
  "Email digest of failed jobs",
  "Bulk archive projects",
  "Trace ids in request logs",
  "Drop the legacy v1 routes",
  "Typed config loader",
  "Health check for the queue",
  "Upload resumable attachments",
  "Per-team usage quotas",
  "SSO login with OIDC",
  "Index the events table by time",
  "Refund flow for partial orders",
  "Keyboard shortcuts in the editor",
  "Split the monolith's auth module",
  "Nightly database backup check",
  "Localise the checkout page",
] as const;

const FAILURE_REASONS = [
  "typecheck failed: 3 errors in src/routes/keys.ts",
  "unit tests failed: 2 of 41 failing in billing.test.ts",
  "could not rebase onto main: conflict in package.json",
] as const;

const FAIL_AT = ["implementing", "validating"] as const;
const CRASH_AT = ["researching", "planning", "implementing"] as const;

function waveCountFor(workers: number, index: number): number {
  if (workers <= 1) return 1;
  if (workers <= 3) return 2;
  return 2 + (index % 2);
}

function splitIntoWaves(tickets: readonly string[], waves: number): PlannedWave[] {
  const out: PlannedWave[] = [];
  const base = Math.floor(tickets.length / waves);
  let extra = tickets.length % waves;
  let at = 0;
  for (let wave = 1; wave <= waves; wave++) {
    const size = base + (extra > 0 ? 1 : 0);
    if (extra > 0) extra--;
    out.push({ wave, tickets: tickets.slice(at, at + size), dependsOn: wave > 1 ? [wave - 1] : [] });
    at += size;
  }
  return out;
}

/** Create a planner drawing every choice from `random`, so one seed gives one fleet story. */
export function createFleetPlanner(random: SeededRandom): FleetPlanner {
  const usedIds = new Set<string>();
  const nextTicket = new Map<string, number>();
  let generation = 0;

  function uniqueId(base: string): string {
    // setup-orchestrator.sh appends -N on a name collision (FORMATS §1.1).
    let id = base;
    for (let n = 2; usedIds.has(id); n++) id = `${base}-${n}`;
    usedIds.add(id);
    return id;
  }

  function ticketFor(projectKey: string): string {
    const number = nextTicket.get(projectKey) ?? random.int(100, 400);
    nextTicket.set(projectKey, number + 1);
    return `${projectKey.toUpperCase()}-${number}`;
  }

  return {
    planGeneration(shape) {
      generation++;
      const count = Math.max(1, Math.floor(shape.orchestrators));
      const perOrch = Math.max(1, Math.floor(shape.workersPerOrchestrator));
      const slugs = random.shuffle(ORCHESTRATION_SLUGS);
      const plans: PlannedOrchestration[] = [];
      for (let index = 0; index < count; index++) {
        const project = PROJECTS[(index + generation - 1) % PROJECTS.length]!;
        const slug = slugs[index % slugs.length]!;
        const id = uniqueId(`orch-${slug}-${shape.day}`);
        const titles = random.shuffle(TICKET_TITLES);
        const tickets = Array.from({ length: perOrch }, () => ticketFor(project.key));
        const waves = splitIntoWaves(tickets, waveCountFor(perOrch, index));
        const waveOf = new Map(waves.flatMap((w) => w.tickets.map((t) => [t, w.wave] as const)));
        const workers: PlannedWorker[] = tickets.map((ticket, i) => ({
          ticket,
          title: titles[i % titles.length]!,
          wave: waveOf.get(ticket) ?? 1,
          fate: { kind: "succeed" },
        }));
        // The first orchestrator always has a failing worker, and the second (or the only one)
        // a worker whose process dies: both in wave 1, so the demo shows them early.
        const firstWave = workers.filter((w) => w.wave === 1);
        const failing = index === 0 ? random.pick(firstWave) : undefined;
        if (failing) {
          failing.fate = {
            kind: "fail",
            atStatus: random.pick(FAIL_AT),
            reason: random.pick(FAILURE_REASONS),
          };
        }
        if (index === Math.min(1, count - 1)) {
          const candidates = workers.filter((w) => w.fate.kind === "succeed");
          const inWaveOne = candidates.filter((w) => w.wave === 1);
          const pool = inWaveOne.length > 0 ? inWaveOne : candidates;
          if (pool.length > 0) random.pick(pool).fate = { kind: "crash", atStatus: random.pick(CRASH_AT) };
        }
        // With two or more orchestrators, the last one lives in the nested worktree layout.
        const layout = count >= 2 && index === count - 1 ? "wt" : "runs";
        plans.push({
          id,
          projectKey: project.key,
          repository: project.repository,
          baseBranch: "main",
          layout,
          relativeDir: layout === "wt" ? `wt/${project.key}/${id}` : `runs/${id}`,
          workers,
          waves,
          firstPrNumber: random.int(100, 900),
        });
      }
      return plans;
    },
  };
}
