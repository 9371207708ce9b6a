// The central monitor of several machines, end to end with real processes: a real `nats-server
// -js`, three hosts (their own catalyst dirs, a simulated fleet each) published by real
// `catalyst-monitor --publish` processes, the real `catalyst-monitor --nats` bin on an ephemeral
// port, a real SSE client, `kill -9` of the central monitor, and `catalyst-top --url` against it.
import { appendFile, cp, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDemoFleet } from "@catalyst/fleet-sim";
import type { Snapshot } from "@catalyst/schema";
import {
  type MonitorRun,
  NATS_SERVER,
  type SpawnedBin,
  spawnBin,
  startMonitorBin,
  startNatsServer,
  waitUntil,
  writeAtomic,
} from "@catalyst/test-utils";
import { EventSource } from "eventsource";
import { afterEach, describe, expect, it } from "vitest";

const skipReason = NATS_SERVER
  ? null
  : "nats-server is not installed (apt-get install nats-server; .ci/run does)";
if (skipReason) console.warn(`catalyst-monitor --nats test skipped: ${skipReason}`);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

interface Frame {
  event: string;
  id: string;
  raw: string;
  data: Record<string, unknown>;
}

const EVENTS = [
  "snapshot",
  "worker-update",
  "worker-removed",
  "pr-update",
  "liveness-change",
  "orchestrator-update",
  "orchestrator-removed",
  "attention-raised",
  "wave-completed",
  "needs-you",
  "log-event",
  "hosts",
];

function listen(url: string): { frames: Frame[]; close(): void } {
  const frames: Frame[] = [];
  const es = new EventSource(`${url}events`);
  for (const name of EVENTS)
    es.addEventListener(name, (e) =>
      frames.push({ event: name, id: e.lastEventId, raw: e.data, data: JSON.parse(e.data) }),
    );
  return { frames, close: () => es.close() };
}

/** `catalyst-monitor --nats <url> --port 0 …` from source, resolved once it listens. */
async function startCentral(natsUrl: string, env: NodeJS.ProcessEnv, extra: string[] = []) {
  const run = spawnBin("monitor", ["--nats", natsUrl, "--port", "0", "--stale-after", "12s", ...extra], {
    env,
  });
  await waitUntil(
    "the central monitor listening",
    () => {
      if (run.child.exitCode !== null) throw new Error(`central monitor exited: ${run.stderr()}`);
      return /listening on http:\/\/127\.0\.0\.1:\d+\//.test(run.stdout());
    },
    90_000,
  );
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(run.stdout())![1]!;
  return { run, url };
}

async function kill9(run: SpawnedBin): Promise<void> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return;
  run.child.kill("SIGKILL");
  await run.exit;
}

async function snapshotOf(url: string): Promise<Snapshot> {
  const res = await fetch(`${url}api/snapshot`);
  return (await res.json()) as Snapshot;
}

/** What must survive a restart: everything but the clock and the heartbeats' moving stamps. */
function comparable(s: Snapshot) {
  const { generatedAt: _t, hosts, ...rest } = s;
  return { ...rest, hosts: hosts?.map((h) => ({ name: h.name, stale: h.stale })) };
}

function logLine(ts: Date, event: string, worker: string, n: number): string {
  return `${JSON.stringify({ ts: ts.toISOString(), orchestrator: "manual", worker, event, detail: { n } })}\n`;
}

function signalText(ticket: string, status: string, phase: number): string {
  return JSON.stringify({
    ticket,
    orchestrator: "manual",
    status,
    phase,
    updatedAt: new Date().toISOString(),
  });
}

describe("catalyst-monitor --nats without a broker", () => {
  it("exits 1 with one line that names the flag, never the credentials", async () => {
    const run = spawnBin("monitor", [
      "--nats",
      "nats://alice:s3cret@127.0.0.1:1",
      "--port",
      "0",
      "--nats-wait",
      "1s",
    ]);
    const { code } = await run.exit;
    expect(code).toBe(1);
    expect(run.stderr()).toContain(
      "catalyst-monitor: could not start: cannot read from the NATS broker given to --nats",
    );
    expect(run.stderr()).toMatch(
      /cannot reach the NATS broker at nats:\/\/127\.0\.0\.1:1 after waiting \d+ s/,
    );
    expect(run.stderr() + run.stdout()).not.toContain("s3cret");
    expect(run.stderr()).not.toMatch(/\n\s+at /); // no stack trace
  }, 60_000);
});

