import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFuse } from "@catalyst/fuse";
import type { BriefingResponse } from "@catalyst/schema";
import { readEvents, scanCatalystDir } from "@catalyst/sources";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "./create-app.js";

let dir = "";
let publicDir = "";
const fuse = createFuse();
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "monitor-briefing-"));
  publicDir = join(dir, "public");
  const orch = join(dir, "catalyst/runs/orch-a");
  await mkdir(join(orch, "workers"), { recursive: true });
  await mkdir(publicDir);
  await writeFile(join(publicDir, "index.html"), "<!doctype html><title>fleet</title>");
  await writeFile(join(orch, "DASHBOARD.md"), "# Dashboard\n\n<script>alert(1)</script>");
  await writeFile(join(orch, "wave-2-briefing.md"), "## Wave 2\n\n- CTL-50");
  await writeFile(join(orch, "wave-3-notes.md"), "not a briefing");
  fuse.apply(await scanCatalystDir(join(dir, "catalyst")), new Date());
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const app = () =>
  createApp({
    feed: fuse,
    catalystDir: join(dir, "catalyst"),
    publicDir,
    access: { host: "127.0.0.1", port: 7400, token: null },
    readEvents,
  });
const get = (path: string) => app().request(path, { headers: { Host: "127.0.0.1:7400" } });

describe("GET /api/briefing", () => {
  it("serves DASHBOARD.md without a wave, and a wave's briefing with one, as markdown text", async () => {
    const dash = await get("/api/briefing?orchestrator=orch-a");
    expect(dash.status).toBe(200);
    expect((await dash.json()) as BriefingResponse).toEqual({
      orchestrator: "orch-a",
      wave: null,
      name: "DASHBOARD.md",
      markdown: "# Dashboard\n\n<script>alert(1)</script>",
      truncated: false,
    });
    const wave = (await (await get("/api/briefing?orchestrator=orch-a&wave=2")).json()) as BriefingResponse;
    expect(wave).toMatchObject({ wave: 2, name: "wave-2-briefing.md", markdown: "## Wave 2\n\n- CTL-50" });
  });

  it("answers 404 for what the snapshot does not list and 400 for bad parameters", async () => {
    expect((await get("/api/briefing?orchestrator=orch-a&wave=3")).status).toBe(404);
    expect((await get("/api/briefing?orchestrator=nope")).status).toBe(404);
    expect((await get("/api/briefing")).status).toBe(400);
    for (const wave of ["../x", "-1", "1.5", "1e3"]) {
      const res = await get(`/api/briefing?orchestrator=orch-a&wave=${encodeURIComponent(wave)}`);
      expect(res.status, wave).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "bad_request" } });
    }
  });

  it("lists briefings in the snapshot as metadata only", () => {
    const o = fuse.snapshot().orchestrators[0];
    expect(o?.briefings.map((b) => [b.name, b.wave])).toEqual([
      ["DASHBOARD.md", null],
      ["wave-2-briefing.md", 2],
    ]);
  });
});

describe("GET /index.html", () => {
  it("is the dashboard, like GET /", async () => {
    const res = await get("/index.html");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toBe(await (await get("/")).text());
  });
});
