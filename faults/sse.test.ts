// SSE under fault, against the real monitor bin: connect/disconnect churn, a client that stops
// reading, Last-Event-ID resume across a burst, and kill -9 of the monitor with clients resuming.
import { mkdir, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  health,
  killAll,
  logLine,
  logSeqs,
  type MonitorRun,
  nonIncreasingIds,
  openStream,
  orchId,
  removeDir,
  rssOf,
  type SnapshotLike,
  type Stream,
  scaled,
  signalPath,
  signalText,
  snapshot,
  startMonitor,
  statusesOf,
  tempDir,
  ticket,
  waitFor,
  workerOf,
  writeAtomic,
  writeFleet,
} from "./support.ts";

const ORCHS = 10;
const WORKERS = 20;
const STATUSES = ["researching", "planning", "implementing", "verifying", "validating", "pr-created"];
let root: string;
let dir: string;
let monitor: MonitorRun;
let watcher: Stream;

beforeAll(async () => {
  root = await tempDir("sse");
  dir = join(root, "catalyst");
  await writeFleet(dir, ORCHS, WORKERS);
  await mkdir(join(dir, "events"), { recursive: true });
  await writeFile(join(dir, "events", `${new Date().toISOString().slice(0, 7)}.jsonl`), logLine(0));
  monitor = await startMonitor(dir);
  watcher = openStream(monitor.url);
  await waitFor("the watcher's snapshot", () => watcher.frames.some((f) => f.event === "snapshot"));
});

afterAll(async () => {
  watcher?.close();
  await monitor?.stop();
  killAll();
  await removeDir(root);
});

/** Writes `n` tmp+rename signal updates spread over the fleet; returns the final status per worker. */
async function burst(n: number, round: number): Promise<Map<string, string>> {
  const finals = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const o = i % ORCHS;
    const w = Math.floor(i / ORCHS) % WORKERS;
    const status = STATUSES[(round + Math.floor(i / (ORCHS * WORKERS))) % STATUSES.length]!;
    await writeAtomic(signalPath(dir, orchId(o), ticket(w)), signalText(orchId(o), ticket(w), status));
    finals.set(`${orchId(o)}/${ticket(w)}`, status);
  }
  return finals;
}

/** Waits until a stream's latest frame id reaches the monitor's last id. */
async function caughtUp(stream: Stream, what: string): Promise<number> {
  return waitFor(what, async () => {
    const last = (await health(monitor.url)).lastEventId;
    const seen = stream.frames.at(-1)?.id ?? -1;
    return seen >= last ? last : undefined;
  });
}

/** Waits until the snapshot shows every status in `finals`. */
async function showsFinals(snap: () => Promise<SnapshotLike>, finals: Map<string, string>, what: string) {
  await waitFor(what, async () => {
    const { statuses } = statusesOf(await snap());
    for (const [key, status] of finals) if (statuses.get(key) !== status) return undefined;
    return true;
  });
}

