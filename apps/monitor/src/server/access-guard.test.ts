import { allowedHostHeaders } from "@catalyst/sse-server";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { createAccessGuard } from "./access-guard.js";

// Issue 17: remote use. The bound addresses and --allow-host names pass, and on ports 80/443 a
// browser's Host without a port passes too.

function app(options: Parameters<typeof createAccessGuard>[0]): Hono {
  const a = new Hono();
  a.use("*", createAccessGuard(options));
  a.get("/", (c) => c.text("ok"));
  return a;
}

describe("allowed Host names", () => {
  it("adds the bare name on ports 80 and 443 only", () => {
    expect(allowedHostHeaders("127.0.0.1", 80).has("127.0.0.1")).toBe(true);
    expect(allowedHostHeaders("127.0.0.1", 443).has("localhost")).toBe(true);
    expect(allowedHostHeaders("127.0.0.1", 7400).has("127.0.0.1")).toBe(false);
  });

  it("a wildcard bind accepts the machine's addresses; --allow-host adds names", async () => {
    const guarded = app({
      host: "0.0.0.0",
      port: 7400,
      token: null,
      allowHosts: ["monitor.example"],
      interfaceAddresses: () => ["192.0.2.7", "fe80::1"],
    });
    for (const host of ["192.0.2.7:7400", "[fe80::1]:7400", "monitor.example:7400", "0.0.0.0:7400"])
      expect((await guarded.request("/", { headers: { Host: host } })).status, host).toBe(200);
    for (const host of ["192.0.2.8:7400", "monitor.example", "evil.example:7400"])
      expect((await guarded.request("/", { headers: { Host: host } })).status, host).toBe(403);
  });

  it("a loopback bind does not accept interface addresses", async () => {
    const guarded = app({
      host: "127.0.0.1",
      port: 7400,
      token: null,
      interfaceAddresses: () => ["192.0.2.7"],
    });
    expect((await guarded.request("/", { headers: { Host: "192.0.2.7:7400" } })).status).toBe(403);
  });

  it("on port 80 a Host and Origin without the port pass", async () => {
    const guarded = app({ host: "127.0.0.1", port: 80, token: null });
    const res = await guarded.request("/", { headers: { Host: "127.0.0.1", Origin: "http://127.0.0.1" } });
    expect(res.status).toBe(200);
  });
});
