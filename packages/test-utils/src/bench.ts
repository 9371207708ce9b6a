// The benches' door, `@catalyst/test-utils/bench`: the one wait for a server child's
// `listening on <url>`, one machine line, the load average, and one rule for rewriting a section of
// BENCHMARKS.md. It imports no other member, so benches run without a build or source condition.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./spawn-bin.js";

export type { ListeningChild, StartListeningOptions } from "./spawn-bin.js";
export { startListening } from "./spawn-bin.js";

/** The repository's BENCHMARKS.md. */
export const BENCHMARKS = join(REPO_ROOT, "BENCHMARKS.md");

/** "2 cores (AMD EPYC …), 23.5 GiB RAM, Node v20.20.2, linux": the machine line every bench records. */
export function machine(): string {
  const model = cpus()[0]?.model.trim() || "cpu";
  return `${cpus().length} cores (${model}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ${process.platform}`;
}

/** The 1, 5 and 15 minute load averages: "1.9, 2.4, 2.2". */
export function load(): string {
  return loadavg()
    .map((x) => x.toFixed(1))
    .join(", ");
}

/**
 * A sentence on how busy the box was, from the 1-minute load average against the core count: a
 * figure from a loaded box is an upper bound, and the section should say so.
 */
export function loadNote(): string {
  const busy = loadavg()[0]! / Math.max(1, cpus().length);
  return busy > 0.75
    ? `**The box was loaded** (1-minute load ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores): other work shared the cores, so these figures are upper bounds.`
    : `The box was quiet (1-minute load ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores).`;
}

/** Hand-written notes below a section's generated text start at this line and survive a re-run. */
export const NOTES_MARKER = "<!-- notes: kept when the bench rewrites this section -->";

/**
 * Replaces the `## <heading>` section of BENCHMARKS.md (up to the next `## ` heading) with
 * `body`, or appends the section when there is none. Notes after `NOTES_MARKER` in the old section
 * are kept. The file is replaced whole (write, then rename), never left half-written.
 */
export async function writeSection(heading: string, body: string, file = BENCHMARKS): Promise<void> {
  const text = await readFile(file, "utf8");
  const title = `## ${heading}\n`;
  const start = text.startsWith(title) ? 0 : text.indexOf(`\n${title}`) + 1;
  let section = `${title}\n${body.trim()}\n`;
  let updated: string;
  if (start === 0 && !text.startsWith(title)) {
    updated = `${text.trimEnd()}\n\n${section}`;
  } else {
    const next = text.indexOf("\n## ", start + title.length - 1);
    const old = next === -1 ? text.slice(start) : text.slice(start, next + 1);
    const notes = old.indexOf(NOTES_MARKER);
    if (notes !== -1) section += `\n${old.slice(notes).trimEnd()}\n`;
    updated = `${text.slice(0, start)}${section}${next === -1 ? "" : text.slice(next)}`;
  }
  await writeFile(`${file}.tmp`, updated);
  await rename(`${file}.tmp`, file);
}

/** What {@link measureTurns} saw while its work ran. */
export interface TurnMeasure<T> {
  /** The longest event-loop turn (ms): the largest gap between ticks of a 1 ms timer. */
  turn: number;
  /**
   * The most CPU time (ms, every thread) the process used within one turn: on a loaded box a long
   * turn is often the process waiting for a core, which this tells apart.
   */
  cpu: number;
  /** How long the work took (ms). */
  wall: number;
  value: T;
}

/** The longest event-loop turn, the most CPU in one turn and the wall time while `work` runs. */
export async function measureTurns<T>(work: () => Promise<T>): Promise<TurnMeasure<T>> {
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let most = 0;
  let mostCpu = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    most = Math.max(most, now - last);
    mostCpu = Math.max(mostCpu, (cpu.user + cpu.system) / 1000);
    last = now;
    lastCpu = process.cpuUsage();
  }, 1);
  try {
    await new Promise((resolve) => setTimeout(resolve, 5));
    most = 0;
    mostCpu = 0;
    last = performance.now();
    lastCpu = process.cpuUsage();
    const started = performance.now();
    const value = await work();
    const wall = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { turn: most, cpu: mostCpu, wall, value };
  } finally {
    clearInterval(timer);
  }
}

/** Options of {@link writeTimeTravelLog}. */
export interface TimeTravelLogOptions {
  orchestrators: number;
  /** Workers per orchestrator. */
  workers: number;
  /** The first line's time (ms); a line a second after it. */
  baseMs: number;
}

const TIME_TRAVEL_STATUSES = ["researching", "planning", "implementing", "validating", "pr-created"];

/**
 * The time-travel benches' log, one month file under `<dir>/events`: every orchestrator starts,
 * dispatches its workers and moves each through three status changes, one line a second.
 * Returns the last line's time and the number of lines.
 */
export async function writeTimeTravelLog(
  dir: string,
  options: TimeTravelLogOptions,
): Promise<{ lastMs: number; lines: number }> {
  const iso = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;
  const lines: string[] = [];
  let ms = options.baseMs;
  const tick = (): string => {
    ms += 1000;
    return iso(ms);
  };
  for (let o = 0; o < options.orchestrators; o++) {
    const orchestrator = `orch-${o}`;
    const tickets = Array.from({ length: options.workers }, (_, w) => `CTL-${o * options.workers + w}`);
    const started = {
      ts: tick(),
      orchestrator,
      worker: null,
      event: "orchestrator-started",
      detail: { tickets },
    };
    lines.push(JSON.stringify(started));
    for (const worker of tickets) {
      lines.push(
        JSON.stringify({ ts: tick(), orchestrator, worker, event: "worker-dispatched", detail: null }),
      );
      for (let k = 0; k < 3; k++) {
        const detail = { from: TIME_TRAVEL_STATUSES[k], to: TIME_TRAVEL_STATUSES[k + 1] };
        lines.push(
          JSON.stringify({ ts: tick(), orchestrator, worker, event: "worker-status-change", detail }),
        );
      }
    }
  }
  await mkdir(join(dir, "events"), { recursive: true });
  await writeFile(join(dir, "events", `${iso(options.baseMs).slice(0, 7)}.jsonl`), `${lines.join("\n")}\n`);
  return { lastMs: ms, lines: lines.length };
}
