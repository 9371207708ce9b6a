// GitHub under fault. The monitor bin has no flag for the GitHub API URL, so these cases wire the
// same real parts its main does (source watcher, fuse, the Octokit PR poller, liveness, SSE hub,
// Hono app, a real socket) with the PR poller pointed at the pollers package's fake GitHub server,
// and read the result over HTTP. "Token absent" runs the real bin.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, createMonitor, listenApp } from "../apps/monitor/src/index.ts";
import { createFuse } from "../packages/fuse/src/index.ts";
import { createLivenessPoller, createPrPoller, systemClock } from "../packages/pollers/src/index.ts";
import { createSourceWatcher, readEvents } from "../packages/sources/src/index.ts";
import { createSseHub } from "../packages/sse-server/src/index.ts";
import { type FakeCheck, type FakeGithub, startFakeGithub } from "../packages/test-utils/src/fake-github.ts";
import {
  type Health,
  health,
  killAll,
  openStream,
  removeDir,
  type Stream,
  signalPath,
  snapshot,
  startMonitor,
  tempDir,
  waitFor,
  workerOf,
  writeAtomic,
  writeFleet,
} from "./support.ts";

const TOKEN = "ghp_fault-suite-not-a-real-token";
const ORCH = "orch-f00";
const PRS = [1, 2, 3];
const passing: FakeCheck[] = [{ __typename: "CheckRun", status: "COMPLETED", conclusion: "SUCCESS" }];
const failing: FakeCheck[] = [{ __typename: "CheckRun", status: "COMPLETED", conclusion: "FAILURE" }];

let root: string;
let dir: string;
let github: FakeGithub;
let url: string;
let stream: Stream;
let prPoller: ReturnType<typeof createPrPoller>;
const stops: Array<() => Promise<void>> = [];

function prSignal(n: number): string {
  // Older than any merge below: a merge turns statuses not newer than it into "merged".
  const now = "2026-04-14T19:00:00Z";
  return `${JSON.stringify({
    ticket: `CTL-00${n}`,
    orchestrator: ORCH,
    status: "pr-created",
    phase: 5,
    startedAt: "2026-04-14T18:37:51Z",
    updatedAt: now,
    pr: { number: n, url: `https://github.com/acme/api/pull/${n}` },
    pid: null,
  })}\n`;
}

/** Waits until every PR's worker shows `ci` (and `state`), read over HTTP. */
async function expectPrs(ci: string, state = "open", what = `PRs ${ci}`): Promise<void> {
  await waitFor(what, async () => {
    const snap = await snapshot(url);
    return PRS.every((n) => {
      const pr = workerOf(snap, ORCH, `CTL-00${n}`)?.pr;
      return pr?.ciStatus === ci && pr.state === state;
    });
  });
}

beforeAll(async () => {
  root = await tempDir("github");
  dir = join(root, "catalyst");
  await writeFleet(dir, 1, 0);
  for (const n of PRS) await writeAtomic(signalPath(dir, ORCH, `CTL-00${n}`), prSignal(n));
  github = await startFakeGithub(TOKEN);
  stops.push(() => github.close());
  for (const n of PRS) github.setPr({ repo: "acme/api", number: n, state: "OPEN", checks: passing });

  const fuse = createFuse({ idBase: Date.now() * 1000 });
  const watcher = createSourceWatcher({ catalystDir: dir });
  prPoller = createPrPoller({
    token: TOKEN,
    baseUrl: github.url,
    intervalMs: 60_000, // the tests poll on demand
    backoffUnitMs: 5,
    minQueryGapMs: 0,
    requestTimeoutMs: 1_500,
    maxInlineWaitSec: 2,
    maxBackoffMs: 60_000,
  });
  const liveness = createLivenessPoller({ clock: systemClock });
  const hub = createSseHub(fuse);
  let port = 0;
  const app = createApp({
    feed: fuse,
    hub,
    catalystDir: dir,
    publicDir: fileURLToPath(new URL("../apps/monitor/dist/public/", import.meta.url)),
    access: { host: "127.0.0.1", port: () => port, token: null },
    readEvents,
    health: { sources: watcher.health, github: prPoller.health, liveness: liveness.health },
  });
  const listening = await listenApp(app, { host: "127.0.0.1", port: 0 });
  port = listening.port;
  url = `http://127.0.0.1:${port}/`;
  const monitor = createMonitor(
    { fuse, watcher, prPoller, liveness, clock: systemClock },
    { onSnapshotTimer: () => hub.broadcastSnapshot() },
  );
  await monitor.start();
  stops.unshift(
    async () => hub.close(),
    () => listening.close(),
    () => monitor.stop(),
  );
  stream = openStream(url);
  await waitFor("the first PR requests", () => github.requests.length > 0);
  await expectPrs("passing");
});

