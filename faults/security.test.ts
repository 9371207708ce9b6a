// Hostile requests against the real monitor bin: forged Host and Origin (DNS rebinding), a
// non-loopback bind without a token, path traversal on the static routes, oversized query strings.
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  health,
  killAll,
  type MonitorRun,
  rawGet,
  removeDir,
  spawnBin,
  startMonitor,
  tempDir,
  writeFleet,
} from "./support.ts";

let root: string;
let monitor: MonitorRun;

beforeAll(async () => {
  root = await tempDir("security");
  await writeFleet(join(root, "catalyst"), 1, 2);
  monitor = await startMonitor(join(root, "catalyst"));
});

afterAll(async () => {
  await monitor?.stop();
  killAll();
  await removeDir(root);
});

/** Sends raw bytes and returns the status line's code (0 when the socket closed without one). */
function rawRequest(port: number, text: string): Promise<number> {
  return new Promise((resolve) => {
    let reply = "";
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      reply += d;
      if (reply.includes("\r\n")) socket.destroy();
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0)));
  });
}

describe("hostile requests (real monitor bin)", () => {
  it("a forged Host gets 403 on every route, the real one 200", async () => {
    for (const path of ["/healthz", "/api/snapshot", "/events", "/"]) {
      for (const host of ["evil.example", `evil.example:${monitor.port}`, "127.0.0.1.nip.io", "localhost:1"])
        expect((await rawGet(monitor.port, path, { host })).status, `${path} Host: ${host}`).toBe(403);
    }
    expect((await rawGet(monitor.port, "/healthz", { host: `localhost:${monitor.port}` })).status).toBe(200);
    expect((await rawGet(monitor.port, "/api/snapshot")).status).toBe(200);
  });

  it("a forged Origin gets 403 and no CORS header; the same origin is served", async () => {
    for (const origin of ["http://evil.example", `http://evil.example:${monitor.port}`, "null"]) {
      const res = await fetch(`${monitor.url}api/snapshot`, { headers: { origin } });
      expect(res.status, origin).toBe(403);
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    }
    const same = await fetch(`${monitor.url}api/snapshot`, { headers: { origin: monitor.url.slice(0, -1) } });
    expect(same.status).toBe(200);
    expect(same.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("path traversal on the static routes never leaves the public dir", async () => {
    const paths = [
      "/assets/../package.json",
      "/assets/../../package.json",
      "/assets/..%2f..%2fpackage.json",
      "/assets/%2e%2e/%2e%2e/package.json",
      "/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json",
      "/assets/....//....//package.json",
      "/assets/..\\..\\package.json",
      "/assets/%252e%252e%252fpackage.json",
      "/assets/%00.js",
      "/assets/x.js%00.png",
      "/../../../../etc/passwd",
      "/assets//etc/passwd",
      "/assets/%2fetc%2fpasswd",
      `/assets/${join(root, "catalyst", "runs")}`,
    ];
    for (const path of paths) {
      const res = await rawGet(monitor.port, path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.body, path).not.toContain('"name": "catalyst');
      expect(res.body, path).not.toContain("root:x:0:0");
    }
    expect(monitor.alive()).toBe(true);
  });

  it("oversized query strings and headers are refused without harm", async () => {
    // Under Node's 16 KiB header limit, so the app itself answers (past it, Node may reset the
    // socket while the client still writes: that case is the raw request below).
    const long = "a".repeat(12 * 1024);
    const res = await rawGet(monitor.port, `/api/events?since=${long}`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const filter = await rawGet(
      monitor.port,
      `/events?orchestrator=${"o".repeat(8 * 1024)}&type=${"x,".repeat(2000)}`,
    );
    expect(filter.status).toBeLessThan(500);
    // Past Node's 16 KiB header limit: the server answers 431 or closes, and keeps serving.
    const huge = await rawRequest(
      monitor.port,
      `GET /api/snapshot?q=${"b".repeat(1024 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1:${monitor.port}\r\n\r\n`,
    );
    expect([0, 400, 414, 431]).toContain(huge);
    expect((await health(monitor.url)).clients.count).toBe(0);
    expect(monitor.alive()).toBe(true);
  });

  it("a non-loopback bind without a token refuses to start; with a token every route needs it", async () => {
    for (const host of ["0.0.0.0", "::", "192.0.2.10"]) {
      const run = spawnBin("monitor", ["--dir", join(root, "catalyst"), "--port", "0", "--host", host]);
      const { code } = await run.exit;
      expect(code, host).toBe(2);
      expect(run.stdout(), host).not.toContain("listening");
    }
    const token = "fault-suite-token-4f1c9";
    const guarded = await startMonitor(join(root, "catalyst"), { args: ["--token", token] });
    try {
      for (const path of ["/healthz", "/api/snapshot", "/events", "/", "/assets/app.js"])
        expect((await rawGet(guarded.port, path)).status, path).toBe(401);
      expect((await rawGet(guarded.port, "/healthz", { authorization: "Bearer wrong" })).status).toBe(401);
      expect((await rawGet(guarded.port, "/healthz", { authorization: `Bearer ${token}` })).status).toBe(200);
      expect(guarded.stdout() + guarded.stderr()).not.toContain(token);
    } finally {
      await guarded.stop();
    }
  });
});
