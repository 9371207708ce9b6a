import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { OrchestratorRef } from "@catalyst/schema";

async function isDir(path: string): Promise<boolean> {
  try {
    // stat, not lstat: symlinked orchestrator dirs count, as in the seed monitor (FORMATS §5.2).
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Names of the sub-directories of `dir`, sorted; `[]` when `dir` is missing or unreadable. The
 * listing's own entry types say which are directories; only symlinks are stat'ed (a symlinked
 * orchestrator dir counts). It stat'ed every entry at once: 400 orchestrators put 400 stats in
 * libuv's four-thread pool ahead of every live read, each rescan (issue 26).
 */
export async function listSubdirs(dir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    if (entry.isDirectory() || (entry.isSymbolicLink() && (await isDir(join(dir, entry.name)))))
      out.push(entry.name);
  }
  return out.sort();
}

/** True when `dir` holds a `workers/` directory, which is what makes it an orchestrator dir. */
export function hasWorkersDir(dir: string): Promise<boolean> {
  return isDir(join(dir, "workers"));
}

async function scanBase(base: string, source: "runs" | "wt"): Promise<OrchestratorRef[]> {
  const out: OrchestratorRef[] = [];
  for (const name of await listSubdirs(base)) {
    const path = join(base, name);
    // Depth 1 with workers/ is an orchestrator and is not descended into; otherwise depth 2,
    // the nested-by-project layout. No `orch-` prefix is required (FORMATS §1.1, §7 3353d8c6).
    if (await hasWorkersDir(path)) {
      out.push({ id: name, workspace: "default", path, source });
      continue;
    }
    for (const child of await listSubdirs(path)) {
      const childPath = join(path, child);
      if (await hasWorkersDir(childPath)) out.push({ id: child, workspace: name, path: childPath, source });
    }
  }
  return out;
}

/** The directory name (and orchestrator id) of the execution-core daemon's dir (FORMATS-TODAY R2.1). */
export const EXECUTION_CORE_DIR = "execution-core";

/** `$CATALYST_DIR/execution-core` as an orchestrator, when it has `workers/` (FORMATS-TODAY §3.1). */
async function executionCoreRef(catalystDir: string): Promise<OrchestratorRef[]> {
  const path = join(catalystDir, EXECUTION_CORE_DIR);
  if (!(await hasWorkersDir(path))) return [];
  return [{ id: EXECUTION_CORE_DIR, workspace: "default", path, source: "execution-core" }];
}

/**
 * Find orchestrator directories under `$CATALYST_DIR/runs/` and `$CATALYST_DIR/wt/` at depth 1 and 2
 * (any directory with a `workers/` sub-directory), and `$CATALYST_DIR/execution-core` (id
 * `execution-core`, first). On an id clash execution-core wins, then `runs/`, then the first in
 * sorted order. Missing roots give `[]`.
 */
export async function discoverOrchestrators(catalystDir: string): Promise<OrchestratorRef[]> {
  const [runs, wt, core] = await Promise.all([
    scanBase(join(catalystDir, "runs"), "runs"),
    scanBase(join(catalystDir, "wt"), "wt"),
    executionCoreRef(catalystDir),
  ]);
  const seen = new Set<string>();
  const out: OrchestratorRef[] = [];
  for (const ref of [...core, ...runs, ...wt]) {
    if (seen.has(ref.id)) continue;
    seen.add(ref.id);
    out.push(ref);
  }
  return out;
}
