// Hostile files (issue 17): a FIFO named x.json, sparse 1.9 GB signal files, a symlink to /dev/zero,
// JSON nested 6,000 and 100,000 deep, a global state.json whose `usage` is nested deep, an event log
// replaced by a directory, a 10 MB log line and timestamps from the far future, against the real
// monitor bin. Nothing may freeze, crash, 500 or lie, and one bad file never affects another.
import { spawnSync } from "node:child_process";
import { appendFile, mkdir, open, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  getJson,
  killAll,
  logLine,
  type MonitorRun,
  openFds,
  orchId,
  rawGet,
  removeDir,
  rssOf,
  scaled,
  signalPath,
  signalText,
  snapshot,
  startMonitor,
  tempDir,
  ticket,
  waitFor,
  workerOf,
  writeAtomic,
  writeFleet,
} from "./support.ts";

interface Marker {
  file: string;
  reason: string;
}
interface HealthBody {
  status: string;
  degradedSources: Marker[];
}
interface WorkerLike {
  status: string;
  updatedAt: string | null;
  corrupt: Marker | null;
  warnings?: Array<{ field: string; expected: string; received: string; source: string }>;
}

/** The worker's warning about a time beyond the clock-skew allowance, if any. */
const skewWarning = (w: WorkerLike | undefined, field: string) =>
  w?.warnings?.find((x) => x.field === field && x.received.startsWith("9999-12-31"));

const ORCH = orchId(0);
const SPARSE = scaled(10, 2);
const SPARSE_BYTES = 1_900_000_000;
let root: string;
let dir: string;
let workers: string;
let monthFile: string;
let monitor: MonitorRun;

const nested = (depth: number, open: string, close: string, inner: string) =>
  `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

function signalWith(worker: string, extra: string): string {
  const base = signalText(ORCH, worker, "implementing").trimEnd();
  return `${base.slice(0, -1)}, ${extra}}\n`;
}

async function worker(name: string): Promise<WorkerLike | undefined> {
  return workerOf(await snapshot(monitor.url), ORCH, name) as WorkerLike | undefined;
}

const healthz = () => getJson<HealthBody>(`${monitor.url}healthz`);

function monthName(d = new Date()): string {
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}.jsonl`;
}

beforeAll(async () => {
  root = await tempDir("hostile-files");
  dir = join(root, "catalyst");
  await writeFleet(dir, 1, 3);
  workers = join(dir, "runs", ORCH, "workers");
  // Present at start-up: each of these froze, crashed or exhausted the monitor before issue 17.
  expect(spawnSync("mkfifo", [join(workers, "fifo.json")]).status).toBe(0);
  for (let i = 0; i < SPARSE; i++) {
    const handle = await open(join(workers, `sparse-${i}.json`), "w");
    await handle.truncate(SPARSE_BYTES); // 0 bytes on disk
    await handle.close();
  }
  await symlink("/dev/zero", join(workers, "zero.json"));
  await writeFile(
    join(workers, "deep-cost.json"),
    signalWith("deep-cost", `"cost": ${nested(6000, '{"a":', "}", "1")}`),
  );
  await writeFile(join(workers, "deep-array.json"), nested(100_000, "[", "]", ""));
  await writeFile(
    join(dir, "state.json"),
    `{"orchestrators": {}, "usage": ${nested(6000, '{"u":', "}", "1")}}\n`,
  );
  await mkdir(join(dir, "events"), { recursive: true });
  monthFile = join(dir, "events", monthName());
  await writeFile(monthFile, logLine(0));
  const started = Date.now();
  monitor = await startMonitor(dir, { args: ["--history", "0"] });
  console.log(
    `[hostile-files] listening ${Date.now() - started} ms after spawn with a FIFO, ${SPARSE} sparse 1.9 GB files, /dev/zero and deep JSON present`,
  );
});

afterAll(async () => {
  await monitor?.stop();
  killAll();
  await removeDir(root);
});

