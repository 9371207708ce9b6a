import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Snapshot } from "@catalyst/schema";
import { afterEach, describe, expect, it } from "vitest";
import { buildParts } from "./build-parts.js";
import { createMonitor } from "./monitor.js";

// Issue 26: the start-up history folded with the first read (each orchestrator published once)
// must give the fleet that folding it after the scan gives, on a log with the lines that resolve
// through the published views: a line naming only a ticket, a `github.*` line with no worker
// (two kinds, one in the same batch as the line that gave the PR), an execution-core line whose
// orchestrator is its ticket, a tombstone, a node heartbeat, a line naming nothing, waves, an
// attention item, orchestrators only the log knows (one archived), over more than one batch.

const ORCHESTRATORS = 12;
const WORKERS = 3;
const month = new Date().toISOString().slice(0, 7);
const ago = (minutes: number) =>
  new Date(Date.now() - minutes * 60_000).toISOString().replace(/\.\d+Z$/, "Z");
const orch = (o: number) => `orch-e-${String(o).padStart(2, "0")}`;
const ticket = (o: number, w: number) => `E${o}-${w}`;
const STEPS = ["dispatched", "researching", "planning", "implementing", "validating", "shipping"];

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

function historyLines(): unknown[] {
  const lines: unknown[] = [];
  for (let round = 0; round < 8; round++)
    for (let o = 0; o < ORCHESTRATORS; o++)
      for (let w = 0; w < WORKERS; w++) {
        if (o === 2 && w === 2) continue; // E2-2: only its signal file names it
        lines.push({
          ts: ago(200 - round * 10),
          orchestrator: orch(o),
          worker: ticket(o, w),
          event: "worker-status-change",
          detail: { from: STEPS[round % STEPS.length], to: STEPS[(round + 1) % STEPS.length] },
        });
      }
  const at = (index: number, ...extra: unknown[]) => lines.splice(index, 0, ...extra);
  const suite = (conclusion: string, minutesAgo: number) => ({
    ts: ago(minutesAgo),
    attributes: {
      "event.name": "github.check_suite.completed",
      "catalyst.orchestrator.id": orch(5),
      "vcs.pr.number": 505,
      "cicd.pipeline.run.conclusion": conclusion,
    },
    body: { payload: { conclusion, status: "completed", prNumbers: [505] } },
  });
  // The history is folded in time order, 250 lines a batch: the check suite (150 min ago) is
  // in the batch of the PR's creation (151 min ago), where the published view has no PR yet.
  at(240, { ts: ago(70), orchestrator: "orch-archived", worker: null, event: "archive", detail: {} });
  at(236, { ts: ago(71), orchestrator: "orch-archived", worker: "A-1", event: "worker-dispatched" });
  at(230, {
    ts: ago(72),
    orchestrator: "orch-log-only",
    worker: null,
    event: "wave-started",
    detail: { wave: 1, tickets: ["L-1", "L-2"] },
  });
  at(231, { ts: ago(72), orchestrator: "orch-log-only", worker: "L-1", event: "worker-dispatched" });
  at(190, {
    ts: ago(80),
    orchestrator: orch(4),
    worker: ticket(4, 1),
    event: "attention-raised",
    detail: { attentionType: "needs-review", reason: "look at it" },
  });
  at(180, { ts: ago(81), event: "session-started", detail: {} });
  at(170, {
    ts: ago(82),
    attributes: { "event.name": "node.heartbeat", "catalyst.node.in_flight_count": 2 },
    resource: { "service.name": "catalyst.execution-core", "host.name": "mini" },
    body: { payload: { "host.name": "mini.lab.example.com" } },
  });
  at(160, {
    ts: ago(83),
    severityText: "ERROR",
    severityNumber: 17,
    attributes: {
      "event.name": "catalyst.event.oversized",
      "event.entity": "event",
      "event.action": "dropped",
      "catalyst.event.oversized.name": `phase.plan.complete.${ticket(6, 0)}`,
      "catalyst.event.oversized.bytes": 300512,
      "catalyst.event.oversized.cap": 262144,
    },
    resource: { "service.name": "catalyst.event-append", "host.name": "mini" },
  });
  at(150, {
    ts: ago(84),
    orchestrator: "X-9",
    worker: "X-9",
    event: "worker-status-change",
    detail: { to: "planning" },
  });
  at(140, { ts: ago(30), worker: ticket(2, 2), event: "worker-done" });
  at(130, { ts: ago(31), worker: ticket(1, 0), event: "worker-stalled" });
  at(120, { ts: ago(87), orchestrator: orch(0), event: "github.pr.merged", detail: { pr: 101 } });
  at(21, suite("failure", 150));
  at(20, {
    ts: ago(151),
    orchestrator: orch(5),
    worker: ticket(5, 0),
    event: "worker-pr-created",
    detail: { pr: 505, url: "https://github.com/acme/api/pull/505" },
  });
  at(10, {
    ts: ago(160),
    orchestrator: orch(3),
    worker: null,
    event: "wave-started",
    detail: { wave: 1, tickets: [ticket(3, 0), ticket(3, 1), ticket(1, 0)] },
  });
  return lines;
}

