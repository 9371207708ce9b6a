import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventsResponse } from "@catalyst/schema";
import { readEvents } from "@catalyst/sources";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "./create-app.js";
import { createScriptedFeed } from "./test-support.test-helper.js";

// /api/events on today's log (FORMATS-TODAY §1): the composed v1, v2, dual, v3 and tombstone lines,
// plus a v2 park line whose ticket is only in its name.
const FOUR = readFileSync(
  join(import.meta.dirname, "../../../../packages/schema/fixtures/formats-today/four-shapes.jsonl"),
  "utf8",
);
const PARK = JSON.stringify({
  ts: "2026-08-21T08:20:00Z",
  severityText: "WARN",
  severityNumber: 13,
  attributes: { "event.name": "phase.verify.park.CTL-77" },
  body: { payload: { reason: "which environment?" } },
});

let dir = "";
let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "monitor-events-today-"));
  await mkdir(join(dir, "events"));
  await writeFile(join(dir, "events", "2026-08.jsonl"), `${FOUR}${PARK}\n`);
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

async function get(query: string): Promise<EventsResponse> {
  const res = await app.request(`/api/events${query}`, { headers: { Host: "127.0.0.1:7400" } });
  expect(res.status).toBe(200);
  return EventsResponse.parse(await res.json());
}

describe("GET /api/events on today's log", () => {
  it("R1.7 serves every shape and skips none", async () => {
    const body = await get("");
    expect(body.events).toHaveLength(6);
    expect(body.skipped).toBe(0);
  });

  it("R1.21 ?worker=<ticket> finds the ticket's lines in every shape, the name-embedded one included", async () => {
    const ts = (b: EventsResponse) => b.events.map((e) => e.ts);
    expect(ts(await get("?worker=CTL-77"))).toEqual([
      "2026-08-10T09:15:00Z", // v1
      "2026-08-14T09:15:00Z", // dual
      "2026-08-21T08:20:00Z", // v2, ticket only in the name
    ]);
    expect(ts(await get("?worker=CTL-88"))).toEqual(["2026-08-06T22:41:09.318Z"]); // v3
    expect(ts(await get("?worker=CTL-412"))).toEqual(["2026-08-20T14:03:11Z"]); // v2
  });
});