describe("hostile signal and state files", () => {
  it("starts, serves a snapshot, and marks each bad file corrupt with its reason while the good ones show", async () => {
    const expectations: Array<[string, RegExp]> = [
      ["fifo", /not a regular file \(a FIFO\)/],
      ["zero", /not a regular file \(a character device\)/],
      ["deep-cost", /nested more than 64 deep/],
      ["deep-array", /nested more than 64 deep/],
      ...Array.from({ length: SPARSE }, (_, i): [string, RegExp] => [
        `sparse-${i}`,
        /too large \(1900000000 bytes/,
      ]),
    ];
    const snap = await waitFor("every bad file marked", async () => {
      const s = await snapshot(monitor.url);
      return expectations.every(([name]) => workerOf(s, ORCH, name)?.corrupt) ? s : undefined;
    });
    for (const [name, reason] of expectations) {
      const corrupt = workerOf(snap, ORCH, name)?.corrupt as Marker;
      expect(corrupt.file, name).toBe(join(workers, `${name}.json`));
      expect(corrupt.reason, name).toMatch(reason);
      expect(corrupt.reason, name).toContain(join(workers, `${name}.json`));
    }
    for (let w = 0; w < 3; w++) expect(workerOf(snap, ORCH, ticket(w))?.status).toBe("implementing");
    const global = (snap.sourceErrors as Marker[]).find((e) => e.file === join(dir, "state.json"));
    expect(global?.reason).toMatch(/nested more than 64 deep/);
    const rss = rssOf(monitor.child.pid!)!;
    console.log(`[hostile-files] RSS with every hostile file present: ${Math.round(rss / 1e6)} MB`);
    expect(rss).toBeLessThan(400 * 1024 * 1024);
  });

  it("the SSE stream opens with a snapshot and never carries an error or a stack trace", async () => {
    const res = await rawGet(monitor.port, "/events");
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/^(retry: \d+\n\n)?id: \d+\nevent: snapshot\n/);
    expect(res.body).not.toMatch(/Cannot write headers|ERR_HTTP_HEADERS_SENT|\n\s+at /);
    expect((await rawGet(monitor.port, "/api/snapshot")).status).toBe(200);
    expect(monitor.stderr()).not.toMatch(/Cannot write headers|ERR_HTTP_HEADERS_SENT|\n\s+at /);
  });

  it("/healthz is degraded and names every bad file with its reason", async () => {
    const body = await healthz();
    expect(body.status).toBe("degraded");
    const byFile = new Map(body.degradedSources.map((m) => [m.file, m.reason]));
    expect(byFile.get(join(workers, "fifo.json"))).toMatch(/FIFO/);
    expect(byFile.get(join(workers, "zero.json"))).toMatch(/character device/);
    expect(byFile.get(join(workers, "sparse-0.json"))).toMatch(/too large/);
    expect(byFile.get(join(workers, "deep-cost.json"))).toMatch(/deep/);
    expect(byFile.get(join(dir, "state.json"))).toMatch(/deep/);
  });

  it("a FIFO created live freezes nothing: later changes in any file still arrive", async () => {
    expect(spawnSync("mkfifo", [join(workers, "live-fifo.json")]).status).toBe(0);
    await writeAtomic(signalPath(dir, ORCH, ticket(1)), signalText(ORCH, ticket(1), "validating"));
    await waitFor(
      "the change after the FIFO",
      async () => (await worker(ticket(1)))?.status === "validating",
    );
    await waitFor("the live FIFO marked", async () =>
      (await worker("live-fifo"))?.corrupt?.reason.includes("FIFO"),
    );
    expect(monitor.alive()).toBe(true);
  });
});

describe("hostile event log", () => {
  it("a 10 MB line is dropped and shown; a log replaced by a directory is shown and holds no handle", async () => {
    await appendFile(
      monthFile,
      `${JSON.stringify({ ts: new Date().toISOString(), pad: "x".repeat(10 * 1024 * 1024) })}\n`,
    );
    const oversized = await waitFor("the oversized line in /healthz", async () =>
      (await healthz()).degradedSources.find((m) => m.file === monthFile && /over the/.test(m.reason)),
    );
    expect(oversized.reason).toMatch(/line at byte \d+: line of \d+ bytes is over the 1048576-byte cap/);
    const snap = await snapshot(monitor.url);
    expect((snap.sourceErrors as Marker[]).some((m) => m.file === monthFile)).toBe(true);

    await rm(monthFile);
    await mkdir(monthFile);
    const marker = await waitFor("the directory in /healthz", async () =>
      (await healthz()).degradedSources.find((m) => m.file === monthFile && /directory/.test(m.reason)),
    );
    expect(marker.reason).toContain("not a regular file");
    // Two more backstop polls (1 s each) have passed once a later line in the legacy log arrives.
    await writeFile(join(dir, "events.jsonl"), "");
    await appendFile(join(dir, "events.jsonl"), logLine(1));
    await waitFor("a poll after the swap", async () => (await healthz()).status === "degraded");
    const held = openFds(monitor.child.pid!).filter((p) => p.startsWith(monthFile));
    console.log(`[hostile-files] handles on the log replaced by a directory: ${held.length}`);
    expect(held).toEqual([]);
    expect(monitor.alive()).toBe(true);
  });

  it("a log line or signal stamped in the far future is flagged, not trusted for updatedAt", async () => {
    const legacy = join(dir, "events.jsonl");
    await appendFile(
      legacy,
      `${JSON.stringify({ ts: "9999-12-31T23:59:59Z", orchestrator: ORCH, worker: ticket(0), event: "worker-heartbeat" })}\n`,
    );
    const flagged = await waitFor("the log line flagged", async () => {
      const w = await worker(ticket(0));
      return skewWarning(w, "$.ts") ? w : undefined;
    });
    expect(String(flagged.updatedAt)).not.toMatch(/^9999/);
    expect(skewWarning(flagged, "$.ts")?.expected).toMatch(/minutes ahead of the monitor's clock/);

    const future = signalText(ORCH, ticket(2), "implementing").replace(
      /"updatedAt": "[^"]+"/,
      '"updatedAt": "9999-12-31T23:59:59Z"',
    );
    await writeAtomic(signalPath(dir, ORCH, ticket(2)), future);
    const w2 = await waitFor("the signal flagged", async () => {
      const w = await worker(ticket(2));
      return skewWarning(w, "$.updatedAt") ? w : undefined;
    });
    expect(String(w2.updatedAt)).not.toMatch(/^9999/);
  });
});
