import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventsResponse } from "@catalyst/schema";
import { readEvents } from "@catalyst/sources";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "./create-app.js";
import { createScriptedFeed } from "./test-support.test-helper.js";

const O = "orch-api-redesign-2026-04-14";
const LINES = [
  { ts: "2026-04-14T18:37:02Z", orchestrator: O, worker: null, event: "orchestrator-started", detail: null },
  { ts: "2026-04-14T18:37:51Z", orchestrator: O, worker: "CTL-48", event: "worker-dispatched", detail: null },
  { ts: "2026-04-14T18:37:53Z", orchestrator: O, worker: "CTL-49", event: "worker-dispatched", detail: null },
  {
    ts: "2026-04-14T18:40:12Z",
    orchestrator: O,
    worker: "CTL-48",
    event: "worker-status-change",
    detail: { from: "dispatched", to: "researching" },
  },
  {
    ts: "2026-04-14T19:05:40Z",
    orchestrator: "orch-other",
    worker: "CTL-7",
    event: "attention-resolved",
    detail: null,
  },
];

let dir = "";
let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "monitor-events-"));
  await mkdir(join(dir, "events"));
  const text = LINES.map((l) => JSON.stringify(l)).join("\n");
  // One broken line in the middle: skipped and counted, never fatal.
  const lines = text.split("\n");
  lines.splice(2, 0, "{not json");
  await writeFile(join(dir, "events", "2026-04.jsonl"), `${lines.join("\n")}\n`);
  app = createApp({
    feed: createScriptedFeed(),
    catalystDir: dir,
    publicDir: join(dir, "public"),
    access: { host: "127.0.0.1", port: 7400, token: null },
    readEvents,
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function get(query: string): Promise<{ status: number; body: unknown }> {
  const res = await app.request(`/api/events${query}`, { headers: { Host: "127.0.0.1:7400" } });
  return { status: res.status, body: await res.json() };
}

describe("GET /api/events (served from the log via sources' readEvents)", () => {
  it("returns every line in time order and counts the invalid one", async () => {
    const { status, body } = await get("");
    expect(status).toBe(200);
    const page = EventsResponse.parse(body);
    expect(page.events.map((e) => e.ts)).toEqual(LINES.map((l) => l.ts));
    expect(page).toMatchObject({ skipped: 1, truncated: false, next: null });
  });

  it("filters by since (inclusive), until (exclusive), orchestrator, worker and type", async () => {
    const page = EventsResponse.parse(
      (await get("?since=2026-04-14T18:37:51Z&until=2026-04-14T19:00:00Z&worker=CTL-48")).body,
    );
    expect(page.events.map((e) => e.event)).toEqual(["worker-dispatched", "worker-status-change"]);
    const byType = EventsResponse.parse((await get(`?orchestrator=${O}&type=worker-dispatched`)).body);
    expect(byType.events.map((e) => e.worker)).toEqual(["CTL-48", "CTL-49"]);
  });

  it("pages with limit and next", async () => {
    const first = EventsResponse.parse((await get("?limit=2")).body);
    expect(first.events).toHaveLength(2);
    expect(first).toMatchObject({ truncated: true, next: "2026-04-14T18:37:53Z" });
    const second = EventsResponse.parse((await get(`?limit=10&since=${first.next}`)).body);
    expect(second.events.map((e) => e.ts)).toEqual(LINES.slice(2).map((l) => l.ts));
  });

  it("answers bad parameters with a JSON 400", async () => {
    for (const q of [
      "?since=yesterday",
      "?until=2026-13-99T00:00:00Z",
      "?limit=0",
      "?limit=abc",
      "?limit=999999",
    ]) {
      const { status, body } = await get(q);
      expect(status, q).toBe(400);
      expect(body, q).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    }
  });

  it("returns an empty page for a catalyst dir without a log", async () => {
    const empty = createApp({
      feed: createScriptedFeed(),
      catalystDir: join(dir, "missing"),
      publicDir: dir,
      access: { host: "127.0.0.1", port: 7400, token: null },
      readEvents,
    });
    const res = await empty.request("/api/events", { headers: { Host: "127.0.0.1:7400" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ events: [], skipped: 0, truncated: false, next: null });
  });

  // Issue 25: unreadable history is named, never a 500 and never a silent empty page. The tests
  // run as root, for whom mode 000 is no obstacle: a symlink loop and a file where the events
  // dir should be are refused by the kernel for root too (catalyst-replay's tests drop to
  // `nobody` for the mode-000 case itself).
  const appFor = (catalystDir: string) =>
    createApp({
      feed: createScriptedFeed(),
      catalystDir,
      publicDir: dir,
      access: { host: "127.0.0.1", port: 7400, token: null },
      readEvents,
    });

  it("leaves out a month file that cannot be read and names it in the page (200, the other lines)", async () => {
    const other = await mkdtemp(join(tmpdir(), "monitor-events-loop-"));
    try {
      await mkdir(join(other, "events"));
      await writeFile(join(other, "events", "2026-03.jsonl"), `${JSON.stringify(LINES[0])}\n`);
      await symlink("2026-04.jsonl", join(other, "events", "2026-04.jsonl")); // a loop
      const res = await appFor(other).request("/api/events", { headers: { Host: "127.0.0.1:7400" } });
      expect(res.status).toBe(200);
      const body = EventsResponse.parse(await res.json());
      expect(body.events).toHaveLength(1);
      expect(body.unreadable).toEqual([
        { file: join(other, "events", "2026-04.jsonl"), reason: expect.stringMatching(/symbolic links/) },
      ]);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it("answers 503 naming the events dir when it cannot be listed, not an empty 200", async () => {
    const other = await mkdtemp(join(tmpdir(), "monitor-events-nodir-"));
    try {
      await writeFile(join(other, "events"), "not a directory\n");
      const res = await appFor(other).request("/api/events", { headers: { Host: "127.0.0.1:7400" } });
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("log_unreadable");
      expect(body.error.message).toContain(join(other, "events"));
      expect(body.error.message).toContain("ENOTDIR");
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
