// Real-world files that are not quite to spec, against the real monitor bin: nulls and stray types
// in optional fields (shell writers and jq), state.json entries with bad fields, in-place rewrites
// caught half-way, and briefings. A bad optional field is a warning on its worker, never a hidden
// worker; only unreadable JSON or a missing ticket makes a worker corrupt.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  getJson,
  killAll,
  type MonitorRun,
  openStream,
  removeDir,
  type Stream,
  scaled,
  signalPath,
  snapshot,
  startMonitor,
  tempDir,
  waitFor,
  writeAtomic,
} from "./support.ts";

const ORCH = "orch-fidelity";
let root: string;
let dir: string;
let monitor: MonitorRun;
let stream: Stream;

interface FullWorker {
  status: string;
  phase: number;
  corrupt: unknown;
  fixupCommit: string | null;
  followUpTo: string | null;
  pr: { number: number } | null;
  warnings: Array<{ field: string; expected: string; received: string; source: string }>;
}

async function worker(ticket: string): Promise<FullWorker | undefined> {
  const snap = await snapshot(monitor.url);
  return snap.orchestrators.find((o) => o.id === ORCH)?.workers[ticket] as FullWorker | undefined;
}

const done = (ticket: string, extra: Record<string, unknown>) =>
  JSON.stringify({
    ticket,
    orchestrator: ORCH,
    status: "done",
    phase: 6,
    startedAt: "2026-04-14T18:37:51Z",
    updatedAt: new Date().toISOString(),
    pid: null,
    pr: { number: 100, url: "https://github.com/acme/api/pull/100", ciStatus: "merged" },
    ...extra,
  });

// Each case: a field a real writer got wrong, and the warning path it must produce.
const CASES: Array<[string, Record<string, unknown>, string]> = [
  ["CTL-001", { cost: { costUSD: 1.5, inputTokens: null } }, "$.cost.inputTokens"],
  ["CTL-002", { fixupCommit: 42 }, "$.fixupCommit"],
  ["CTL-003", { followUpTo: { ticket: "CTL-001" } }, "$.followUpTo"],
  ["CTL-004", { wave: "2" }, "$.wave"],
  ["CTL-005", { lastHeartbeat: "not a time" }, "$.lastHeartbeat"],
  ["CTL-006", { completedAt: 0 }, "$.completedAt"],
  ["CTL-007", { error: false }, "$.error"],
  ["CTL-008", { phaseTimestamps: [] }, "$.phaseTimestamps"],
  ["CTL-009", { pr: { number: 100, url: null, ciStatus: "merged" } }, "$.pr.url"],
  ["CTL-010", { phase: "six" }, "$.phase"],
];

beforeAll(async () => {
  root = await tempDir("fidelity");
  dir = join(root, "catalyst");
  await mkdir(join(dir, "runs", ORCH, "workers"), { recursive: true });
  for (const [ticket, extra] of CASES) await writeFile(signalPath(dir, ORCH, ticket), done(ticket, extra));
  await writeFile(
    signalPath(dir, ORCH, "CTL-020"),
    done("CTL-020", { fixupCommit: "abc1234", followUpTo: "CTL-001" }),
  );
  await writeFile(signalPath(dir, ORCH, "CTL-030"), JSON.stringify({ status: "done", phase: 6 }));
  await writeFile(join(dir, "runs", ORCH, "DASHBOARD.md"), "# Fleet\n\n<img src=x onerror=alert(1)>");
  await writeFile(
    join(dir, "state.json"),
    JSON.stringify({
      version: "1.0.0",
      orchestrators: {
        [ORCH]: {
          id: ORCH,
          status: "active",
          workers: {
            "CTL-040": { status: "implementing", phase: 3, pr: { number: "7" }, usage: { numTurns: null } },
          },
        },
      },
    }),
  );
  monitor = await startMonitor(dir);
  stream = openStream(monitor.url);
  await waitFor("the fleet", async () => ((await worker("CTL-040")) ? true : undefined), 60_000);
});

afterAll(async () => {
  stream?.close();
  await monitor?.stop();
  killAll();
  await removeDir(root);
});

