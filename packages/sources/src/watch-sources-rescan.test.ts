import { renameSync, watch, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SourceChange } from "@catalyst/schema";
import { afterEach, describe, expect, it } from "vitest";
import { createSourceWatcher, nodeFiles, type SourceWatcher, type TextFiles } from "./index.js";
import { makeTree, removeTree, signalText, waitFor } from "./test-tree.test-helper.js";

// Issue 26: at 2,000 workers the periodic rescan (a re-read of every file, every 30 s) took half a
// second, and a live write that arrived meanwhile waited for the whole rescan before it was read:
// write → frame stalls of up to a second, every 30 s. A live change must never wait for a rescan.

let root = "";
let watcher: SourceWatcher | null = null;
let release: () => void = () => {};
afterEach(async () => {
  release();
  await watcher?.stop();
  watcher = null;
  await removeTree(root);
});

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/** Node's files, except that once `hold` is armed, reads of `held` wait until released. */
function holdingFiles(held: string) {
  let armed = false;
  let requested: () => void = () => {};
  const reached = new Promise<void>((resolve) => {
    requested = resolve;
  });
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const reads = new Map<string, number>();
  const files: TextFiles = {
    list: nodeFiles.list,
    async read(path) {
      reads.set(path, (reads.get(path) ?? 0) + 1);
      if (armed && path === held) {
        requested();
        await gate;
      }
      return nodeFiles.read(path);
    },
  };
  return {
    files,
    reads,
    arm: () => {
      armed = true;
    },
    reached,
  };
}

describe("the periodic rescan", () => {
  it("holds a live change back by one slice of its reads at most, not by the whole rescan", async () => {
    // 10 orchestrators × 20 signal files: a whole rescan is about 220 reads.
    const tree: Record<string, string> = {};
    for (let o = 0; o < 10; o++)
      for (let k = 0; k < 20; k++)
        tree[`runs/orch-${o}/workers/W-${o}-${k}.json`] = signalText(`W-${o}-${k}`);
    root = await makeTree(tree);
    const held = join(root, "runs/orch-0/workers/W-0-0.json");
    const live = join(root, "runs/orch-9/workers/W-9-19.json");
    const fs = holdingFiles(held);
    const order: string[] = [];
    const files: TextFiles = {
      list: fs.files.list,
      read: (path) => {
        order.push(path);
        return fs.files.read(path);
      },
    };
    const seen: SourceChange[] = [];
    watcher = createSourceWatcher({ catalystDir: root, files, rescanIntervalMs: 60_000 });
    watcher.subscribe((batch) => seen.push(...batch));
    await watcher.start();
    fs.arm();
    watcher.reopen();
    // The rescan is under way and waits on its first signal file (a slow disk, or 2,000 files).
    await fs.reached;
    // The live write lands while it waits. The test's own watch on the same directory is called
    // after the watcher's (one inotify watch, handlers in order), so once it fires the watcher has
    // queued the live read.
    const queued = new Promise<void>((resolve) => {
      const w = watch(join(root, "runs/orch-9/workers"), (_event, name) => {
        if (name === "W-9-19.json") {
          w.close();
          resolve();
        }
      });
    });
    const at = order.length;
    writeAtomic(live, signalText("W-9-19", "validating", 4));
    await queued;
    release();
    await waitFor(
      () =>
        seen.some(
          (c) =>
            c.kind === "signal" && c.file === live && c.result.ok && c.result.value.status === "validating",
        ),
      10_000,
      "the live write",
    );
    // Reads that went ahead of the live one: with the whole rescan in front of it, about 200.
    const ahead = order.slice(at).indexOf(live);
    expect(ahead).toBeGreaterThanOrEqual(0);
    expect(ahead).toBeLessThan(100);
  });

  it("emits nothing when a rescan finds every file as it was", async () => {
    root = await makeTree({ "runs/orch-a/workers/CTL-1.json": signalText("CTL-1") });
    const fs = holdingFiles("");
    const batches: SourceChange[][] = [];
    watcher = createSourceWatcher({ catalystDir: root, files: fs.files, rescanIntervalMs: 20 });
    watcher.subscribe((batch) => batches.push(batch));
    await watcher.start();
    const file = join(root, "runs/orch-a/workers/CTL-1.json");
    await waitFor(() => (fs.reads.get(file) ?? 0) >= 4, 10_000, "a few rescans");
    expect(batches).toHaveLength(1);
  });
});
