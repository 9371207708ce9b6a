import { describe, expect, it } from "vitest";
import {
  escapeToken,
  eventSubjectOf,
  messageIdOf,
  parseStateKey,
  stateKeyOf,
  unescapeToken,
} from "./keys.js";

const KV_KEY = /^[-/=.\w]+$/; // what @nats-io/kv accepts

describe("broker names", () => {
  it("escapes any text into one legal token and back", () => {
    for (const text of [
      "host-1",
      "a.b",
      "*",
      ">",
      "with space",
      "_under",
      "=global",
      "é中🙂",
      "",
      "PROJ-12",
    ]) {
      const token = escapeToken(text);
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(unescapeToken(token)).toBe(text);
    }
    expect(escapeToken("PROJ-12")).toBe("PROJ-12");
    expect(escapeToken("a.b")).toBe("a_2Eb");
    expect(unescapeToken("a_zz")).toBeNull();
    expect(unescapeToken("a.b")).toBeNull();
  });

  it("round-trips every state key, and a ticket named like a reserved token stays a ticket", () => {
    const keys = [
      { kind: "global-state", host: "h.1" },
      { kind: "heartbeat", host: "h" },
      { kind: "orchestrator", host: "h", orchestrator: "orch 1" },
      { kind: "local-state", host: "h", orchestrator: "o" },
      { kind: "signal", host: "h", orchestrator: "o", key: "=local" },
      { kind: "signal", host: "h", orchestrator: "o", key: "PROJ-7" },
      { kind: "phase", host: "h", orchestrator: "execution-core", ticket: "CTL-412", phase: "monitor-merge" },
      { kind: "phase", host: "h.1", orchestrator: "o", ticket: "=phase", phase: "plan" },
      { kind: "liveness", host: "h", orchestrator: "o", worker: "PROJ-7" },
      { kind: "liveness", host: "h", orchestrator: "o", worker: "=live" },
      { kind: "briefing", host: "h", orchestrator: "o", wave: null },
      { kind: "briefing", host: "h", orchestrator: "o", wave: 12 },
      { kind: "skipped", host: "h", file: "events/2026-04.jsonl" },
    ] as const;
    for (const k of keys) {
      const key = stateKeyOf(k);
      expect(key).toMatch(KV_KEY);
      expect(parseStateKey(key)).toEqual(k);
    }
    expect(stateKeyOf({ kind: "signal", host: "h", orchestrator: "o", key: "PROJ-7" })).toBe("h.o.PROJ-7");
    expect(parseStateKey("not.a.relay.key")).toBeNull();
  });

  it("names subjects and message ids per host, file, generation and offset", () => {
    expect(eventSubjectOf("catalyst.events", "h.1", "o")).toBe("catalyst.events.h_2E1.o");
    expect(eventSubjectOf("catalyst.events", "h", null)).toBe("catalyst.events.h.=none");
    expect(messageIdOf("h", "events/2026-01.jsonl", 0, 10)).not.toBe(
      messageIdOf("h", "events/2026-01.jsonl", 1, 10),
    );
  });
});
