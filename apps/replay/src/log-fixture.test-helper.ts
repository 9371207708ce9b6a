import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Real catalyst dirs for tests: a legacy events.jsonl plus monthly files, in the shapes of
// FORMATS §4.1, §4.3 and §4.7. Everything lives under a fresh mkdtemp dir the test removes.

/** Make an empty temp dir; the caller removes it with `removeDir`. */
export async function makeTempDir(prefix = "catalyst-replay-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Remove a temp dir made by `makeTempDir`. */
export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Write files under `root` from a `{ relative path: content }` tree. */
export async function writeTree(root: string, tree: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(tree)) {
    const full = join(root, path);
    await mkdir(join(full, ".."), { recursive: true });
    await writeFile(full, content);
  }
}

/** A v1 line (FORMATS §4.1), compact, keys in writer order. */
export function v1Line(
  ts: string,
  event: string,
  worker: string | null = null,
  detail: unknown = null,
  orch = "orch-api-redesign-2026-04-14",
): string {
  return JSON.stringify({ ts, orchestrator: orch, worker, event, detail });
}

/** A catalyst-session.sh line (FORMATS §4.3): no orchestrator key. */
export function sessionLine(ts: string, event: string, session = "sess_20260414T190000_abcd1234"): string {
  return JSON.stringify({ ts, session, event, detail: null });
}

/** A canonical v3 line (FORMATS §4.7). */
export function canonicalLine(
  ts: string,
  name: string,
  orch: string,
  ticket: string | null,
  payload: unknown = null,
): string {
  return JSON.stringify({
    ts,
    id: "7d1f7f0c-3c57-4a0f-9a59-1b1a4d1c5e21",
    observedTs: ts,
    severityText: "INFO",
    severityNumber: 9,
    attributes: {
      "event.name": name,
      "catalyst.orchestrator.id": orch,
      ...(ticket ? { "catalyst.worker.ticket": ticket } : {}),
    },
    body: { payload },
  });
}

/** Seconds-precision UTC stamp `start + seconds`. */
export function stamp(start: string, seconds: number, withMillis = false): string {
  const iso = new Date(Date.parse(start) + seconds * 1000).toISOString();
  return withMillis ? iso : `${iso.slice(0, 19)}Z`;
}

/**
 * The ordered fixture: legacy `events.jsonl` (February), `events/2026-03.jsonl`,
 * `events/2026-04.jsonl`; concatenated in that order the lines are in time order. Mixed shapes
 * and precisions, all valid, every line ends with a newline.
 */
export function orderedFixture(): { tree: Record<string, string>; lines: string[] } {
  const legacy: string[] = [];
  const march: string[] = [];
  const april: string[] = [];
  const tickets = ["CTL-48", "CTL-49", "CTL-50"];
  legacy.push(v1Line("2026-02-27T09:00:00Z", "orchestrator-started", null, { tickets }, "orch-old"));
  for (let i = 0; i < 40; i++)
    legacy.push(
      v1Line(
        stamp("2026-02-27T09:01:00Z", i * 600),
        "worker-status-change",
        tickets[i % 3] ?? null,
        { from: "a", to: "b" },
        "orch-old",
      ),
    );
  for (let i = 0; i < 120; i++) {
    const ts = stamp("2026-03-01T00:00:00Z", i * 3_600 * 5 + 7, i % 7 === 3);
    if (i % 10 === 5) march.push(sessionLine(ts, "heartbeat"));
    else if (i % 10 === 8)
      march.push(
        canonicalLine(ts, "orchestrator.worker.pr_created", "orch-mar", tickets[i % 3] ?? null, { pr: i }),
      );
    else
      march.push(
        v1Line(
          ts,
          i % 4 === 0 ? "worker-dispatched" : "worker-status-change",
          tickets[i % 3] ?? null,
          { from: "x", to: "y", n: i },
          "orch-mar",
        ),
      );
  }
  for (let i = 0; i < 200; i++) {
    const ts = stamp("2026-04-01T00:00:00Z", i * 3_600 * 3 + 11, i % 5 === 1);
    april.push(
      v1Line(ts, i % 9 === 0 ? "worker-pr-merged" : "worker-status-change", tickets[i % 3] ?? null, {
        pr: i,
        note: "ünïcødé ✓",
      }),
    );
  }
  const body = (lines: string[]): string => lines.map((l) => `${l}\n`).join("");
  return {
    tree: {
      "events.jsonl": body(legacy),
      "events/2026-03.jsonl": body(march),
      "events/2026-04.jsonl": body(april),
    },
    lines: [...legacy, ...march, ...april],
  };
}
