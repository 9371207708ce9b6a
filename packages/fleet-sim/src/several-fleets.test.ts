// Several simulated hosts at once: each fleet has its own catalyst dir, seed, processes and timer.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { signalFiles } from "./fleet-files.test-helper.js";
import { createDemoFleet, type DemoFleet } from "./index.js";

const fleets: DemoFleet[] = [];
afterEach(async () => {
  await Promise.all(fleets.splice(0).map((f) => f.stop()));
});

const orchestratorIds = (dir: string) => readdirSync(join(dir, "runs")).sort();

describe("several fleets at once", () => {
  it("run side by side as separate hosts, and stopping one leaves the others going", async () => {
    const hosts = [1, 2, 3].map((n) =>
      createDemoFleet({
        orchestrators: 2,
        workersPerOrchestrator: 3,
        tickMs: 50,
        seed: 100 + n,
        loop: false,
      }),
    );
    fleets.push(...hosts);
    await Promise.all(hosts.map((h) => h.start()));

    const dirs = hosts.map((h) => h.dir);
    expect(new Set(dirs).size).toBe(3);
    for (const dir of dirs) expect(signalFiles(dir).length).toBeGreaterThan(0);
    // Ids come from the date and a counter, so hosts may well use the same orchestrator id (as real
    // hosts can); what is theirs alone is the dir.
    for (const dir of dirs) expect(orchestratorIds(dir).length).toBeGreaterThan(0);

    const [first, second] = hosts as [DemoFleet, DemoFleet, DemoFleet];
    await first.stop();
    const before = signalFiles(second.dir).length;
    expect(readdirSync(join(second.dir, "events")).length).toBeGreaterThan(0);
    // The second host keeps writing: more signal files appear as its later waves are dispatched.
    await vi.waitFor(() => expect(signalFiles(second.dir).length).toBeGreaterThan(before), {
      timeout: 30_000,
      interval: 20,
    });
  });
});
