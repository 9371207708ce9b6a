import { basename, join } from "node:path";
import {
  makeIssue,
  type OrchestratorRef,
  type ParseResult,
  parseSignalText,
  type SignalFileRead,
  type WorkerSignal,
} from "@catalyst/schema";
import { FileRejectedError } from "./errors.js";
import { mapLimited, READ_CONCURRENCY } from "./map-limited.js";
import { describeReadError, errorCode, nodeFiles, type TextFiles } from "./text-files.js";

/**
 * True for a worker signal file name: `*.json` directly in `workers/`, not hidden, not the claude
 * CLI's `<T>-output.json` (FORMATS §7 9eb336c1) and not a writer's `<T>.json.tmp` (§1.5).
 */
export function isSignalFileName(name: string): boolean {
  return name.endsWith(".json") && !name.startsWith(".") && !name.endsWith("-output.json");
}

/** The worker key a signal file falls back to: its name without `.json`. */
export function signalKey(file: string): string {
  return basename(file).slice(0, -".json".length);
}

/** A read that failed for a reason other than "the file is gone", as a ParseResult naming the file. */
export function unreadableResult<T>(file: string, error: unknown): ParseResult<T> {
  return {
    ok: false,
    error: makeIssue({
      file,
      path: "$",
      expected: error instanceof FileRejectedError ? "a regular file within the size cap" : "a readable file",
      received: describeReadError(error),
    }),
  };
}

/** Parse one signal file's text into a read result (pure). */
export function toSignalRead(orchestrator: string, file: string, text: string): SignalFileRead {
  return { orchestrator, key: signalKey(file), file, result: parseSignalText(text, file) };
}

/**
 * Read one signal file. `null` when it does not exist (ENOENT, or it turned into a directory);
 * any other failure is a result naming the file.
 */
export async function readSignalFile(
  orchestrator: string,
  file: string,
  files: TextFiles = nodeFiles,
): Promise<SignalFileRead | null> {
  try {
    return toSignalRead(orchestrator, file, await files.read(file));
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "EISDIR") return null;
    const result: ParseResult<WorkerSignal> = unreadableResult(file, error);
    return { orchestrator, key: signalKey(file), file, result };
  }
}

/**
 * Read every signal file (`*.json` directly in `workers/`, skipping `*-output.json`) of one
 * orchestrator, in name order. A file that vanishes between list and read is skipped (FORMATS §5.10);
 * a torn or invalid one yields `result.ok === false` naming the file.
 */
export async function readSignalDir(
  orch: OrchestratorRef,
  files: TextFiles = nodeFiles,
): Promise<SignalFileRead[]> {
  const dir = join(orch.path, "workers");
  let names: string[];
  try {
    names = await files.list(dir);
  } catch {
    return [];
  }
  names = names.filter(isSignalFileName).sort();
  const reads = await mapLimited(names, READ_CONCURRENCY, (n) =>
    readSignalFile(orch.id, join(dir, n), files),
  );
  return reads.filter((r): r is SignalFileRead => r !== null);
}
