import type { Dirent } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import { INDEX_SUBDIR } from "@catalyst/sources/event-log";
import { CENTRAL_CHECKPOINT_SUBDIR } from "./checkpoint-file.js";
import { CHECKPOINT_SUBDIR } from "./fold-checkpoints.js";

/** `<name>-v<n>`: the version of one of our cache subdirs. */
function versionOf(name: string, base: string): number | null {
  const m = /^(.+)-v(\d+)$/.exec(name);
  return m && m[1] === base ? Number(m[2]) : null;
}

const done = new Set<string>();

/**
 * Remove the older versions of our own cache subdirs (`event-index-v3` beside `event-index-v4`,
 * `fold-checkpoints-v3` beside `fold-checkpoints-v4`, `central-checkpoints-v1` and `-v2`
 * beside `central-checkpoints-v3`, …) from the user cache dir: a format bump
 * otherwise leaves the old one behind in every user's cache for good. Only exact `<base>-v<n>`
 * names with n below the current version, only directly in `cacheDir`, never when the cache dir
 * is (or is inside) the catalyst dir, once per cache dir and process. Best effort: returns the
 * names removed, never throws.
 */
export async function removeSupersededCaches(cacheDir: string, catalystDir?: string): Promise<string[]> {
  const root = resolve(cacheDir);
  if (catalystDir !== undefined) {
    // Never write into the catalyst dir: a cache dir that is it, or inside it, is left alone.
    const rel = relative(resolve(catalystDir), root);
    if (rel === "" || !(rel.startsWith("..") || isAbsolute(rel))) return [];
  }
  if (done.has(root)) return [];
  done.add(root);
  const current = [INDEX_SUBDIR, CHECKPOINT_SUBDIR, CENTRAL_CHECKPOINT_SUBDIR].map((name) => {
    const m = /^(.+)-v(\d+)$/.exec(name) as RegExpExecArray;
    return { base: m[1] as string, version: Number(m[2]) };
  });
  let entries: Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    // A directory, not a link to one (rm would only unlink it, but leave what is not ours alone).
    if (!entry.isDirectory()) continue;
    const old = current.find(({ base, version }) => {
      const v = versionOf(entry.name, base);
      return v !== null && v < version;
    });
    if (!old) continue;
    try {
      await rm(join(root, entry.name), { recursive: true, force: true });
      removed.push(entry.name);
    } catch {
      // Not ours to fight over: it stays, and costs only disk space.
    }
  }
  return removed;
}