describe("SSE under fault (real monitor bin, real clients)", () => {
  it("connect/disconnect churn: client count and memory return to their baseline", async () => {
    const cycles = scaled(1000, 100);
    const base = await health(monitor.url);
    const rssBefore = rssOf(monitor.child.pid!)!;
    let done = 0;
    const one = () =>
      new Promise<void>((resolve, reject) => {
        const req = request(`${monitor.url}events`, { agent: false }, (res) => {
          res.once("data", () => {
            req.destroy();
            done += 1;
            resolve();
          });
        });
        req.on("error", (error) => (req.destroyed ? resolve() : reject(error)));
        req.end();
      });
    const lanes = 10;
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        for (let i = lane; i < cycles; i += lanes) await one();
      }),
    );
    expect(done).toBe(cycles);
    await waitFor("the client count to return to its baseline", async () => {
      const h = await health(monitor.url);
      return h.clients.count === base.clients.count ? h : undefined;
    });
    const rssAfter = rssOf(monitor.child.pid!)!;
    // Per-connection state is gone; what stays is V8 heap headroom, not one entry per cycle.
    expect(rssAfter - rssBefore, `RSS ${rssBefore} → ${rssAfter}`).toBeLessThan(64 * 1024 * 1024);
    expect(monitor.alive()).toBe(true);
  });

  it("a client that stops reading is dropped at its queue bound; memory stays bounded, others get every line", async () => {
    const base = (await health(monitor.url)).clients.count;
    const stalled = connect(monitor.port, "127.0.0.1", () => {
      stalled.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${monitor.port}\r\n\r\n`);
    });
    stalled.on("error", () => {});
    let stalledBytes = 0;
    stalled.once("data", (chunk: Buffer) => {
      stalledBytes += chunk.length;
      stalled.pause(); // never read again
    });
    await waitFor(
      "the stalled client to connect",
      async () => (await health(monitor.url)).clients.count > base,
    );
    const rssBefore = rssOf(monitor.child.pid!)!;
    let peak = rssBefore;
    // Not scaled: the volume must exceed the 8 MiB queue plus the socket buffers to force the drop.
    const lines = 200;
    const padBytes = 200 * 1024;
    const file = join(dir, "events", `${new Date().toISOString().slice(0, 7)}.jsonl`);
    const { appendFile } = await import("node:fs/promises");
    const seqs: number[] = [];
    for (let i = 0; i < lines; i++) {
      const s = 100_000 + i;
      seqs.push(s);
      await appendFile(file, logLine(s, new Date(), padBytes));
      peak = Math.max(peak, rssOf(monitor.child.pid!) ?? 0);
    }
    await waitFor("the reading client to get every line", () => {
      const got = new Set(logSeqs(watcher.frames));
      return seqs.every((s) => got.has(s));
    });
    await waitFor(
      "the stalled client to be dropped",
      async () => (await health(monitor.url)).clients.count === base,
    );
    peak = Math.max(peak, rssOf(monitor.child.pid!) ?? 0);
    stalled.destroy();
    // lines × 200 KB went out (≈ 40 MB at full scale); the stalled client may hold at most its
    // 8 MiB queue plus socket buffers before it is dropped.
    expect(peak - rssBefore, `RSS ${rssBefore} → peak ${peak}`).toBeLessThan(96 * 1024 * 1024);
    expect(stalledBytes).toBeGreaterThan(0);
    expect(monitor.alive()).toBe(true);
  });

  it("Last-Event-ID across a burst resumes gap-free from the ring, without a snapshot", async () => {
    const early = openStream(monitor.url);
    await waitFor("the early client's snapshot", () => early.frames.some((f) => f.event === "snapshot"));
    await burst(20, 1);
    const lastSeen = await caughtUp(early, "the early client to catch up");
    early.close();
    const finals = await burst(scaled(200, 100), 2);
    await showsFinals(() => snapshot(monitor.url), finals, "the burst in the snapshot");
    await caughtUp(watcher, "the watcher to catch up");

    const resumed = openStream(monitor.url, { lastEventId: lastSeen });
    const end = await caughtUp(resumed, "the resumed client to catch up");
    resumed.close();
    expect(resumed.frames.filter((f) => f.event === "snapshot")).toEqual([]);
    const ids = resumed.frames.map((f) => f.id!);
    const expectedIds = watcher.frames
      .filter((f) => f.event !== "snapshot")
      .map((f) => f.id!)
      .filter((id) => id > lastSeen && id <= end);
    expect(ids.slice(0, expectedIds.length)).toEqual(expectedIds);
    ids.slice(0, expectedIds.length).forEach((id, i) => {
      expect(id).toBe(lastSeen + 1 + i); // gap-free: one id per delta, none skipped
    });
    expect(nonIncreasingIds(resumed.frames)).toEqual([]);
  });

  it("kill -9 and restart on the same port: clients reconnect, get a fresh snapshot with every change, no id repeats", async () => {
    const client = openStream(monitor.url);
    await waitFor("the client's snapshot", () => client.frames.some((f) => f.event === "snapshot"));
    await burst(30, 3);
    const lastOld = await caughtUp(client, "the client to catch up");
    const port = monitor.port;
    monitor.child.kill("SIGKILL");
    await monitor.exit;
    // Changes while no monitor runs must show up in the new process's snapshot.
    const finals = await burst(ORCHS * WORKERS, 4);
    monitor = await startMonitor(dir, { port });
    await waitFor("the client to reconnect", () => client.opened() >= 2, 30_000);
    const fresh = await waitFor("a fresh snapshot after the restart", () =>
      client.frames.find((f) => f.event === "snapshot" && f.id !== null && f.id > lastOld),
    );
    const snap = fresh.data as SnapshotLike;
    const { statuses } = statusesOf(snap);
    for (const [key, status] of finals) expect(statuses.get(key), key).toBe(status);
    // And the live stream goes on after the restart.
    const after = await burst(5, 5);
    await showsFinals(() => snapshot(monitor.url), after, "post-restart writes in the snapshot");
    await waitFor("post-restart deltas on the client", () =>
      client.frames.some(
        (f) =>
          f.event === "worker-update" &&
          f.id! > fresh.id! &&
          (f.data as { worker: string; status: string }).status === after.get(`${orchId(0)}/${ticket(0)}`),
      ),
    );
    client.close();
    expect(nonIncreasingIds(client.frames)).toEqual([]);
    expect(workerOf(await snapshot(monitor.url), orchId(0), ticket(0))?.status).toBe(
      after.get(`${orchId(0)}/${ticket(0)}`),
    );
    // The watcher stream (eventsource) reconnected too.
    await waitFor("the watcher to reconnect", () => watcher.opened() >= 2, 30_000);
    expect(nonIncreasingIds(watcher.frames)).toEqual([]);
    expect(monitor.alive()).toBe(true);
  });
});
