// The hub on its own: a scripted feed in place of fuse, clients read as the web streams `open`
// returns (no HTTP server needed; the monitor's tests drive the same hub over real sockets).
import type { Snapshot } from "@catalyst/schema";
import { createScriptedFeed, emptySnapshot, fleetSnapshot, removedDraft } from "@catalyst/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { NO_FILTER, parseDeltaFilter } from "./delta-filter.js";
import { createSnapshotFrames, type SteppedDeltaFeed } from "./snapshot-frames.js";
import { createSseHub, type SseHub } from "./sse-hub.js";

const hubs: SseHub[] = [];
afterEach(() => {
  for (const hub of hubs.splice(0)) hub.close();
});

/** Reads a stream's text as it arrives; `until` waits for a substring (the stream is never slept on). */
function reader(stream: ReadableStream<Uint8Array>) {
  const r = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  return {
    text: () => text,
    /** Reads until `part` is in the text (after `after`, when given). */
    async until(part: string, after?: string): Promise<string> {
      const has = (): boolean => {
        if (after === undefined) return text.includes(part);
        const at = text.indexOf(after);
        return at >= 0 && text.indexOf(part, at) >= 0;
      };
      while (!has()) {
        const next = await r.read();
        if (next.done) throw new Error(`stream ended before ${JSON.stringify(part)}; got ${text}`);
        text += decoder.decode(next.value, { stream: true });
      }
      return text;
    },
    cancel: () => r.cancel(),
  };
}

