import { join } from "node:path";
import {
  type GlobalStateRead,
  type LocalStateRead,
  type OrchestratorRef,
  parseGlobalStateText,
  parseLocalStateText,
} from "@catalyst/schema";
import { unreadableResult } from "./read-signals.js";
import { errorCode, nodeFiles, type TextFiles } from "./text-files.js";

/** The path of an orchestrator's local `state.json`. */
export function localStatePath(orch: OrchestratorRef): string {
  return join(orch.path, "state.json");
}

/** The path of the global `state.json`. */
export function globalStatePath(catalystDir: string): string {
  return join(catalystDir, "state.json");
}

async function readOptional(
  file: string,
  files: TextFiles,
): Promise<{ text: string } | { error: unknown } | null> {
  try {
    return { text: await files.read(file) };
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "EISDIR") return null;
    return { error };
  }
}

/** Read `<orch-dir>/state.json` (FORMATS §3.6); `null` when absent, a failed result when torn or invalid. */
export async function readLocalState(
  orch: OrchestratorRef,
  files: TextFiles = nodeFiles,
): Promise<LocalStateRead | null> {
  const file = localStatePath(orch);
  const got = await readOptional(file, files);
  if (got === null) return null;
  return {
    orchestrator: orch.id,
    file,
    result: "text" in got ? parseLocalStateText(got.text, file) : unreadableResult(file, got.error),
  };
}

/** Read `$CATALYST_DIR/state.json` (FORMATS §3); `null` when absent, a failed result when torn or invalid. */
export async function readGlobalState(
  catalystDir: string,
  files: TextFiles = nodeFiles,
): Promise<GlobalStateRead | null> {
  const file = globalStatePath(catalystDir);
  const got = await readOptional(file, files);
  if (got === null) return null;
  return {
    file,
    result: "text" in got ? parseGlobalStateText(got.text, file) : unreadableResult(file, got.error),
  };
}
