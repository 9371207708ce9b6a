import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** A file tree: path → content. A path ending in `/` is an empty directory. */
export type Tree = Record<string, string>;

/** Make a temp dir holding `tree`; returns its path. */
export async function makeTree(tree: Tree = {}): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "catalyst-sources-"));
  await writeTree(root, tree);
  return root;
}

/** Write `tree` under `root`. */
export async function writeTree(root: string, tree: Tree): Promise<void> {
  for (const [rel, content] of Object.entries(tree)) {
    const p = join(root, rel);
    if (rel.endsWith("/")) {
      await mkdir(p, { recursive: true });
      continue;
    }
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, content);
  }
}

/** Remove a temp tree. */
export function removeTree(root: string): Promise<void> {
  return rm(root, { recursive: true, force: true });
}

/** Poll `check` until it returns true, or fail after `timeoutMs`. Not a sleep: it returns as soon as it holds. */
export async function waitFor(check: () => boolean, timeoutMs = 5_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** A valid signal file body. */
export function signalText(ticket: string, status = "implementing", phase = 3, extra: object = {}): string {
  return JSON.stringify(
    { ticket, orchestrator: "o", status, phase, updatedAt: "2026-04-14T19:03:01Z", ...extra },
    null,
    2,
  );
}

/** A compact v1 event line (no newline). */
export function v1Line(ts: string, event = "worker-dispatched", extra: object = {}): string {
  return JSON.stringify({ ts, orchestrator: "o", worker: "CTL-1", event, detail: null, ...extra });
}

/** A small deterministic PRNG (mulberry32), so a failing randomized case can be replayed from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
