import { createMonitorMetrics, followFleet } from "@catalyst/metrics";
import { afterEach, describe, expect, it } from "vitest";
import { createScriptedFeed, startTestServer, type TestServer } from "./test-support.test-helper.js";

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe("GET /metrics", () => {
  it("serves the Prometheus text behind the same token as the API", async () => {
    const feed = createScriptedFeed();
    const { counts } = followFleet(feed);
    const metrics = createMonitorMetrics({ fleet: counts });
    let port = 0;
    server = await startTestServer(feed, {
      deps: { metrics, access: { host: "127.0.0.1", port: () => port, token: "s3cret" } },
    });
    port = server.port;
    const refused = await fetch(`${server.base}/metrics`);
    expect(refused.status).toBe(401);
    await refused.body?.cancel();
    const res = await fetch(`${server.base}/metrics`, { headers: { authorization: "Bearer s3cret" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const text = await res.text();
    expect(text).toContain("# TYPE catalyst_workers gauge");
    expect(text).toContain("process_resident_memory_bytes");
    // The API's security headers come along too.
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("is a 404 when the app was given no metrics", async () => {
    server = await startTestServer(createScriptedFeed());
    const res = await fetch(`${server.base}/metrics`);
    expect(res.status).toBe(404);
    await res.body?.cancel();
  });
});
