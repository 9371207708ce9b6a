import { join } from "node:path";
import type { OrchestratorRef } from "@catalyst/schema";
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
