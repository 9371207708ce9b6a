// The client against the real monitor bin over real sockets: first snapshot, a live delta from a
// real file write, and a resume from the last applied id after the stream is cut.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAllSpawned, type MonitorRun, startMonitorBin, writeAtomic } from "@catalyst/test-utils";
import { EventSource } from "eventsource";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  type ConnectionStatus,
  createMonitorConnection,
  type EventSourceConstructor,
  followFleet,
} from "../src/index.js";

const ORCH = "orch-client";

function signal(ticket: string, status: string, phase: number): string {
  const now = new Date().toISOString();
  return `${JSON.stringify({ ticket, orchestrator: ORCH, status, phase, startedAt: now, updatedAt: now, pr: null })}\n`;
}

let dir: string;
let monitor: MonitorRun;
const stops: Array<() => void> = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "client-e2e-"));
  await mkdir(join(dir, "runs", ORCH, "workers"), { recursive: true });
  await writeAtomic(join(dir, "runs", ORCH, "workers", "CL-1.json"), signal("CL-1", "researching", 1));
  monitor = await startMonitorBin(dir, { args: ["--history", "0"] });
}, 90_000);

afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

afterAll(async () => {
  await monitor?.stop();
  killAllSpawned();
  await rm(dir, { recursive: true, force: true });
});

const statusOf = (
  snapshot: ReturnType<ReturnType<typeof followFleet>["store"]["snapshot"]>,
  ticket: string,
) => snapshot?.orchestrators.find((o) => o.id === ORCH)?.workers[ticket]?.status;

describe("@catalyst/client against catalyst-monitor", () => {
  it("follows the fleet: snapshot first, then a delta from a real signal write", async () => {
    const statuses: ConnectionStatus[] = [];
    const follower = followFleet({
      baseUrl: monitor.url,
      EventSource: EventSource as unknown as EventSourceConstructor,
      onStatus: (s) => statuses.push(s),
    });
    stops.push(() => follower.stop());
    follower.start();
    await vi.waitFor(() => expect(statusOf(follower.store.snapshot(), "CL-1")).toBe("researching"), {
      timeout: 20_000,
    });
    expect(statuses.some((s) => s.state === "live")).toBe(true);

    const idBefore = follower.store.lastId();
    await writeAtomic(join(dir, "runs", ORCH, "workers", "CL-1.json"), signal("CL-1", "implementing", 3));
    await vi.waitFor(() => expect(statusOf(follower.store.snapshot(), "CL-1")).toBe("implementing"), {
      timeout: 20_000,
    });
    expect(follower.store.lastId()).toBeGreaterThan(idBefore);
  });

  it("resumes from the last applied id when its stream is cut and the server is the same", async () => {
    const opened: boolean[] = [];
    const ids: number[] = [];
    const events: string[] = [];
    let sources: Array<{ close(): void }> = [];
    // Record every EventSource the connection opens, so the test can cut the live one.
    const Recording = class extends EventSource {
      constructor(url: string) {
        super(url);
        sources.push(this);
      }
    };
    let last = 0;
    const connection = createMonitorConnection({
      baseUrl: monitor.url,
      EventSource: Recording as unknown as EventSourceConstructor,
      lastId: () => last,
      onFrame: (delta) => {
        ids.push(delta.id);
        events.push(delta.event);
        last = delta.id;
      },
      onBadFrame: () => {},
      onStatus: () => {},
      onOpen: (resumed) => opened.push(resumed),
      backoff: { initialMs: 50, maxMs: 200 },
    });
    stops.push(() => connection.stop());
    connection.start();
    await vi.waitFor(() => expect(ids.length).toBeGreaterThan(0), { timeout: 20_000 });
    expect(opened).toEqual([false]);

    // The resume rule needs the server's uptime (whole seconds in /healthz) to exceed the outage.
    await vi.waitFor(
      async () => {
        const health = (await (await fetch(`${monitor.url}healthz`)).json()) as { uptimeSec: number };
        expect(health.uptimeSec).toBeGreaterThanOrEqual(1);
      },
      { timeout: 20_000, interval: 100 },
    );
    // The client sees the stream fail as a network error would make it fail.
    const live = sources.at(-1) as unknown as { close(): void; onerror: ((e: Event) => void) | null };
    live.close();
    live.onerror?.(new Event("error"));
    sources = [];
    await writeAtomic(join(dir, "runs", ORCH, "workers", "CL-1.json"), signal("CL-1", "validating", 4));
    await vi.waitFor(() => expect(opened).toEqual([false, true]), { timeout: 20_000 });
    // Resumed: no second snapshot, and the delta written during the gap arrives.
    await vi.waitFor(() => expect(events.slice(1)).toContain("worker-update"), { timeout: 20_000 });
    expect(events[0]).toBe("snapshot");
    expect(events.slice(1)).not.toContain("snapshot");
    expect(ids.slice(1).every((id) => id > ids[0]!)).toBe(true);
  });
});
