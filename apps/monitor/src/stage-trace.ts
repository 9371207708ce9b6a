// The opt-in stage trace (issue 26): with CATALYST_MONITOR_TRACE=<file>, every stage the libraries
// publish on the `catalyst:stage` diagnostics channel (watch, read, emit, apply, hub, flush, the
// rescan slices) and every GC pause go to <file> as JSON lines stamped with the epoch time in ms
// (`performance.timeOrigin + performance.now()`, comparable across processes of one machine).
// `bench/p7-scale.ts --trace` reads it back and attributes each write's latency to the stages.
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { appendFile, appendFileSync, writeFileSync } from "node:fs";
import { PerformanceObserver, performance } from "node:perf_hooks";

const CHANNEL = "catalyst:stage";
/** Lines held before a write; at most this many are held while one is under way. */
const BATCH = 2000;
const MAX_HELD = 200_000;

/** A running trace; `stop` writes what is held, synchronously. */
export interface StageTrace {
  stop(): void;
}

/** Starts tracing into `file` (truncated first). */
export function startStageTrace(file: string): StageTrace {
  writeFileSync(file, "");
  let held: string[] = [];
  let writing = false;
  let dropped = 0;
  const flush = (): void => {
    if (writing || held.length === 0) return;
    writing = true;
    const text = `${held.join("\n")}\n`;
    held = [];
    appendFile(file, text, () => {
      writing = false;
      if (held.length >= BATCH) flush();
    });
  };
  const push = (line: string): void => {
    if (held.length >= MAX_HELD) {
      dropped += 1;
      return;
    }
    held.push(line);
    if (held.length >= BATCH) flush();
  };
  const onStage = (message: unknown): void => {
    const t = performance.timeOrigin + performance.now();
    push(JSON.stringify({ t: Number(t.toFixed(3)), ...(message as object) }));
  };
  subscribe(CHANNEL, onStage);
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const detail = (entry as { detail?: { kind?: number } }).detail;
      push(
        JSON.stringify({
          t: Number((performance.timeOrigin + entry.startTime).toFixed(3)),
          stage: "gc",
          ms: Number(entry.duration.toFixed(3)),
          kind: detail?.kind ?? null,
        }),
      );
    }
  });
  gc.observe({ entryTypes: ["gc"] });
  const timer = setInterval(flush, 1000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      gc.disconnect();
      unsubscribe(CHANNEL, onStage);
      if (dropped > 0) held.push(JSON.stringify({ stage: "trace-dropped", n: dropped }));
      if (held.length > 0) appendFileSync(file, `${held.join("\n")}\n`);
      held = [];
    },
  };
}
