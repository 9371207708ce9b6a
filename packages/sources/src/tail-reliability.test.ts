import { randomInt } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as pause, setImmediate as yieldTurn } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { createLogTailer } from "./index.js";
import { makeTree, removeTree, rng, waitFor } from "./test-tree.test-helper.js";

// R1: a model-based randomized test of the log tail. A writer (this process, synchronous fs calls)
// appends lines with unique sequence numbers: whole batches, lines split over several writes with
// the tailer running in between, lines over 8 KiB, truncations, rotations (rename away), deletions,
// month rollovers, pauses, and tailer restarts. The model records which lines were destroyed before
// the tailer could have read them (truncation; rotation or deletion while the tailer was stopped);
// every other line must arrive exactly once, whole.

const TARGET_LINES = Number(process.env.SOURCES_R1_LINES ?? 100_000);
const SEED = Number(process.env.SOURCES_SEED ?? randomInt(2 ** 31));

interface FileInstance {
  path: string;
  /** Every line ever written to this inode. */
  seqs: number[];
}

let root = "";
afterAll(() => removeTree(root));

describe("log tail reliability (R1)", () => {
  it(`delivers every surviving line exactly once (seed ${SEED})`, async () => {
    console.log(`[sources R1] seed=${SEED} lines=${TARGET_LINES} (replay with SOURCES_SEED=${SEED})`);
    const rand = rng(SEED);
    root = await makeTree({ "events/": "" });
    const eventsDir = join(root, "events");
    const lengths = new Uint32Array(TARGET_LINES + 100);
    const delivered = new Uint8Array(TARGET_LINES + 100);
    const mayLose = new Set<number>();
    const problems: string[] = [];
    let deliveredCount = 0;
    /** What each op did and what the tailer reported, to explain a failure. */
    const opLog: string[] = [];
    let resets = 0;

    const tailer = createLogTailer({ catalystDir: root, from: "end" });
    tailer.subscribe((changes) => {
      for (const c of changes) {
        if (c.kind === "log-reset") {
          resets += 1;
          opLog.push(`${seq}.. RESET ${c.reason} ${c.file.slice(-13)}`);
        }
        if (c.kind === "log-skipped")
          problems.push(`skipped ${c.reason} at ${c.file}:${c.offset}: ${c.detail}`);
        if (c.kind !== "log-lines") continue;
        for (const r of c.records) {
          const seq = (r.line as { seq?: unknown }).seq;
          if (typeof seq !== "number") {
            problems.push(`record without seq at ${r.file}:${r.offset}`);
            continue;
          }
          if (delivered[seq]) problems.push(`duplicate seq ${seq}`);
          else deliveredCount += 1;
          delivered[seq] = 1;
          if (r.text.length !== lengths[seq]) problems.push(`seq ${seq} arrived with ${r.text.length} bytes`);
        }
      }
    });
    await tailer.start();
    let running = true;

    let month = 0;
    const monthPath = () => join(eventsDir, `2026-${String(month + 1).padStart(2, "0")}.jsonl`);
    let current: FileInstance = { path: monthPath(), seqs: [] };
    let seq = 0;
    let rotations = 0;
    const base = Date.parse("2026-01-01T00:00:00Z");

    function makeLine(): string {
      const n = seq++;
      const big = rand() < 0.02;
      const detail = big ? { pad: `${n.toString(36)}.`.repeat(Math.floor(8192 / 4 + rand() * 4000)) } : null;
      const text = JSON.stringify({
        ts: new Date(base + n * 1000).toISOString(),
        orchestrator: "orch-r1",
        worker: `CTL-${n % 50}`,
        event: "worker-status-change",
        detail,
        seq: n,
      });
      lengths[n] = text.length;
      current.seqs.push(n);
      return `${text}\n`;
    }
    function opened(inst: FileInstance): boolean {
      return inst.seqs.some((s) => delivered[s] === 1);
    }
    function destroy(inst: FileInstance): void {
      for (const s of inst.seqs) if (!delivered[s]) mayLose.add(s);
    }
    function retire(): void {
      current = { path: monthPath(), seqs: [] };
    }

    async function writeOps(allowRestart: boolean): Promise<void> {
      const before = seq;
      const r = rand();
      try {
        await writeOp(allowRestart, r);
      } finally {
        opLog.push(`${before}..${seq} r=${r.toFixed(3)} running=${running} ${current.path.slice(-13)}`);
      }
    }
    async function writeOp(allowRestart: boolean, r: number): Promise<void> {
      if (r < 0.55) {
        let batch = "";
        const k = 1 + Math.floor(rand() * 40);
        for (let i = 0; i < k; i++) batch += makeLine();
        appendFileSync(current.path, batch);
      } else if (r < 0.75) {
        const text = makeLine();
        const cuts = [
          0,
          ...Array.from({ length: 1 + Math.floor(rand() * 3) }, () => Math.floor(rand() * text.length)),
        ]
          .sort((a, b) => a - b)
          .concat(text.length);
        for (let i = 0; i + 1 < cuts.length; i++) {
          const piece = text.slice(cuts[i], cuts[i + 1]);
          if (piece) appendFileSync(current.path, piece);
          if (rand() < 0.5) await yieldTurn();
        }
      } else if (r < 0.8) {
        await pause(Math.floor(rand() * 3));
      } else if (r < 0.81) {
        if (existsSync(current.path) && rand() < 0.3) {
          destroy(current);
          truncateSync(current.path, 0);
        }
      } else if (r < 0.845) {
        // Rotation or deletion: lossless while the tailer runs and has the file open.
        if (existsSync(current.path) && (!running || opened(current))) {
          if (!running) destroy(current);
          if (rand() < 0.7) renameSync(current.path, `${current.path}.${rotations++}.legacy`);
          else rmSync(current.path);
          retire();
        }
      } else if (r < 0.855) {
        month = (month + 1) % 12;
        if (existsSync(monthPath())) rmSync(monthPath()); // a pruned old month coming round again
        retire();
      } else if (r < 0.86 && allowRestart) {
        await tailer.stop();
        running = false;
        const ops = Math.floor(rand() * 5);
        for (let i = 0; i < ops; i++) await writeOps(false);
        await tailer.start();
        running = true;
      } else {
        appendFileSync(current.path, makeLine());
      }
    }

    mkdirSync(eventsDir, { recursive: true });
    while (seq < TARGET_LINES) {
      await writeOps(true);
      if (rand() < 0.3) await yieldTurn();
    }

    const mustCount = seq - [...mayLose].filter((s) => !delivered[s]).length;
    await waitFor(
      () => {
        for (let s = 0; s < seq; s++) if (!delivered[s] && !mayLose.has(s)) return false;
        return true;
      },
      20_000,
      "every surviving line",
    ).catch(() => undefined);
    await tailer.stop();

    const missing: number[] = [];
    for (let s = 0; s < seq; s++) if (!delivered[s] && !mayLose.has(s)) missing.push(s);
    console.log(
      `[sources R1] seed=${SEED} written=${seq} delivered=${deliveredCount} destroyed-before-read=${seq - deliveredCount} ` +
        `may-lose=${mayLose.size} resets=${resets} rotations=${rotations}`,
    );
    if (missing.length > 0) {
      const first = missing[0]!;
      const near = opLog.filter((l) => {
        const from = Number(l.split("..")[0]);
        return from >= first - 3 && from <= first + 200;
      });
      console.log(`[sources R1] ops near the first lost line ${first}:\n${near.join("\n")}`);
    }
    expect(problems.slice(0, 10), `seed ${SEED}`).toEqual([]);
    expect(missing.slice(0, 10), `seed ${SEED}: lost lines`).toEqual([]);
    expect(deliveredCount).toBeGreaterThanOrEqual(mustCount);
    expect(seq).toBeGreaterThanOrEqual(TARGET_LINES);
  }, 60_000);
});
