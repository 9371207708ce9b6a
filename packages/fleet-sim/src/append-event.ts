import { appendFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { formatIsoSeconds, formatUtcMonth } from "./iso-seconds.js";

/** One v1 event line (FORMATS §4.1); the key order is the one `catalyst-state.sh` writes. */
export interface V1EventLine {
  ts: string;
  orchestrator: string;
  worker: string | null;
  event: string;
  detail: Record<string, unknown> | null;
}

/** Build a v1 line stamped with seconds precision. */
export function buildEventLine(
  at: Date,
  orchestrator: string,
  worker: string | null,
  event: string,
  detail: Record<string, unknown> | null = null,
): V1EventLine {
  return { ts: formatIsoSeconds(at), orchestrator, worker, event, detail };
}

/** The monthly log file a line stamped `at` belongs in: `events/YYYY-MM.jsonl`, UTC month (§1.3). */
export function eventLogPath(catalystDir: string, at: Date): string {
  return join(catalystDir, "events", `${formatUtcMonth(at)}.jsonl`);
}

/**
 * Append one compact line to the UTC-month file. The line and its newline go out in a single
 * append call: concurrent producers once spliced lines together when it took two (FORMATS §1.5).
 */
export async function appendEventLine(catalystDir: string, at: Date, line: V1EventLine): Promise<void> {
  await mkdir(join(catalystDir, "events"), { recursive: true });
  await appendFile(eventLogPath(catalystDir, at), `${JSON.stringify(line)}\n`, "utf8");
}
