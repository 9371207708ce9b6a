import { createFuse } from "@catalyst/fuse";
import { type FuseInput, parseSignalText } from "@catalyst/schema";
import { describe, expect, it } from "vitest";
import { createBudgetWatch } from "./budget-watch.js";

const ORCH = "orch-budget";

function costed(ticket: string, costUSD: number, at: Date): FuseInput {
  const file = `/tmp/budget/runs/${ORCH}/workers/${ticket}.json`;
  const text = JSON.stringify({
    ticket,
    orchestrator: ORCH,
    status: "implementing",
    phase: 3,
    updatedAt: at.toISOString(),
    cost: { costUSD },
  });
  return { kind: "signal", orchestrator: ORCH, key: ticket, file, result: parseSignalText(text, file) };
}

describe("createBudgetWatch", () => {
  it("raises one budget row when today's spend passes the limit, updates its figure, alerts once, and clears it the next day", () => {
    // Local noon, whatever the time zone of the machine running the test.
    let now = new Date(2026, 3, 14, 12, 0, 0);
    const fuse = createFuse();
    fuse.apply(
      [
        {
          kind: "orchestrator-added",
          orchestrator: { id: ORCH, workspace: "default", path: `/tmp/budget/runs/${ORCH}`, source: "runs" },
        },
        costed("A", 4, now),
      ],
      now,
    );
    const alerts: number[] = [];
    const watch = createBudgetWatch({
      fuse,
      limitUsd: 10,
      clock: { now: () => now },
      onExceeded: (o) => alerts.push(o.spentUsd),
    });
    watch.start();
    try {
      expect(watch.check()).toBe(false);
      now = new Date(now.getTime() + 60_000);
      fuse.apply(costed("A", 11, now), now);
      expect(watch.check()).toBe(true);
      const row = () => fuse.snapshot().needsYou.find((n) => n.reason === "budget");
      expect(row()?.message).toBe("spent $11.00 today, over the daily budget of $10.00");
      now = new Date(now.getTime() + 60_000);
      fuse.apply(costed("B", 2, now), now);
      watch.check();
      expect(row()?.message).toBe("spent $13.00 today, over the daily budget of $10.00");
      expect(alerts).toEqual([11]);
      // The next day nothing is spent yet: the row goes.
      now = new Date(2026, 3, 15, 9, 0, 0);
      expect(watch.check()).toBe(false);
      expect(row()).toBeUndefined();
    } finally {
      watch.stop();
    }
  });
});
