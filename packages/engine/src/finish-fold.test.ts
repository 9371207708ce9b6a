import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInitialState, type FuseState, reduce, toSnapshot } from "@catalyst/fuse";
import type { LogRecord } from "@catalyst/schema";
import { readEvents } from "@catalyst/sources/event-log";
import { afterEach, describe, expect, it } from "vitest";
import { finishFold, TICK_PART } from "./finish-fold.js";

// Issue 25: a monitor's time-travel answer is finished (the final tick and the snapshot) a share at
// a time, with turns of the event loop in between, and equals the answer made in one go. Counted.

const BASE = Date.parse("2026-04-01T00:00:00Z");
let dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  dirs = [];
});

/** A folded fleet of `orchestrators` orchestrators with 3 workers each (from a real log file). */
async function fleet(orchestrators: number): Promise<FuseState> {
  const dir = await mkdtemp(join(tmpdir(), "finish-fold-"));
  dirs.push(dir);
  await mkdir(join(dir, "events"));
  const lines: string[] = [];
  let ms = BASE;
  for (let o = 0; o < orchestrators; o++)
    for (let w = 0; w < 3; w++) {
      ms += 1000;
      const ts = new Date(ms).toISOString();
      lines.push(
        JSON.stringify({
          ts,
          orchestrator: `orch-${o}`,
          worker: `CTL-${o}-${w}`,
          event: "worker-dispatched",
          detail: null,
        }),
      );
    }
  await writeFile(join(dir, "events", "2026-04.jsonl"), `${lines.join("\n")}\n`);
  const records: LogRecord[] = [];
  for await (const r of readEvents(dir)) records.push(r);
  return reduce(createInitialState(), { kind: "log-lines", records, replayed: true }, new Date(ms)).state;
}

describe("finishFold", () => {
  it("gives the loop a turn between every share of the tick and every orchestrator, and equals one go", async () => {
    const state = await fleet(40);
    // Hours later: every worker has stalled by then, so the tick has rows to derive.
    const at = new Date(BASE + 6 * 3600_000);
    let slices = 0;
    const sliced = await finishFold(state, at, { sliceMs: 0, onSlice: () => slices++ });
    // A turn between the tick's parts of TICK_PART orchestrators, then one step per orchestrator.
    expect(slices).toBe(Math.ceil(40 / TICK_PART) - 1 + 40);
    const whole = await finishFold(state, at);
    expect(sliced).toEqual(whole);
    expect(whole).toEqual(toSnapshot(reduce(state, { kind: "tick" }, at).state, at));
    expect(whole.orchestrators).toHaveLength(40);
    expect(whole.needsYou.length).toBeGreaterThan(0);
  });
});
