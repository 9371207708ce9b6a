import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { escapeToken } from "./keys.js";

/** Where the publisher is in one log file. */
export interface FileCursor {
  /** Bumped when the file was truncated or replaced, so new lines at old offsets get new message ids. */
  generation: number;
  /** Byte offset just past the last line JetStream acknowledged. */
  offset: number;
}

export type Cursors = Record<string, FileCursor>;

const MAX_CURSOR_BYTES = 4 * 1024 * 1024;

/** The cursor file of one host and catalyst dir, under `stateDir` (never in the catalyst dir). */
export function cursorPath(stateDir: string, host: string, catalystDir: string): string {
  return join(stateDir, "relay", `${escapeToken(host)}--${escapeToken(catalystDir)}.json`);
}

/** Read the cursors; a missing, oversized or unreadable file starts from nothing (dedup covers the replay). */
export async function loadCursors(path: string): Promise<Cursors> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return {};
  }
  if (text.length > MAX_CURSOR_BYTES) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    const out: Cursors = {};
    if (typeof parsed !== "object" || parsed === null) return out;
    for (const [file, c] of Object.entries(parsed as Record<string, unknown>)) {
      const v = c as Partial<FileCursor> | null;
      if (v && Number.isSafeInteger(v.offset) && Number.isSafeInteger(v.generation))
        out[file] = { offset: v.offset!, generation: v.generation! };
    }
    return out;
  } catch {
    return {};
  }
}

/** Write atomically (temp file + rename), so a kill -9 leaves the old or the new cursors. */
export async function saveCursors(path: string, cursors: Cursors): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(cursors));
  await rename(tmp, path);
}
