import { describe, expect, it } from "vitest";
import {
  isKnownWorkerStatus,
  isTimestamp,
  normalizeEventLine,
  parseEventLine,
  parseGlobalStateText,
  parseSignalText,
  phaseOfStatus,
  timestampMs,
  WORKER_LIFECYCLE,
} from "./index.js";

const base = { ticket: "CTL-1", status: "implementing", phase: 3 };
const signal = (extra: Record<string, unknown>) => JSON.stringify({ ...base, ...extra });

describe("real files vary (FORMATS §8.12)", () => {
  it("keeps unknown extra fields", () => {
    const res = parseSignalText(signal({ previews: [{ url: "x" }], reviveCount: 2 }));
    if (!res.ok) throw new Error(res.error.message);
    expect(res.value).toMatchObject({ previews: [{ url: "x" }], reviveCount: 2 });
  });

  it.each(["2026-04-14T19:03:01Z", "2026-04-14T19:03:01.482Z", "2026-04-14T19:03:01+00:00"])(
    "accepts timestamp %s",
    (ts) => {
      expect(isTimestamp(ts)).toBe(true);
      expect(parseSignalText(signal({ updatedAt: ts })).ok).toBe(true);
    },
  );

  it("compares timestamps by parsing, not as strings", () => {
    expect(timestampMs("2026-04-14T19:03:01.482Z")).toBeGreaterThan(timestampMs("2026-04-14T19:03:01Z"));
    expect(Number.isNaN(timestampMs("yesterday"))).toBe(true);
  });

  it("accepts pr as an object or a bare number", () => {
    expect(parseSignalText(signal({ pr: { number: 5, url: "https://github.com/a/b/pull/5" } })).ok).toBe(
      true,
    );
    expect(parseSignalText(signal({ pr: 5 })).ok).toBe(true);
    expect(parseSignalText(signal({ pr: null })).ok).toBe(true);
  });

  it("keeps statuses the enum does not know", () => {
    const res = parseSignalText(signal({ status: "deploy-verifying" }));
    if (!res.ok) throw new Error(res.error.message);
    expect(res.value.status).toBe("deploy-verifying");
    expect(isKnownWorkerStatus(res.value.status)).toBe(false);
    expect(isKnownWorkerStatus("merging")).toBe(true);
  });

  it("keeps mixed ciStatus values such as passing,pending (§5.8.4)", () => {
    const res = parseSignalText(signal({ pr: { number: 5, ciStatus: "passing,pending" } }));
    if (!res.ok) throw new Error(res.error.message);
    expect(res.value.pr).toMatchObject({ ciStatus: "passing,pending" });
  });

  it("treats a non-number pid as no pid (§2.6)", () => {
    const res = parseSignalText(signal({ pid: "63709" }));
    if (!res.ok) throw new Error(res.error.message);
    expect(res.value.pid).toBeNull();
  });

  it("keeps unknown event types and attention types", () => {
    const res = parseEventLine(
      '{"ts":"2026-04-14T19:00:10Z","orchestrator":"o","worker":"CTL-1","event":"worker-teleported","detail":{"attentionType":"brand-new"}}',
    );
    if (!res.ok) throw new Error(res.error.message);
    expect(normalizeEventLine(res.value).type).toBe("worker-teleported");
    const state = parseGlobalStateText(
      JSON.stringify({
        orchestrators: { o: { attention: [{ type: "brand-new", ticketId: "CTL-1", message: "m" }] } },
      }),
    );
    expect(state.ok).toBe(true);
  });

  it("accepts the freshly initialised global state with an empty lastUpdated (§1.5)", () => {
    expect(parseGlobalStateText('{"version":"1.0.0","lastUpdated":"","orchestrators":{}}').ok).toBe(true);
  });
});

describe("errors name the file, the JSON path, expected and received", () => {
  it("an empty file", () => {
    const res = parseSignalText("", "/x/workers/CTL-1.json");
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.error.message).toBe(
      "/x/workers/CTL-1.json: at $: expected a JSON document, received an empty file",
    );
  });

  it("a torn file", () => {
    const res = parseSignalText('{"ticket":"CTL-1","status":"impl', "CTL-1.json");
    if (res.ok) throw new Error("should fail");
    expect(res.error.file).toBe("CTL-1.json");
    expect(res.error.path).toBe("$");
    expect(res.error.expected).toBe("valid JSON");
    expect(res.error.message).toContain('{\\"ticket\\":\\"CTL-1\\"');
  });

  it("a ticket of the wrong type (the worker's identity)", () => {
    const res = parseSignalText(signal({ ticket: 48 }), "CTL-1.json");
    if (res.ok) throw new Error("should fail");
    expect(res.error).toMatchObject({
      file: "CTL-1.json",
      path: "$.ticket",
      expected: "string",
      received: "48",
    });
    expect(res.error.message).toBe("CTL-1.json: at $.ticket: expected string, received 48");
  });

  it("a missing ticket", () => {
    const res = parseSignalText(JSON.stringify({ status: "done", phase: 6 }), "CTL-1.json");
    if (res.ok) throw new Error("should fail");
    expect(res.error.path).toBe("$.ticket");
  });

  it("paths with keys that are not identifiers", () => {
    const res = parseGlobalStateText(
      JSON.stringify({ orchestrators: { "orch-1": { workers: { "CTL-9": { phase: -1 } } } } }),
    );
    if (!res.ok) throw new Error(res.error.message);
    expect(res.warnings?.[0]?.path).toBe('$.orchestrators["orch-1"].workers["CTL-9"].phase');
  });

  it("trims long received values", () => {
    const res = parseSignalText(signal({ ticket: { long: "x".repeat(500) } }));
    if (res.ok) throw new Error("should fail");
    expect(res.error.received.length).toBeLessThanOrEqual(80);
  });

  it("a JSON document that is not an object", () => {
    const res = parseSignalText("[1,2]", "a.json");
    if (res.ok) throw new Error("should fail");
    expect(res.error.expected).toBe("object");
  });

  it("an event line without a name", () => {
    const res = parseEventLine('{"ts":"2026-04-14T19:00:10Z","orchestrator":"o"}', "2026-04.jsonl");
    if (res.ok) throw new Error("should fail");
    expect(res.error.path).toBe("$.event");
  });

  it("an event line with a bad ts", () => {
    const res = parseEventLine('{"ts":"14/04/2026","event":"x"}');
    if (res.ok) throw new Error("should fail");
    expect(res.error.path).toBe("$.ts");
  });
});

