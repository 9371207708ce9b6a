import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createSeededRandom, waitUntil } from "@catalyst/test-utils";

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

/** Waits until `check` holds (`waitUntil` of @catalyst/test-utils, on vi.waitFor), failing after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 5_000, what = "condition"): Promise<void> {
  await waitUntil(what, check, { timeoutMs, intervalMs: 2 });
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

/** A deterministic PRNG (fleet-sim's, through test-utils), so a failing randomized case can be replayed from its seed. */
export function rng(seed: number): () => number {
  return createSeededRandom(seed).next;
}
