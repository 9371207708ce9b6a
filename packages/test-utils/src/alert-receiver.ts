import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";

// Test helper: a real HTTP server on an ephemeral 127.0.0.1 port that stands in for a webhook
// receiver (Slack, a pager) or an ntfy server. It records every POST and answers with a status
// the test chooses (`respondWith`), so a test can take a channel down and bring it back.

export interface ReceivedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The body's bytes (a Web Push body is binary). */
  bytes: Buffer;
  /** When it arrived (Date.now()). */
  at: number;
}

export interface AlertReceiver {
  /** The base URL, e.g. `http://127.0.0.1:41234`; POST to any path under it. */
  url: string;
  /** Requests answered with a 2xx: what the receiver took. */
  received: ReceivedRequest[];
  /** Every request as it arrived, answered or not. */
  arrived: ReceivedRequest[];
  /**
   * Called with each request before it is answered; the answer waits for what it returns, and
   * `"drop"` leaves it unanswered and not taken (say, once the sender was killed meanwhile). Null: none.
   */
  beforeAnswer(hook: ((request: ReceivedRequest) => Promise<"drop" | undefined> | undefined) | null): void;
  /** The status to answer with from now on (default 200). */
  respondWith(status: number): void;
  /** Resolves with the request once `count` requests arrived (a listener, not a poll). */
  waitForCount(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  /** Requests answered with a status other than 2xx. */
  refused(): number;
  close(): Promise<void>;
}

/** Starts the receiver on 127.0.0.1 and an ephemeral port. */
export async function startAlertReceiver(): Promise<AlertReceiver> {
  const received: ReceivedRequest[] = [];
  const arrived: ReceivedRequest[] = [];
  let hook: ((request: ReceivedRequest) => Promise<"drop" | undefined> | undefined) | null = null;
  let status = 200;
  let refused = 0;
  const waiters = new Set<() => void>();
  const app = new Hono();
  app.post("*", async (c) => {
    const bytes = Buffer.from(await c.req.arrayBuffer());
    const request: ReceivedRequest = {
      path: new URL(c.req.url).pathname + new URL(c.req.url).search,
      headers: c.req.header(),
      body: bytes.toString("utf8"),
      bytes,
      at: Date.now(),
    };
    arrived.push(request);
    if (hook !== null && (await hook(request)) === "drop") return c.text("dropped", 503);
    if (status >= 200 && status < 300) {
      received.push(request);
      for (const w of waiters) w();
    } else refused += 1;
    return c.text(status >= 300 ? "no" : "ok", status as 200);
  });
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(s as Server));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    arrived,
    beforeAnswer(next) {
      hook = next;
    },
    respondWith(next) {
      status = next;
    },
    refused: () => refused,
    waitForCount(count, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(received.slice());
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${count} requests (got ${received.length})`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