describe.skipIf(skipReason !== null)("catalyst-monitor --nats started before its broker", () => {
  it("waits for the broker (--nats-wait, 60 s by default) and comes up once nats-server starts", async () => {
    const root = await mkdtemp(join(tmpdir(), "monitor-central-wait-"));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const server = await startNatsServer(join(root, "store"));
    cleanups.push(() => server.kill());
    await server.kill();
    const run = spawnBin("monitor", ["--nats", server.url, "--port", "0"]);
    cleanups.push(() => kill9(run));
    // Past its argument checks and into start-up, where it connects.
    await waitUntil("the central monitor starting", () => {
      if (run.child.exitCode !== null) throw new Error(`central monitor exited: ${run.stderr()}`);
      return /PR polling/.test(run.stderr());
    });
    await server.restart();
    await waitUntil(
      "the central monitor listening",
      () => {
        if (run.child.exitCode !== null) throw new Error(`central monitor exited: ${run.stderr()}`);
        return /listening on http:\/\/127\.0\.0\.1:\d+\//.test(run.stdout());
      },
      60_000,
    );
    expect(run.stderr()).not.toMatch(/\n\s+at /);
  }, 90_000);
});

describe.skipIf(skipReason !== null)("catalyst-monitor --nats: the central view of several hosts", () => {
  it("fuses three published hosts; one worker's update is one small frame; a silent host goes stale; a kill -9 restart loses and repeats nothing", async () => {
    const root = await mkdtemp(join(tmpdir(), "monitor-central-"));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const server = await startNatsServer(join(root, "store"));
    cleanups.push(() => server.kill());
    const names = ["alpha", "beta", "gamma"];
    const dirs = names.map((n) => join(root, n));
    const publishers: MonitorRun[] = [];
    for (const [i, dir] of dirs.entries()) {
      const scratch = join(root, `sim-${i}`);
      const fleet = createDemoFleet({
        dir: scratch,
        orchestrators: 2,
        workersPerOrchestrator: 3,
        tickMs: 100,
        seed: 11 + i,
        loop: false,
        // The orchestrate layout only: the counts below are of its workers (execution-core is
        // relayed too, see the relay tests).
        executionCoreTickets: 0,
      });
      await fleet.start();
      await waitUntil("the simulated fleet writing its log", async () => {
        const files = await readdir(join(scratch, "events")).catch(() => []);
        return files.length > 0;
      });
      // A copy of the fleet as it was: the host's files stand still, so a restart can be compared.
      // Without the writer's temp files: one renamed between the copy's listing and its lstat
      // failed the copy (ENOENT), twice in five runs on the loaded box.
      await cp(scratch, dir, { recursive: true, filter: (src) => !src.endsWith(".tmp") });
      await fleet.stop();
    }
    // An orchestrator of alpha's written by hand, so the test knows its every line.
    const manual = join(dirs[0]!, "runs", "manual", "workers");
    await mkdir(manual, { recursive: true });
    await writeFile(join(manual, "M-1.json"), signalText("M-1", "implementing", 3));
    const log = join(dirs[0]!, "events", `${new Date().toISOString().slice(0, 7)}.jsonl`);
    await mkdir(join(dirs[0]!, "events"), { recursive: true });
    let n = 0;
    // L-1 exists only in the log: its status is something only the log knows.
    await appendFile(log, logLine(new Date(), "worker-dispatched", "L-1", n++));
    await appendFile(log, logLine(new Date(), "worker-failed", "L-1", n++));

    for (const [i, name] of names.entries()) {
      const run = await startMonitorBin(dirs[i]!, {
        args: ["--publish", server.url, "--host-name", name, "--history", "0"],
        env: { CATALYST_CACHE_DIR: join(root, `cache-${name}`) },
        timeoutMs: 90_000,
      });
      cleanups.push(() => run.stop());
      publishers.push(run);
    }

    const centralEnv = { CATALYST_CACHE_DIR: join(root, "cache-central") };
    let central = await startCentral(server.url, centralEnv);
    cleanups.push(() => kill9(central.run));
    expect(central.run.stderr()).toContain("central monitor");
    expect(central.run.stderr()).toContain(server.url.replace("nats://", ""));

    // Every host's orchestrators arrive with `host` set and ids namespaced.
    let lastSeen = "";
    await waitUntil(
      "every host and the manual orchestrator at the central monitor",
      async () => {
        const s = await snapshotOf(central.url);
        lastSeen = JSON.stringify(
          s.orchestrators.map((o) => [
            o.id,
            o.host,
            Object.values(o.workers).map((w) => [w.ticket, w.status]),
          ]),
        );
        const hosts = new Set(s.orchestrators.map((o) => o.host));
        const l1 = s.orchestrators.find((o) => o.id === "alpha/manual")?.workers["L-1"];
        return names.every((h) => hosts.has(h)) && l1?.status === "failed";
      },
      90_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last seen ${lastSeen}; central: ${central.run.stderr()}`);
    });
    const first = await snapshotOf(central.url);
    for (const o of first.orchestrators) {
      expect(o.host).toBeDefined();
      expect(o.id.startsWith(`${o.host}/`)).toBe(true);
      for (const w of Object.values(o.workers)) expect(w.orchestrator).toBe(o.id);
    }
    expect(first.orchestrators.find((o) => o.id === "alpha/manual")?.workers["M-1"]?.status).toBe(
      "implementing",
    );
    expect(first.hosts?.map((h) => h.name)).toEqual(names);

    // One worker's update on one host: one worker-update frame, its size the worker's, not the fleet's.
    const sse = listen(central.url);
    cleanups.push(async () => sse.close());
    await waitUntil("the first snapshot frame", () => sse.frames.length > 0, 30_000);
    await writeAtomic(join(manual, "M-1.json"), signalText("M-1", "validating", 4));
    await waitUntil(
      "M-1 validating at the SSE client",
      () => sse.frames.some((f) => f.event === "worker-update" && f.data.worker === "M-1"),
      60_000,
    );
    const updates = sse.frames.filter((f) => f.data.worker === "M-1");
    expect(updates.map((f) => f.event)).toEqual(["worker-update"]);
    expect(updates[0]!.data).toMatchObject({ orchestrator: "alpha/manual", status: "validating" });
    const snapshotBytes = sse.frames[0]!.raw.length;
    expect(updates[0]!.raw.length).toBeLessThan(4096);
    expect(snapshotBytes).toBeGreaterThan(updates[0]!.raw.length * 10);

    // A host that stops publishing turns stale; its workers keep their state (never dead).
    const gammaBefore = (await snapshotOf(central.url)).orchestrators.filter((o) => o.host === "gamma");
    expect(gammaBefore.length).toBeGreaterThan(0);
    await publishers[2]!.stop();
    await waitUntil(
      "gamma stale in a hosts event",
      () =>
        sse.frames.some(
          (f) =>
            f.event === "hosts" &&
            (f.data.hosts as Array<{ name: string; stale: boolean }>).some(
              (h) => h.name === "gamma" && h.stale,
            ),
        ),
      90_000,
    );
    const afterStale = await snapshotOf(central.url);
    expect(afterStale.hosts?.map((h) => [h.name, h.stale])).toEqual([
      ["alpha", false],
      ["beta", false],
      ["gamma", true],
    ]);
    expect(afterStale.orchestrators.filter((o) => o.host === "gamma")).toEqual(gammaBefore);
    expect(sse.frames.some((f) => f.event === "liveness-change")).toBe(false);
    const health = (await (await fetch(`${central.url}healthz`)).json()) as {
      nats: { connected: boolean };
      hosts: unknown[];
      pollers: { liveness: { enabled: boolean; reason: string } };
    };
    expect(health.nats.connected).toBe(true);
    expect(health.hosts).toHaveLength(3);
    expect(health.pollers.liveness).toMatchObject({
      enabled: true,
      reason: expect.stringContaining("relays the answers"),
    });
    // /api/events answers from the stream: every host, the orchestrator filter in central ids.
    const eventsRes = await fetch(`${central.url}api/events?orchestrator=alpha%2Fmanual&limit=1000`);
    expect(eventsRes.status).toBe(200);
    const eventsBody = (await eventsRes.json()) as {
      events: Array<{ worker?: string; event: string; ts: string }>;
    };
    expect(eventsBody.events.filter((e) => e.worker === "L-1").map((e) => e.event)).toEqual([
      "worker-dispatched",
      "worker-failed",
    ]);
    const otherHost = (await (await fetch(`${central.url}api/events?orchestrator=beta%2Fmanual`)).json()) as {
      events: unknown[];
    };
    expect(otherHost.events).toEqual([]);
    // A since window is read through the stream's time index: the same lines as without one.
    const windowed = (await (
      await fetch(
        `${central.url}api/events?orchestrator=alpha%2Fmanual&limit=1000&since=1970-01-01T00:00:00Z`,
      )
    ).json()) as typeof eventsBody;
    expect(windowed.events).toEqual(eventsBody.events);

    // Time travel over the stream (issue 25): every host at a moment, ids as live, `at` set; a line
    // published late (stamped before that moment) is in the next answer; the scrubber's span.
    const l1At = Date.parse(eventsBody.events.findLast((e) => e.worker === "L-1")!.ts);
    const atRes = await fetch(`${central.url}api/snapshot?at=${new Date(l1At + 1).toISOString()}`);
    expect(atRes.status).toBe(200);
    const past = (await atRes.json()) as Snapshot;
    expect(past.at).toBe(new Date(l1At + 1).toISOString());
    expect(past.orchestrators.find((o) => o.id === "alpha/manual")?.workers["L-1"]?.status).toBe("failed");
    expect(past.orchestrators.every((o) => /^(alpha|beta|gamma)\//.test(o.id))).toBe(true);
    const early = new Date(l1At - 60_000);
    const earlier = (await (
      await fetch(`${central.url}api/snapshot?at=${early.toISOString()}`)
    ).json()) as Snapshot;
    expect(earlier.orchestrators.find((o) => o.id === "alpha/manual")?.workers["L-1"]).toBeUndefined();
    expect((await fetch(`${central.url}api/snapshot?at=not-a-time`)).status).toBe(400);
    await appendFile(log, logLine(new Date(l1At - 30_000), "worker-dispatched", "LATE-1", n++));
    await waitUntil(
      "the late line in the answer at the earlier moment",
      async () =>
        (
          (await (await fetch(`${central.url}api/snapshot?at=${early.toISOString()}`)).json()) as Snapshot
        ).orchestrators.find((o) => o.id === "alpha/manual")?.workers["LATE-1"] === undefined &&
        (
          (await (
            await fetch(`${central.url}api/snapshot?at=${new Date(l1At).toISOString()}`)
          ).json()) as Snapshot
        ).orchestrators.find((o) => o.id === "alpha/manual")?.workers["LATE-1"] !== undefined,
      30_000,
    );
    const span = (await (await fetch(`${central.url}api/log-span`)).json()) as { first: string | null };
    expect(Date.parse(span.first ?? "")).toBeLessThanOrEqual(l1At - 30_000);

    // catalyst-top follows the central monitor.
    const top = spawnBin("top", ["--url", central.url, "--once"], { env: centralEnv });
    const topExit = await top.exit;
    expect(topExit.code, top.stderr()).toBe(0);
    expect(top.stdout()).toContain("M-1");

    // kill -9 of the central monitor: a new process folds the history again and resumes after its
    // ack floor; the snapshot is the same, and a line written meanwhile is folded once.
    await appendFile(log, logLine(new Date(), "worker-dispatched", "L-2", n++));
    await waitUntil(
      "L-2 at the central monitor",
      async () =>
        (await snapshotOf(central.url)).orchestrators.find((o) => o.id === "alpha/manual")?.workers["L-2"] !==
        undefined,
      60_000,
    );
    sse.close();
    const before = await snapshotOf(central.url);
    await kill9(central.run);
    central = await startCentral(server.url, centralEnv);
    // The listening line comes once the KV and the stream up to its sequence at start are in.
    const after = await snapshotOf(central.url);
    expect(after.loading).toBeUndefined();
    expect(comparable(after)).toEqual(comparable(before));
    expect(after.orchestrators.find((o) => o.id === "alpha/manual")?.workers["L-1"]?.status).toBe("failed");

    // Lines written after the restart: one log-event frame each, and nothing older repeated.
    const again = listen(central.url);
    cleanups.push(async () => again.close());
    await waitUntil("the snapshot after the restart", () => again.frames.length > 0, 30_000);
    const fresh = [n, n + 1, n + 2];
    await appendFile(
      log,
      logLine(new Date(), "worker-dispatched", "L-3", n++) +
        logLine(new Date(), "worker-done", "L-3", n++) +
        logLine(new Date(), "worker-dispatched", "L-4", n++),
    );
    const logEvents = () => again.frames.filter((f) => f.event === "log-event");
    await waitUntil("three log-event frames", () => logEvents().length >= 3, 60_000);
    await writeAtomic(join(manual, "M-1.json"), signalText("M-1", "pr-open", 5));
    await waitUntil(
      "a later change, so any repeat would have arrived before it",
      () => again.frames.some((f) => f.event === "worker-update" && f.data.worker === "M-1"),
      60_000,
    );
    const seen = logEvents().map((f) => (f.data.line as { detail: { n: number } }).detail.n);
    expect(seen).toEqual(fresh);
    const final = await snapshotOf(central.url);
    expect(final.orchestrators.find((o) => o.id === "alpha/manual")?.workers["L-3"]?.status).toBe("done");
  }, 400_000);
});