describe("createSseHub", () => {
  it("sends retry, a snapshot, then live deltas, and subscribes only while it has clients", async () => {
    const feed = createScriptedFeed();
    const hub = createSseHub(feed, { retryMs: 1234 });
    hubs.push(hub);
    expect(hub.subscribed()).toBe(false);
    const client = reader(hub.open({ lastEventId: null, filter: NO_FILTER }));
    await client.until("event: snapshot");
    expect(client.text().startsWith("retry: 1234\n")).toBe(true);
    expect(hub.subscribed()).toBe(true);
    expect(hub.clientCount()).toBe(1);
    feed.publish([removedDraft("orch-a", "T-1")]);
    await client.until("event: worker-removed");
    expect(client.text()).toContain("id: 1\n");
    await client.cancel();
    expect(hub.clientCount()).toBe(0);
    expect(feed.listenerCount()).toBe(0);
  });

  it("counts the frames and bytes it queues to clients", async () => {
    const feed = createScriptedFeed();
    const hub = createSseHub(feed);
    hubs.push(hub);
    expect(hub.sentCounts()).toEqual({ frames: 0, bytes: 0 });
    const a = reader(hub.open({ lastEventId: null, filter: NO_FILTER }));
    const b = reader(hub.open({ lastEventId: null, filter: NO_FILTER }));
    feed.publish([removedDraft("orch-a", "T-1")]);
    const texts = [await a.until("event: worker-removed"), await b.until("event: worker-removed")];
    // retry + snapshot + one delta per client, and every byte each client read.
    expect(hub.sentCounts()).toEqual({
      frames: 6,
      bytes: texts.reduce((n, t) => n + Buffer.byteLength(t), 0),
    });
    await a.cancel();
    await b.cancel();
  });

  it("resumes from Last-Event-ID with only the missed deltas, and gives a snapshot for a gap", async () => {
    const feed = createScriptedFeed(2);
    const hub = createSseHub(feed);
    hubs.push(hub);
    feed.publish([removedDraft("orch-a", "T-1"), removedDraft("orch-a", "T-2")]);
    const resumed = reader(hub.open({ lastEventId: "1", filter: NO_FILTER }));
    const text = await resumed.until("id: 2\n");
    expect(text).not.toContain("event: snapshot");
    expect(text).not.toContain("id: 1\n");
    feed.publish([removedDraft("orch-a", "T-3"), removedDraft("orch-a", "T-4")]);
    const gap = reader(hub.open({ lastEventId: "1", filter: NO_FILTER }));
    expect(await gap.until("event: snapshot")).toContain("event: snapshot");
  });

  it("passes a client only the deltas its filter matches", async () => {
    const feed = createScriptedFeed();
    const hub = createSseHub(feed);
    hubs.push(hub);
    const parsed = parseDeltaFilter((name) => (name === "orchestrator" ? "orch-b" : undefined));
    if (!parsed.ok) throw new Error(parsed.message);
    const client = reader(hub.open({ lastEventId: null, filter: parsed.filter }));
    await client.until("event: snapshot");
    feed.publish([removedDraft("orch-a", "T-1"), removedDraft("orch-b", "T-2")]);
    const text = await client.until('"T-2"');
    expect(text).not.toContain('"T-1"');
  });

  it("encodes the snapshot once for 100 clients connecting at one revision, and /api/snapshot answers from it", async () => {
    const feed = createScriptedFeed();
    const snapshot = fleetSnapshot();
    const stepped = { ...feed, snapshot: () => snapshot };
    feed.publish([removedDraft("orch-a", "T-1")]);
    const frames = createSnapshotFrames(stepped);
    const hub = createSseHub(stepped, { frames });
    hubs.push(hub);
    const clients = Array.from({ length: 100 }, () =>
      reader(hub.open({ lastEventId: null, filter: NO_FILTER })),
    );
    const texts = await Promise.all(clients.map((c) => c.until("\n\n", "event: snapshot")));
    const json = await frames.json(false);
    expect(frames.builds()).toBe(1);
    for (const text of texts)
      expect(text).toContain(`id: 1\nevent: snapshot\ndata: ${json.toString("utf8")}\n\n`);
    await Promise.all(clients.map((c) => c.cancel()));
  });

  it("builds a large snapshot frame in steps with turns of the event loop; deltas meanwhile follow it", async () => {
    const feed = createScriptedFeed();
    const orchestrators = fleetSnapshot().orchestrators;
    // 300 orchestrators, each step 1 ms of a fake clock: a build of many 8 ms slices.
    const big: Snapshot = {
      ...emptySnapshot(),
      orchestrators: Array.from({ length: 300 }, (_, i) => orchestrators[i % orchestrators.length]!),
    };
    let clock = 0;
    let turns = 0;
    let published = false;
    const stepped: SteppedDeltaFeed = {
      ...feed,
      snapshot: () => big,
      *snapshotSteps() {
        for (let i = 0; i < big.orchestrators.length; i++) {
          clock += 1;
          yield;
        }
        return big;
      },
    };
    const frames = createSnapshotFrames(stepped, {
      now: () => clock,
      yieldToLoop: () =>
        new Promise<void>((resolve) => {
          turns += 1;
          // A delta applied while the frame is being built.
          if (!published) {
            published = true;
            feed.publish([removedDraft("orch-a", "T-meanwhile")]);
          }
          setImmediate(resolve);
        }),
    });
    const hub = createSseHub(stepped, { frames });
    hubs.push(hub);
    const client = reader(hub.open({ lastEventId: null, filter: NO_FILTER }));
    // The connect did not build the frame in one go: the client waits, with no delta yet.
    expect(frames.builds()).toBe(0);
    const text = await client.until("T-meanwhile");
    expect(turns).toBeGreaterThanOrEqual(30);
    expect(frames.builds()).toBe(1);
    // The snapshot is the fleet before the delta (id 0), and the delta comes after it.
    const snapshotAt = text.indexOf("id: 0\nevent: snapshot\n");
    expect(snapshotAt).toBeGreaterThan(0);
    expect(text.indexOf("id: 1\nevent: worker-removed")).toBeGreaterThan(snapshotAt);
    expect(hub.clientCount()).toBe(1);
    await client.cancel();
  });

  it("a client whose deltas since the frame would overflow its queue gets that frame, then a newer one, and no delta between", async () => {
    const feed = createScriptedFeed();
    const orchestrators = fleetSnapshot().orchestrators;
    const big: Snapshot = {
      ...emptySnapshot(),
      orchestrators: Array.from({ length: 30 }, (_, i) => orchestrators[i % orchestrators.length]!),
    };
    let clock = 0;
    let burst = true;
    const stepped: SteppedDeltaFeed = {
      ...feed,
      snapshot: () => big,
      *snapshotSteps() {
        for (let i = 0; i < big.orchestrators.length; i++) {
          clock += 1;
          yield;
        }
        return big;
      },
    };
    const frames = createSnapshotFrames(stepped, {
      now: () => clock,
      yieldToLoop: () =>
        new Promise<void>((resolve) => {
          // The first build meets a burst of deltas (a start-up applying slices): more than the queue holds.
          if (burst)
            feed.publish(Array.from({ length: 5 }, (_, n) => removedDraft("orch-a", `B${clock}-${n}`)));
          setImmediate(resolve);
        }),
    });
    const hub = createSseHub(stepped, { frames, maxQueueFrames: 8 });
    hubs.push(hub);
    const client = reader(hub.open({ lastEventId: null, filter: NO_FILTER }));
    await client.until("event: snapshot");
    burst = false;
    const last = feed.lastId();
    expect(last).toBeGreaterThan(8);
    // The next frame is at the id the burst reached, and then the client is live.
    await client.until(`id: ${last}\nevent: snapshot`);
    feed.publish([removedDraft("orch-a", "after")]);
    const text = await client.until('"after"');
    expect(frames.builds()).toBe(2);
    expect(text.match(/event: snapshot/g)).toHaveLength(2);
    // No burst delta reached it: both snapshots cover them.
    expect(text).not.toContain('event: worker-removed\ndata: {"orchestrator":"orch-a","worker":"B');
    expect(text.indexOf(`id: ${last + 1}\n`)).toBeGreaterThan(text.indexOf(`id: ${last}\nevent: snapshot`));
    await client.cancel();
  });

  it("a snapshot frame larger than the queue's byte limit goes out with the retry hint before it and the deltas after it", async () => {
    const feed = createScriptedFeed();
    const snapshot = fleetSnapshot();
    let turn = false;
    const stepped: SteppedDeltaFeed = {
      ...feed,
      snapshot: () => snapshot,
      *snapshotSteps() {
        // One turn of the event loop in the build, with a delta applied meanwhile.
        turn = true;
        yield;
        return snapshot;
      },
    };
    let clock = 0;
    const frames = createSnapshotFrames(stepped, {
      now: () => (clock += 10),
      yieldToLoop: async () => {
        if (turn) feed.publish([removedDraft("orch-a", "T-meanwhile")]);
        turn = false;
      },
    });
    const limit = 512;
    const hub = createSseHub(stepped, { frames, maxQueueBytes: limit });
    hubs.push(hub);
    // Made now, in one step: the retry hint is still queued when the frame comes.
    const first = reader(hub.open({ lastEventId: null, filter: NO_FILTER }));
    const text = await first.until("T-meanwhile");
    expect(text.startsWith("retry: 2000\n\n")).toBe(true);
    expect(frames.current()!.frame.length).toBeGreaterThan(limit);
    expect(text).toContain("id: 0\nevent: snapshot\n");
    expect(text.indexOf("id: 1\nevent: worker-removed")).toBeGreaterThan(text.indexOf("event: snapshot"));
    expect(hub.resyncCount()).toBe(0);
    expect(hub.droppedCount()).toBe(0);
    await first.cancel();
  });
});
