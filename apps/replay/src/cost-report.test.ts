import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CostReport } from "./cost-report.js";
import { createStringSink, parseReplayArgs, type ReplayOptions, replay } from "./index.js";
import { makeTempDir, removeDir, v1Line, writeTree } from "./log-fixture.test-helper.js";

// `--cost` in-process over real files: signal files hold the costs, the log the rest.
const NOW = new Date("2026-04-15T12:00:00Z");

function signal(ticket: string, orchestrator: string, costUSD: number, startedAt: string, updatedAt: string) {
  return JSON.stringify({
    ticket,
    orchestrator,
    status: "done",
    phase: 6,
    startedAt,
    updatedAt,
    completedAt: updatedAt,
    cost: { costUSD },
  });
}

let dir = "";
beforeAll(async () => {
  dir = await makeTempDir();
  await writeTree(dir, {
    // $24 spread evenly over 2026-04-13 12:00 → 2026-04-14 12:00: $12 on each day.
    "runs/orch-a/workers/A-1.json": signal(
      "A-1",
      "orch-a",
      24,
      "2026-04-13T12:00:00Z",
      "2026-04-14T12:00:00Z",
    ),
    // $3 within one hour on 2026-04-15.
    "runs/orch-b/workers/B-1.json": signal(
      "B-1",
      "orch-b",
      3,
      "2026-04-15T08:00:00Z",
      "2026-04-15T09:00:00Z",
    ),
    // Long before the window: not counted.
    "runs/orch-b/workers/B-0.json": signal(
      "B-0",
      "orch-b",
      50,
      "2026-03-01T08:00:00Z",
      "2026-03-01T09:00:00Z",
    ),
    "events/2026-04.jsonl": `${v1Line("2026-04-15T08:00:00Z", "worker-dispatched", "B-1")}\n`,
  });
});
afterAll(() => removeDir(dir));

function options(argv: string[]): ReplayOptions {
  const command = parseReplayArgs([...argv, "--dir", dir], { now: NOW, env: {} });
  if (command.kind !== "replay") throw new Error("expected a replay command");
  return command.options;
}

describe("catalyst-replay --cost", () => {
  it("prints the spend per day and per orchestrator in the window", async () => {
    const out = createStringSink();
    const err = createStringSink();
    await replay(options(["--cost", "--since", "7d", "--format", "json"]), { out, err });
    const report = JSON.parse(out.text) as CostReport;
    const byDay = Object.fromEntries(report.days.map((d) => [d.day, d.usd]));
    expect(byDay["2026-04-13"]).toBeCloseTo(12, 4);
    expect(byDay["2026-04-14"]).toBeCloseTo(12, 4);
    expect(byDay["2026-04-15"]).toBeCloseTo(3, 4);
    expect(report.days.find((d) => d.day === "2026-04-13")!.orchestrators).toEqual({
      "orch-a": expect.closeTo(12, 4),
    });
    expect(report.orchestrators["orch-a"]).toBeCloseTo(24, 4);
    expect(report.orchestrators["orch-b"]).toBeCloseTo(3, 4);
    expect(report.total).toBeCloseTo(27, 4);
    expect(report.days).toHaveLength(8);
  });

  it("reads as text, narrows to --orchestrator, and refuses what makes no sense with it", async () => {
    const out = createStringSink();
    await replay(options(["--cost", "--since", "2026-04-14", "--orchestrator", "orch-b"]), {
      out,
      err: createStringSink(),
    });
    expect(out.text).toContain("per orchestrator:\n  orch-b       $3.00");
    expect(out.text).toContain("total $3.00 over 2 workers with a cost");
    expect(out.text).not.toContain("orch-a");
    expect(() => options(["--cost"])).toThrow(/--cost needs --since/);
    expect(() => options(["--cost", "--since", "2h", "--follow"])).toThrow(
      /--follow cannot be used with --cost/,
    );
  });
});
