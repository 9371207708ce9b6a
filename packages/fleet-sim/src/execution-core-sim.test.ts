// The execution-core layout the demo writes (FORMATS-TODAY §3): phase files that advance, tmp +
// rename, a job dir per running phase in the fleet's own jobs dir, and stuck tickets.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parsePhaseSignalText } from "@catalyst/schema";
import { afterEach, describe, expect, it } from "vitest";
import { createDemoFleet, createExecutionCoreSim, createSeededRandom, type DemoFleet } from "./index.js";
import { pollUntil } from "./poll-until.test-helper.js";

const scratch: string[] = [];
const fleets: DemoFleet[] = [];
afterEach(async () => {
  await Promise.all(fleets.splice(0).map((f) => f.stop()));
  await Promise.all(scratch.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function statuses(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const workers = join(dir, "execution-core", "workers");
  for (const ticket of readdirSync(workers)) {
    for (const name of readdirSync(join(workers, ticket))) {
      expect(name).toMatch(/^phase-[a-z-]+\.json$/); // no temp file is left behind
      const parsed = parsePhaseSignalText(readFileSync(join(workers, ticket, name), "utf8"));
      expect(parsed.ok).toBe(true);
      if (parsed.ok) out.set(`${ticket}/${parsed.value.phase}`, parsed.value.status ?? "");
    }
  }
  return out;
}

describe("execution-core simulation", () => {
  it("advances phase files through the pipeline, writes job state for running phases, and parks some tickets", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ec-sim-"));
    const jobsDir = await mkdtemp(join(tmpdir(), "ec-jobs-"));
    scratch.push(dir, jobsDir);
    const sim = createExecutionCoreSim({
      catalystDir: dir,
      jobsDir,
      tickets: 6,
      random: createSeededRandom(1),
      now: () => new Date(),
    });
    await sim.start();
    const first = statuses(dir);
    expect([...first.values()].filter((s) => s === "dispatched")).toHaveLength(6);
    for (let i = 0; i < 10; i++) await sim.tick();
    const later = [...statuses(dir).values()];
    expect(later).toEqual(expect.arrayContaining(["done", "needs-input", "failed", "awaiting-work"]));
    const jobs = readdirSync(jobsDir);
    expect(jobs.length).toBeGreaterThan(0);
    const states = jobs.map(
      (id) => JSON.parse(readFileSync(join(jobsDir, id, "state.json"), "utf8")).state as string,
    );
    expect(states).toEqual(expect.arrayContaining(["working", "blocked", "done"]));
  });

  it("the demo fleet writes execution-core into its dir and jobs into its own jobs dir, and removes both", async () => {
    const fleet = createDemoFleet({
      tickMs: 20,
      orchestrators: 1,
      workersPerOrchestrator: 1,
      executionCoreTickets: 3,
    });
    fleets.push(fleet);
    await fleet.start();
    expect(fleet.jobsDir).not.toContain(".claude");
    await pollUntil(() => readdirSync(fleet.jobsDir).length > 0, "a job dir");
    expect(readdirSync(join(fleet.dir, "execution-core", "workers")).length).toBeGreaterThanOrEqual(3);
    await fleet.stop();
    expect(existsSync(fleet.jobsDir)).toBe(false);
  });
});
