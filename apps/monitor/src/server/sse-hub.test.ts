import { request } from "node:http";
import { connect } from "node:net";
import { parseEventId } from "@catalyst/sse-server";
import { EventSource } from "eventsource";
import { afterEach, describe, expect, it } from "vitest";
import {
  createScriptedFeed,
  removedDraft,
  startTestServer,
  type TestServer,
  waitFor,
} from "./test-support.test-helper.js";

interface Received {
  event: string;
  id: string;
  data: unknown;
}

const NAMES = ["snapshot", "worker-removed", "orchestrator-removed"];

function collect(url: string, headers: Record<string, string> = {}): { es: EventSource; got: Received[] } {
  const got: Received[] = [];
  const es = new EventSource(url, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, ...headers } }),
  });
  for (const name of NAMES)
    es.addEventListener(name, (e) => got.push({ event: name, id: e.lastEventId, data: JSON.parse(e.data) }));
  return { es, got };
}

/** Reads the raw response text of /events until `until` matches, then destroys the request. */
function readRaw(server: TestServer, path: string, until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.base}${path}`, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
        if (until.test(text)) {
          req.destroy();
          resolve(text);
        }
      });
    });
    req.on("error", (e) =>
      e.message.includes("aborted") || e.message.includes("socket hang up") ? null : reject(e),
    );
    req.end();
  });
}

let server: TestServer | null = null;
const sources: EventSource[] = [];
afterEach(async () => {
  for (const es of sources.splice(0)) es.close();
  await server?.close();
  server = null;
});

describe("parseEventId", () => {
  it("reads the 16-digit ids a monitor based on its start time issues, and nothing unsafe", () => {
    const id = 1_795_000_000_000 * 1000 + 42;
    expect(parseEventId(String(id))).toBe(id);
    expect(parseEventId(" 7 ")).toBe(7);
    for (const bad of ["", "-1", "1.5", "12345678901234567", "9007199254740993", "abc", null]) {
      expect(parseEventId(bad)).toBeNull();
    }
  });
});

describe("SSE /events over a real socket", () => {
  it("sends retry, then a snapshot with id = lastId, then deltas with increasing ids", async () => {
    const feed = createScriptedFeed();
    feed.publish([removedDraft("o1", "W0")]);
    server = await startTestServer(feed);
    const raw = await readRaw(server, "/events", /event: snapshot\n/);
    expect(raw.startsWith("retry: 2000\n\n")).toBe(true);
    expect(raw).toContain("id: 1\nevent: snapshot\ndata: {");

    const { es, got } = collect(`${server.base}/events`);
    sources.push(es);
    await waitFor(() => got.length === 1, 10_000, "snapshot");
    expect(got[0]).toMatchObject({ event: "snapshot", id: "1", data: { orchestrators: [] } });
    feed.publish([removedDraft("o1", "W1"), removedDraft("o1", "W2")]);
    await waitFor(() => got.length === 3, 10_000, "deltas");
    expect(got.slice(1).map((m) => [m.event, m.id])).toEqual([
      ["worker-removed", "2"],
      ["worker-removed", "3"],
    ]);
    expect(got[2]?.data).toEqual({ orchestrator: "o1", worker: "W2", ts: "2026-04-14T19:00:00Z" });
  });

  it("resumes from a Last-Event-ID header without a snapshot", async () => {
    const feed = createScriptedFeed();
    feed.publish([1, 2, 3, 4, 5].map((n) => removedDraft("o1", `W${n}`)));
    server = await startTestServer(feed);
    const { es, got } = collect(`${server.base}/events`, { "Last-Event-ID": "2" });
    sources.push(es);
    await waitFor(() => got.length === 3, 10_000, "replayed deltas");
    expect(got.map((m) => m.id)).toEqual(["3", "4", "5"]);
    expect(got.some((m) => m.event === "snapshot")).toBe(false);
  });

  it("answers a ?lastEventId= that fell out of the ring with a fresh snapshot", async () => {
    const feed = createScriptedFeed(3);
    feed.publish([1, 2, 3, 4, 5, 6].map((n) => removedDraft("o1", `W${n}`)));
    server = await startTestServer(feed);
    const { es, got } = collect(`${server.base}/events?lastEventId=1`);
    sources.push(es);
    await waitFor(() => got.length === 1, 10_000, "snapshot");
    expect(got[0]).toMatchObject({ event: "snapshot", id: "6" });
    // An id from the future (another monitor run) is a gap too.
    const raw = await readRaw(server, "/events?lastEventId=99", /event: snapshot\n/);
    expect(raw).toContain("id: 6\nevent: snapshot");
  });

  it("applies ?worker=, ?orchestrator= and ?type= to deltas but not to the snapshot", async () => {
    const feed = createScriptedFeed();
    server = await startTestServer(feed);
    const byWorker = collect(`${server.base}/events?worker=W2`);
    const byOrch = collect(`${server.base}/events?orchestrator=o2&type=orchestrator-removed`);
    sources.push(byWorker.es, byOrch.es);
    await waitFor(() => byWorker.got.length === 1 && byOrch.got.length === 1, 10_000, "snapshots");
    feed.publish([
      removedDraft("o1", "W1"),
      removedDraft("o1", "W2"),
      removedDraft("o2", "W3"),
      { event: "orchestrator-removed", data: { orchestrator: "o2", ts: "2026-04-14T19:00:00Z" } },
    ]);
    feed.publish([removedDraft("o1", "W2")]);
    await waitFor(() => byWorker.got.length === 3 && byOrch.got.length === 2, 10_000, "filtered deltas");
    expect(byWorker.got.map((m) => m.id)).toEqual(["0", "2", "5"]);
    expect(byOrch.got.map((m) => [m.event, m.id])).toEqual([
      ["snapshot", "0"],
      ["orchestrator-removed", "4"],
    ]);
  });

  it("rejects an unknown ?type= with a JSON 400 before opening the stream", async () => {
    server = await startTestServer(createScriptedFeed());
    const res = await fetch(`${server.base}/events?type=worker-update,bogus`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "bad_filter" } });
    expect(server.hub.clientCount()).toBe(0);
  });

  it("sends the 'ka' keep-alive event (no id) at the configured interval", async () => {
    server = await startTestServer(createScriptedFeed(), { sse: { keepAliveMs: 40 } });
    const raw = await readRaw(server, "/events", /\nevent: ka\ndata: \{\}\n\n/);
    expect(raw).toMatch(/event: snapshot[\s\S]*\nevent: ka\ndata: \{\}\n\n/);
  });

  it("pushes a full snapshot frame to every client on broadcastSnapshot", async () => {
    const feed = createScriptedFeed();
    server = await startTestServer(feed);
    const a = collect(`${server.base}/events`);
    const b = collect(`${server.base}/events?type=worker-removed`);
    sources.push(a.es, b.es);
    await waitFor(() => a.got.length === 1 && b.got.length === 1, 10_000, "first snapshots");
    feed.publish([removedDraft("o1", "W1")]);
    server.hub.broadcastSnapshot();
    await waitFor(() => a.got.length === 3 && b.got.length === 3, 10_000, "second snapshots");
    expect(a.got.map((m) => [m.event, m.id])).toEqual([
      ["snapshot", "0"],
      ["worker-removed", "1"],
      ["snapshot", "1"],
    ]);
  });

  it("frees every listener after 1,000 connect/disconnect cycles", async () => {
    const feed = createScriptedFeed();
    server = await startTestServer(feed);
    const base = server.base;
    const cycle = (): Promise<void> =>
      new Promise((resolve, reject) => {
        const req = request(`${base}/events`, (res) => {
          res.once("data", () => {
            req.destroy();
            resolve();
          });
        });
        req.on("error", (e) => (req.destroyed ? undefined : reject(e)));
        req.end();
      });
    let maxClients = 0;
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(Array.from({ length: 50 }, cycle));
      maxClients = Math.max(maxClients, server.hub.clientCount());
    }
    const hub = server.hub;
    await waitFor(() => hub.clientCount() === 0, 10_000, "clients back to zero");
    expect(feed.listenerCount()).toBe(0);
    expect(hub.subscribed()).toBe(false);
    expect(hub.droppedCount()).toBe(0);
    expect(maxClients).toBeLessThanOrEqual(50);
  });

  it("drops a client that stops reading once its queue is full, and keeps serving the others", async () => {
    const feed = createScriptedFeed(10);
    server = await startTestServer(feed, { sse: { maxQueueFrames: 64, maxQueueBytes: 1024 * 1024 } });
    const hub = server.hub;
    const healthy = collect(`${server.base}/events`);
    sources.push(healthy.es);
    await waitFor(() => healthy.got.length === 1, 10_000, "healthy snapshot");

    const stalled = connect(server.port, "127.0.0.1");
    await new Promise<void>((resolve) => stalled.once("connect", () => resolve()));
    stalled.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`);
    stalled.pause();
    await waitFor(() => hub.clientCount() === 2, 10_000, "stalled client connected");

    const big = "x".repeat(64 * 1024);
    let published = 0;
    let maxDepth = 0;
    // Publish until the stalled client is dropped; bounded so a bug fails rather than hangs.
    while (hub.droppedCount() === 0 && published < 4000) {
      feed.publish([removedDraft("o1", `${big}${published}`)]);
      published += 1;
      maxDepth = Math.max(maxDepth, ...hub.queueDepths());
      // Let the sockets move: the healthy client drains, the stalled one fills its buffers.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(hub.droppedCount()).toBe(1);
    expect(maxDepth).toBeLessThanOrEqual(64);
    await waitFor(() => hub.clientCount() === 1, 10_000, "stalled client released");
    await waitFor(() => healthy.got.length === published + 1, 20_000, "healthy client got everything");
    stalled.destroy();
  });

  it("answers a Last-Event-ID whose missed deltas would overflow the queue with a fresh snapshot", async () => {
    const feed = createScriptedFeed();
    feed.publish(Array.from({ length: 40 }, (_, n) => removedDraft("o1", `W${n}`)));
    server = await startTestServer(feed, { sse: { maxQueueFrames: 16 } });
    const { es, got } = collect(`${server.base}/events`, { "Last-Event-ID": "2" });
    sources.push(es);
    await waitFor(() => got.length >= 1, 10_000, "snapshot instead of 38 deltas");
    expect(got[0]).toMatchObject({ event: "snapshot", id: "40" });
    expect(server.hub.droppedCount()).toBe(0);
  });

  it("replaces the backlog of a client hit by a burst with one snapshot instead of dropping it", async () => {
    const feed = createScriptedFeed();
    server = await startTestServer(feed, { sse: { maxQueueFrames: 16 } });
    const { es, got } = collect(`${server.base}/events`);
    sources.push(es);
    await waitFor(() => got.length === 1, 10_000, "first snapshot");
    // One apply with far more deltas than the queue holds (a start-up scan, say).
    feed.publish(Array.from({ length: 100 }, (_, n) => removedDraft("o1", `W${n}`)));
    await waitFor(() => got.some((m) => m.event === "snapshot" && m.id === "100"), 10_000, "resync snapshot");
    expect(server.hub.droppedCount()).toBe(0);
    expect(server.hub.resyncCount()).toBe(1);
    expect(server.hub.clientCount()).toBe(1);
    // Nothing older than the resync snapshot follows it.
    const at = got.findIndex((m) => m.event === "snapshot" && m.id === "100");
    expect(got.slice(at + 1).every((m) => Number(m.id) > 100)).toBe(true);
    feed.publish([removedDraft("o1", "later")]);
    await waitFor(() => got.some((m) => m.id === "101"), 10_000, "live delta after the resync");
  });
});