describe("a bad optional field is dropped with a warning, never the worker", () => {
  const done = {
    ticket: "CTL-7",
    status: "done",
    phase: 6,
    pr: { number: 12, url: "https://github.com/a/b/pull/12" },
  };

  it("a null inside cost (jq writes nulls) keeps status, phase, PR and the rest of cost", () => {
    const res = parseSignalText(JSON.stringify({ ...done, cost: { costUSD: 1.5, inputTokens: null } }));
    if (!res.ok) throw new Error(res.error.message);
    expect(res.value).toMatchObject({ status: "done", phase: 6, pr: { number: 12 }, cost: { costUSD: 1.5 } });
    expect(res.value.cost).not.toHaveProperty("inputTokens");
    expect(res.warnings).toEqual([
      expect.objectContaining({ path: "$.cost.inputTokens", expected: "number", received: "null" }),
    ]);
  });

  it.each([
    ["fixupCommit", 42, "42"],
    ["followUpTo", { ticket: "CTL-1" }, '{"ticket":"CTL-1"}'],
    ["updatedAt", "yesterday", '"yesterday"'],
    ["wave", "2", '"2"'],
  ])("a bad %s is dropped", (field, value, received) => {
    const res = parseSignalText(JSON.stringify({ ...done, [field]: value }), "w/CTL-7.json");
    if (!res.ok) throw new Error(res.error.message);
    expect(res.value).not.toHaveProperty(field);
    expect(res.value.status).toBe("done");
    expect(res.warnings).toEqual([
      expect.objectContaining({ file: "w/CTL-7.json", path: `$.${field}`, segments: [field], received }),
    ]);
  });

  it("a bad field inside the PR object keeps the PR", () => {
    const res = parseSignalText(JSON.stringify({ ...done, pr: { number: 12, url: null, ciStatus: 3 } }));
    if (!res.ok) throw new Error(res.error.message);
    expect(res.value.pr).toEqual({ number: 12 });
    expect(res.warnings?.map((w) => w.path).sort()).toEqual(["$.pr.ciStatus", "$.pr.url"]);
  });

  it("a bad phase falls back to the status's phase, a bad status to unknown", () => {
    const phase = parseSignalText(JSON.stringify({ ...done, phase: "six" }));
    if (!phase.ok) throw new Error(phase.error.message);
    expect(phase.value.phase).toBe(6);
    const status = parseSignalText(JSON.stringify({ ticket: "CTL-7", status: null, phase: 2 }));
    if (!status.ok) throw new Error(status.error.message);
    expect(status.value).toMatchObject({ status: "unknown", phase: 2 });
    expect(status.warnings?.[0]?.path).toBe("$.status");
  });

  it("a clean file has no warnings and the input is never modified", () => {
    const clean = parseSignalText(JSON.stringify(done));
    expect(clean.ok && clean.warnings).toBeUndefined();
    const input = { ...done, cost: { inputTokens: null } };
    const text = JSON.stringify(input);
    parseSignalText(text);
    expect(JSON.stringify(input)).toBe(text);
  });

  it("a state.json entry loses only its bad field; a bad attention item is dropped from the list", () => {
    const res = parseGlobalStateText(
      JSON.stringify({
        orchestrators: {
          o: {
            workers: {
              "CTL-1": { status: "done", phase: 6, usage: { inputTokens: "many" } },
              "CTL-2": { phase: 3 },
            },
            attention: [{ type: "x", message: "ok" }, { message: "no type" }],
          },
        },
      }),
    );
    if (!res.ok) throw new Error(res.error.message);
    const o = res.value.orchestrators.o;
    expect(o?.workers?.["CTL-1"]).toMatchObject({ status: "done", phase: 6, usage: {} });
    expect(o?.workers?.["CTL-2"]).toEqual({ phase: 3 });
    expect(o?.attention).toEqual([{ type: "x", message: "ok" }]);
    expect(res.warnings?.map((w) => w.segments)).toEqual(
      expect.arrayContaining([["orchestrators", "o", "workers", "CTL-1", "usage", "inputTokens"]]),
    );
  });

  it("a global state without orchestrators is still an error", () => {
    const res = parseGlobalStateText(JSON.stringify({ version: "1.0.0", orchestrators: [] }));
    expect(res.ok).toBe(false);
  });
});

describe("status facts (FORMATS §2.3)", () => {
  it("maps lifecycle statuses to their phases and leaves side states alone", () => {
    expect(WORKER_LIFECYCLE.map((s) => phaseOfStatus(s))).toEqual([0, 1, 2, 3, 4, 5, 5, 6, 6]);
    expect(phaseOfStatus("merged")).toBe(6);
    expect(phaseOfStatus("failed")).toBeUndefined();
    expect(phaseOfStatus("deploy-verifying")).toBeUndefined();
  });
});
