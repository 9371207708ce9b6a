// respondSse over real sockets: raw TCP clients read exactly what the hub writes (no chunked
// framing, the body ends with the connection), and every one of them gets every frame.
import { connect, type Socket } from "node:net";
import { createScriptedFeed, removedDraft, waitUntil } from "@catalyst/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { NO_FILTER } from "./delta-filter.js";
import { type Listening, listenHttp, respondSse } from "./http.js";
import { createSseHub, type SseHub } from "./sse-hub.js";

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function serve(hub: SseHub): Promise<Listening> {
  const listening = await listenHttp(
    (_req, res) => {
      respondSse(hub, { lastEventId: null, filter: NO_FILTER }, { outgoing: res });
    },
    { host: "127.0.0.1", port: 0 },
  );
  cleanup.push(() => listening.close());
  return listening;
}

function rawClient(port: number) {
  let text = "";
  let closed = false;
  const socket: Socket = connect(port, "127.0.0.1", () => {
    socket.write("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  });
  socket.setEncoding("latin1");
  socket.on("data", (d: string) => {
    text += d;
  });
  socket.on("close", () => {
    closed = true;
  });
  socket.on("error", () => {});
  cleanup.push(() => {
    socket.destroy();
  });
  return { text: () => text, closed: () => closed };
}

describe("respondSse", () => {
  it("writes the frames alone after the headers, to each of 200 raw clients, and ends with the connection", async () => {
    const feed = createScriptedFeed();
    const hub = createSseHub(feed, { keepAliveMs: 0 });
    cleanup.push(() => hub.close());
    const { port } = await serve(hub);
    const clients = Array.from({ length: 200 }, () => rawClient(port));
    await waitUntil(
      "every snapshot",
      () => hub.clientCount() === 200 && clients.every((c) => c.text().includes("event: snapshot")),
    );
    for (let i = 0; i < 10; i++) feed.publish([removedDraft("orch-a", `T-${i}`)]);
    await waitUntil("every delta at every client", () => clients.every((c) => c.text().includes('"T-9"')));
    for (const c of clients) {
      const [head, body] = c.text().split("\r\n\r\n", 2) as [string, string];
      expect(head).toMatch(/^HTTP\/1\.1 200 /);
      expect(head.toLowerCase()).toContain("connection: close");
      expect(head.toLowerCase()).not.toContain("transfer-encoding");
      expect(head).toContain("text/event-stream");
      // The body is the SSE stream itself: retry, snapshot, then the ten frames in order.
      expect(body.startsWith("retry: 2000\n\n")).toBe(true);
      expect(body.match(/^id: \d+$/gm)).toHaveLength(11);
      expect(body.endsWith("\n\n")).toBe(true);
      expect(body).not.toMatch(/\r\n/);
    }
    hub.close();
    await waitUntil("every connection closed", () => clients.every((c) => c.closed()));
  });
});

/** A raw SSE client that keeps only the ids and events of the frames it read, parsed as they come. */
function frameClient(port: number) {
  const frames: Array<{ id: number; event: string }> = [];
  let pending = "";
  let closed = false;
  const socket: Socket = connect(port, "127.0.0.1", () => {
    socket.write("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  });
  socket.setEncoding("latin1");
  socket.on("data", (d: string) => {
    pending += d;
    let end = pending.indexOf("\n\n");
    while (end >= 0) {
      const m = /^id: (\d+)\nevent: ([\w-]+)\n/m.exec(pending.slice(0, end + 1));
      if (m !== null) frames.push({ id: Number(m[1]), event: m[2]! });
      pending = pending.slice(end + 2);
      end = pending.indexOf("\n\n");
    }
  });
  socket.on("close", () => {
    closed = true;
  });
  socket.on("error", () => {});
  cleanup.push(() => {
    socket.destroy();
  });
  return { frames, closed: () => closed };
}

describe("a connect storm over real sockets", () => {
  // Issue 26: clients connect while deltas keep arriving, and their snapshot frame is built in
  // steps: each client must get its snapshot and then every later delta exactly once, in order,
  // whatever turn it connected in.
  it("gives each of 300 clients connecting during a stream of deltas its snapshot, then every later delta once", async () => {
    const feed = createScriptedFeed(10_000);
    const hub = createSseHub(feed, { keepAliveMs: 0 });
    cleanup.push(() => hub.close());
    const { port } = await serve(hub);
    let publishing = true;
    const publish = (): void => {
      if (!publishing) return;
      feed.publish([removedDraft("orch-a", `T-${feed.lastId()}`)]);
      setTimeout(publish, 10);
    };
    setTimeout(publish, 10);
    const clients = Array.from({ length: 300 }, () => frameClient(port));
    await waitUntil(
      "every snapshot",
      () => hub.clientCount() === 300 && clients.every((c) => c.frames.length > 0),
      30_000,
    );
    publishing = false;
    for (let i = 0; i < 5; i++) feed.publish([removedDraft("orch-b", `T-last-${i}`)]);
    const last = feed.lastId();
    await waitUntil("the last delta at every client", () =>
      clients.every((c) => c.frames.at(-1)?.id === last),
    );
    for (const c of clients) {
      expect(c.frames[0]!.event).toBe("snapshot");
      const from = c.frames[0]!.id;
      // Every delta after the snapshot's id, once and in order: none lost at the hand-over.
      expect(c.frames.slice(1).map((f) => f.id)).toEqual(
        Array.from({ length: last - from }, (_, i) => from + 1 + i),
      );
      expect(c.closed()).toBe(false);
    }
    expect(hub.resyncCount()).toBe(0);
    // Deltas arrived while clients were still being admitted.
    expect(new Set(clients.map((c) => c.frames[0]!.id)).size).toBeGreaterThan(1);
  });
});

describe("listenHttp's accept queue", () => {
  // Issue 26: Node's default listen backlog (511) overflowed while 10,000 clients reconnected at
  // once; the kernel then dropped handshakes. `ss` shows a listening socket's backlog as Send-Q.
  it("asks the kernel for an accept queue of 4,096 (capped by net.core.somaxconn)", async () => {
    const { spawnSync } = await import("node:child_process");
    const { readFileSync } = await import("node:fs");
    const listening = await listenHttp((_req, res) => res.end(), { host: "127.0.0.1", port: 0 });
    cleanup.push(() => listening.close());
    const ss = spawnSync("ss", ["-ltnH", `sport = :${listening.port}`], { encoding: "utf8" });
    if (ss.error !== undefined || ss.status !== 0) {
      console.warn("skipped: `ss` (iproute2) is not available");
      return;
    }
    const somaxconn = Number(readFileSync("/proc/sys/net/core/somaxconn", "utf8"));
    const sendQ = Number(ss.stdout.trim().split(/\s+/)[2]);
    expect(sendQ).toBe(Math.min(4096, somaxconn));
  });
});
