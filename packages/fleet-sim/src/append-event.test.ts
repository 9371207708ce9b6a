import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { normalizeEventLine, parseEventLine } from "@catalyst/schema";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  appendEventLine,
  buildEventLine,
  createLineShaper,
  encodeEventLine,
  eventLogPath,
} from "./append-event.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "demo-events-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("appendEventLine", () => {
  it("appends compact v1 lines with seconds precision to the UTC-month file", async () => {
    const at = new Date("2026-04-30T23:59:59.730Z");
    await appendEventLine(dir, at, buildEventLine(at, "orch-a", "CTL-1", "worker-dispatched"));
    await appendEventLine(dir, at, buildEventLine(at, "orch-a", null, "wave-completed", { wave: 1 }));
    const may = new Date("2026-05-01T00:00:00Z");
    await appendEventLine(dir, may, buildEventLine(may, "orch-a", null, "orchestrator-completed"));

    expect((await readdir(join(dir, "events"))).sort()).toEqual(["2026-04.jsonl", "2026-05.jsonl"]);
    const april = await readFile(eventLogPath(dir, at), "utf8");
    expect(april).toBe(
      '{"ts":"2026-04-30T23:59:59Z","orchestrator":"orch-a","worker":"CTL-1","event":"worker-dispatched","detail":null}\n' +
        '{"ts":"2026-04-30T23:59:59Z","orchestrator":"orch-a","worker":null,"event":"wave-completed","detail":{"wave":1}}\n',
    );
    for (const line of april.trimEnd().split("\n")) expect(parseEventLine(line).ok).toBe(true);
  });

  it("keeps every line whole when many appends race", async () => {
    const at = new Date("2026-04-14T19:03:01Z");
    const long = "x".repeat(2_000);
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        appendEventLine(dir, at, buildEventLine(at, "orch-a", `CTL-${i}`, "worker-failed", { reason: long })),
      ),
    );
    const lines = (await readFile(eventLogPath(dir, at), "utf8")).trimEnd().split("\n");
    expect(lines).toHaveLength(200);
    const workers = new Set(lines.map((line) => JSON.parse(line).worker));
    expect(workers.size).toBe(200);
  });
});

describe("today's line shapes (FORMATS-TODAY §1)", () => {
  const at = new Date("2026-08-21T09:15:00.250Z");
  const line = buildEventLine(at, "orch-a", "CTL-7", "worker-pr-created", {
    pr: 12,
    url: "https://x/pull/12",
  });

  it("R1.7 encodes one event in each of the four shapes, each read back as the same event", () => {
    const read = (["v1", "v2", "dual", "v3"] as const).map((shape) => {
      const res = parseEventLine(JSON.stringify(encodeEventLine(line, shape, at)));
      if (!res.ok) throw new Error(res.error.message);
      return normalizeEventLine(res.value);
    });
    expect(read.map((e) => e.envelope)).toEqual(["v1", "v2", "dual", "v3"]);
    for (const e of read)
      expect(e).toMatchObject({
        type: "worker-pr-created",
        orchestrator: "orch-a",
        worker: "CTL-7",
        prNumber: 12,
      });
  });

  it("a mixed shaper is deterministic, writes every shape, and now and then a tombstone (R1.6)", () => {
    const run = () => {
      const shaper = createLineShaper("mixed");
      return Array.from({ length: 200 }, () => shaper.encode(line, at)).flat();
    };
    const first = run();
    expect(run()).toEqual(first);
    const kinds = first.map((l) => {
      const res = parseEventLine(JSON.stringify(l));
      if (!res.ok) throw new Error(res.error.message);
      const e = normalizeEventLine(res.value);
      return e.dropped ? "tombstone" : e.envelope;
    });
    expect(new Set(kinds)).toEqual(new Set(["v1", "v2", "dual", "v3", "tombstone"]));
    expect(createLineShaper("v1").encode(line, at)).toEqual([line]);
  });
});
