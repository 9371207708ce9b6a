// Signal and state files under fault: torn, partial, invalid, replaced by a directory, unreadable,
// and the whole catalyst dir deleted and re-created, against the real monitor bin.
import { spawnSync } from "node:child_process";
import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  health,
  killAll,
  MONITOR_BIN,
  type MonitorRun,
  nonIncreasingIds,
  openStream,
  orchId,
  removeDir,
  type SnapshotLike,
  type Stream,
  signalPath,
  signalText,
  snapshot,
  startMonitor,
  statusesOf,
  TSX,
  tempDir,
  ticket,
  waitFor,
  workerOf,
  writeAtomic,
  writeFleet,
} from "./support.ts";

const ORCHS = 3;
const WORKERS = 5;
let root: string;
let dir: string;
let monitor: MonitorRun;
let stream: Stream;

/** Waits until the snapshot holds exactly `expected` (every worker once, each with its status). */
async function expectFleet(
  expected: Map<string, string>,
  what: string,
  timeoutMs = 20_000,
): Promise<SnapshotLike> {
  let diff: string[] = [];
  try {
    return await waitFor(
      what,
      async () => {
        const snap = await snapshot(monitor.url);
        const { statuses, duplicates } = statusesOf(snap);
        if (duplicates.length > 0) throw new Error(`orchestrators listed twice: ${duplicates.join(", ")}`);
        diff = [];
        for (const [key, status] of expected)
          if (statuses.get(key) !== status)
            diff.push(`${key}: ${statuses.get(key) ?? "missing"} ≠ ${status}`);
        for (const key of statuses.keys()) if (!expected.has(key)) diff.push(`${key}: unexpected`);
        return diff.length === 0 ? snap : undefined;
      },
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${String(error)}; differences: ${diff.slice(0, 10).join("; ")} (${diff.length} in all)`);
  }
}

function fleetMap(status: string): Map<string, string> {
  const map = new Map<string, string>();
  for (let o = 0; o < ORCHS; o++)
    for (let w = 0; w < WORKERS; w++) map.set(`${orchId(o)}/${ticket(w)}`, status);
  return map;
}

beforeAll(async () => {
  root = await tempDir("signals");
  dir = join(root, "catalyst");
  await writeFleet(dir, ORCHS, WORKERS);
  monitor = await startMonitor(dir);
  stream = openStream(monitor.url);
  await expectFleet(fleetMap("implementing"), "the initial fleet");
});

afterAll(async () => {
  stream?.close();
  await monitor?.stop();
  killAll();
  await removeDir(root);
});

describe("signal and state files under fault (real monitor bin)", () => {
  it("torn, partial and invalid signal writes keep the last good value, then the final write wins", async () => {
    const expected = fleetMap("implementing");
    const orch = orchId(0);
    const file = signalPath(dir, orch, ticket(1));
    const good = signalText(orch, ticket(1), "verifying", 4);
    // Written in place (not tmp+rename), as a crashing or careless writer would.
    await writeFile(file, good.slice(0, Math.floor(good.length / 2)));
    const corrupt = await waitFor("the torn file to be reported", async () => {
      const snap = await snapshot(monitor.url);
      const w = workerOf(snap, orch, ticket(1));
      return w?.corrupt ? w : undefined;
    });
    expect(corrupt.status).toBe("implementing"); // the last good value stays
    await writeFile(file, "");
    await writeFile(file, "{ not json ]\n");
    await writeFile(file, `${JSON.stringify({ ticket: ticket(1), status: 42 })}\n`);
    await writeFile(file, good);
    expected.set(`${orch}/${ticket(1)}`, "verifying");
    const snap = await expectFleet(expected, "the final good write");
    expect(workerOf(snap, orch, ticket(1))?.corrupt ?? null).toBeNull();
    expect(monitor.alive()).toBe(true);
    expect(nonIncreasingIds(stream.frames)).toEqual([]);
  });

  it("a torn global state.json is listed in sourceErrors and cleared by a good write", async () => {
    const state = join(dir, "state.json");
    await writeFile(state, '{"orchestrators": {"orch-f00": {"status": "act');
    await waitFor("sourceErrors to list state.json", async () => {
      const snap = await snapshot(monitor.url);
      return (snap.sourceErrors?.length ?? 0) > 0 ? snap : undefined;
    });
    await writeAtomic(state, `${JSON.stringify({ orchestrators: {} })}\n`);
    await waitFor("sourceErrors to clear", async () => {
      const snap = await snapshot(monitor.url);
      return (snap.sourceErrors?.length ?? 0) === 0 ? snap : undefined;
    });
    await rm(state);
    expect(monitor.alive()).toBe(true);
  });

  it("a signal file replaced by a directory is skipped; its neighbours and its return are not lost", async () => {
    const expected = fleetMap("implementing");
    expected.set(`${orchId(0)}/${ticket(1)}`, "verifying");
    const orch = orchId(1);
    const file = signalPath(dir, orch, ticket(2));
    await rm(file);
    await mkdir(file);
    await writeFile(join(file, "inner.json"), "{}");
    expected.delete(`${orch}/${ticket(2)}`);
    await writeAtomic(signalPath(dir, orch, ticket(3)), signalText(orch, ticket(3), "pr-created", 5));
    expected.set(`${orch}/${ticket(3)}`, "pr-created");
    await expectFleet(expected, "the directory to drop the worker and the neighbour to update");
    await rm(file, { recursive: true });
    await writeAtomic(file, signalText(orch, ticket(2), "validating", 5));
    expected.set(`${orch}/${ticket(2)}`, "validating");
    await expectFleet(expected, "the file to come back");
    expect(monitor.alive()).toBe(true);
    expect(nonIncreasingIds(stream.frames)).toEqual([]);
  });

  it("the catalyst dir deleted and re-created: the new fleet is read whole, nothing from the old one stays", async () => {
    await rm(dir, { recursive: true, force: true });
    await expectFleet(new Map(), "the fleet to empty");
    await writeFleet(dir, ORCHS, WORKERS, "researching");
    // A burst of updates right after the re-creation, while the watcher re-attaches.
    for (let w = 0; w < WORKERS; w++)
      await writeAtomic(
        signalPath(dir, orchId(2), ticket(w)),
        signalText(orchId(2), ticket(w), "planning", 2),
      );
    const expected = fleetMap("researching");
    for (let w = 0; w < WORKERS; w++) expected.set(`${orchId(2)}/${ticket(w)}`, "planning");
    await expectFleet(expected, "the re-created fleet", 45_000);
    expect(monitor.alive()).toBe(true);
    expect((await health(monitor.url)).clients.count).toBeGreaterThanOrEqual(1);
    expect(nonIncreasingIds(stream.frames)).toEqual([]);
  });
});

describe("permission denied", () => {
  // This box runs the suite as root, and chmod 000 does not stop root. When a non-root uid exists
  // (`nobody`, 65534), the monitor runs as that uid instead, so the denial is real.
  const isRoot = process.getuid?.() === 0;
  const NOBODY = 65534;

  /** Whether uid 65534 can read the checkout (a clone under a 0700 home cannot be). */
  const nobodyCanRun = () =>
    spawnSync(
      process.execPath,
      [
        "-e",
        `const fs = require("node:fs"); fs.accessSync(${JSON.stringify(MONITOR_BIN)}, 4); fs.accessSync(${JSON.stringify(TSX)}, 4);`,
      ],
      { uid: NOBODY, gid: NOBODY, stdio: "ignore" },
    ).status === 0;

  it("an unreadable signal file (monitor as a non-root uid) is reported, not fatal, and read once allowed", async (ctx) => {
    if (isRoot && !nobodyCanRun())
      ctx.skip(
        "running as root, and uid 65534 cannot read this checkout: chmod 000 does not stop root, so no real denial",
      );
    const own = await tempDir("perm");
    const cat = join(own, "catalyst");
    try {
      await writeFleet(cat, 1, 3);
      await chmod(own, 0o755);
      if (isRoot) {
        // Let uid 65534 read the tree (mkdtemp makes 0700 dirs).
        const { chown } = await import("node:fs/promises");
        await chown(own, NOBODY, NOBODY);
      }
      const locked = signalPath(cat, orchId(0), ticket(1));
      await chmod(locked, 0o000);
      const run = await startMonitor(cat, isRoot ? { uid: NOBODY, gid: NOBODY } : {});
      try {
        const snap = await waitFor("the fleet with one unreadable worker", async () => {
          const s = await snapshot(run.url);
          return Object.keys(s.orchestrators[0]?.workers ?? {}).length === 3 ? s : undefined;
        });
        const w = workerOf(snap, orchId(0), ticket(1));
        expect(w?.status).toBe("signal_corrupt");
        expect(w?.corrupt).toBeTruthy();
        await chmod(locked, 0o644);
        await writeAtomic(locked, signalText(orchId(0), ticket(1), "verifying", 4));
        await waitFor("the file to be read once allowed", async () => {
          const s = await snapshot(run.url);
          const x = workerOf(s, orchId(0), ticket(1));
          return x?.status === "verifying" && !x.corrupt ? x : undefined;
        });
        expect(run.alive()).toBe(true);
      } finally {
        await run.stop();
      }
    } finally {
      await removeDir(own);
    }
  });
});
