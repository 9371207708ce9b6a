import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { compileFastValid } from "./fast-valid.js";
import { GlobalState } from "./global-state.js";
import { LocalState } from "./local-state.js";
import {
  parseGlobalStateText,
  parseLocalStateText,
  parseSignalText,
  signalPolicy,
  statePolicy,
} from "./parse-files.js";
import { parseJsonText } from "./parse-result.js";
import { PhaseSignal } from "./phase-signal.js";
import { parseTolerant } from "./tolerant-parse.js";
import { WorkerSignal } from "./worker-signal.js";

// The fast check must never answer true where zod would refuse or change the document, and the
// parsers that use it must return exactly what zod alone returns (values, warnings, error markers).

const fixtures = join(import.meta.dirname, "..", "fixtures", "formats");
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(fixtures, name), "utf8"));

const HOUR_AGO = "2026-12-07T16:00:00.000Z";
/** A busy operator's signal file and state entries, as the P7 bench writes them. */
const benchSignal = {
  ticket: "P7-00001",
  orchestrator: "orch-p7-0000",
  workerName: "orch-p7-0000-P7-00001",
  status: "implementing",
  phase: 3,
  startedAt: HOUR_AGO,
  updatedAt: HOUR_AGO,
  pr: null,
  pid: null,
  error: null,
};
const benchWorkerEntry = {
  ticketId: "P7-00001",
  title: "Ticket P7-00001",
  status: "implementing",
  phase: 3,
  branch: "orch-p7-0000-P7-00001",
  pr: null,
  updatedAt: HOUR_AGO,
  needsAttention: false,
  attentionReason: null,
};
const benchGlobal = {
  version: "1.0.0",
  lastUpdated: HOUR_AGO,
  orchestrators: {
    "orch-p7-0000": {
      id: "orch-p7-0000",
      projectKey: "proj-0",
      status: "active",
      startedAt: "2026-12-07T15:00:00Z",
      progress: { totalTickets: 1, completedTickets: 0, inProgressTickets: 1, currentWave: 1, totalWaves: 1 },
      workers: { "P7-00001": benchWorkerEntry },
      attention: [],
      updatedAt: HOUR_AGO,
      lastHeartbeat: HOUR_AGO,
    },
  },
};

/** Zod's answer, with no fast path. */
function zodAccepts(schema: z.ZodType, value: unknown): { ok: boolean; same: boolean } {
  const res = schema.safeParse(value);
  if (!res.success) return { ok: false, same: false };
  try {
    expect(res.data).toEqual(value);
    return { ok: true, same: true };
  } catch {
    return { ok: true, same: false };
  }
}

// Values a writer may put anywhere: the right types, the wrong ones, and the awkward ones.
const leaf = fc.oneof(
  fc.constant(null),
  fc.constant(""),
  fc.constantFrom(HOUR_AGO, "2026-12-07T16:00:00Z", "2026-13-07T16:00:00Z", "yesterday", "2026-12-07"),
  fc.constantFrom("implementing", "done", "weird"),
  fc.integer({ min: -3, max: 5 }),
  fc.constantFrom(2 ** 60, 1.5, -0),
  fc.boolean(),
  fc.string({ maxLength: 4 }),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  any: fc.oneof({ depthSize: "small" }, leaf, tie("object"), tie("array")),
  array: fc.array(tie("any"), { maxLength: 3 }),
  object: fc.dictionary(fc.constantFrom("number", "url", "costUSD", "ts", "x", "__proto__"), tie("any"), {
    maxKeys: 3,
  }),
})).any;

