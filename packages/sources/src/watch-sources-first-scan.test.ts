import type { SourceChange } from "@catalyst/schema";
import { afterEach, describe, expect, it } from "vitest";
import { createSourceWatcher, nodeFiles, type SourceWatcher, type TextFiles } from "./index.js";
import { makeTree, removeTree, signalText, type Tree } from "./test-tree.test-helper.js";

// Issue 26: the first scan of a 10,000-worker fleet (500 orchestrators) held the event loop in
// blocks of ~100 ms: every orchestrator's directory listings started in one go, their answers
// came back in bursts. Counted here, not timed. (The global state.json's parse in steps is
// counted in schema's global-state-steps.test.ts.)

let root = "";
let watcher: SourceWatcher | null = null;
afterEach(async () => {
  await watcher?.stop();
  watcher = null;
  await removeTree(root);
});

/** `orchestrators` orchestrators of `workers` signal files each under runs/. */
function fleetTree(orchestrators: number, workers: number): Tree {
  const tree: Tree = {};
  for (let o = 0; o < orchestrators; o++)
    for (let w = 0; w < workers; w++)
      tree[`runs/orch-${o}/workers/T-${o}-${w}.json`] = signalText(`T-${o}-${w}`, "implementing");
  return tree;
}

async function firstBatch(files: TextFiles): Promise<SourceChange[]> {
  watcher = createSourceWatcher({ catalystDir: root, waitIntervalMs: 20, files });
  let batch: SourceChange[] | null = null;
  watcher.subscribe((changes) => {
    batch ??= changes;
  });
  await watcher.start();
  if (batch === null) throw new Error("no first batch");
  return batch;
}

describe("the first scan, in steps", () => {
  it("lists the directories of 16 orchestrators at a time, not of every one found", async () => {
    root = await makeTree(fleetTree(40, 2));
    // Orchestrators with a listing in flight; each listing answers a turn of the loop later.
    const inFlight = new Map<string, number>();
    let most = 0;
    const files: TextFiles = {
      ...nodeFiles,
      async list(dir) {
        const orch = dir.split("/runs/")[1]?.split("/")[0] ?? "";
        inFlight.set(orch, (inFlight.get(orch) ?? 0) + 1);
        if (orch !== "") most = Math.max(most, [...inFlight.keys()].filter((k) => k !== "").length);
        try {
          await new Promise((resolve) => setImmediate(resolve));
          return await nodeFiles.list(dir);
        } finally {
          const left = (inFlight.get(orch) ?? 1) - 1;
          if (left === 0) inFlight.delete(orch);
          else inFlight.set(orch, left);
        }
      },
    };
    const batch = await firstBatch(files);
    expect(batch.filter((c) => c.kind === "signal")).toHaveLength(80);
    // All 40 at once before.
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(16);
  });
});
