import { type LogRecord, normalizeEventLine, parseEventLine } from "@catalyst/schema";
import { describe, expect, it } from "vitest";
import { createPaint, shouldUseColour } from "./colour.js";
import { clean, createPrettyFormatter, summarizeDetail } from "./format-pretty.js";

function record(text: string): LogRecord {
  const parsed = parseEventLine(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return {
    file: "events/2026-04.jsonl",
    offset: 0,
    text,
    line: parsed.value,
    event: normalizeEventLine(parsed.value),
  };
}

const started =
  '{"ts":"2026-04-14T18:37:02Z","orchestrator":"orch-api-redesign-2026-04-14","worker":null,"event":"orchestrator-started","detail":{"tickets":["CTL-48","CTL-49","CTL-50"]}}';
const pr =
  '{"ts":"2026-04-14T19:15:30.482Z","orchestrator":"orch-api-redesign-2026-04-14","worker":"CTL-48","event":"worker-pr-created","detail":{"pr":123,"url":"https://github.com/acme/api/pull/123"}}';

describe("createPrettyFormatter", () => {
  it("prints aligned columns without colour", () => {
    const format = createPrettyFormatter(createPaint(false));
    const a = format(record(started));
    const b = format(record(pr));
    expect(a).toBe(
      "2026-04-14 18:37:02.000Z  orchestrator-started      orch-api-redesign-2026-04-14  -       tickets=CTL-48,CTL-49,CTL-50\n",
    );
    expect(b).toBe(
      "2026-04-14 19:15:30.482Z  worker-pr-created         orch-api-redesign-2026-04-14  CTL-48  pr=123 url=https://github.com/acme/api/pull/123\n",
    );
    expect(a.indexOf("orch-api")).toBe(b.indexOf("orch-api"));
    expect(a).not.toContain("\x1b");
  });

  it("colours with SGR codes when asked", () => {
    const line = createPrettyFormatter(createPaint(true))(record(pr));
    expect(line).toContain("\x1b[32mworker-pr-created");
    expect(line).toContain("\x1b[2m2026-04-14 19:15:30.482Z\x1b[0m");
  });

  it("shows the session id for session lines and the mapped name for canonical lines", () => {
    const format = createPrettyFormatter(createPaint(false));
    expect(
      format(
        record(
          '{"ts":"2026-04-14T19:00:00Z","session":"sess_20260414T190000_abcd1234","event":"heartbeat","detail":null}',
        ),
      ),
    ).toMatch(/heartbeat\s+sess_20260414T190000_abcd1234\s+-\n$/);
    const canonical =
      '{"ts":"2026-05-07T15:02:11Z","id":"x","attributes":{"event.name":"orchestrator.worker.pr_merged","catalyst.orchestrator.id":"orch-a","catalyst.worker.ticket":"CTL-9"},"body":{"payload":{"pr":9}}}';
    expect(format(record(canonical))).toMatch(/worker-pr-merged\s+orch-a\s+CTL-9\s+pr=9\n$/);
  });

  it("escapes control characters from the log", () => {
    const text =
      '{"ts":"2026-04-14T19:00:00Z","orchestrator":"o\\u001b]0;pwned\\u0007","worker":"W","event":"x","detail":"a\\nb"}';
    const line = createPrettyFormatter(createPaint(false))(record(text));
    expect(line.includes("\u0007") || line.includes("\u001b")).toBe(false);
    expect(line.split("\n")).toHaveLength(2);
    expect(clean("a\u009bb")).toBe("a\\u009bb");
  });
});

describe("summarizeDetail", () => {
  it("renders scalars, lists and nested values on one line", () => {
    expect(summarizeDetail(null)).toBe("");
    expect(summarizeDetail({ from: "planning", to: "implementing" })).toBe("from=planning to=implementing");
    expect(summarizeDetail({ reason: "No progress for 15+ minutes" })).toBe(
      'reason="No progress for 15+ minutes"',
    );
    expect(summarizeDetail({ changes: [{ worker: "A" }] })).toBe('changes=[{"worker":"A"}]');
    expect(summarizeDetail("plain")).toBe("plain");
    expect(summarizeDetail({ long: "x".repeat(500) })).toHaveLength(200);
  });
});

describe("shouldUseColour", () => {
  it("colours only a TTY, never with NO_COLOR, and on FORCE_COLOR", () => {
    expect(shouldUseColour({}, true)).toBe(true);
    expect(shouldUseColour({}, false)).toBe(false);
    expect(shouldUseColour({ NO_COLOR: "1" }, true)).toBe(false);
    expect(shouldUseColour({ NO_COLOR: "" }, true)).toBe(true);
    expect(shouldUseColour({ FORCE_COLOR: "1" }, false)).toBe(true);
    expect(shouldUseColour({ FORCE_COLOR: "0" }, true)).toBe(false);
    expect(shouldUseColour({ NO_COLOR: "1", FORCE_COLOR: "1" }, true)).toBe(false);
  });
});
