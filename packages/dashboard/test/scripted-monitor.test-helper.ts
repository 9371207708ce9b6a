// A small stand-in monitor for browser tests that need exact control of the stream: test-utils'
// scripted SSE server (/events, /healthz, frames pushed by the test) serving the built dashboard
// under the agreed routes (GET /, GET /assets/<name>). Tests of the real app
// (apps/monitor/src/dashboard-e2e/) use the monitor's bin instead.
import { readFile } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import type { Snapshot } from "@catalyst/schema";
import { type ScriptedSseServer, startScriptedSseServer } from "@catalyst/test-utils";

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

export type ScriptedMonitor = ScriptedSseServer;

/** Starts the stand-in on 127.0.0.1 (port 0 = any free port). */
export async function startScriptedMonitor(options: {
  publicDir: string;
  snapshot: Snapshot;
  snapshotId?: number;
  port?: number;
}): Promise<ScriptedMonitor> {
  return startScriptedSseServer({
    snapshot: options.snapshot,
    snapshotId: options.snapshotId,
    port: options.port,
    async fallback(_req, res, url) {
      if (url.pathname === "/") {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(await readFile(join(options.publicDir, "index.html")));
        return true;
      }
      if (!url.pathname.startsWith("/assets/")) return false;
      const name = url.pathname.slice("/assets/".length);
      const type = TYPES[extname(name)];
      if (!type || name !== basename(name)) {
        res.writeHead(404).end();
        return true;
      }
      try {
        const body = await readFile(join(options.publicDir, name));
        res.writeHead(200, { "content-type": type }).end(body);
      } catch {
        res.writeHead(404).end();
      }
      return true;
    },
  });
}
