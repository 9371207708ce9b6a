import type { PrStatus } from "@catalyst/schema";
import { type FakeGithub, startFakeGithub } from "@catalyst/test-utils/fake-github";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { waitUntil } from "./child-process.test-helper.js";
import { createPrPoller, type PrPoller, type PrPollerOptions } from "./index.js";

const TOKEN = "ghp_testTokenValue0123456789abcdefABCDEF";
let github: FakeGithub;
const pollers: PrPoller[] = [];
beforeEach(async () => {
  github = await startFakeGithub(TOKEN);
});
afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
  await github.close();
});

function poller(options: Partial<PrPollerOptions> = {}): PrPoller {
  const p = createPrPoller({
    token: TOKEN,
    baseUrl: github.url,
    backoffUnitMs: 5,
    minQueryGapMs: 0,
    requestTimeoutMs: 2_000,
    ...options,
  });
  pollers.push(p);
  return p;
}
const byNumber = (list: PrStatus[], n: number) => list.find((s) => s.number === n);

describe("without a usable token", () => {
  it("is disabled and says why, never throws, sends nothing", async () => {
    const p = createPrPoller({ token: null, baseUrl: github.url });
    p.track([{ repo: "acme/api", number: 1 }]);
    p.start();
    expect(await p.pollNow()).toEqual([]);
    await p.stop();
    expect(p.health()).toMatchObject({ enabled: false, nextRunAt: null });
    expect(p.health().reason).toMatch(/GITHUB_TOKEN/);
    expect(github.requests).toHaveLength(0);
  });

  it("disables itself on 401 with a clear reason and stops asking", async () => {
    const p = poller();
    p.track([{ repo: "acme/api", number: 1 }]);
    github.failNext({ kind: "unauthorized" });
    await p.pollNow();
    expect(p.health()).toMatchObject({ enabled: false });
    expect(p.health().reason).toMatch(/401/);
    await p.pollNow();
    p.start();
    expect(github.requests).toHaveLength(1);
    expect(JSON.stringify(p.health())).not.toContain(TOKEN);
  });
});

