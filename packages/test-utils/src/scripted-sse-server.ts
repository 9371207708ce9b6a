// A stand-in monitor for tests that need exact control of the SSE stream: `GET /events` sends a
// snapshot (or, on `?lastEventId=` / `Last-Event-ID` inside the kept log, the deltas after it),
// then whatever frames the test pushes; `GET /healthz` answers as the monitor does, so a real
// client's resume rule works. Anything else goes to `fallback` (the dashboard's tests serve the
// built page there) or gets a 404.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Delta, Snapshot } from "@catalyst/schema";

export interface ScriptedSseServer {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  readonly port: number;
  /** Open SSE streams right now. */
  clients(): number;
  /** Every `/events` request's query string seen (to check `?lastEventId=`). */
  readonly eventRequests: string[];
  /** Sends a delta to every client (and keeps it for resume). */
  push(delta: Delta): void;
  /** Replaces what a new client gets first. */
  setSnapshot(snapshot: Snapshot, id: number): void;
  /** Cuts every open stream but keeps listening (a network blip). */
  dropClients(): void;
  /** Stops listening and cuts every stream (a crash, as the client sees it). */
  stop(): Promise<void>;
  /** Listens again on the same port with a new instance (ids restart, as after a real restart). */
  restart(snapshot: Snapshot, id: number): Promise<void>;
}

export interface ScriptedSseServerOptions {
  snapshot: Snapshot;
  /** The id the first snapshot carries. @default 0 */
  snapshotId?: number;
  /** @default 0 (any free port) */
  port?: number;
  /** Other routes: return true when the request was answered. */
  fallback?(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
}

function frame(delta: Pick<Delta, "id" | "event" | "data">): string {
  return `id: ${delta.id}\nevent: ${delta.event}\ndata: ${JSON.stringify(delta.data)}\n\n`;
}

/** Starts the stand-in on 127.0.0.1. */
export async function startScriptedSseServer(options: ScriptedSseServerOptions): Promise<ScriptedSseServer> {
  let snapshot = options.snapshot;
  let lastId = options.snapshotId ?? 0;
  let startedAt = Date.now();
  const log: Delta[] = [];
  const streams = new Set<ServerResponse>();
  const eventRequests: string[] = [];
  let server: Server;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
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
    if (options.fallback && (await options.fallback(req, res, url))) return;
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
      lastId = Math.max(lastId, id);
    },
    dropClients() {
      for (const res of streams) res.destroy();
      streams.clear();
    },
    async stop() {
      for (const res of streams) res.destroy();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async restart(next, id) {
      snapshot = next;
      lastId = id;
      log.length = 0;
      startedAt = Date.now();
      server = await listen(port);
    },
  };
}
