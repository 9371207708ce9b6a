import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { normalizeEventLine, parseEventLine } from "@catalyst/schema";
import type { V1EventLine } from "./append-event.js";

/** Every file under `dir`, as paths relative to it with `/` separators. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    let names: string[];
    try {
      names = readdirSync(at);
    } catch {
      return; // removed while we walked (a teardown)
    }
    for (const name of names) {
      const path = join(at, name);
      let isDir = false;
      try {
        isDir = statSync(path).isDirectory();
      } catch {
        continue;
      }
      if (isDir) walk(path);
      else out.push(relative(dir, path).split(sep).join("/"));
    }
  };
  walk(dir);
  return out.sort();
}

/** Every signal file of the fleet: `runs/<id>/workers/*.json` and `wt/<pk>/<id>/workers/*.json`. */
export function signalFiles(dir: string): string[] {
  return listFiles(dir).filter((f) => /^(runs\/[^/]+|wt\/[^/]+\/[^/]+)\/workers\/[^/]+\.json$/.test(f));
}

/** Every orchestrator-local state file. */
export function localStateFiles(dir: string): string[] {
  return listFiles(dir).filter((f) => /^(runs\/[^/]+|wt\/[^/]+\/[^/]+)\/state\.json$/.test(f));
}

/** The raw text of every line of every month file, in file then line order. */
export function eventLineTexts(dir: string): Array<{ file: string; text: string }> {
  const eventsDir = join(dir, "events");
  if (!existsSync(eventsDir)) return [];
  const out: Array<{ file: string; text: string }> = [];
  for (const file of readdirSync(eventsDir).sort()) {
    const text = readFileSync(join(eventsDir, file), "utf8");
    for (const line of text.split("\n")) if (line !== "") out.push({ file, text: line });
  }
  return out;
}

/**
 * The decoded event lines, whatever shape each was written in (the demo writes today's mix of v1,
 * v2, dual and v3), read back as the v1 line it encodes; tombstones are left out.
 */
export function eventLines(dir: string): V1EventLine[] {
  const out: V1EventLine[] = [];
  for (const { file, text } of eventLineTexts(dir)) {
    const res = parseEventLine(text, file);
    if (!res.ok) throw new Error(res.error.message);
    const e = normalizeEventLine(res.value);
    if (e.dropped) continue;
    let detail = e.detail as Record<string, unknown> | null;
    if (e.envelope === "v3") {
      const { orchestrator: _o, ticket: _t, ...rest } = detail ?? {};
      detail = rest;
    }
    out.push({
      ts: e.envelope === "v3" ? `${e.ts.slice(0, 19)}Z` : e.ts,
      orchestrator: e.orchestrator ?? "",
      worker: e.worker,
      event: e.type,
      detail,
    });
  }
  return out;
}

/** Whether a pid names a live (or zombie) process; false once it is gone and reaped. */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
