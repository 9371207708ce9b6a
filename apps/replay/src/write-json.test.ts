import { describe, expect, it } from "vitest";
import { createOutputBuffer, createStringSink } from "./output-buffer.js";
import { writeJson } from "./write-json.js";

// `--at --snapshot` writes the fleet one orchestrator at a time: the bytes must be exactly
// JSON.stringify's, in both the compact (jsonl) and the indented (json) forms.

const values: object[] = [
  {},
  { orchestrators: [] },
  { a: 1, orchestrators: [{ id: "o1", workers: { "CTL-1": { s: "x\ny", n: null } } }, { id: "o2" }], b: [] },
  { orchestrators: [1, "two", null, [3, { four: [] }]], needsYou: [{ m: 'a"b' }], gone: undefined },
  { x: { nested: { deep: [1, 2, { y: {} }] } }, orchestrators: "not an array" },
];

describe("writeJson", () => {
  for (const [k, value] of values.entries()) {
    for (const indent of [0, 2] as const) {
      it(`equals JSON.stringify (case ${k}, indent ${indent})`, async () => {
        const sink = createStringSink();
        // A tiny chunk: every element is flushed on its own.
        await writeJson(value, indent, "orchestrators", createOutputBuffer(sink, 1));
        expect(sink.text).toBe(`${JSON.stringify(value, null, indent)}\n`);
      });
    }
  }
});
