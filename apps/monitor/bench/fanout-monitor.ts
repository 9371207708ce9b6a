// P3's monitor side: the real fuse, SSE hub and Hono app on a socket, fed `rate` worker signal
// changes per second (after "go" on stdin), each stamped with its send time in `updatedAt`.
import { createFuse } from "@catalyst/fuse";
import { parseSignalText } from "@catalyst/schema";
import { readEvents } from "@catalyst/sources";
import { createSseHub } from "@catalyst/sse-server";
import { createApp } from "../src/server/create-app.js";
import { listenApp } from "../src/server/listen.js";

const rate = Number(process.argv[2] ?? 50);
const total = Number(process.argv[3] ?? 400);
const ORCH = "orch-fanout";
const fuse = createFuse();
const hub = createSseHub(fuse);
let port = 0;
const app = createApp({
  feed: fuse,
  hub,
  catalystDir: "/nonexistent-catalyst-dir",
  publicDir: "/nonexistent-public",
  access: { host: "127.0.0.1", port: () => port, token: null },
  readEvents,
});
fuse.apply(
  [
    {
      kind: "orchestrator-added",
      orchestrator: { id: ORCH, workspace: "default", path: `/x/${ORCH}`, source: "runs" },
    },
  ],
  new Date(),
);

let n = 0;
function send(scheduledMs: number): void {
  n += 1;
  const w = n % 20;
  const ticket = `CTL-${String(w).padStart(4, "0")}`;
  const file = `/x/${ORCH}/workers/${ticket}.json`;
  const now = new Date(scheduledMs);
  const text = JSON.stringify({
    ticket,
    orchestrator: ORCH,
    workerName: `${ORCH}-${ticket}`,
    status: Math.floor(n / 20) % 2 === 0 ? "implementing" : "validating",
    phase: Math.floor(n / 20) % 2 === 0 ? 3 : 4,
    startedAt: "2026-04-14T18:37:51Z",
    updatedAt: now.toISOString(),
    pr: null,
    pid: null,
    lastHeartbeat: now.toISOString(),
  });
  fuse.apply(
    [{ kind: "signal", orchestrator: ORCH, key: ticket, file, result: parseSignalText(text, file) }],
    new Date(),
  );
}

const listening = await listenApp(app, { host: "127.0.0.1", port: 0 });
port = listening.port;
// Each event is stamped with its scheduled time, so a sender that falls behind shows as latency.
process.stdin.once("data", () => {
  const start = Date.now();
  const next = (): void => {
    const due = start + (n * 1000) / rate;
    if (Date.now() < due) {
      setTimeout(next, due - Date.now());
      return;
    }
    send(due);
    if (n < total) setImmediate(next);
  };
  next();
});
process.stdout.write(`fanout monitor listening on http://127.0.0.1:${port}/\n`);
process.on("SIGTERM", () => {
  hub.close();
  void listening.close().then(() => process.exit(0));
  setTimeout(() => process.exit(0), 500).unref();
});
