import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAllSpawned, spawnBin } from "@catalyst/test-utils";
import { afterAll, describe, expect, it } from "vitest";
import { parseAt, parseTopArgs } from "./cli.js";

// Issue 25: `catalyst-top --at <ts>` shows that moment, not live: the real bin, in-process on a
// temp catalyst dir (the monitor's /api/snapshot?at= has its own test in apps/monitor).

const ORCH = "orch-top-at";
const line = (ts: string, event: string, worker: string | null, detail: unknown = null) =>
  JSON.stringify({ ts, orchestrator: ORCH, worker, event, detail });

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  killAllSpawned();
});

async function writeLog(): Promise<{ root: string; dir: string }> {
  const root = await mkdtemp(join(tmpdir(), "top-at-"));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const dir = join(root, "catalyst");
  await mkdir(join(dir, "events"), { recursive: true });
  await writeFile(
    join(dir, "events", "2026-04.jsonl"),
    `${[
      line("2026-04-14T01:00:00Z", "orchestrator-started", null, { tickets: ["CTL-7"] }),
      line("2026-04-14T01:05:00Z", "worker-dispatched", "CTL-7"),
      line("2026-04-14T02:00:00Z", "worker-status-change", "CTL-7", { from: "researching", to: "planning" }),
      line("2026-04-14T04:00:00Z", "worker-status-change", "CTL-7", { from: "planning", to: "validating" }),
    ].join("\n")}\n`,
  );
  return { root, dir };
}

describe("--at", () => {
  it("parses a time with its zone, a date or a duration ago, and refuses the rest", () => {
    const now = () => Date.parse("2026-04-14T12:00:00Z");
    expect(parseAt("2026-04-14T03:00:00Z").toISOString()).toBe("2026-04-14T03:00:00.000Z");
    expect(parseAt("2026-04-14").toISOString()).toBe("2026-04-14T00:00:00.000Z");
    expect(parseAt("2h", now).toISOString()).toBe("2026-04-14T10:00:00.000Z");
    expect(() => parseAt("2026-04-14T03:00:00")).toThrow(/not a time/);
    expect(() => parseAt("soon")).toThrow(/not a time/);
    expect(() => parseTopArgs(["--demo", "--at", "1h"], {})).toThrow(/--demo/);
    expect(parseTopArgs(["--dir", "/x", "--at", "2026-04-14"], {}).at?.toISOString()).toBe(
      "2026-04-14T00:00:00.000Z",
    );
  });

  it("shows the fleet at that time, saying so (the real bin, in-process on a dir)", async () => {
    const { root, dir } = await writeLog();
    const env = { CATALYST_CACHE_DIR: join(root, "cache") };
    const run = spawnBin("top", ["--dir", dir, "--at", "2026-04-14T03:00:00Z", "--once"], { env });
    expect((await run.exit).code).toBe(0);
    expect(run.stdout()).toMatch(/^viewing 2026-04-14T03:00:00\.000Z \(the past/);
    expect(run.stdout()).toMatch(/CTL-7.*planning/);
    expect(run.stdout()).not.toMatch(/validating/);
  }, 90_000);
});
