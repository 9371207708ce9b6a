import { describe, expect, it } from "vitest";
import { parseGlobalStateSteps, parseGlobalStateText } from "./index.js";

/** Runs the steps to the end; returns the result and how many steps (yields) it took. */
function drain<T>(steps: Generator<undefined, T, undefined>): { result: T; steps: number } {
  let count = 0;
  for (;;) {
    const next = steps.next();
    if (next.done === true) return { result: next.value, steps: count };
    count += 1;
  }
}

const worker = (i: number) => ({
  ticketId: `CTL-${i}`,
  title: `Ticket ${i}`,
  status: "implementing",
  phase: 3,
  pr: { number: i, url: `https://github.com/a/b/pull/${i}` },
  updatedAt: "2026-04-14T19:03:01Z",
});
const entry = (o: number, workers = 3) => ({
  id: `orch-${o}`,
  projectKey: "p",
  status: "active",
  startedAt: "2026-04-14T18:00:00Z",
  progress: { totalTickets: workers, completedTickets: 0 },
  workers: Object.fromEntries(Array.from({ length: workers }, (_, i) => [`CTL-${o * 100 + i}`, worker(i)])),
  attention: null,
});
const fleet = (orchestrators: number, extra: Record<string, unknown> = {}) => ({
  version: "1.0.0",
  lastUpdated: "2026-04-14T19:03:01Z",
  orchestrators: Object.fromEntries(Array.from({ length: orchestrators }, (_, o) => [`orch-${o}`, entry(o)])),
  ...extra,
});

describe("parseGlobalStateSteps: the global state.json in steps (issue 26)", () => {
  const texts: Record<string, string> = {
    "a valid fleet, pretty": JSON.stringify(fleet(40), null, 2),
    "an empty fleet": '{"version":"1.0.0","lastUpdated":"","orchestrators":{}}',
    "an unknown top-level key": JSON.stringify(fleet(3, { extra: { a: 1 } })),
    "a bad field in one entry (dropped with a warning)": JSON.stringify({
      orchestrators: { ...fleet(5).orchestrators, bad: { workers: { "CTL-9": { phase: -1 } } } },
    }),
    "a bad top-level field": JSON.stringify(fleet(3, { version: 5 })),
    "orchestrators not an object": '{"orchestrators":[1,2]}',
    "no orchestrators": '{"version":"1.0.0"}',
    "not an object": "[1,2]",
    "a __proto__ entry": '{"orchestrators":{"__proto__":{"id":"x"},"a":{"id":"a"}}}',
    "a __proto__ top-level key": '{"__proto__":{"x":1},"orchestrators":{}}',
    empty: "  \n",
    torn: '{"orchestrators":{"a":{"id":"a"',
    "too deep": `{"orchestrators":${"[".repeat(80)}${"]".repeat(80)}}`,
  };
  it.each(Object.entries(texts))("gives what parseGlobalStateText gives: %s", (_name, text) => {
    expect(drain(parseGlobalStateSteps(text, "/c/state.json")).result).toEqual(
      parseGlobalStateText(text, "/c/state.json"),
    );
  });

  it("checks one orchestrator entry a step, after a step for the nesting check and one for the decode", () => {
    // A step never holds more than one entry's check: 40 entries, at least 40 + 2 steps (main
    // parsed the whole document in one call).
    const { result, steps } = drain(parseGlobalStateSteps(JSON.stringify(fleet(40)), "s"));
    expect(result.ok).toBe(true);
    expect(steps).toBe(42);
  });
});
