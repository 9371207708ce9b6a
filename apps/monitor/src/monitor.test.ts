import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildParts, createMonitor, type Monitor } from "@catalyst/engine";
import type { Snapshot } from "@catalyst/schema";
import { createSseHub, type SseHub } from "@catalyst/sse-server";
import { writeAtomic } from "@catalyst/test-utils";
import { EventSource } from "eventsource";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "./server/create-app.js";
import { type Listening, listenApp } from "./server/listen.js";
import { waitFor } from "./server/test-support.test-helper.js";

const ORCH = "orch-e2e";
const NAMES = [
  "snapshot",
  "worker-update",
  "liveness-change",
  "needs-you",
  "orchestrator-update",
  "log-event",
];

interface Message {
  event: string;
  id: string;
  data: Record<string, unknown>;
}

function signal(ticket: string, status: string, phase: number, pid: number | null): string {
  const now = new Date().toISOString();
  return `${JSON.stringify(
    {
      ticket,
      orchestrator: ORCH,
      workerName: `${ORCH}-${ticket}`,
      status,
      phase,
      startedAt: now,
      updatedAt: now,
      pr: null,
      pid,
      lastHeartbeat: now,
    },
    null,
    2,
  )}\n`;
}

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function startStack(
  dir: string,
): Promise<{ base: string; hub: SseHub; monitor: Monitor; listening: Listening }> {
  const parts = buildParts({ catalystDir: dir, githubToken: null, livenessIntervalMs: 100 });
  const hub = createSseHub(parts.fuse);
  let port = 0;
  const app = createApp({
    feed: parts.fuse,
    hub,
    catalystDir: dir,
    publicDir: join(dir, "no-public"),
    access: { host: "127.0.0.1", port: () => port, token: null },
    readEvents: parts.readEvents,
    health: { sources: parts.watcher.health, github: parts.prPoller.health, liveness: parts.liveness.health },
  });
  const listening = await listenApp(app, { host: "127.0.0.1", port: 0 });
  port = listening.port;
  const monitor = createMonitor(parts, { tickMs: 200, onSnapshotTimer: () => hub.broadcastSnapshot() });
  await monitor.start();
  cleanup.push(async () => {
    hub.close();
    await monitor.stop();
    await listening.close();
  });
  return { base: `http://127.0.0.1:${port}`, hub, monitor, listening };
}

describe("monitor wiring: real sources → real fuse → SSE over a real socket", () => {
  it("streams a snapshot of the fleet, then a worker-update for a tmp+rename write", async () => {
    const dir = await mkdtemp(join(tmpdir(), "monitor-e2e-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const workers = join(dir, "runs", ORCH, "workers");
    await mkdir(workers, { recursive: true });
    await writeAtomic(join(workers, "CTL-1.json"), signal("CTL-1", "researching", 1, null));

    const { base, hub } = await startStack(dir);
    const got: Message[] = [];
    const es = new EventSource(`${base}/events`);
    cleanup.push(() => es.close());
    for (const name of NAMES)
      es.addEventListener(name, (e) =>
        got.push({ event: name, id: e.lastEventId, data: JSON.parse(e.data) }),
      );
    await waitFor(() => got.length > 0, 10_000, "first snapshot");
    const first = got[0]!;
    expect(first.event).toBe("snapshot");
    const snap = first.data as unknown as Snapshot;
    expect(snap.orchestrators.map((o) => o.id)).toEqual([ORCH]);
    expect(snap.orchestrators[0]?.workers["CTL-1"]?.status).toBe("researching");

    await writeAtomic(join(workers, "CTL-1.json"), signal("CTL-1", "implementing", 3, null));
    await waitFor(
      () => got.some((m) => m.event === "worker-update" && m.data.status === "implementing"),
      15_000,
      "worker-update",
    );
    const update = got.find((m) => m.event === "worker-update" && m.data.status === "implementing")!;
    expect(update.data).toMatchObject({ orchestrator: ORCH, worker: "CTL-1", phase: 3 });
    expect(Number(update.id)).toBeGreaterThan(Number(first.id));

    const snapshotRes = await fetch(`${base}/api/snapshot`);
    const now = (await snapshotRes.json()) as Snapshot;
    expect(now.orchestrators[0]?.workers["CTL-1"]?.status).toBe("implementing");
    es.close();
    await waitFor(() => hub.clientCount() === 0, 10_000, "client released");
  });

  it("tracks a worker pid and sends liveness-change when the process dies", async () => {
    const dir = await mkdtemp(join(tmpdir(), "monitor-e2e-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const workers = join(dir, "runs", ORCH, "workers");
    await mkdir(workers, { recursive: true });
    const child: ChildProcess = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], {
      stdio: "ignore",
    });
    cleanup.push(() => {
      child.kill("SIGKILL");
    });
    await writeAtomic(join(workers, "CTL-2.json"), signal("CTL-2", "implementing", 3, child.pid ?? null));

    const { base } = await startStack(dir);
    const got: Message[] = [];
    const es = new EventSource(`${base}/events`);
    cleanup.push(() => es.close());
    for (const name of NAMES)
      es.addEventListener(name, (e) =>
        got.push({ event: name, id: e.lastEventId, data: JSON.parse(e.data) }),
      );
    const aliveNow = (): boolean | null | undefined => {
      for (const m of [...got].reverse()) {
        if (m.event === "liveness-change" && m.data.worker === "CTL-2") return m.data.alive as boolean | null;
        if (m.event === "snapshot")
          return (m.data as unknown as Snapshot).orchestrators[0]?.workers["CTL-2"]?.alive ?? undefined;
      }
      return undefined;
    };
    await waitFor(() => aliveNow() === true, 15_000, "worker seen alive");
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    await waitFor(() => aliveNow() === false, 15_000, "liveness-change alive:false");
    const change = [...got].reverse().find((m) => m.event === "liveness-change")!;
    expect(change.data).toMatchObject({ orchestrator: ORCH, worker: "CTL-2", alive: false, pid: child.pid });
  });
});