async function writeFleet(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "monitor-early-"));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  for (let o = 0; o < ORCHESTRATORS; o++) {
    const workers = join(dir, "runs", orch(o), "workers");
    await mkdir(workers, { recursive: true });
    for (let w = 0; w < WORKERS; w++) {
      const signal = {
        ticket: ticket(o, w),
        orchestrator: orch(o),
        status: "implementing",
        phase: 3,
        startedAt: ago(240),
        updatedAt: ago(60),
        pr: o === 0 && w === 1 ? { number: 101, url: "https://github.com/acme/api/pull/101" } : null,
      };
      await writeFile(join(workers, `${ticket(o, w)}.json`), `${JSON.stringify(signal, null, 2)}\n`);
    }
  }
  await mkdir(join(dir, "events"), { recursive: true });
  const text = historyLines()
    .map((line) => JSON.stringify(line))
    .join("\n");
  await writeFile(join(dir, "events", `${month}.jsonl`), `${text}\n`);
  return dir;
}

/** The fleet once the history is in, and how many times each worker was published. */
async function load(dir: string, foldEarly: boolean) {
  const parts = buildParts({ catalystDir: dir, githubToken: null });
  const monitor = createMonitor(parts, {
    history: {
      since: new Date(Date.now() - 86_400_000),
      read: (since) => parts.readEvents(dir, { since }),
      foldEarly,
    },
  });
  cleanup.push(() => monitor.stop());
  const published = new Map<string, number>();
  parts.fuse.subscribe((deltas) => {
    for (const d of deltas)
      if (d.event === "worker-update") {
        const key = `${d.data.orchestrator}/${d.data.worker}`;
        published.set(key, (published.get(key) ?? 0) + 1);
      }
  });
  await monitor.start();
  const history = await monitor.historyLoaded();
  const { generatedAt: _, ...snapshot } = parts.fuse.snapshot() as Snapshot;
  return { history, snapshot, published };
}

describe("the start-up history folded with the first read", () => {
  it("gives the fleet folding it after the scan gives, with lines that resolve through the views", async () => {
    const dir = await writeFleet();
    const late = await load(dir, false);
    const early = await load(dir, true);
    expect(early.history).toEqual(late.history);
    expect(early.history.records).toBeGreaterThan(250); // more than one batch
    // The lines did what they say (so the comparison covers them).
    const worker = (o: string, t: string) => early.snapshot.orchestrators.find((x) => x.id === o)?.workers[t];
    expect(worker(orch(0), ticket(0, 1))?.pr?.state).toBe("merged");
    expect(worker(orch(2), ticket(2, 2))?.status).toBe("done");
    expect(worker(orch(6), ticket(6, 0))?.dataLoss).toBeDefined();
    expect(worker("orch-log-only", "L-2")).toBeDefined();
    expect(early.snapshot.orchestrators.some((x) => x.id === "orch-archived")).toBe(false);
    expect(early.snapshot).toEqual(late.snapshot);
  });

  it("publishes an orchestrator whose lines need no view once, not once for the scan and again for its lines", async () => {
    const dir = await writeFleet();
    const early = await load(dir, true);
    const late = await load(dir, false);
    const count = (run: typeof early, o: number) =>
      Array.from({ length: WORKERS }, (_, w) => run.published.get(`${orch(o)}/${ticket(o, w)}`) ?? 0);
    // orch-e-07 … 11: only lines of their own workers.
    for (let o = 7; o < ORCHESTRATORS; o++) {
      expect(count(early, o), orch(o)).toEqual([1, 1, 1]);
      expect(count(late, o), orch(o)).toEqual([2, 2, 2]);
    }
    // A github line with no worker reads orch-e-00's published workers: its lines come after.
    expect(count(early, 0)).toEqual(count(late, 0));
    const total = (run: typeof early) => [...run.published.values()].reduce((a, b) => a + b, 0);
    expect(total(early)).toBeLessThan(total(late));
  });
});
