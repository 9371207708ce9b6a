import { appendFile, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Snapshot } from "@catalyst/schema";
import { killAllSpawned, type MonitorRun, startMonitorBin } from "@catalyst/test-utils";
import { afterAll, describe, expect, it } from "vitest";

// Issue 25: `GET /api/snapshot?at=<ts>` on the real monitor bin over real HTTP, on a temp catalyst
// dir and a temp cache dir: the fleet as the log had it at that time, marked with `at`, behind the
// same token as /api/snapshot; a bad time is a 400, a backfilled line is in the next answer.

const TOKEN = "time-travel-token";
const ORCH = "orch-tt";

function line(ts: string, event: string, worker: string | null, detail: unknown = null): string {
  return JSON.stringify({ ts, orchestrator: ORCH, worker, event, detail });
}

function statusOf(s: Snapshot, ticket: string): string | undefined {
  const orch = s.orchestrators.find((o) => o.id === ORCH);
  const worker = orch ? Object.values(orch.workers).find((w) => w.ticket === ticket) : undefined;
  return worker?.status;
}

describe("GET /api/snapshot?at=", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    killAllSpawned();
  });

  it("answers the fleet at that time with `at`, refuses a bad time and an unauthenticated client", async () => {
    const root = await mkdtemp(join(tmpdir(), "snapshot-at-e2e-"));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const dir = join(root, "catalyst");
    const cache = join(root, "cache");
    await mkdir(join(dir, "events"), { recursive: true });
    const log = join(dir, "events", "2026-04.jsonl");
    await writeFile(
      log,
      `${[
        line("2026-04-14T01:00:00Z", "orchestrator-started", null, { tickets: ["CTL-1", "CTL-2"] }),
        line("2026-04-14T01:05:00Z", "worker-dispatched", "CTL-1"),
        line("2026-04-14T02:00:00Z", "worker-status-change", "CTL-1", {
          from: "researching",
          to: "planning",
        }),
        line("2026-04-14T04:00:00Z", "worker-status-change", "CTL-1", {
          from: "planning",
          to: "implementing",
        }),
        line("2026-04-14T05:00:00Z", "worker-dispatched", "CTL-2"),
      ].join("\n")}\n`,
    );
    const tokenFile = join(root, "token");
    await writeFile(tokenFile, `${TOKEN}\n`);
    const monitor: MonitorRun = await startMonitorBin(dir, {
      args: ["--token-file", tokenFile, "--history", "0"],
      env: { CATALYST_CACHE_DIR: cache },
    });
    cleanups.push(() => monitor.stop());
    const auth = { authorization: `Bearer ${TOKEN}` };
    const get = (query: string, headers: Record<string, string> = auth) =>
      fetch(`${monitor.url}api/snapshot${query}`, { headers });

    const at3 = await get("?at=2026-04-14T03:00:00Z");
    expect(at3.status).toBe(200);
    const three = (await at3.json()) as Snapshot;
    expect(three.at).toBe("2026-04-14T03:00:00.000Z");
    expect(three.generatedAt).toBe("2026-04-14T03:00:00.000Z");
    expect(statusOf(three, "CTL-1")).toBe("planning");
    expect(statusOf(three, "CTL-2")).toBeUndefined();

    const at6 = (await (await get("?at=2026-04-14T06:00:00Z")).json()) as Snapshot;
    expect(statusOf(at6, "CTL-1")).toBe("implementing");
    expect(statusOf(at6, "CTL-2")).toBeDefined();

    // The scrubber's span: the log's first line, behind the same token.
    const span = await fetch(`${monitor.url}api/log-span`, { headers: auth });
    expect(await span.json()).toEqual({ first: "2026-04-14T01:00:00.000Z" });
    expect((await fetch(`${monitor.url}api/log-span`)).status).toBe(401);

    // The live snapshot has no `at`.
    const live = (await (await get("")).json()) as Snapshot;
    expect(live.at).toBeUndefined();

    // A bad time: 400 with the API's error shape; no token: 401 as for /api/snapshot.
    const bad = await get("?at=yesterday-ish");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("bad_at");
    expect((await get("?at=2026-04-14T03:00:00Z", {})).status).toBe(401);

    // Checkpoints are kept in the cache dir, never in the catalyst dir.
    expect(await readdir(dir)).toEqual(["events"]);

    // A line backfilled at 02:30 (written later): the answer at 03:00 now includes it.
    await appendFile(
      log,
      `${line("2026-04-14T02:30:00Z", "worker-status-change", "CTL-1", { from: "planning", to: "validating" })}\n`,
    );
    const again = (await (await get("?at=2026-04-14T03:00:00Z")).json()) as Snapshot;
    expect(statusOf(again, "CTL-1")).toBe("validating");
  }, 90_000);
});
