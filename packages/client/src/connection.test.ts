// The connection's timing rules with fake timers and a fake EventSource: backoff, the /healthz
// probe, resume or fresh start, and the silent-stream watchdog. Losing a link and waiting minutes
// for silence cannot be made to happen in a real browser test in reasonable time (the Chromium
// tests cover the real reconnects).
import type { Delta } from "@catalyst/schema/constants";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type ConnectionStatus, createMonitorConnection, type EventSourceConstructor } from "./connection.js";

type Listener = (event: { data: string; lastEventId: string }) => void;

class FakeEventSource {
  static readonly CLOSED = 2;
  static instances: FakeEventSource[] = [];
  readyState = 0;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  private readonly listeners = new Map<string, Listener>();
  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }
  addEventListener(name: string, listener: Listener) {
    this.listeners.set(name, listener);
  }
  close() {
    this.readyState = FakeEventSource.CLOSED;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  send(name: string, id: number, data: unknown) {
    this.listeners.get(name)?.({ data: JSON.stringify(data), lastEventId: String(id) });
  }
  keepAlive() {
    this.listeners.get("ka")?.({ data: "{}", lastEventId: "" });
  }
  fail() {
    this.readyState = FakeEventSource.CLOSED;
    this.onerror?.();
  }
}

let health: unknown;
let healthUp = true;
let lastId = 0;
const statuses: ConnectionStatus[] = [];
const frames: Delta[] = [];

const fakeFetch = (async () => {
  if (!healthUp) throw new TypeError("connection refused");
  return { json: async () => health };
}) as unknown as typeof fetch;

const latest = () => FakeEventSource.instances.at(-1)!;

function start(options: { silentAfterMs?: number } = {}) {
  const connection = createMonitorConnection({
    EventSource: FakeEventSource as unknown as EventSourceConstructor,
    fetch: fakeFetch,
    baseUrl: "http://127.0.0.1:7400",
    token: null,
    lastId: () => lastId,
    onFrame: (delta) => {
      frames.push(delta);
      lastId = delta.id;
    },
    onBadFrame: () => {},
    onStatus: (status) => statuses.push(status),
    onOpen: () => {},
    random: () => 0.5,
    ...options,
  });
  connection.start();
  return connection;
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeEventSource.instances = [];
  statuses.length = 0;
  frames.length = 0;
  lastId = 0;
  healthUp = true;
  health = { lastEventId: 0, uptimeSec: 3600 };
});

afterEach(() => {
  vi.useRealTimers();
});

describe("createMonitorConnection", () => {
  it("backs off 0.5 s, 1 s, 2 s while the server is down, then resumes from the last id", async () => {
    start();
    latest().open();
    latest().send("snapshot", 7, { orchestrators: [] });
    expect(frames.map((f) => `${f.event}#${f.id}`)).toEqual(["snapshot#7"]);

    healthUp = false;
    latest().fail();
    expect(statuses.at(-1)).toMatchObject({ state: "reconnecting", attempt: 1 });
    await vi.advanceTimersByTimeAsync(500);
    expect(statuses.at(-1)).toMatchObject({ state: "reconnecting", attempt: 2 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(statuses.at(-1)).toMatchObject({ state: "reconnecting", attempt: 3 });
    expect(FakeEventSource.instances).toHaveLength(1);

    healthUp = true;
    health = { lastEventId: 9, uptimeSec: 3600 };
    await vi.advanceTimersByTimeAsync(2000);
    expect(FakeEventSource.instances).toHaveLength(2);
    expect(latest().url).toBe("http://127.0.0.1:7400/events?lastEventId=7");
    latest().open();
    expect(statuses.at(-1)).toMatchObject({ state: "live", resumed: true });
  });

  it("starts fresh (no lastEventId) when /healthz shows a restarted server", async () => {
    start();
    latest().open();
    latest().send("snapshot", 40, { orchestrators: [] });
    health = { lastEventId: 3, uptimeSec: 1 };
    latest().fail();
    await vi.advanceTimersByTimeAsync(500);
    expect(latest().url).toBe("http://127.0.0.1:7400/events");
  });

  it("reconnects a stream that stays silent, and not one that keeps sending", async () => {
    start({ silentAfterMs: 10_000 });
    latest().open();
    for (let i = 1; i <= 5; i++) {
      await vi.advanceTimersByTimeAsync(6000);
      latest().send("needs-you", i, { ts: "2026-04-14T19:00:00Z", added: [], changed: [], removed: [] });
    }
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(statuses.at(-1)).toMatchObject({ state: "live" });

    await vi.advanceTimersByTimeAsync(10_000);
    expect(latest().readyState).toBe(FakeEventSource.CLOSED);
    expect(statuses.at(-1)).toMatchObject({ state: "reconnecting", reason: "no data for 10s" });
    await vi.advanceTimersByTimeAsync(500);
    expect(FakeEventSource.instances).toHaveLength(2);
  });

  it("keeps a stream alive on keep-alive events alone, and they move neither frames nor the resume id", async () => {
    start({ silentAfterMs: 10_000 });
    latest().open();
    latest().send("snapshot", 3, { orchestrators: [] });
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(6000);
      latest().keepAlive();
    }
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(statuses.at(-1)).toMatchObject({ state: "live" });
    expect(frames.map((f) => f.id)).toEqual([3]);
  });

  it("stop() closes the stream and cancels a pending reconnect", async () => {
    const connection = start();
    latest().open();
    latest().fail();
    connection.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeEventSource.instances).toHaveLength(1);
  });
});