describe("tolerant parsing (real monitor bin)", () => {
  it.each(CASES)(
    "%s keeps status, phase and PR, with a warning for the bad field",
    async (ticket, _extra, field) => {
      const w = await worker(ticket);
      expect(w).toMatchObject({ status: "done", phase: 6, corrupt: null, pr: { number: 100 } });
      expect(w?.warnings.map((x) => x.field)).toEqual([field]);
      expect(w?.warnings[0]?.source).toBe("signal");
    },
  );

  it("fixupCommit and followUpTo reach the snapshot", async () => {
    expect(await worker("CTL-020")).toMatchObject({
      fixupCommit: "abc1234",
      followUpTo: "CTL-001",
      warnings: [],
    });
  });

  it("a signal without a ticket is still corrupt, and named", async () => {
    const w = await worker("CTL-030");
    expect(w?.status).toBe("signal_corrupt");
    expect(JSON.stringify(w?.corrupt)).toContain("$.ticket");
  });

  it("a bad field in a state.json entry is a warning on that worker; the file is not a source error", async () => {
    const w = await worker("CTL-040");
    expect(w?.status).toBe("implementing");
    expect(w?.warnings.map((x) => `${x.source}:${x.field}`).sort()).toEqual([
      "state:$.pr.number",
      "state:$.usage.numTurns",
    ]);
    expect((await snapshot(monitor.url)).sourceErrors).toEqual([]);
  });

  it("a good rewrite clears the warnings; a bad one brings them back without a corrupt flash", async () => {
    const file = signalPath(dir, ORCH, "CTL-001");
    await writeAtomic(file, done("CTL-001", { cost: { costUSD: 1.5 } }));
    await waitFor("warnings cleared", async () =>
      (await worker("CTL-001"))?.warnings.length === 0 ? true : undefined,
    );
    await writeAtomic(file, done("CTL-001", { cost: { costUSD: null } }));
    const w = await waitFor("warning back", async () => {
      const got = await worker("CTL-001");
      return got?.warnings.length === 1 ? got : undefined;
    });
    expect(w).toMatchObject({ status: "done", corrupt: null });
  });

  it("rewriting a file in place with identical content sends no worker-update", async () => {
    const file = signalPath(dir, ORCH, "CTL-020");
    const text = done("CTL-020", {
      fixupCommit: "abc1234",
      followUpTo: "CTL-001",
      updatedAt: "2026-04-14T19:00:00Z",
    });
    await writeFile(file, text);
    await waitFor("the pinned text", async () =>
      (await worker("CTL-020")) &&
      stream.frames.some(
        (f) => f.event === "worker-update" && (f.data as { worker?: string }).worker === "CTL-020",
      )
        ? true
        : undefined,
    );
    const before = stream.frames.length;
    const rounds = scaled(40, 10);
    // `jq … > file`: truncate, then write, with a pause between rounds as a polling writer would.
    for (let i = 0; i < rounds; i++) {
      await writeFile(file, text);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // A marker after the rewrites: once it arrives, every rewrite has been read.
    await writeAtomic(signalPath(dir, ORCH, "CTL-002"), done("CTL-002", { fixupCommit: "marker" }));
    await waitFor("the marker", () =>
      stream.frames
        .slice(before)
        .some((f) => f.event === "worker-update" && (f.data as { worker?: string }).worker === "CTL-002"),
    );
    const ctl020 = stream.frames
      .slice(before)
      .filter((f) => f.event === "worker-update" && (f.data as { worker?: string }).worker === "CTL-020");
    expect(ctl020).toEqual([]);
  });
});

describe("briefings (real monitor bin)", () => {
  it("DASHBOARD.md is listed in the snapshot and served raw by /api/briefing; a new wave briefing appears live", async () => {
    const snap = (await snapshot(monitor.url)) as unknown as {
      orchestrators: Array<{ id: string; briefings: Array<{ name: string }> }>;
    };
    expect(snap.orchestrators.find((o) => o.id === ORCH)?.briefings.map((b) => b.name)).toEqual([
      "DASHBOARD.md",
    ]);
    const body = await getJson<{ markdown: string }>(`${monitor.url}api/briefing?orchestrator=${ORCH}`);
    expect(body.markdown).toContain("<img src=x onerror=alert(1)>"); // sanitising is the renderer's job
    await writeFile(join(dir, "runs", ORCH, "wave-2-briefing.md"), "## Wave 2");
    await waitFor("the wave briefing", async () => {
      const got = await getJson<{ markdown: string }>(
        `${monitor.url}api/briefing?orchestrator=${ORCH}&wave=2`,
      ).catch(() => null);
      return got?.markdown === "## Wave 2" ? true : undefined;
    });
  });
});