describe("polling", () => {
  beforeEach(() => {
    github.setPr({
      repo: "acme/api",
      number: 7,
      state: "OPEN",
      reviewDecision: "APPROVED",
      title: "Add rate limits",
      checks: [
        { __typename: "CheckRun", status: "COMPLETED", conclusion: "SUCCESS" },
        { __typename: "StatusContext", state: "SUCCESS" },
      ],
    });
    github.setPr({
      repo: "acme/api",
      number: 8,
      state: "OPEN",
      isDraft: true,
      mergeable: "CONFLICTING",
      rollupState: "FAILURE",
      checks: [
        { __typename: "CheckRun", status: "COMPLETED", conclusion: "FAILURE" },
        { __typename: "CheckRun", status: "IN_PROGRESS", conclusion: null },
      ],
    });
    github.setPr({ repo: "acme/web", number: 3, state: "MERGED", mergedAt: "2026-11-24T09:30:00Z" });
  });

  it("answers many PRs in one request, with state, CI rollup, review, draft and mergeable", async () => {
    const now = new Date("2026-11-24T12:00:00.000Z");
    const p = poller({ clock: { now: () => now } });
    const seen: PrStatus[][] = [];
    p.subscribe((s) => seen.push(s));
    p.track([
      { repo: "acme/api", number: 7 },
      { repo: "acme/api", number: 8 },
      { repo: "acme/web", number: 3 },
    ]);
    const statuses = await p.pollNow();
    expect(github.requests).toHaveLength(1);
    expect(github.requests[0]?.prs).toEqual(["acme/api#7", "acme/api#8", "acme/web#3"]);
    expect(byNumber(statuses, 7)).toEqual({
      repo: "acme/api",
      number: 7,
      state: "open",
      ciStatus: "passing",
      mergedAt: null,
      reviewDecision: "APPROVED",
      isDraft: false,
      mergeable: "MERGEABLE",
      url: "https://github.com/acme/api/pull/7",
      title: "Add rate limits",
      checkedAt: now.toISOString(),
      stale: false,
    });
    // §5.8.4: a pending item wins over a failing one.
    expect(byNumber(statuses, 8)).toMatchObject({
      ciStatus: "pending",
      isDraft: true,
      mergeable: "CONFLICTING",
    });
    expect(byNumber(statuses, 3)).toMatchObject({
      state: "merged",
      ciStatus: "merged",
      mergedAt: "2026-11-24T09:30:00Z",
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toHaveLength(3);
    expect(p.health()).toMatchObject({ enabled: true, reason: null, lastSuccessAt: now.toISOString() });
    expect(github.requests[0]).toMatchObject({ path: "/graphql", authorization: `token ${TOKEN}` });
  });

  it("stops polling merged PRs, and notifies only changes", async () => {
    const p = poller();
    const seen: PrStatus[][] = [];
    p.subscribe((s) => seen.push(s));
    p.track([
      { repo: "acme/api", number: 7 },
      { repo: "acme/api", number: 8 },
      { repo: "acme/web", number: 3 },
    ]);
    await p.pollNow();
    await p.pollNow();
    expect(github.requests[1]?.prs).toEqual(["acme/api#7", "acme/api#8"]);
    expect(seen).toHaveLength(1);

    github.setPr({ repo: "acme/api", number: 8, state: "CLOSED" });
    const after = await p.pollNow();
    expect(seen[1]).toEqual([expect.objectContaining({ number: 8, state: "closed", ciStatus: "pending" })]);
    // The merged PR is still answered from memory.
    expect(byNumber(after, 3)).toMatchObject({ state: "merged" });
    await p.pollNow();
    expect(github.requests.at(-1)?.prs).toEqual(["acme/api#7"]);
    expect(p.stats().polled).toBe(1);
  });

  it("reports a PR GitHub cannot resolve as unknown without losing the others", async () => {
    const p = poller();
    p.track([
      { repo: "acme/api", number: 7 },
      { repo: "acme/gone", number: 99 },
    ]);
    const statuses = await p.pollNow();
    expect(byNumber(statuses, 99)).toMatchObject({ state: "unknown", ciStatus: "unknown", stale: false });
    expect(byNumber(statuses, 7)).toMatchObject({ state: "open", ciStatus: "passing" });
  });

  it("finds GraphQL at /api/graphql on GitHub Enterprise Server", async () => {
    const p = poller({ baseUrl: `${github.url}/api/v3` });
    p.track([{ repo: "acme/api", number: 7 }]);
    const [status] = await p.pollNow();
    expect(status).toMatchObject({ state: "open", ciStatus: "passing" });
    expect(github.requests.map((r) => r.path)).toEqual(["/api/graphql"]);
  });

  it("forgets PRs that are no longer tracked", async () => {
    const p = poller();
    p.track([{ repo: "acme/api", number: 7 }]);
    expect(await p.pollNow()).toHaveLength(1);
    p.track([]);
    expect(await p.pollNow()).toEqual([]);
    expect(p.stats().polled).toBe(0);
    expect(github.requests).toHaveLength(1);
  });

  it("does nothing while no PR needs polling", async () => {
    const p = poller();
    expect(await p.pollNow()).toEqual([]);
    p.track([{ repo: "acme/web", number: 3 }]);
    await p.pollNow();
    await p.pollNow();
    expect(github.requests).toHaveLength(1);
  });
});

describe("cost per tick (the batching claim)", () => {
  it("polls 200 open PRs in 2 requests per tick and drops merged ones from the query", async () => {
    const refs = Array.from({ length: 200 }, (_, i) => ({ repo: `acme/svc-${i % 5}`, number: 1000 + i }));
    for (const ref of refs) github.setPr({ ...ref, state: "OPEN", checks: [] });
    const p = poller();
    p.track(refs);

    const first = await p.pollNow();
    expect(first).toHaveLength(200);
    expect(github.requests).toHaveLength(2);
    expect(github.requests.map((r) => r.prs.length)).toEqual([100, 100]);
    expect(p.stats().rateLimit?.cost).toBe(2);
    expect(first.every((s) => s.ciStatus === "pending")).toBe(true);

    for (const ref of refs.slice(0, 150)) github.setPr({ ...ref, state: "MERGED" });
    await p.pollNow();
    expect(github.requests).toHaveLength(4);
    await p.pollNow();
    expect(github.requests).toHaveLength(5);
    expect(github.requests.at(-1)?.prs).toHaveLength(50);
    expect(p.stats()).toMatchObject({ requests: 5, polls: 3, polled: 50, points: 9 });
  });
});

describe("faults", () => {
  beforeEach(() => {
    github.setPr({ repo: "acme/api", number: 7, state: "OPEN", checks: [] });
  });
  async function primed(options: Partial<PrPollerOptions> = {}) {
    const p = poller(options);
    const seen: PrStatus[][] = [];
    p.subscribe((s) => seen.push(s));
    p.track([{ repo: "acme/api", number: 7 }]);
    const [fresh] = await p.pollNow();
    github.requests.length = 0;
    return { p, seen, fresh: fresh as PrStatus };
  }

  it("retries 5xx through Octokit's retry plugin and succeeds", async () => {
    const { p } = await primed();
    github.failNext({ kind: "status", status: 502 }, { kind: "status", status: 502 });
    const [status] = await p.pollNow();
    expect(github.requests.map((r) => r.fault)).toEqual(["status", "status", null]);
    expect(status?.stale).toBe(false);
    expect(p.health().reason).toBeNull();
  });

  it("keeps last known data marked stale when retries run out, then recovers", async () => {
    const { p, seen, fresh } = await primed({ retries: 1 });
    github.failNext({ kind: "status", status: 502 }, { kind: "status", status: 503 });
    const [stale] = await p.pollNow();
    expect(github.requests).toHaveLength(2);
    expect(stale).toEqual({ ...fresh, stale: true });
    expect(seen.at(-1)).toEqual([{ ...fresh, stale: true }]);
    expect(p.health()).toMatchObject({ enabled: true });
    expect(p.health().lastError).toMatch(/503|Bad Gateway|Service/i);
    expect(p.health().reason).toMatch(/1 failed poll/);

    const [again] = await p.pollNow();
    expect(again?.stale).toBe(false);
    expect(seen.at(-1)).toEqual([expect.objectContaining({ stale: false })]);
    expect(p.health().reason).toBeNull();
  });

  it("times out a hung request and retries it", async () => {
    const { p } = await primed({ requestTimeoutMs: 750, retries: 1 });
    github.failNext({ kind: "hang" });
    const [status] = await p.pollNow();
    expect(github.requests.map((r) => r.fault)).toEqual(["hang", null]);
    expect(status?.stale).toBe(false);
  });

  it("reports a timeout when every attempt hangs", async () => {
    const { p } = await primed({ requestTimeoutMs: 100, retries: 0 });
    github.failNext({ kind: "hang" });
    const [status] = await p.pollNow();
    expect(status?.stale).toBe(true);
    expect(p.health().lastError).toMatch(/did not answer within 100 ms/);
  });

  it("honours x-ratelimit-reset on a 403 rate limit: no requests until the reset", async () => {
    const { p } = await primed();
    github.failNext({ kind: "rate-limit", resetInSec: 3600 });
    const before = Date.now();
    const [status] = await p.pollNow();
    expect(status?.stale).toBe(true);
    expect(p.health().reason).toMatch(/rate limited by GitHub until/);
    await p.pollNow();
    expect(github.requests).toHaveLength(1);
    p.start();
    await waitUntil(() => p.health().nextRunAt !== null, 5_000, "the next run to be scheduled");
    const nextRun = Date.parse(p.health().nextRunAt ?? "");
    expect(nextRun).toBeGreaterThan(before + 3_590_000);
    expect(nextRun).toBeLessThan(Date.now() + 3_610_000);
    expect(github.requests).toHaveLength(1);
  });

  it("honours a GraphQL RATE_LIMITED answer the same way", async () => {
    const { p } = await primed();
    github.failNext({ kind: "graphql-rate-limited", resetInSec: 1800 });
    const [status] = await p.pollNow();
    expect(status?.stale).toBe(true);
    expect(p.health().reason).toMatch(/rate limited/);
    await p.pollNow();
    expect(github.requests).toHaveLength(1);
  });

  it("waits out a short retry-after on 429 (secondary limit) inside the poll", async () => {
    const { p } = await primed();
    github.failNext({ kind: "secondary", status: 429, retryAfterSec: 1 });
    const [status] = await p.pollNow();
    expect(github.requests.map((r) => r.fault)).toEqual(["secondary", null]);
    expect(status?.stale).toBe(false);
  });

  it("defers a long retry-after on a 403 secondary limit to the next allowed time", async () => {
    const { p } = await primed();
    github.failNext({ kind: "secondary", status: 403, retryAfterSec: 120 });
    const [status] = await p.pollNow();
    expect(status?.stale).toBe(true);
    expect(github.requests).toHaveLength(1);
    expect(p.health().reason).toMatch(/rate limited/);
  });

  it("treats an unexpected 304 as a failed poll, not a crash", async () => {
    const { p } = await primed({ retries: 0 });
    github.failNext({ kind: "not-modified" });
    const [status] = await p.pollNow();
    expect(status?.stale).toBe(true);
    expect(p.health().lastError).toMatch(/304|Not modified/i);
  });

  it("never puts the token in its health, whatever failed", async () => {
    const { p } = await primed({ retries: 0, requestTimeoutMs: 100 });
    for (const fault of [
      { kind: "status", status: 500 },
      { kind: "hang" },
      { kind: "not-modified" },
      { kind: "unauthorized" },
    ] as const) {
      github.failNext(fault);
      await p.pollNow();
      expect(JSON.stringify(p.health())).not.toContain(TOKEN);
    }
  });
});

describe("start and stop", () => {
  beforeEach(() => {
    github.setPr({ repo: "acme/api", number: 7, state: "OPEN", checks: [] });
  });

  it("polls at once and then on its interval, and stop() ends it", async () => {
    const p = poller({ intervalMs: 30 });
    p.track([{ repo: "acme/api", number: 7 }]);
    p.start();
    await waitUntil(() => github.requests.length >= 2, 10_000, "two polls");
    expect(p.health().nextRunAt).not.toBeNull();
    await p.stop();
    expect(p.health().nextRunAt).toBeNull();
  });

  it("polls at once when the first PRs arrive after start()", async () => {
    const p = poller({ intervalMs: 600_000 });
    p.start();
    await waitUntil(() => p.health().nextRunAt !== null, 5_000, "the idle first tick");
    p.track([{ repo: "acme/api", number: 7 }]);
    await waitUntil(() => p.health().lastSuccessAt !== null, 5_000, "the early poll");
    expect(github.requests).toHaveLength(1);
    p.track([
      { repo: "acme/api", number: 7 },
      { repo: "acme/api", number: 8 },
    ]);
    await p.pollNow();
    // Later additions wait for the regular tick (pollNow above is the only other request).
    expect(github.requests).toHaveLength(2);
  });

  it("stop() aborts a hung request at once", async () => {
    const p = poller({ requestTimeoutMs: 60_000 });
    p.track([{ repo: "acme/api", number: 7 }]);
    github.failNext({ kind: "hang" });
    p.start();
    await waitUntil(() => github.requests.length === 1, 5_000, "the hung request");
    const began = Date.now();
    await p.stop();
    expect(Date.now() - began).toBeLessThan(2_000);
    expect(github.requests).toHaveLength(1);
    expect(p.health().lastError).toBeNull();
  });
});
