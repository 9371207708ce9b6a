import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { describeHealthProbe, formatUptime, probeMonitorHealth } from "./health-probe.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
});

/** A real HTTP server answering /healthz with `status` and `body`; its base URL. */
async function serve(status: number, body: string): Promise<string> {
  const server = createServer((req, res) => {
    res.writeHead(status, { "content-type": "application/json", "x-auth": req.headers.authorization ?? "" });
    res.end(req.headers.authorization === "Bearer t" ? body : "{}");
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe("probeMonitorHealth", () => {
  it("tells a closed port, an HTTP error and something that is not a monitor apart", async () => {
    const closed = await serve(200, "{}");
    await new Promise((resolve) => servers.pop()?.close(resolve));
    expect(await probeMonitorHealth(closed)).toEqual({ kind: "unreachable", cause: "ECONNREFUSED" });
    expect(await probeMonitorHealth(await serve(503, "down"), { token: "t" })).toEqual({
      kind: "http-error",
      status: 503,
      body: "down",
    });
    expect(await probeMonitorHealth(await serve(200, '{"status":"ok"}'), { token: "t" })).toEqual({
      kind: "not-a-monitor",
    });
    // A body over the cap is cut, so it does not parse.
    expect(
      await probeMonitorHealth(await serve(200, " ".repeat(4096)), { token: "t", maxBytes: 100 }),
    ).toEqual({
      kind: "not-a-monitor",
    });
  });

  it("words an uptime", () => {
    expect([formatUptime(72), formatUptime(7_500), formatUptime(3 * 86_400 + 4 * 3_600)]).toEqual([
      "1m 12s",
      "2h 5m",
      "3d 4h",
    ]);
  });
});

describe("describeHealthProbe", () => {
  const url = "http://127.0.0.1:7400/";
  it("says what each probe found, and how it went", () => {
    expect(describeHealthProbe({ kind: "unreachable", cause: "ECONNREFUSED" }, url)).toEqual({
      line: "monitor: not answering at http://127.0.0.1:7400/ (ECONNREFUSED)\n",
      outcome: "not-running",
    });
    expect(describeHealthProbe({ kind: "http-error", status: 401, body: "no" }, url)).toEqual({
      line: "monitor: http://127.0.0.1:7400/healthz answered HTTP 401: no\n",
      outcome: "failed",
    });
    expect(describeHealthProbe({ kind: "not-a-monitor" }, url).outcome).toBe("failed");
  });
});
