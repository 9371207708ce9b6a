import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventLine, isValidEventLine } from "./index.js";

// Values of every JSON type, biased towards the ones the fields expect.
const anyJson = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom("", "x", "2026-04-14T19:03:01Z", "2026-04-14T19:03:01.482Z", "not a time", "worker-done"),
  fc.constant([]),
  fc.constant({}),
  fc.constant({ "event.name": "orchestrator.worker.done" }),
  fc.constant({ "event.name": 3 }),
);
const field = (values: fc.Arbitrary<unknown>) => fc.option(values, { nil: undefined });
const line = fc.record(
  {
    ts: field(fc.oneof(anyJson, fc.constantFrom("2026-04-14T19:03:01Z", "2024-02-30T00:00:00Z"))),
    event: field(anyJson),
    orchestrator: field(anyJson),
    worker: field(anyJson),
    detail: field(anyJson),
    session: field(anyJson),
    id: field(anyJson),
    schemaVersion: field(anyJson),
    source: field(anyJson),
    scope: field(anyJson),
    attributes: field(anyJson),
    body: field(anyJson),
    name: field(anyJson),
    extra: field(anyJson),
  },
  { requiredKeys: [] },
);

describe("isValidEventLine", () => {
  it("decides exactly as the zod schema does", () => {
    fc.assert(
      fc.property(fc.oneof(line, anyJson), (value) => {
        const roundTripped = JSON.parse(JSON.stringify(value ?? null));
        expect(isValidEventLine(roundTripped)).toBe(EventLine.safeParse(roundTripped).success);
      }),
      { numRuns: 20_000 },
    );
  });
});
