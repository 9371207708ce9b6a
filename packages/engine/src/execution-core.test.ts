// Execution-core end to end in-process: real phase files and job dirs → sources → fuse ← job
// liveness (FORMATS-TODAY §3.4, §3.5).
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createEngine, type Engine } from "./index.js";

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function writeAtomic(file: string, value: unknown): Promise<void> {
  await writeFile(`${file}.tmp.1`, JSON.stringify(value));
  await rename(`${file}.tmp.1`, file);
}

const phase = (ticket: string, name: string, status: string, extra: object = {}) => ({
  ticket,
  phase: name,
  orchestrator: ticket,
  model: "opus",
  turnCap: 200,
  status,
  startedAt: "2026-08-20T13:01:00Z",
  updatedAt: new Date().toISOString(),
  ...extra,
});

function ticketOf(engine: Engine, ticket: string) {
  return engine.snapshot().orchestrators.find((o) => o.id === "execution-core")?.workers[ticket];
}

describe("execution-core in the engine", () => {
  it("shows a ticket's phase, follows its phase files, and its liveness from the job state", async () => {
    const dir = await mkdtemp(join(tmpdir(), "engine-ec-"));
    const jobs = await mkdtemp(join(tmpdir(), "engine-jobs-"));
    cleanup.push(
      () => rm(dir, { recursive: true, force: true }),
      () => rm(jobs, { recursive: true, force: true }),
    );
    const tdir = join(dir, "execution-core", "workers", "CTL-412");
    await mkdir(tdir, { recursive: true });
    await mkdir(join(jobs, "5e0c9a7f"));
    await writeAtomic(join(jobs, "5e0c9a7f", "state.json"), { state: "working" });
    await writeAtomic(
      join(tdir, "phase-plan.json"),
      phase("CTL-412", "plan", "done", { completedAt: "2026-08-20T12:55:40Z" }),
    );
    await writeAtomic(
      join(tdir, "phase-implement.json"),
      phase("CTL-412", "implement", "running", { bg_job_id: "5e0c9a7f" }),
    );

    const engine = createEngine({
      catalystDir: dir,
      githubToken: null,
      jobsDir: jobs,
      livenessIntervalMs: 50,
      historyMs: 0,
    });
    cleanup.push(() => engine.stop());
    await engine.start();
    await vi.waitFor(
      () =>
        expect(ticketOf(engine, "CTL-412")?.pipeline).toMatchObject({
          phase: "implement",
          column: "Implement",
          job: "alive",
        }),
      {
        timeout: 10_000,
      },
    );

    await writeAtomic(join(jobs, "5e0c9a7f", "state.json"), { state: "blocked" });
    await vi.waitFor(
      () =>
        expect(
          engine.snapshot().needsYou.some((n) => n.worker === "CTL-412" && n.message.includes("blocked")),
        ).toBe(true),
      { timeout: 10_000 },
    );

    await writeAtomic(
      join(tdir, "phase-implement.json"),
      phase("CTL-412", "implement", "done", { bg_job_id: "5e0c9a7f" }),
    );
    await writeAtomic(
      join(tdir, "phase-verify.json"),
      phase("CTL-412", "verify", "needs-input", { needsHumanSince: "2026-08-20T14:00:00Z" }),
    );
    await vi.waitFor(
      () =>
        expect(ticketOf(engine, "CTL-412")?.pipeline).toMatchObject({
          phase: "verify",
          column: "Validate",
          job: "unknown",
        }),
      {
        timeout: 10_000,
      },
    );
    expect(
      engine
        .snapshot()
        .needsYou.filter((n) => n.worker === "CTL-412")
        .map((n) => n.reason),
    ).toEqual(["attention"]);
  });
});
