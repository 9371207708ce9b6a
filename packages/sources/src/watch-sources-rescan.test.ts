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

// Issue 26, the tail that was left: a live change still waited for the round it arrived in (the
// rescan slice, or any other reads under way) before it was read, and its change for every read of
// that round. A live signal change is read at once and emitted on its own.
describe("a live signal change during a rescan", () => {
  function fleet(): Record<string, string> {
    const tree: Record<string, string> = {};
    for (let o = 0; o < 4; o++)
      for (let k = 0; k < 5; k++) tree[`runs/orch-${o}/workers/W-${o}-${k}.json`] = signalText(`W-${o}-${k}`);
    return tree;
  }

  it("is emitted while a read of the rescan is still waiting", async () => {
    root = await makeTree(fleet());
    const held = join(root, "runs/orch-0/workers/W-0-0.json");
    const live = join(root, "runs/orch-3/workers/W-3-4.json");
    const fs = holdingFiles(held);
    const seen: SourceChange[] = [];
    watcher = createSourceWatcher({ catalystDir: root, files: fs.files, rescanIntervalMs: 60_000 });
    watcher.subscribe((batch) => seen.push(...batch));
    await watcher.start();
    const scanned = watcher.health().lastSuccessAt;
    fs.arm();
    watcher.reopen();
    await fs.reached;
    writeAtomic(live, signalText("W-3-4", "validating", 4));
    // Not released yet: the rescan's read of `held` is still waiting when the live change goes out.
    await waitFor(
      () =>
        seen.some(
          (c) =>
            c.kind === "signal" && c.file === live && c.result.ok && c.result.value.status === "validating",
        ),
      10_000,
      "the live write while the rescan waits",
    );
    // The rescan has not finished (it would have stamped its success).
    expect(watcher.health().lastSuccessAt).toBe(scanned);
  });

  it("never reads one file twice at once, and its newest text is the one that stays", async () => {
    root = await makeTree(fleet());
    const file = join(root, "runs/orch-1/workers/W-1-2.json");
    const fs = holdingFiles(file);
    const inFlight = new Map<string, number>();
    let most = 0;
    const files: TextFiles = {
      list: fs.files.list,
      async read(path) {
        const n = (inFlight.get(path) ?? 0) + 1;
        inFlight.set(path, n);
        most = Math.max(most, n);
        try {
          return await fs.files.read(path);
        } finally {
          inFlight.set(path, (inFlight.get(path) ?? 1) - 1);
        }
      },
    };
    const seen: SourceChange[] = [];
    watcher = createSourceWatcher({ catalystDir: root, files, rescanIntervalMs: 60_000 });
    watcher.subscribe((batch) => seen.push(...batch));
    await watcher.start();
    fs.arm();
    watcher.reopen();
    // The rescan's read of this very file waits; the file changes twice meanwhile.
    await fs.reached;
    writeAtomic(file, signalText("W-1-2", "validating", 4));
    writeAtomic(file, signalText("W-1-2", "shipping", 5));
    release();
    const statusOf = () => {
      const last = seen.filter((c) => c.kind === "signal" && c.file === file).at(-1);
      return last?.kind === "signal" && last.result.ok ? last.result.value.status : null;
    };
    await waitFor(() => statusOf() === "shipping", 10_000, "the newest text");
    expect(most).toBe(1);
    expect(statusOf()).toBe("shipping");
  });
});
