// A small stand-in monitor for browser tests that need exact control of the stream: it serves the
// built dashboard under the agreed routes (GET /, GET /assets/<name>) and an SSE /events whose
// frames the test pushes. Tests of the real app (dashboard.e2e.test.ts) use dist/bin.js instead.
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, extname, join } from "node:path";
import type { Delta, Snapshot } from "@catalyst/schema";

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

export interface ScriptedMonitor {
  readonly url: string;
  readonly port: number;
  /** Open SSE streams right now. */
  clients(): number;
  /** Every `/events` request URL seen (to check `?lastEventId=`). */
  readonly eventRequests: string[];
  /** Sends a delta to every client (and keeps it for resume). */
  push(delta: Delta): void;
  /** Replaces what a new client gets first. */
  setSnapshot(snapshot: Snapshot, id: number): void;
  /** Cuts every open stream but keeps listening (a network blip). */
  dropClients(): void;
  /** Stops listening and cuts every stream (a crash, as the browser sees it). */
  stop(): Promise<void>;
  /** Listens again on the same port with a new instance (ids restart, as after a real restart). */
  restart(snapshot: Snapshot, id: number): Promise<void>;
}

function frame(delta: Pick<Delta, "id" | "event" | "data">): string {
  return `id: ${delta.id}\nevent: ${delta.event}\ndata: ${JSON.stringify(delta.data)}\n\n`;
}

/** Starts the stand-in on 127.0.0.1 (port 0 = any free port). */
export async function startScriptedMonitor(options: {
  publicDir: string;
  snapshot: Snapshot;
  snapshotId?: number;
  port?: number;
}): Promise<ScriptedMonitor> {
  let snapshot = options.snapshot;
  let snapshotId = options.snapshotId ?? 0;
  let lastId = snapshotId;
  let startedAt = Date.now();
  const log: Delta[] = [];
  const streams = new Set<ServerResponse>();
  const eventRequests: string[] = [];
  let server: Server;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(await readFile(join(options.publicDir, "index.html")));
      return;
    }
    if (url.pathname.startsWith("/assets/")) {
      const name = url.pathname.slice("/assets/".length);
      const type = TYPES[extname(name)];
      if (!type || name !== basename(name)) {
        res.writeHead(404).end();
        return;
      }
      try {
        const body = await readFile(join(options.publicDir, name));
        res.writeHead(200, { "content-type": type }).end(body);
      } catch {
        res.writeHead(404).end();
      }
      return;
    }
    if (url.pathname === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ status: "ok", lastEventId: lastId, uptimeSec: (Date.now() - startedAt) / 1000 }),
      );
      return;
    }
    if (url.pathname === "/events") {
      eventRequests.push(url.search);
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.write("retry: 2000\n\n");
      const resume = Number(
        url.searchParams.get("lastEventId") ?? req.headers["last-event-id"] ?? Number.NaN,
      );
      const first = log[0]?.id ?? lastId + 1;
      if (Number.isFinite(resume) && resume <= lastId && resume >= first - 1) {
        for (const d of log) if (d.id > resume) res.write(frame(d));
      } else {
        res.write(frame({ id: lastId, event: "snapshot", data: snapshot }));
      }
      streams.add(res);
      req.on("close", () => streams.delete(res));
      return;
    }
    res
      .writeHead(404, { "content-type": "application/json" })
      .end('{"error":{"code":"not_found","message":"no such route"}}');
  };

  const listen = (port: number) =>
    new Promise<Server>((resolve, reject) => {
      const s = createServer((req, res) => {
        handle(req, res).catch(() => res.writeHead(500).end());
      });
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => resolve(s));
    });

  server = await listen(options.port ?? 0);
  const port = (server.address() as AddressInfo).port;

  const stop = async () => {
    for (const res of streams) res.destroy();
    streams.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    eventRequests,
    clients: () => streams.size,
    push(delta) {
      log.push(delta);
      lastId = delta.id;
      for (const res of streams) res.write(frame(delta));
    },
    setSnapshot(next, id) {
      snapshot = next;
      snapshotId = id;
      lastId = Math.max(lastId, id);
    },
    dropClients() {
      for (const res of streams) res.destroy();
      streams.clear();
    },
    stop,
    async restart(next, id) {
      snapshot = next;
      snapshotId = id;
      lastId = id;
      log.length = 0;
      startedAt = Date.now();
      server = await listen(port);
    },
  };
}
