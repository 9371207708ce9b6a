// Fan-out cost by counts, not timings (issue 26): a frame is encoded once and the same bytes go
// to every client; one flush pass serves every client in slices; a client that does not read
// holds at most its queue's limit. Sinks here are in-memory ByteSinks (the hub's own interface);
// the same hub over real sockets is tested in http.test.ts and the monitor's sse-hub.test.ts.
import { EventEmitter } from "node:events";
import { createScriptedFeed, emptySnapshot, removedDraft, waitUntil } from "@catalyst/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { type ByteSink, createFlushScheduler, type Flushable } from "./client-queue.js";
import { NO_FILTER } from "./delta-filter.js";
import { createSseHub, type SseHub } from "./sse-hub.js";

const hubs: SseHub[] = [];
afterEach(() => {
  for (const hub of hubs.splice(0)) hub.close();
});

/** A sink that records every chunk and cork; `full` makes every write report a full buffer. */
class RecordingSink extends EventEmitter implements ByteSink {
  chunks: Uint8Array[] = [];
  corks = 0;
  ended = false;
  destroyed = false;
  constructor(private readonly full = false) {
    super();
  }
  write(chunk: Uint8Array): boolean {
    this.chunks.push(chunk);
    return !this.full;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
    this.emit("close");
  }
  cork(): void {
    this.corks += 1;
  }
  uncork(): void {}
  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

const deltaChunks = (sink: RecordingSink) =>
  sink.chunks.filter((c) => Buffer.from(c).toString("utf8").includes("event: worker-removed"));

describe("fan-out", () => {
  it("encodes each delta once and writes the same bytes to every one of 1,000 clients", async () => {
    // As fuse does, the feed returns the same snapshot object until its state changes.
    const snapshot = emptySnapshot();
    const feed = { ...createScriptedFeed(), snapshot: () => snapshot };
    const hub = createSseHub(feed, { keepAliveMs: 0 });
    hubs.push(hub);
    const sinks = Array.from({ length: 1000 }, () => new RecordingSink());
    for (const sink of sinks) hub.attach({ lastEventId: null, filter: NO_FILTER }, sink);
    await waitUntil("every snapshot written", () => sinks.every((s) => s.text().includes("event: snapshot")));
    for (let i = 0; i < 5; i++) {
      feed.publish([removedDraft("orch-a", `T-${i}`)]);
      await waitUntil("delta everywhere", () => sinks.every((s) => deltaChunks(s).length === i + 1));
    }
    const distinct = new Set(sinks.flatMap(deltaChunks));
    expect(distinct.size).toBe(5);
    // The snapshot too is one shared buffer, not a copy per client.
    const snapshots = new Set(sinks.map((s) => s.chunks[1]));
    expect(snapshots.size).toBe(1);
  });

  it("writes frames queued together as one corked write, without copying them", async () => {
    const feed = createScriptedFeed();
    const hub = createSseHub(feed, { keepAliveMs: 0 });
    hubs.push(hub);
    const sinks = Array.from({ length: 50 }, () => new RecordingSink());
    for (const sink of sinks) hub.attach({ lastEventId: null, filter: NO_FILTER }, sink);
    await waitUntil("snapshots", () => sinks.every((s) => s.chunks.length >= 2));
    const corksBefore = sinks.map((s) => s.corks);
    // Three publishes in one tick: one flush per client, holding all three frames.
    for (let i = 0; i < 3; i++) feed.publish([removedDraft("orch-a", `T-${i}`)]);
    await waitUntil("three deltas", () => sinks.every((s) => deltaChunks(s).length === 3));
    expect(sinks.map((s, i) => s.corks - corksBefore[i]!)).toEqual(sinks.map(() => 1));
    expect(new Set(sinks.flatMap(deltaChunks)).size).toBe(3);
  });

  it("flushes every client in one pass of slices, with I/O between the slices", async () => {
    const scheduler = createFlushScheduler(100);
    const flushed: number[] = [];
    let immediates = 0;
    const queues: Flushable[] = Array.from({ length: 1000 }, (_, i) => ({
      flushNow: () => {
        flushed.push(i);
      },
    }));
    for (const q of queues) scheduler.schedule(q);
    // Count the setImmediate turns that ran while the pass was under way.
    const tick = (): void => {
      if (flushed.length < 1000) {
        immediates += 1;
        setImmediate(tick);
      }
    };
    setImmediate(tick);
    await waitUntil("every queue flushed", () => flushed.length === 1000);
    expect(scheduler.counts()).toEqual({ passes: 1, slices: 10 });
    expect(flushed).toEqual(queues.map((_, i) => i));
    expect(immediates).toBeGreaterThanOrEqual(9);
    // Idle again: the next schedule starts a new pass.
    scheduler.schedule(queues[0]!);
    await waitUntil("second pass", () => flushed.length === 1001);
    expect(scheduler.counts()).toEqual({ passes: 2, slices: 11 });
  });

  it("bounds what a client that never reads holds, drops it, and keeps serving the others", async () => {
    const feed = createScriptedFeed();
    const hub = createSseHub(feed, { keepAliveMs: 0, maxQueueFrames: 20, maxQueueBytes: 64 * 1024 });
    hubs.push(hub);
    const stalled = Array.from({ length: 100 }, () => new RecordingSink(true));
    const healthy = Array.from({ length: 100 }, () => new RecordingSink());
    for (const sink of [...stalled, ...healthy]) hub.attach({ lastEventId: null, filter: NO_FILTER }, sink);
    await waitUntil("snapshots", () => healthy.every((s) => s.text().includes("event: snapshot")));
    for (let i = 0; i < 60; i++) {
      feed.publish([removedDraft("orch-a", `T-${i}`)]);
      // Never more than the limit waits in any queue.
      expect(Math.max(...hub.queueDepths())).toBeLessThanOrEqual(20);
      if (i % 10 === 9)
        await waitUntil("healthy caught up", () => healthy.every((s) => deltaChunks(s).length === i + 1));
    }
    // A stalled client took only its first write (retry + snapshot, corked), then nothing more.
    expect(stalled.every((s) => s.destroyed && deltaChunks(s).length === 0)).toBe(true);
    expect(hub.droppedCount()).toBe(100);
    expect(hub.clientCount()).toBe(100);
    expect(healthy.every((s) => !s.destroyed && deltaChunks(s).length === 60)).toBe(true);
  });
});
