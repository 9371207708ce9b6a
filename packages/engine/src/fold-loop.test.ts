import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { foldEvents } from "@catalyst/fuse";
import { readEvents } from "@catalyst/sources/event-log";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { foldAt } from "./fold-at.js";
import { FOLD_BATCH, type FoldProgress, foldWith, TICK_PART } from "./fold-loop.js";

// The one fold loop of time travel on a catalyst dir's log (the central one is counted in
// central-time-travel.test.ts): the work between two turns of the event loop is one batch of lines
// or one part of the final tick, however long the log and however big the fleet, and the answer is
// a one-shot fold's. Counted with a setImmediate watcher, never timed. Real temp dirs and readers.

const BASE = Date.parse("2026-04-01T00:00:00Z");
const ORCHESTRATORS = 100;
let dir = "";
let lines = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fold-loop-"));
  await mkdir(join(dir, "events"), { recursive: true });
  const text: string[] = [];
  for (let o = 0; o < ORCHESTRATORS; o++)
    for (let w = 0; w < 2; w++)
      for (let k = 0; k < 3; k++)
        text.push(
          JSON.stringify({
            ts: new Date(BASE + text.length * 1000).toISOString(),
            orchestrator: `orch-${o}`,
            worker: `CTL-${o * 2 + w}`,
            event: k === 0 ? "worker-dispatched" : "worker-status-change",
            detail: k === 0 ? null : { from: "planning", to: k === 1 ? "implementing" : "validating" },
          }),
        );
  lines = text.length;
  await writeFile(join(dir, "events", "2026-04.jsonl"), `${text.join("\n")}\n`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The most `count()` grew between two turns of the event loop while `work` runs. */
async function mostBetweenTurns<T>(
  count: () => number,
  work: () => Promise<T>,
): Promise<{ most: number; value: T }> {
  let seen = 0;
  let most = 0;
  let done = false;
  const look = (): void => {
    most = Math.max(most, count() - seen);
    seen = count();
    if (!done) setImmediate(look);
  };
  setImmediate(look);
  try {
    const value = await work();
    look();
    return { most, value };
  } finally {
    done = true;
  }
}

describe("the fold loop", () => {
  it("foldAt folds at most one batch of lines between two turns of the event loop", async () => {
    expect(lines).toBeGreaterThan(FOLD_BATCH);
    const at = new Date(BASE + lines * 1000);
    let records = 0;
    const { most, value } = await mostBetweenTurns(
      () => records,
      () => foldAt(dir, at, { onRecord: () => records++ }),
    );
    expect(value.folded).toBe(lines);
    expect(most).toBeLessThanOrEqual(FOLD_BATCH);
    const events = [];
    for await (const r of readEvents(dir)) events.push(r.event);
    expect(value.snapshot).toEqual(foldEvents(events, at));
  });

  it("ticks the fleet at `at` one part at a time, and answers as a one-shot fold", async () => {
    const at = new Date(BASE + lines * 1000 + 3_600_000);
    let progress: FoldProgress = { folded: 0, ticked: 0 };
    const { most, value } = await mostBetweenTurns(
      () => progress.ticked,
      () =>
        foldWith(at, {
          source: { read: (_since, atMs) => readEvents(dir, { until: new Date(atMs + 1) }) },
          onProgress: (p) => {
            progress = { ...p };
          },
        }),
    );
    expect(progress.ticked).toBe(ORCHESTRATORS);
    expect(most).toBeLessThanOrEqual(TICK_PART);
    const events = [];
    for await (const r of readEvents(dir)) events.push(r.event);
    expect(value.snapshot).toEqual(foldEvents(events, at));
    expect(value.from).toBeNull();
  });
});
