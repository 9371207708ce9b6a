import type { SourceChange } from "@catalyst/schema";
import { afterEach, describe, expect, it } from "vitest";
import { createSourceWatcher, nodeFiles, type SourceWatcher, type TextFiles } from "./index.js";
import { makeTree, removeTree, signalText, waitFor } from "./test-tree.test-helper.js";

// Issue 17: running out of descriptors is the process's problem, not the file's. EMFILE cannot be
// made to happen reliably for real here (the start-up itself needs more descriptors than the
// scan), so this one case stages it with a fake TextFiles that fails with EMFILE on demand.

let root = "";
let watcher: SourceWatcher | null = null;
afterEach(async () => {
  await watcher?.stop();
  watcher = null;
  await removeTree(root);
});

describe("source watcher out of descriptors", () => {
  it("marks no file corrupt, reports the error, reads the files once descriptors are back; reads stay gated", async () => {
    const tree: Record<string, string> = {};
    for (let i = 0; i < 40; i++) tree[`runs/o1/workers/CTL-${i}.json`] = signalText(`CTL-${i}`);
    root = await makeTree(tree);
    let exhausted = true;
    let inFlight = 0;
    let maxInFlight = 0;
    const files: TextFiles = {
      list: nodeFiles.list,
      async read(path) {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          await new Promise((resolve) => setImmediate(resolve));
          if (exhausted)
            throw Object.assign(new Error(`EMFILE: too many open files, open '${path}'`), { code: "EMFILE" });
          return await nodeFiles.read(path);
        } finally {
          inFlight -= 1;
        }
      },
    };
    const errors: unknown[] = [];
    const changes: SourceChange[] = [];
    watcher = createSourceWatcher({ catalystDir: root, files, onError: (e) => errors.push(e) });
    watcher.subscribe((b) => changes.push(...b));
    await watcher.start();
    expect(changes.filter((c) => c.kind === "signal")).toEqual([]);
    expect(errors.length).toBeGreaterThan(0);
    expect(watcher.health().lastError).toMatch(/EMFILE/);
    expect(maxInFlight).toBeLessThanOrEqual(16);
    exhausted = false;
    watcher.reopen();
    await waitFor(
      () => changes.filter((c) => c.kind === "signal" && c.result.ok).length === 40,
      10_000,
      "all 40 signals",
    );
    expect(changes.some((c) => c.kind === "signal" && !c.result.ok)).toBe(false);
  });
});
