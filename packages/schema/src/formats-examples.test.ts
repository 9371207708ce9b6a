import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  localWaves,
  normalizeEventLine,
  parseEventLine,
  parseGlobalStateText,
  parseLocalStateText,
  parseSignalText,
} from "./index.js";

const fixtures = join(import.meta.dirname, "..", "fixtures", "formats");
const read = (name: string) => readFileSync(join(fixtures, name), "utf8");

describe("FORMATS examples parse", () => {
  it.each([
    ["signal-dispatched.json", "dispatched", 0],
    ["signal-implementing.json", "implementing", 3],
    ["signal-merged.json", "done", 6],
  ])("§2.8 %s", (file, status, phase) => {
    const res = parseSignalText(read(file), file);
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.value.status).toBe(status);
    expect(res.value.phase).toBe(phase);
    expect(res.value.ticket).toMatch(/^CTL-\d+$/);
  });

  it("keeps the pr block and definitionOfDone of example C", () => {
    const res = parseSignalText(read("signal-merged.json"));
    if (!res.ok) throw new Error(res.error.message);
    expect(res.value.pr).toMatchObject({ number: 123, ciStatus: "merged", mergedAt: "2026-04-14T19:39:58Z" });
    expect(res.value.definitionOfDone).toMatchObject({ codeReview: { passed: true, findings: 2 } });
  });

  it("§3.5 global state", () => {
    const res = parseGlobalStateText(read("global-state.json"), "state.json");
    if (!res.ok) throw new Error(res.error.message);
    const orch = res.value.orchestrators["orch-api-redesign-2026-04-14"];
    expect(orch?.workers?.["CTL-48"]?.pr?.number).toBe(123);
    expect(orch?.attention?.[0]?.type).toBe("stalled");
  });

  it("§3.6 local state with waves", () => {
    const res = parseLocalStateText(read("local-state.json"));
    if (!res.ok) throw new Error(res.error.message);
    expect(localWaves(res.value).map((w) => w.tickets)).toEqual([["CTL-48", "CTL-49"], ["CTL-50"]]);
  });

  it("§4.4 every line of the example sequence", () => {
    const lines = read("events-2026-04.jsonl").trim().split("\n");
    expect(lines).toHaveLength(20);
    const types = lines.map((text, i) => {
      const res = parseEventLine(text, `events-2026-04.jsonl:${i + 1}`);
      if (!res.ok) throw new Error(res.error.message);
      const ev = normalizeEventLine(res.value);
      expect(ev.shape).toBe("v1");
      expect(ev.orchestrator).toBe("orch-api-redesign-2026-04-14");
      return ev.type;
    });
    expect(types[0]).toBe("orchestrator-started");
    expect(types).toContain("worker-pr-merged");
    expect(types).toContain("wave-completed");
  });
});

describe("other log line shapes (§4.3, §4.7)", () => {
  it("canonical envelope maps back to v1 names and fields", () => {
    const line = JSON.stringify({
      ts: "2026-05-07T15:02:11Z",
      id: "0b0e4a6c-8f1e-4d3a-9a51-2c5f0e7f4b10",
      observedTs: "2026-05-07T15:02:11Z",
      severityText: "INFO",
      severityNumber: 9,
      resource: { "service.name": "catalyst.orchestrator" },
      attributes: {
        "event.name": "orchestrator.worker.pr_created",
        "catalyst.orchestrator.id": "orch-x",
        "catalyst.worker.ticket": "CTL-48",
        "vcs.pr.number": 123,
      },
      body: { payload: { pr: 123, url: "https://github.com/acme/api/pull/123" } },
    });
    const res = parseEventLine(line);
    if (!res.ok) throw new Error(res.error.message);
    const ev = normalizeEventLine(res.value);
    expect(ev).toMatchObject({
      shape: "canonical",
      type: "worker-pr-created",
      orchestrator: "orch-x",
      worker: "CTL-48",
    });
    expect(ev.detail).toEqual({ pr: 123, url: "https://github.com/acme/api/pull/123" });
  });

  it("catch-all canonical names drop the orchestrator. prefix", () => {
    const res = parseEventLine(
      '{"ts":"2026-05-07T15:02:11Z","attributes":{"event.name":"orchestrator.wave-started","catalyst.orchestrator.id":"o-1"}}',
    );
    if (!res.ok) throw new Error(res.error.message);
    expect(normalizeEventLine(res.value).type).toBe("wave-started");
  });

  it("session lines have no orchestrator", () => {
    const res = parseEventLine(
      '{"ts":"2026-04-14T20:00:00Z","session":"sess_20260414T200000_abcd1234","event":"phase-changed","detail":{"to":"planning","phase":2}}',
    );
    if (!res.ok) throw new Error(res.error.message);
    expect(normalizeEventLine(res.value)).toMatchObject({
      shape: "session",
      orchestrator: null,
      type: "phase-changed",
    });
  });

  it("v2 webhook lines take orchestrator and worker from scope when absent", () => {
    const res = parseEventLine(
      '{"ts":"2026-05-03T10:00:00.123Z","id":"e1","schemaVersion":2,"source":"github.webhook","event":"github.pr.merged","scope":{"repo":"acme/api","pr":7,"orchestrator":"orch-a","ticket":"CTL-9"},"detail":{}}',
    );
    if (!res.ok) throw new Error(res.error.message);
    expect(normalizeEventLine(res.value)).toMatchObject({
      shape: "v2",
      orchestrator: "orch-a",
      worker: "CTL-9",
    });
  });
});
