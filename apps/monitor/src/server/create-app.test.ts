import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HealthResponse } from "@catalyst/schema";
import { readEvents } from "@catalyst/sources";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "./create-app.js";
import { createScriptedFeed, removedDraft, startTestServer } from "./test-support.test-helper.js";

let dir = "";
let publicDir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "monitor-app-"));
  publicDir = join(dir, "public");
  await mkdir(publicDir);
  await writeFile(join(publicDir, "index.html"), "<!doctype html><title>fleet</title>");
  await writeFile(join(publicDir, "app.js"), "console.log(1)");
  await writeFile(join(publicDir, "styles.css"), "body{}");
  await writeFile(join(publicDir, "notes.txt"), "secret");
  await writeFile(join(dir, "outside.js"), "outside");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// The real reader: these catalyst dirs hold no event log, so it yields nothing.
const noEvents = readEvents;

function makeApp(token: string | null = null, host = "127.0.0.1") {
  const feed = createScriptedFeed();
  const app = createApp({
    feed,
    catalystDir: join(dir, "catalyst"),
    publicDir,
    access: { host, port: 7400, token },
    readEvents: noEvents,
    version: "9.9.9",
  });
  return { app, feed };
}

const HOST = { Host: "127.0.0.1:7400" };

describe("access guard (DNS rebinding, cross-origin, token)", () => {
  it("accepts the loopback names on the listening port", async () => {
    const { app } = makeApp();
    for (const host of ["127.0.0.1:7400", "localhost:7400", "[::1]:7400", "LOCALHOST:7400"]) {
      const res = await app.request("/api/snapshot", { headers: { Host: host } });
      expect(res.status, host).toBe(200);
    }
  });

  it("rejects a forged or missing Host with a JSON 403", async () => {
    const { app } = makeApp();
    for (const host of ["evil.example:7400", "127.0.0.1:7401", "localhost", "127.0.0.1.nip.io:7400", ""]) {
      const res = await app.request("/api/snapshot", { headers: host === "" ? {} : { Host: host } });
      expect(res.status, host).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: "forbidden_host" } });
    }
  });

  it("rejects a cross-site Origin and accepts the same loopback origin", async () => {
    const { app } = makeApp();
    for (const origin of ["http://evil.example", "http://127.0.0.1:7401", "null", "https://127.0.0.1:7400"]) {
      const res = await app.request("/events", { headers: { ...HOST, Origin: origin } });
      expect(res.status, origin).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: "forbidden_origin" } });
    }
    const ok = await app.request("/api/snapshot", { headers: { ...HOST, Origin: "http://localhost:7400" } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("requires the token on every route when one is set, by header or query", async () => {
    const { app } = makeApp("s3cret-token");
    for (const path of ["/", "/api/snapshot", "/healthz", "/events", "/assets/app.js", "/nope"]) {
      const res = await app.request(path, { headers: HOST });
      expect(res.status, path).toBe(401);
      const text = await res.text();
      expect(text).not.toContain("s3cret-token");
    }
    expect(
      (await app.request("/api/snapshot", { headers: { ...HOST, Authorization: "Bearer wrong" } })).status,
    ).toBe(401);
    const byHeader = await app.request("/api/snapshot", {
      headers: { ...HOST, Authorization: "Bearer s3cret-token" },
    });
    expect(byHeader.status).toBe(200);
    expect((await app.request("/healthz?token=s3cret-token", { headers: HOST })).status).toBe(200);
  });

  it("accepts the configured non-loopback host name", async () => {
    const { app } = makeApp("t", "10.1.2.3");
    const res = await app.request("/healthz", {
      headers: { Host: "10.1.2.3:7400", Authorization: "Bearer t" },
    });
    expect(res.status).toBe(200);
  });

  it("rejects a forged Host over a real socket", async () => {
    const server = await startTestServer(createScriptedFeed());
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          {
            host: "127.0.0.1",
            port: server.port,
            path: "/events",
            headers: { Host: `attacker.test:${server.port}` },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.end();
      });
      expect(status).toBe(403);
      expect(server.hub.clientCount()).toBe(0);
    } finally {
      await server.close();
    }
  });
});

describe("routes", () => {
  it("serves the snapshot and health as JSON", async () => {
    const { app, feed } = makeApp();
    feed.publish([removedDraft("o1", "W1")]);
    const snap = await app.request("/api/snapshot", { headers: HOST });
    expect(await snap.json()).toEqual({
      generatedAt: "2026-04-14T19:00:00Z",
      orchestrators: [],
      needsYou: [],
      sourceErrors: [],
    });
    const health = HealthResponse.parse(await (await app.request("/healthz", { headers: HOST })).json());
    expect(health).toMatchObject({ status: "ok", version: "9.9.9", lastEventId: 1, clients: { count: 0 } });
    expect(health.rssBytes).toBeGreaterThan(0);
  });

  it("answers unknown routes with a JSON 404", async () => {
    const { app } = makeApp();
    const res = await app.request("/api/nope", { headers: HOST });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
  });

  it("serves index.html and allowed assets only from publicDir", async () => {
    const { app } = makeApp();
    const index = await app.request("/", { headers: HOST });
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toContain("text/html");
    expect(await index.text()).toContain("<title>fleet</title>");
    const js = await app.request("/assets/app.js", { headers: HOST });
    expect(js.headers.get("content-type")).toContain("text/javascript");
    expect(await js.text()).toBe("console.log(1)");
    expect((await app.request("/assets/styles.css", { headers: HOST })).status).toBe(200);
    for (const path of [
      "/assets/notes.txt",
      "/assets/..%2Foutside.js",
      "/assets/../outside.js",
      "/assets/%2e%2e%2foutside.js",
      "/assets/missing.js",
      "/assets/.hidden.js",
      "/assets/sub/app.js",
    ]) {
      const res = await app.request(path, { headers: HOST });
      expect(res.status, path).toBe(404);
    }
  });

  it("says the dashboard is not built when index.html is missing", async () => {
    const app = createApp({
      feed: createScriptedFeed(),
      catalystDir: dir,
      publicDir: join(dir, "no-such-dir"),
      access: { host: "127.0.0.1", port: 7400, token: null },
      readEvents: noEvents,
    });
    const res = await app.request("/", { headers: HOST });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "dashboard_missing" } });
  });
});
