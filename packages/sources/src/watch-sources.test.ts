import { appendFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SourceChange } from "@catalyst/schema";
import { afterEach, describe, expect, it } from "vitest";
import {
  createSourceWatcher,
  nodeFiles,
  type SourceWatcher,
  type SourceWatcherOptions,
  scanCatalystDir,
  type TextFiles,
} from "./index.js";
import { makeTree, removeTree, signalText, v1Line, waitFor } from "./test-tree.test-helper.js";

let root = "";
let watcher: SourceWatcher | null = null;
afterEach(async () => {
  await watcher?.stop();
  watcher = null;
  await removeTree(root);
});

/** Write like every signal writer does: `<T>.json.tmp`, then rename (FORMATS §1.5). */
function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/**
 * Starts the file's watcher on `root` with `options` (its first listeners `first`, subscribed
 * before the one that records every batch) and resolves once its initial scan is delivered.
 */
async function startWatcher(
  options: Partial<SourceWatcherOptions> = {},
  first: ((batch: SourceChange[]) => void)[] = [],
) {
  const batches: SourceChange[][] = [];
  const latest = new Map<string, SourceChange>();
  watcher = createSourceWatcher({ catalystDir: root, waitIntervalMs: 20, ...options });
  for (const listener of first) watcher.subscribe(listener);
  watcher.subscribe((b) => {
    batches.push(b);
    for (const c of b) if (c.kind === "signal") latest.set(c.file, c);
  });
  await watcher.start();
  const all = () => batches.flat();
  const lastSignal = (file: string) => {
    const last = latest.get(file);
    return last?.kind === "signal" && last.result.ok ? last.result.value : null;
  };
  return { batches, all, lastSignal };
}

/**
 * The real files, each read recorded: `async` (read) and `sync` (readSync, offered only when
 * `beforeSyncRead` is given; it runs before each synchronous read).
 */
function recordingFiles(beforeSyncRead?: () => void) {
  const sync: string[] = [];
  const async: string[] = [];
  const files: TextFiles = {
    list: (d) => nodeFiles.list(d),
    read: (f) => {
      async.push(f);
      return nodeFiles.read(f);
    },
    ...(beforeSyncRead && {
      readSync: (f: string) => {
        sync.push(f);
        beforeSyncRead();
        return nodeFiles.readSync!(f);
      },
    }),
  };
  return { files, sync, async };
}

/** A rewrite of `file` to "planning", then "implementing", each seen by the watcher `w` (it watches the file). */
async function expectWatched(w: Awaited<ReturnType<typeof startWatcher>>, file: string, ticket: string) {
  writeAtomic(file, signalText(ticket, "planning", 2));
  await waitFor(() => w.lastSignal(file)?.status === "planning", 5_000, `${ticket} planning`);
  writeAtomic(file, signalText(ticket, "implementing", 3));
  await waitFor(() => w.lastSignal(file)?.status === "implementing", 5_000, `${ticket} re-watched`);
}

