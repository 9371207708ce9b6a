import { constants } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { BriefingFileRead, OrchestratorRef } from "@catalyst/schema";
import { FileRejectedError } from "./errors.js";
import { errorCode, nodeFiles, type TextFiles } from "./text-files.js";

/** One `wave-<N>-briefing.md` of an orchestrator (FORMATS §1.1). */
export interface BriefingRead {
  orchestrator: string;
  wave: number;
  file: string;
  text: string;
}

const BRIEFING = /^wave-(\d+)-briefing\.md$/;

/** Read the wave briefings of an orchestrator, by wave number; `[]` when there are none. */
export async function readBriefings(
  orch: OrchestratorRef,
  files: TextFiles = nodeFiles,
): Promise<BriefingRead[]> {
  let names: string[];
  try {
    names = await files.list(orch.path);
  } catch {
    return [];
  }
  const found = names
    .map((name) => ({ name, m: BRIEFING.exec(name) }))
    .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
    .map((x) => ({ name: x.name, wave: Number(x.m[1]) }))
    .sort((a, b) => a.wave - b.wave);
  const out: BriefingRead[] = [];
  for (const { name, wave } of found) {
    const file = join(orch.path, name);
    try {
      out.push({ orchestrator: orch.id, wave, file, text: await files.read(file) });
    } catch (error) {
      // A FIFO or an oversized file named like a briefing is skipped, not a reason to fail them all.
      if (errorCode(error) !== "ENOENT" && !(error instanceof FileRejectedError)) throw error;
    }
  }
  return out;
}

/** `DASHBOARD.md`, the orchestrator's human-readable status (FORMATS §1.1). */
export const DASHBOARD_FILE = "DASHBOARD.md";

/** Briefing texts are read on demand and capped at this many bytes. */
export const MAX_BRIEFING_BYTES = 1024 * 1024;

/** The wave a briefing file name stands for: N for `wave-<N>-briefing.md`, null for `DASHBOARD.md`. */
export function briefingWaveOf(name: string): number | null | undefined {
  if (name === DASHBOARD_FILE) return null;
  const m = BRIEFING.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * The briefing documents of an orchestrator as metadata (size and mtime, no text): `DASHBOARD.md`
 * and every `wave-<N>-briefing.md`. A file that vanishes while being looked at is left out.
 */
export async function statBriefings(orch: OrchestratorRef): Promise<BriefingFileRead[]> {
  let names: string[];
  try {
    names = await readdir(orch.path);
  } catch {
    return [];
  }
  const out: BriefingFileRead[] = [];
  for (const name of names.sort()) {
    const wave = briefingWaveOf(name);
    if (wave === undefined) continue;
    const file = join(orch.path, name);
    try {
      const st = await stat(file);
      if (!st.isFile()) continue;
      out.push({ orchestrator: orch.id, file, wave, bytes: st.size, modifiedAt: st.mtime.toISOString() });
    } catch {
      // gone between readdir and stat
    }
  }
  return out;
}

/** Why a briefing text could not be returned. */
export type BriefingTextResult =
  | { ok: true; text: string; file: string; truncated: boolean }
  | { ok: false; reason: "missing" | "unreadable"; file: string };

/**
 * Read one briefing's text: `wave` null for `DASHBOARD.md`. At most `maxBytes` are read (the rest is
 * cut and `truncated` set), so a huge file cannot stall the caller.
 */
export async function readBriefingText(
  orchPath: string,
  wave: number | null,
  maxBytes = MAX_BRIEFING_BYTES,
): Promise<BriefingTextResult> {
  const file = join(orchPath, wave === null ? DASHBOARD_FILE : `wave-${wave}-briefing.md`);
  let handle: Awaited<ReturnType<typeof open>> | null = null;
  try {
    // Non-blocking, so a FIFO named like a briefing cannot hold the open (see text-files.ts).
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = await handle.stat();
    if (!st.isFile()) return { ok: false, reason: "missing", file };
    const size = Math.min(st.size, maxBytes);
    const buf = Buffer.alloc(size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await handle.read(buf, got, size - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return { ok: true, text: buf.subarray(0, got).toString("utf8"), file, truncated: st.size > maxBytes };
  } catch (error) {
    const code = errorCode(error);
    return { ok: false, reason: code === "ENOENT" || code === "ENOTDIR" ? "missing" : "unreadable", file };
  } finally {
    await handle?.close();
  }
}
