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
