import { chmod, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";

// The monitor's own files (open incidents, Web Push keys and subscriptions) live in the user's
// state and config dirs, never in $CATALYST_DIR, written whole (temp file + rename) with mode 0600.

/** `$XDG_STATE_HOME/catalyst-monitor`, else `~/.local/state/catalyst-monitor`. */
export function resolveStateDir(env: NodeJS.ProcessEnv, home: string): string {
  const base =
    env.XDG_STATE_HOME && env.XDG_STATE_HOME !== "" ? env.XDG_STATE_HOME : join(home, ".local", "state");
  return join(base, "catalyst-monitor");
}

/** `$XDG_CONFIG_HOME/catalyst-monitor`, else `~/.config/catalyst-monitor`. */
export function resolveConfigDir(env: NodeJS.ProcessEnv, home: string): string {
  const base =
    env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME !== "" ? env.XDG_CONFIG_HOME : join(home, ".config");
  return join(base, "catalyst-monitor");
}

/** At most this much is read back from any of these files. */
const MAX_BYTES = 4 * 1024 * 1024;

/** Reads a text file (at most 4 MiB); null when it does not exist; `{ok: false}` when unreadable. */
export async function readTextFile(
  path: string,
): Promise<{ ok: true; text: string } | { ok: false; error: string } | null> {
  try {
    const handle = await open(path, "r");
    try {
      const info = await handle.stat();
      if (!info.isFile()) return { ok: false, error: "not a regular file" };
      if (info.size > MAX_BYTES) return { ok: false, error: `larger than ${MAX_BYTES} bytes` };
      return { ok: true, text: await readFile(handle, "utf8") };
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return null;
    return { ok: false, error: String((error as { code?: unknown }).code ?? error) };
  }
}

/** Reads a JSON file; null when it does not exist; `{ok: false}` when unreadable or not JSON. */
export async function readJsonFile(
  path: string,
): Promise<{ ok: true; value: unknown } | { ok: false; error: string } | null> {
  const read = await readTextFile(path);
  if (read === null || !read.ok) return read;
  try {
    return { ok: true, value: JSON.parse(read.text) as unknown };
  } catch {
    return { ok: false, error: "not valid JSON" };
  }
}

/**
 * Writes JSON whole: a 0600 temp file beside it, then rename; the dir is made 0700 if missing.
 * Returns the bytes written.
 */
export async function writeJsonFile(path: string, value: unknown): Promise<number> {
  const dir = path.slice(0, path.lastIndexOf("/"));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  const text = `${JSON.stringify(value, null, 1)}\n`;
  await writeSynced(tmp, "w", text);
  try {
    await chmod(tmp, 0o600);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  return Buffer.byteLength(text);
}

/** Writes (`"w"`) or appends (`"a"`) text to a 0600 file and flushes it to disk before returning. */
export async function writeSynced(path: string, flags: "w" | "a", text: string): Promise<void> {
  const handle = await open(path, flags, 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
