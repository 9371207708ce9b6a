import { mkdir, open } from "node:fs/promises";
import { join } from "node:path";

/** What `generateLog` wrote. */
export interface GeneratedLog {
  files: string[];
  bytes: number;
  lines: number;
  firstMs: number;
  lastMs: number;
}

/** 76 months: the held-out log has ≥ 70 monthly files. */
export const LOG_START = Date.parse("2020-01-01T00:00:00Z");
export const LOG_END = Date.parse("2026-05-01T00:00:00Z");
const START = LOG_START;
const END = LOG_END;
const TICKETS = Array.from({ length: 40 }, (_, i) => `CTL-${100 + i}`);
const STATUSES = ["researching", "planning", "implementing", "validating", "shipping", "pr-created"];

function seconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** One line in one of the shapes of FORMATS §4.1/§4.3/§4.7, ~250 bytes on average. */
function makeLine(i: number, ms: number): string {
  const orch = `orch-bench-${Math.floor(i / 5000)}`;
  const worker = TICKETS[i % TICKETS.length] as string;
  const kind = i % 20;
  if (kind === 7) {
    return `{"ts":"${seconds(ms)}","session":"sess_20260101T000000_${(i % 65536).toString(16).padStart(8, "0")}","event":"heartbeat","detail":null}`;
  }
  if (kind === 13) {
    return `{"ts":"${new Date(ms).toISOString()}","id":"00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}","observedTs":"${new Date(ms).toISOString()}","severityText":"INFO","severityNumber":9,"attributes":{"event.name":"orchestrator.worker.pr_created","catalyst.orchestrator.id":"${orch}","catalyst.worker.ticket":"${worker}","vcs.pr.number":${i % 9000}},"body":{"payload":{"pr":${i % 9000},"url":"https://github.com/acme/api/pull/${i % 9000}"}}}`;
  }
  const from = STATUSES[i % STATUSES.length] as string;
  const to = STATUSES[(i + 1) % STATUSES.length] as string;
  return `{"ts":"${seconds(ms)}","orchestrator":"${orch}","worker":"${worker}","event":"worker-status-change","detail":{"from":"${from}","to":"${to}","note":"phase boundary reached after tool call ${i}; bench filler text to reach a realistic line length"}}`;
}

/**
 * Write about `targetBytes` of event log under `dir`: `events/2020-01.jsonl` … `2026-04.jsonl`
 * (76 files, each line in its UTC month's file), lines evenly spread from 2020-01-01 to 2026-04-30
 * in time order, mixed shapes and precisions. Returns what it wrote.
 */
export async function generateLog(dir: string, targetBytes: number): Promise<GeneratedLog> {
  await mkdir(join(dir, "events"), { recursive: true });
  // Spread the lines over the whole window: estimate the average line length from a sample.
  // Lines grow a little with their index, so sample twice: at the start, then around the middle.
  const average = (from: number): number => {
    let sum = 0;
    for (let i = from; i < from + 2000; i++) sum += Buffer.byteLength(makeLine(i, START)) + 1;
    return sum / 2000;
  };
  const firstGuess = Math.round(targetBytes / average(0));
  const approxLines = Math.max(1, Math.round(targetBytes / average(Math.floor(firstGuess / 2))));
  const step = (END - START - 1000) / approxLines;
  const files: string[] = [];
  let month = "";
  let handle: Awaited<ReturnType<typeof open>> | null = null;
  let chunk: string[] = [];
  let chunkLen = 0;
  let bytes = 0;
  let lines = 0;
  let lastMs = START;
  const flush = async (): Promise<void> => {
    if (handle && chunk.length > 0) await handle.write(chunk.join(""));
    chunk = [];
    chunkLen = 0;
  };
  // Bounded by time, so the log always reaches its last day; its size lands within ~1% of the target.
  for (let i = 0; i < approxLines; i++) {
    const ms = Math.floor(START + i * step);
    const m = new Date(ms).toISOString().slice(0, 7);
    if (m !== month) {
      await flush();
      await handle?.close();
      month = m;
      const file = join(dir, "events", `${m}.jsonl`);
      files.push(file);
      handle = await open(file, "w");
    }
    const line = `${makeLine(i, ms)}\n`;
    chunk.push(line);
    chunkLen += line.length;
    bytes += Buffer.byteLength(line);
    lines++;
    lastMs = ms;
    if (chunkLen >= 4 * 1024 * 1024) await flush();
  }
  await flush();
  await handle?.close();
  return { files, bytes, lines, firstMs: START, lastMs };
}
