import { workerView } from "@catalyst/test-utils";
import { describe, expect, it } from "vitest";
import { workerSpans } from "../src/timeline-spans.js";

const at = (min: number) => new Date(Date.UTC(2026, 3, 14, 19, min)).toISOString();
const ms = (min: number) => Date.parse(at(min));

describe("timeline spans from phaseTimestamps", () => {
  it("orders the statuses by time; a running worker's last span is open and ends now", () => {
    const w = workerView("o", "CTL-1", {
      status: "implementing",
      startedAt: at(0),
      phaseTimestamps: { planning: at(10), researching: at(2), implementing: at(20) },
    });
    expect(workerSpans(w, ms(30))).toEqual([
      { status: "dispatched", start: ms(0), end: ms(2), open: false },
      { status: "researching", start: ms(2), end: ms(10), open: false },
      { status: "planning", start: ms(10), end: ms(20), open: false },
      { status: "implementing", start: ms(20), end: ms(30), open: true },
    ]);
  });

  it("a finished worker ends at completedAt; no timestamps give no spans", () => {
    const done = workerView("o", "CTL-2", {
      status: "done",
      startedAt: null,
      completedAt: at(40),
      phaseTimestamps: { implementing: at(5), done: at(35) },
    });
    expect(workerSpans(done, ms(60)).at(-1)).toEqual({
      status: "done",
      start: ms(35),
      end: ms(40),
      open: false,
    });
    expect(workerSpans(workerView("o", "CTL-3", { startedAt: null, phaseTimestamps: {} }), ms(60))).toEqual(
      [],
    );
  });

  it("a current status missing from phaseTimestamps still shows from updatedAt", () => {
    const w = workerView("o", "CTL-4", {
      status: "validating",
      startedAt: null,
      updatedAt: at(25),
      phaseTimestamps: { implementing: at(5) },
    });
    expect(workerSpans(w, ms(30)).map((s) => s.status)).toEqual(["implementing", "validating"]);
  });
});

describe("execution-core timeline (FORMATS-TODAY R3.15)", () => {
  it("R3.15 each phase file is a span from startedAt to completedAt; the phase in flight runs to now", () => {
    const w = workerView("execution-core", "CTL-412", {
      status: "running",
      pipeline: {
        phase: "implement",
        phaseStatus: "running",
        column: "Implement",
        attention: null,
        attentionSince: null,
        jobId: "5e0c9a7f",
        job: "alive",
        host: "mini",
        generation: 2,
        yieldDeadline: null,
        phases: [
          { phase: "plan", status: "done", startedAt: at(0), completedAt: at(25), updatedAt: at(25) },
          { phase: "implement", status: "running", startedAt: at(30), completedAt: null, updatedAt: at(31) },
        ],
      },
    });
    expect(workerSpans(w, ms(50))).toEqual([
      { status: "done", start: ms(0), end: ms(25), open: false, phase: "plan" },
      { status: "running", start: ms(30), end: ms(50), open: true, phase: "implement" },
    ]);
  });
});