afterAll(async () => {
  stream?.close();
  for (const stop of stops) await stop().catch(() => {});
  killAll();
  await removeDir(root);
});

const githubHealth = async (): Promise<Health["pollers"]["github"]> => (await health(url)).pollers.github;

describe("GitHub under fault (real PR poller against a fake GitHub)", () => {
  it("429 and 403 rate limits: the poll waits them out and the next answer still arrives", async () => {
    const before = github.requests.length;
    github.failNext(
      { kind: "secondary", status: 429, retryAfterSec: 1 },
      { kind: "rate-limit", resetInSec: 1 },
    );
    for (const n of PRS) github.setPr({ repo: "acme/api", number: n, state: "OPEN", checks: failing });
    await prPoller.pollNow().catch(() => []);
    await waitFor("a poll after the rate limits", async () => {
      await prPoller.pollNow().catch(() => []);
      const snap = await snapshot(url);
      return PRS.every((n) => workerOf(snap, ORCH, `CTL-00${n}`)?.pr?.ciStatus === "failing");
    });
    const faults = github.requests.slice(before).map((r) => r.fault);
    expect(faults).toContain("secondary");
    expect(faults).toContain("rate-limit");
    expect(stream.frames.some((f) => f.event === "pr-update")).toBe(true);
  });

  it("a 5xx storm and a hung request: last known PR state kept, then recovery", async () => {
    github.failNext(...Array.from({ length: 12 }, () => ({ kind: "status" as const, status: 502 })), {
      kind: "hang",
    });
    await prPoller.pollNow().catch(() => []);
    await waitFor("the failure to reach health", async () => (await githubHealth()).lastError !== null);
    const snap = await snapshot(url);
    for (const n of PRS) {
      const pr = workerOf(snap, ORCH, `CTL-00${n}`)?.pr;
      expect(pr?.ciStatus, `PR ${n}`).toBe("failing"); // nothing lost
    }
    for (const n of PRS)
      github.setPr({
        repo: "acme/api",
        number: n,
        state: "MERGED",
        mergedAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        checks: passing,
      });
    await waitFor("recovery after the storm", async () => {
      await prPoller.pollNow().catch(() => []);
      const s = await snapshot(url);
      return PRS.every((n) => workerOf(s, ORCH, `CTL-00${n}`)?.pr?.state === "merged");
    });
    const s = await snapshot(url);
    for (const n of PRS) expect(workerOf(s, ORCH, `CTL-00${n}`)?.status).toBe("merged");
  });

  it("a revoked token: 401s are reported in health, the fleet and its PRs stay, nothing is printed", async () => {
    // Open PRs again (new numbers), so the poller has something to ask for.
    const more = [4, 5];
    for (const n of more) {
      github.setPr({ repo: "acme/api", number: n, state: "OPEN", checks: passing });
      await writeAtomic(signalPath(dir, ORCH, `CTL-00${n}`), prSignal(n));
    }
    await waitFor("the new PRs to be polled", async () => {
      await prPoller.pollNow().catch(() => []);
      const snap = await snapshot(url);
      return more.every((n) => workerOf(snap, ORCH, `CTL-00${n}`)?.pr?.ciStatus === "passing");
    });
    github.failNext(...Array.from({ length: 20 }, () => ({ kind: "unauthorized" as const })));
    await prPoller.pollNow().catch(() => []);
    const h = await waitFor("the 401 in health", async () => {
      const g = await githubHealth();
      return g.lastError !== null && /401|credential|unauthori[sz]ed|token/i.test(g.lastError)
        ? g
        : undefined;
    });
    expect(h.lastError).not.toContain(TOKEN);
    const snap = await snapshot(url);
    for (const n of more) expect(workerOf(snap, ORCH, `CTL-00${n}`)?.pr?.ciStatus).toBe("passing");
    for (const n of PRS) expect(workerOf(snap, ORCH, `CTL-00${n}`)?.status).toBe("merged");
  });

  it("token absent (real bin): PR polling is off and says why; the fleet is served", async () => {
    const run = await startMonitor(dir, { env: { GITHUB_TOKEN: "", GH_TOKEN: "" } });
    try {
      const g = (await health(run.url)).pollers.github;
      expect(g.enabled).toBe(false);
      expect(g.reason).toMatch(/GITHUB_TOKEN|GH_TOKEN|gh/);
      const snap = await snapshot(run.url);
      expect(Object.keys(snap.orchestrators[0]?.workers ?? {}).length).toBeGreaterThanOrEqual(PRS.length);
      expect(run.stderr()).toContain("PR polling disabled");
    } finally {
      await run.stop();
    }
  });
});