describe("createSourceWatcher", () => {
  it("emits the initial scan as one batch, equal to scanCatalystDir", async () => {
    root = await makeTree({
      "state.json": JSON.stringify({ orchestrators: {} }),
      "runs/orch-a/state.json": JSON.stringify({ currentWave: 1 }),
      "runs/orch-a/workers/CTL-1.json": signalText("CTL-1"),
      "wt/ctl/orch-b/workers/CTL-2.json": signalText("CTL-2"),
    });
    const w = await startWatcher();
    expect(w.batches).toHaveLength(1);
    const sortKey = (c: SourceChange) => JSON.stringify(c);
    expect(w.batches[0]!.map(sortKey).sort()).toEqual((await scanCatalystDir(root)).map(sortKey).sort());
    expect(watcher!.health()).toMatchObject({ enabled: true, reason: null });
    expect(watcher!.health().lastSuccessAt).not.toBeNull();
    // Global and local state plus two signal files; the root, runs/, wt/ and each orchestrator's dirs.
    expect(watcher!.watched().files).toBe(4);
    expect(watcher!.watched().directories).toBeGreaterThanOrEqual(5);
  });

  // Issue 26: the discover of the first scan reads each orchestrator it finds; the scan then read
  // every one of them again, so a start-up read each file twice.
  it("reads every file once during the initial scan", async () => {
    root = await makeTree({
      "state.json": JSON.stringify({ orchestrators: {} }),
      "runs/orch-a/state.json": JSON.stringify({ currentWave: 1 }),
      "runs/orch-a/workers/CTL-1.json": signalText("CTL-1"),
      "runs/orch-a/workers/CTL-2.json": signalText("CTL-2"),
      "wt/ctl/orch-b/workers/CTL-3.json": signalText("CTL-3"),
    });
    const { files, async: reads } = recordingFiles();
    const w = await startWatcher({ files });
    expect(w.all().filter((c) => c.kind === "signal")).toHaveLength(3);
    expect(reads.sort()).toEqual(
      [
        "state.json",
        "runs/orch-a/state.json",
        "runs/orch-a/workers/CTL-1.json",
        "runs/orch-a/workers/CTL-2.json",
        "wt/ctl/orch-b/state.json",
        "wt/ctl/orch-b/workers/CTL-3.json",
      ]
        .map((f) => join(root, f))
        .sort(),
    );
  });

  // Issue 26: the first scan reads its files synchronously (in slices); issue 28: so is a live
  // change of a signal file (one turn, no thread-pool round trips).
  it("reads the first scan and a live signal change synchronously when it can", async () => {
    root = await makeTree({
      "state.json": JSON.stringify({ orchestrators: {} }),
      "runs/orch-a/workers/CTL-1.json": signalText("CTL-1"),
      "runs/orch-a/workers/CTL-2.json": signalText("CTL-2"),
    });
    const { files, sync, async } = recordingFiles(() => {});
    // However loaded the machine, no read here counts as slow.
    const w = await startWatcher({ files, syncReadSlowMs: 60_000 });
    expect(w.all().filter((c) => c.kind === "signal")).toHaveLength(2);
    expect(sync.sort()).toEqual(
      [
        "state.json",
        "runs/orch-a/state.json",
        "runs/orch-a/workers/CTL-1.json",
        "runs/orch-a/workers/CTL-2.json",
      ]
        .map((f) => join(root, f))
        .sort(),
    );
    expect(async).toEqual([]);
    const file = join(root, "runs/orch-a/workers/CTL-2.json");
    writeAtomic(file, signalText("CTL-2", "validating", 4));
    await waitFor(() => w.lastSignal(file)?.status === "validating");
    expect(async).toEqual([]);
    expect(sync.slice(4)).toContain(file);
  });

  it("reads live changes async after three synchronous reads in a row that waited (a slow disk)", async () => {
    root = await makeTree({
      "runs/orch-a/workers/CTL-1.json": signalText("CTL-1"),
      "runs/orch-a/workers/CTL-2.json": signalText("CTL-2"),
    });
    let slow = false;
    const { files, sync, async } = recordingFiles(() => {
      if (!slow) return;
      // A read that waits 20 ms, as one from a busy disk would (well over the 5 ms limit).
      const until = performance.now() + 20;
      while (performance.now() < until);
    });
    const w = await startWatcher({ files });
    expect(async).toEqual([]);
    slow = true;
    const file = join(root, "runs/orch-a/workers/CTL-1.json");
    for (let version = 2; version <= 6; version += 1) {
      writeAtomic(file, signalText("CTL-1", "implementing", version));
      await waitFor(() => w.lastSignal(file)?.phase === version, 5_000, `version ${version}`);
    }
    // Three slow synchronous reads in a row at most, then async.
    expect(sync.filter((f) => f === file).length).toBeLessThanOrEqual(1 + 3);
    expect(async).toContain(file);
  });

  it("reads the rest of the first scan async after three synchronous reads in a row that waited (a slow disk)", async () => {
    const tickets = ["CTL-1", "CTL-2", "CTL-3", "CTL-4", "CTL-5"];
    root = await makeTree({
      "state.json": JSON.stringify({ orchestrators: {} }),
      ...Object.fromEntries(tickets.map((t) => [`runs/orch-a/workers/${t}.json`, signalText(t)])),
    });
    const { files, sync, async } = recordingFiles(() => {
      // A read that waits 20 ms, as one from a busy disk would (well over the 5 ms limit).
      const until = performance.now() + 20;
      while (performance.now() < until);
    });
    const w = await startWatcher({ files });
    expect(w.all().filter((c) => c.kind === "signal")).toHaveLength(5);
    expect(sync).toHaveLength(3);
    // The global and local state, five signal files, less the three read synchronously.
    expect(async).toHaveLength(7 - 3);
  });

  it("keeps reading the first scan synchronously after one slow read (a GC pause, the scheduler)", async () => {
    const tickets = ["CTL-1", "CTL-2", "CTL-3", "CTL-4", "CTL-5"];
    root = await makeTree({
      "state.json": JSON.stringify({ orchestrators: {} }),
      ...Object.fromEntries(tickets.map((t) => [`runs/orch-a/workers/${t}.json`, signalText(t)])),
    });
    let reads = 0;
    const { files, sync, async } = recordingFiles(() => {
      // Every other read waits 20 ms: never three in a row.
      if (reads++ % 2 === 1) return;
      const until = performance.now() + 20;
      while (performance.now() < until);
    });
    const w = await startWatcher({ files });
    expect(w.all().filter((c) => c.kind === "signal")).toHaveLength(5);
    expect(async).toEqual([]);
    expect(sync).toHaveLength(7);
  });

  it("reads a signal file caught mid-rewrite during the synchronous first scan again, and uses its whole text", async () => {
    root = await makeTree({
      "runs/orch-a/workers/CTL-1.json": signalText("CTL-1"),
      "runs/orch-a/workers/CTL-2.json": signalText("CTL-2", "validating", 4),
    });
    const torn = join(root, "runs/orch-a/workers/CTL-2.json");
    let tornReads = 0;
    const files: TextFiles = {
      list: nodeFiles.list,
      read: nodeFiles.read,
      readSync: (f) => {
        // The first read of CTL-2 sees half a file, as a reader racing a writer without rename would.
        if (f === torn && tornReads++ === 0) return signalText("CTL-2", "validating", 4).slice(0, 20);
        return nodeFiles.readSync!(f);
      },
    };
    const w = await startWatcher({ files, syncReadSlowMs: 60_000, reparseDelayMs: 5 });
    const signals = w.all().filter((c) => c.kind === "signal");
    expect(signals).toHaveLength(2);
    expect(tornReads).toBeGreaterThan(1);
    expect(w.lastSignal(torn)?.status).toBe("validating");
  });

  it("calls every subscriber when one throws, goes on watching, and hands the error to onListenerError", async () => {
    root = await makeTree({ "runs/orch-a/workers/CTL-1.json": signalText("CTL-1", "researching", 1) });
    const errors: unknown[] = [];
    const throwing = () => {
      throw new Error("subscriber bug");
    };
    const w = await startWatcher({ onListenerError: (error) => errors.push(error) }, [throwing]);
    expect(w.all().length).toBeGreaterThan(0);
    expect(errors).toEqual([new Error("subscriber bug")]);
    writeAtomic(join(root, "runs/orch-a/workers/CTL-2.json"), signalText("CTL-2"));
    await waitFor(() => w.all().some((c) => c.kind === "signal" && c.file.endsWith("CTL-2.json")));
    expect(errors.length).toBeGreaterThan(1);
    expect(watcher!.health().lastError).toBeNull();
  });

  it("re-reads a signal file on tmp+rename, ignores the .tmp write, and reports removal", async () => {
    root = await makeTree({ "runs/orch-a/workers/CTL-1.json": signalText("CTL-1", "researching", 1) });
    const file = join(root, "runs/orch-a/workers/CTL-1.json");
    const w = await startWatcher();
    writeAtomic(file, signalText("CTL-1", "planning", 2));
    await waitFor(() => w.lastSignal(file)?.status === "planning", 5_000, "planning");
    expect(w.all().some((c) => "file" in c && String(c.file).endsWith(".tmp"))).toBe(false);
    rmSync(file);
    await waitFor(() => w.all().some((c) => c.kind === "signal-removed"), 5_000, "removal");
    expect(w.all().find((c) => c.kind === "signal-removed")).toEqual({
      kind: "signal-removed",
      orchestrator: "orch-a",
      key: "CTL-1",
      file,
    });
  });

  it("reports a torn in-place write as a failed result, then the repaired content", async () => {
    root = await makeTree({ "runs/orch-a/workers/CTL-1.json": signalText("CTL-1") });
    const file = join(root, "runs/orch-a/workers/CTL-1.json");
    const w = await startWatcher();
    writeFileSync(file, '{"ticket":"CTL-1","sta');
    await waitFor(() => w.all().some((c) => c.kind === "signal" && !c.result.ok), 5_000, "torn read");
    writeFileSync(file, signalText("CTL-1", "validating", 4));
    await waitFor(() => w.lastSignal(file)?.status === "validating", 5_000, "repaired");
  });

  it("sees orchestrators appear and disappear under runs/ and wt/, and state files change", async () => {
    root = await makeTree({ "runs/": "", "wt/ctl/": "" });
    const w = await startWatcher();
    mkdirSync(join(root, "runs/orch-new/workers"), { recursive: true });
    writeAtomic(join(root, "runs/orch-new/workers/CTL-9.json"), signalText("CTL-9"));
    await waitFor(
      () => w.lastSignal(join(root, "runs/orch-new/workers/CTL-9.json")) !== null,
      5_000,
      "new orch",
    );
    expect(w.all().find((c) => c.kind === "orchestrator-added")).toMatchObject({
      orchestrator: { id: "orch-new", source: "runs", workspace: "default" },
    });
    mkdirSync(join(root, "wt/ctl/orch-nested/workers"), { recursive: true });
    await waitFor(
      () => w.all().some((c) => c.kind === "orchestrator-added" && c.orchestrator.id === "orch-nested"),
      5_000,
      "nested orch",
    );
    writeAtomic(join(root, "runs/orch-new/state.json"), JSON.stringify({ currentWave: 2 }));
    writeAtomic(join(root, "state.json"), JSON.stringify({ orchestrators: {} }));
    await waitFor(
      () => w.all().some((c) => c.kind === "local-state") && w.all().some((c) => c.kind === "global-state"),
      5_000,
      "state files",
    );
    rmSync(join(root, "runs/orch-new"), { recursive: true });
    await waitFor(
      () => w.all().some((c) => c.kind === "orchestrator-removed" && c.id === "orch-new"),
      5_000,
      "removal",
    );
  });

  it("re-watches a workers/ dir that was removed and created again, without waiting for the rescan", async () => {
    root = await makeTree({ "runs/orch-a/workers/CTL-1.json": signalText("CTL-1") });
    const workers = join(root, "runs/orch-a/workers");
    const w = await startWatcher();
    rmSync(workers, { recursive: true });
    // Either the file's removal or, when the dir's went first, the orchestrator's (it has no workers/).
    await waitFor(
      () => w.all().some((c) => c.kind === "signal-removed" || c.kind === "orchestrator-removed"),
      5_000,
      "removal",
    );
    mkdirSync(workers);
    await expectWatched(w, join(workers, "CTL-2.json"), "CTL-2");
  });

  it("finds by the periodic rescan what no watch covers: a wt/ dir that gains workers/ later", async () => {
    root = await makeTree({ "wt/ctl/": "" });
    const w = await startWatcher({ rescanIntervalMs: 100 });
    const firstScan = watcher!.health().lastSuccessAt;
    mkdirSync(join(root, "wt/ctl/orch-late"));
    await waitFor(() => watcher!.health().lastSuccessAt !== firstScan, 5_000, "a rescan");
    mkdirSync(join(root, "wt/ctl/orch-late/workers"));
    writeFileSync(join(root, "wt/ctl/orch-late/workers/CTL-1.json"), signalText("CTL-1"));
    await waitFor(
      () => w.lastSignal(join(root, "wt/ctl/orch-late/workers/CTL-1.json")) !== null,
      5_000,
      "rescan",
    );
    expect(w.all().find((c) => c.kind === "orchestrator-added")).toMatchObject({
      orchestrator: { id: "orch-late", workspace: "ctl", source: "wt" },
    });
    expect(watcher!.health().nextRunAt).not.toBeNull();
  });

  it("reports a torn global state.json, then its removal", async () => {
    root = await makeTree({ "state.json": JSON.stringify({ orchestrators: {} }) });
    const w = await startWatcher();
    writeFileSync(join(root, "state.json"), '{"orchestrators": {');
    await waitFor(() => w.all().some((c) => c.kind === "global-state" && !c.result.ok), 5_000, "torn global");
    rmSync(join(root, "state.json"));
    await waitFor(() => w.all().some((c) => c.kind === "global-state-removed"), 5_000, "global removal");
  });

  it("waits for a missing catalyst dir, then scans it", async () => {
    const parent = await makeTree({});
    root = join(parent, "catalyst");
    const w = await startWatcher();
    expect(watcher!.health().reason).toContain("waiting");
    mkdirSync(join(root, "runs/orch-a/workers"), { recursive: true });
    writeFileSync(join(root, "runs/orch-a/workers/CTL-1.json"), signalText("CTL-1"));
    await waitFor(() => w.all().some((c) => c.kind === "signal"), 5_000, "scan after appearing");
    await watcher!.stop();
    watcher = null;
    root = parent;
  });

  it("notices the catalyst dir deleted and created again without waiting for the rescan", async () => {
    const parent = await makeTree({ "catalyst/runs/orch-a/workers/CTL-1.json": signalText("CTL-1") });
    root = join(parent, "catalyst");
    const w = await startWatcher({ rescanIntervalMs: 600_000 });
    rmSync(root, { recursive: true });
    await waitFor(() => w.all().some((c) => c.kind === "orchestrator-removed"), 5_000, "removal");
    await waitFor(() => watcher!.health().reason?.includes("waiting") === true, 5_000, "waiting state");
    mkdirSync(join(root, "runs/orch-b/workers"), { recursive: true });
    // Scanned, and watched again (not only scanned once).
    await expectWatched(w, join(root, "runs/orch-b/workers/CTL-2.json"), "CTL-2");
    await watcher!.stop();
    watcher = null;
    root = parent;
  });

  it("forwards log lines from the tail", async () => {
    root = await makeTree({ "events/2026-04.jsonl": `${v1Line("2026-04-14T18:00:00Z")}\n` });
    const w = await startWatcher({ logFrom: "start" });
    appendFileSync(join(root, "events/2026-04.jsonl"), `${v1Line("2026-04-14T18:00:01Z")}\n`);
    const lines = () => w.all().flatMap((c) => (c.kind === "log-lines" ? c.records : []));
    await waitFor(() => lines().length === 2, 5_000, "two log lines");
    // The initial scan batch comes first, before any log line.
    expect(w.batches[0]!.some((c) => c.kind === "log-lines")).toBe(false);
  });

  it("delivers the final content of every file after a burst of tmp+rename writes", async () => {
    const tree: Record<string, string> = {};
    for (let o = 0; o < 5; o++) {
      for (let k = 0; k < 20; k++)
        tree[`runs/orch-${o}/workers/CTL-${k}.json`] = signalText(`CTL-${k}`, "dispatched", 0);
    }
    root = await makeTree(tree);
    const w = await startWatcher();
    const finals = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const o = i % 5;
      const k = (i * 7) % 20;
      const file = join(root, `runs/orch-${o}/workers/CTL-${k}.json`);
      writeAtomic(file, signalText(`CTL-${k}`, "implementing", 3, { seq: i }));
      finals.set(file, i);
    }
    await waitFor(
      () => [...finals].every(([file, seq]) => (w.lastSignal(file) as { seq?: number } | null)?.seq === seq),
      10_000,
      "final content of every file",
    );
  });
});