/** A document like `base` with some fields replaced, removed or added (at the top and one level down). */
function mutated(base: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(base);
  return fc
    .array(
      fc.record({
        key: fc.oneof(
          fc.constantFrom(...keys),
          fc.constantFrom("extra", "__proto__", "cost", "pr", "continuations"),
        ),
        op: fc.constantFrom("set", "delete"),
        value,
      }),
      { maxLength: 3 },
    )
    .map((edits) => {
      const doc: Record<string, unknown> = JSON.parse(JSON.stringify(base));
      for (const edit of edits) {
        if (edit.op === "delete") delete doc[edit.key];
        else
          Object.defineProperty(doc, edit.key, {
            value: edit.value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
      }
      // Through JSON, as a file would be.
      return JSON.parse(JSON.stringify(doc));
    });
}

function agreesWithZod(schema: z.ZodType, docs: fc.Arbitrary<unknown>): number {
  const check = compileFastValid(schema);
  let fast = 0;
  fc.assert(
    fc.property(docs, (doc) => {
      if (!check(doc)) return;
      fast += 1;
      // A fast "yes" is a zod "yes" that keeps the document as it is.
      expect(zodAccepts(schema, doc)).toEqual({ ok: true, same: true });
    }),
    { numRuns: 200 },
  );
  return fast;
}

describe("compileFastValid", () => {
  it("accepts the files a busy fleet is made of, as zod does", () => {
    expect(compileFastValid(WorkerSignal)(benchSignal)).toBe(true);
    expect(compileFastValid(GlobalState)(benchGlobal)).toBe(true);
    for (const [name, schema] of [
      ["signal-dispatched.json", WorkerSignal],
      ["signal-implementing.json", WorkerSignal],
      ["signal-merged.json", WorkerSignal],
      ["global-state.json", GlobalState],
      ["local-state.json", LocalState],
    ] as const) {
      const doc = fixture(name);
      const zod = zodAccepts(schema, doc);
      expect(compileFastValid(schema)(doc), name).toBe(zod.ok && zod.same);
      expect(zod.ok, name).toBe(true);
    }
  });

  it("never says yes where zod refuses or changes the document (signals, global and local state, phase files)", () => {
    expect(agreesWithZod(WorkerSignal, mutated(benchSignal))).toBeGreaterThan(10);
    expect(
      agreesWithZod(WorkerSignal, mutated(fixture("signal-merged.json") as Record<string, unknown>)),
    ).toBeGreaterThan(10);
    expect(agreesWithZod(GlobalState, mutated(benchGlobal))).toBeGreaterThan(10);
    const orchestrators = benchGlobal.orchestrators["orch-p7-0000"];
    expect(
      agreesWithZod(
        GlobalState,
        mutated(orchestrators).map((entry) => ({ ...benchGlobal, orchestrators: { o: entry } })),
      ),
    ).toBeGreaterThan(10);
    expect(
      agreesWithZod(
        GlobalState,
        mutated(benchWorkerEntry).map((w) => ({
          ...benchGlobal,
          orchestrators: { o: { ...orchestrators, workers: { w } } },
        })),
      ),
    ).toBeGreaterThan(10);
    expect(
      agreesWithZod(LocalState, mutated(fixture("local-state.json") as Record<string, unknown>)),
    ).toBeGreaterThan(10);
    expect(agreesWithZod(PhaseSignal, value)).toBeGreaterThanOrEqual(0);
    expect(agreesWithZod(WorkerSignal, value)).toBe(0);
  });

  it("leaves the parsers' answers exactly as zod alone gives them: values, warnings and error markers", () => {
    const zodOnly = (schema: z.ZodType, text: string) =>
      parseJsonText(schema, text, "f.json", (decoded) =>
        parseTolerant(schema, decoded, schema === WorkerSignal ? signalPolicy : statePolicy, "f.json"),
      );
    const cases: Array<[z.ZodType, (text: string, file: string) => unknown, fc.Arbitrary<unknown>]> = [
      [WorkerSignal, parseSignalText, mutated(benchSignal)],
      [GlobalState, parseGlobalStateText, mutated(benchGlobal)],
      [LocalState, parseLocalStateText, mutated(fixture("local-state.json") as Record<string, unknown>)],
    ];
    for (const [schema, parse, docs] of cases)
      fc.assert(
        fc.property(docs, (doc) => {
          const text = JSON.stringify(doc, null, 2);
          expect(parse(text, "f.json")).toEqual(zodOnly(schema, text));
        }),
        { numRuns: 150 },
      );
    // Torn and empty text never reach either check: the same markers.
    for (const text of ["", "{", '{"ticket": "A",', "[]", "null"])
      expect(parseSignalText(text, "f.json")).toEqual(zodOnly(WorkerSignal, text));
  });
});
