import type { Delta, NeedsYouItem, Snapshot, WorkerView } from "@catalyst/schema";
import { describe, expect, it } from "vitest";
import { createNotifier, createTestAlert, NotifyOptionsError, parseOptInKinds } from "./index.js";
import type { Alert } from "./types.js";

// Every test drives the engine with plain deltas and an explicit clock: no timers, no sleeps.

const T0 = Date.parse("2026-12-07T09:00:00Z");
let id = 0;

function row(
  worker: string | null,
  reason: NeedsYouItem["reason"] = "failed",
  orchestrator = "orch-a",
): NeedsYouItem {
  return {
    orchestrator,
    worker,
    reason,
    message: `${worker ?? orchestrator} ${reason}: exit 1`,
    since: null,
  };
}

function needs(added: NeedsYouItem[], removed: NeedsYouItem[] = []): Delta {
  id += 1;
  return { id, event: "needs-you", data: { ts: new Date(T0).toISOString(), added, changed: [], removed } };
}

function workerView(ticket: string, pr: Partial<NonNullable<WorkerView["pr"]>> | null): WorkerView {
  return {
    orchestrator: "orch-a",
    ticket,
    title: null,
    label: null,
    status: "pr-open",
    phase: 5,
    wave: 1,
    pid: null,
    alive: null,
    pr:
      pr === null
        ? null
        : {
            number: 7,
            url: "https://github.com/o/r/pull/7",
            repo: "o/r",
            state: "open",
            ciStatus: "pending",
            openedAt: null,
            mergedAt: null,
            reviewDecision: null,
            isDraft: null,
            mergeable: null,
            title: "Fix it",
            checkedAt: null,
            stale: false,
            ...pr,
          },
    startedAt: null,
    updatedAt: null,
    completedAt: null,
    lastHeartbeat: null,
    phaseTimestamps: {},
    cost: null,
    error: null,
    fixupCommit: null,
    followUpTo: null,
    needsAttention: false,
    attentionReason: null,
    corrupt: null,
    warnings: [],
    sources: ["signal"],
  };
}

function prUpdate(w: WorkerView): Delta {
  id += 1;
  return {
    id,
    event: "pr-update",
    data: {
      orchestrator: w.orchestrator,
      worker: w.ticket,
      pr: w.pr!.number,
      ciStatus: w.pr!.ciStatus,
      state: w.pr!.state,
      mergedAt: w.pr!.mergedAt,
      ts: new Date(T0).toISOString(),
      workerState: w,
    },
  };
}

function emptySnapshot(needsYou: NeedsYouItem[] = []): Snapshot {
  return { generatedAt: new Date(T0).toISOString(), orchestrators: [], needsYou, sourceErrors: [] };
}

describe("hold-down", () => {
  it("alerts once for a failure that lasts, after the hold-down and not before", () => {
    const n = createNotifier({ holdMs: 5_000, dashboardUrl: "http://127.0.0.1:7400/" });
    expect(n.apply([needs([row("CTL-1")])], T0)).toEqual([]);
    expect(n.nextDeadline()).toBe(T0 + 5_000);
    expect(n.tick(T0 + 4_999)).toEqual([]);
    const [alert, ...rest] = n.tick(T0 + 5_000);
    expect(rest).toEqual([]);
    expect(alert).toMatchObject({
      kind: "failed",
      state: "firing",
      severity: "critical",
      incident: "failed|orch-a|CTL-1",
      title: "CTL-1 failed · orch-a",
      message: "CTL-1 failed: exit 1",
      orchestrator: "orch-a",
      worker: "CTL-1",
      url: "http://127.0.0.1:7400/?orch=orch-a&worker=CTL-1",
      at: new Date(T0 + 5_000).toISOString(),
      count: 1,
    });
    // Still failing a minute later: the open incident is not repeated.
    expect(n.tick(T0 + 60_000)).toEqual([]);
    expect(n.apply([needs([row("CTL-1")])], T0 + 61_000)).toEqual([]);
    expect(n.stats()).toMatchObject({ alertsSent: 1, openIncidents: 1, pending: 0 });
  });

  it("sends nothing for a failure that clears inside the hold-down", () => {
    const n = createNotifier({ holdMs: 5_000, resolved: true });
    n.apply([needs([row("CTL-1")])], T0);
    n.apply([needs([], [row("CTL-1")])], T0 + 3_000);
    expect(n.tick(T0 + 60_000)).toEqual([]);
    expect(n.nextDeadline()).toBeNull();
    expect(n.stats()).toMatchObject({ alertsSent: 0, suppressed: 1, openIncidents: 0 });
  });

  it("with hold 0 alerts from apply itself", () => {
    const n = createNotifier({ holdMs: 0 });
    expect(n.apply([needs([row("CTL-1")])], T0)).toHaveLength(1);
  });
});

describe("correlation", () => {
  it("makes one alert counting 50 workers of one orchestrator dying together", () => {
    const n = createNotifier();
    const rows = Array.from({ length: 50 }, (_, i) => row(`CTL-${i}`, "dead"));
    // They die over two seconds, in several batches, as their pids are found gone.
    for (let i = 0; i < 50; i += 5) n.apply([needs(rows.slice(i, i + 5))], T0 + i * 40);
    const alerts = [...n.tick(T0 + 5_000), ...n.tick(T0 + 10_000), ...n.tick(T0 + 60_000)];
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      kind: "dead",
      count: 50,
      worker: null,
      title: "50 workers of orch-a died",
      url: null,
    });
    expect(alerts[0]!.message).toMatch(/^CTL-0, CTL-1, CTL-10, CTL-11, CTL-12 and 45 more: /);
    // One more dies 20 s later: counted into the open incident, no second message.
    n.apply([needs([row("CTL-99", "dead")])], T0 + 20_000);
    expect(n.tick(T0 + 30_000)).toEqual([]);
    expect(n.stats()).toMatchObject({ alertsSent: 1, correlated: 1, openIncidents: 1 });
    // After the window a new failure is a new incident.
    n.apply([needs([row("CTL-100", "dead")])], T0 + 120_000);
    expect(n.tick(T0 + 125_000)).toHaveLength(1);
  });

  it("ends a fleet's hold-downs a bounded number at a time, with the alerts of one pass", () => {
    // 2,000 stalled workers in 100 orchestrators, all seen at one start: their hold-downs end in
    // the same millisecond. One tick handles at most `duePerTick` of them (issue 26: 8,000 in
    // one tick held the event loop for tens of ms); the caller ticks again while one is due.
    const rows: NeedsYouItem[] = [];
    for (let o = 0; o < 100; o++)
      for (let w = 0; w < 20; w++) rows.push(row(`T-${o}-${w}`, "stalled", `orch-${o}`));
    const whole = createNotifier({ duePerTick: 1_000_000 });
    whole.apply([needs(rows)], T0);
    const inOnePass = whole.tick(T0 + 5_000);
    const bounded = createNotifier({ duePerTick: 300 });
    bounded.apply([needs(rows)], T0);
    const passes: number[] = [];
    const alerts = [];
    for (let now = T0 + 5_000; bounded.nextDeadline() !== null && bounded.nextDeadline()! <= now; now += 1) {
      const some = bounded.tick(now);
      passes.push(some.length);
      alerts.push(...some);
    }
    // 2,000 timers at 300 a tick: 7 ticks; each fires the incidents of the orchestrators it reached.
    expect(passes).toHaveLength(7);
    expect(inOnePass).toHaveLength(100);
    expect(alerts.map((a) => [a.title, a.count])).toEqual(inOnePass.map((a) => [a.title, a.count]));
    expect(bounded.stats()).toMatchObject({ alertsSent: 100, openIncidents: 100, pending: 0 });
    expect(() => createNotifier({ duePerTick: 0 })).toThrow(NotifyOptionsError);
  });

  it("seeds in parts to the same conditions and alerts as in one call", () => {
    const rows = Array.from({ length: 95 }, (_, i) => row(`T-${i}`, "stalled", `orch-${i % 7}`));
    const snapshot = { generatedAt: "", orchestrators: [], needsYou: rows, sourceErrors: [] } as Snapshot;
    const whole = createNotifier({ holdMs: 0 });
    const once = whole.seed(snapshot, T0);
    const parted = createNotifier({ holdMs: 0 });
    const parts = parted.seedInParts(snapshot, T0, 10);
    const steps: Alert[][] = [];
    for (let next = parts.next(); !next.done; next = parts.next()) steps.push(next.value);
    // 95 rows in parts of 10: 9 empty steps, then the 95th row, the tick and its 7 alerts.
    expect(steps).toHaveLength(10);
    expect(steps.slice(0, -1).every((step) => step.length === 0)).toBe(true);
    expect(steps.at(-1)!.map((a) => [a.title, a.count])).toEqual(once.map((a) => [a.title, a.count]));
    expect(parted.stats()).toEqual(whole.stats());
  });

  it("seeds in parts that follow its rows and PRs, not the workers with neither (counted)", () => {
    const orchestrator = (id: string, workers: WorkerView[]) =>
      ({
        id,
        status: "active",
        waves: [],
        workers: Object.fromEntries(workers.map((w) => [w.ticket, w])),
      }) as never;
    const idle = Array.from({ length: 50 }, (_, i) => workerView(`T-${i}`, null));
    const failing = workerView("T-PR", { ciStatus: "failing" });
    const snapshot = emptySnapshot([row("T-1", "stalled"), row("T-2", "stalled"), row("T-3", "stalled")]);
    snapshot.orchestrators.push(orchestrator("orch-a", [...idle, failing]), orchestrator("orch-b", idle));
    const steps = (n: ReturnType<typeof createNotifier>) => {
      const parts = n.seedInParts(snapshot, T0, 10);
      let count = 0;
      for (let next = parts.next(); !next.done; next = parts.next()) count += 1;
      return count;
    };
    // Parts of 10: two orchestrators, the one worker with a PR and three rows are 6, so the seed
    // is one step (the tick); the 101 idle workers are passed by.
    const fresh = createNotifier({ holdMs: 0 });
    expect(steps(fresh)).toBe(1);
    expect(fresh.stats()).toMatchObject({ pending: 0, openIncidents: 2 });
    // An earlier run's CI incident may need clearing: then every worker is looked at (52 units,
    // a step; 51, a step; the tick).
    const first = createNotifier({ holdMs: 0 });
    first.apply([prUpdate(workerView("T-7", { ciStatus: "failing" }))], T0);
    first.tick(T0);
    const restarted = createNotifier({ holdMs: 0 });
    restarted.restore(first.openIncidents(), T0);
    expect(steps(restarted)).toBe(3);
  });

  it("counts a central monitor's workers per host, across its orchestrators", () => {
    const n = createNotifier();
    const orchUpdate = (id: string, host: string): Delta => ({
      id: 1,
      event: "orchestrator-update",
      data: { orchestrator: id, ts: new Date(T0).toISOString(), orchestratorState: { id, host } as never },
    });
    n.apply(
      [orchUpdate("alpha/o1", "alpha"), orchUpdate("alpha/o2", "alpha"), orchUpdate("beta/o3", "beta")],
      T0,
    );
    n.apply(
      [needs([row("A", "dead", "alpha/o1"), row("B", "dead", "alpha/o2"), row("C", "dead", "beta/o3")])],
      T0,
    );
    const alerts = n.tick(T0 + 5_000);
    expect(alerts.map((a) => [a.title, a.count, a.host, a.orchestrator]).sort()).toEqual([
      ["2 workers of host alpha died", 2, "alpha", null],
      ["C died (its process is gone) · beta/o3", 1, "beta", "beta/o3"],
    ]);
  });

  it("keeps kinds and orchestrators apart", () => {
    const n = createNotifier();
    n.apply([needs([row("A", "failed"), row("B", "stalled"), row("C", "failed", "orch-b")])], T0);
    const alerts = n.tick(T0 + 5_000);
    expect(alerts.map((a) => a.incident).sort()).toEqual([
      "failed|orch-a|A",
      "failed|orch-b|C",
      "stalled|orch-a|B",
    ]);
  });
});

describe("flapping and resolution", () => {
  it("never alerts for a worker that flaps faster than the hold-down", () => {
    const n = createNotifier({ holdMs: 5_000, resolved: true });
    const out = [];
    for (let t = 0; t < 120_000; t += 4_000) {
      out.push(...n.apply([needs([row("CTL-1", "dead")])], T0 + t));
      out.push(...n.tick(T0 + t + 2_000));
      out.push(...n.apply([needs([], [row("CTL-1", "dead")])], T0 + t + 2_000));
    }
    out.push(...n.tick(T0 + 600_000));
    expect(out).toEqual([]);
    expect(n.stats().suppressed).toBe(30);
  });

  it("keeps one incident for a worker that flaps slower than the hold-down", () => {
    const n = createNotifier({ holdMs: 5_000, resolved: true });
    const out = [];
    for (let t = 0; t < 120_000; t += 10_000) {
      out.push(...n.apply([needs([row("CTL-1", "dead")])], T0 + t));
      out.push(...n.tick(T0 + t + 8_000));
      out.push(...n.apply([needs([], [row("CTL-1", "dead")])], T0 + t + 8_000));
    }
    expect(out.map((a) => a.state)).toEqual(["firing"]);
    // Clear for the clear hold (30 s): one resolved message.
    const resolved = n.tick(T0 + 118_000 + 30_000);
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({ state: "resolved", incident: "dead|orch-a|CTL-1", severity: "info" });
  });

  it("sends no resolved message unless asked", () => {
    const n = createNotifier();
    n.apply([needs([row("CTL-1")])], T0);
    expect(n.tick(T0 + 5_000)).toHaveLength(1);
    n.apply([needs([], [row("CTL-1")])], T0 + 10_000);
    expect(n.tick(T0 + 100_000)).toEqual([]);
    expect(n.stats().openIncidents).toBe(0);
  });

  it("resolves a correlated incident once, when its last worker is clear", () => {
    const n = createNotifier({ resolved: true });
    n.apply([needs([row("A"), row("B")])], T0);
    expect(n.tick(T0 + 5_000)).toHaveLength(1);
    n.apply([needs([], [row("A")])], T0 + 6_000);
    expect(n.tick(T0 + 60_000)).toEqual([]);
    n.apply([needs([], [row("B")])], T0 + 61_000);
    const out = n.tick(T0 + 91_000);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      state: "resolved",
      count: 2,
      title: "Resolved: 2 workers of orch-a failed",
    });
  });
});

describe("restart", () => {
  it("does not repeat an incident that was open when the monitor stopped", () => {
    const first = createNotifier({ resolved: true });
    first.apply([needs([row("CTL-1"), row("CTL-2", "attention")])], T0);
    expect(first.tick(T0 + 5_000)).toHaveLength(2);
    // What the app persists, through JSON as on disk.
    const saved = JSON.parse(JSON.stringify(first.openIncidents()));

    const second = createNotifier({ resolved: true });
    second.restore(saved, T0 + 50_000);
    expect(second.seed(emptySnapshot([row("CTL-1"), row("CTL-2", "attention")]), T0 + 50_000)).toEqual([]);
    expect(second.tick(T0 + 500_000)).toEqual([]);
    expect(second.stats()).toMatchObject({ alertsSent: 0, openIncidents: 2 });
    // It clears later: one resolved message with the same incident key.
    second.apply([needs([], [row("CTL-1")])], T0 + 600_000);
    const out = second.tick(T0 + 700_000);
    expect(out).toMatchObject([{ state: "resolved", incident: "failed|orch-a|CTL-1" }]);
  });

  it("hands a store only the incidents that changed since the last take", () => {
    const n = createNotifier({ resolved: true });
    n.apply([needs([row("CTL-1"), row("CTL-2", "attention")])], T0);
    n.tick(T0 + 5_000);
    expect(
      n
        .takeChanges()
        .put.map((p) => p.incident)
        .sort(),
    ).toEqual(["attention|orch-a|CTL-2|CTL-2 attention: exit 1", "failed|orch-a|CTL-1"]);
    expect(n.takeChanges()).toEqual({ put: [], removed: [] });
    n.apply([needs([], [row("CTL-1")])], T0 + 10_000);
    n.tick(T0 + 100_000);
    expect(n.takeChanges()).toEqual({ put: [], removed: ["failed|orch-a|CTL-1"] });
    // What was restored is what the store holds already.
    const second = createNotifier();
    second.restore(n.openIncidents(), T0 + 100_000);
    expect(second.takeChanges()).toEqual({ put: [], removed: [] });
  });

  it("closes a restored incident whose condition is gone", () => {
    const first = createNotifier();
    first.apply([needs([row("CTL-1")])], T0);
    first.tick(T0 + 5_000);
    const second = createNotifier();
    second.restore(first.openIncidents(), T0 + 10_000);
    second.seed(emptySnapshot(), T0 + 10_000);
    expect(second.tick(T0 + 40_000)).toEqual([]);
    expect(second.stats().openIncidents).toBe(0);
    // A failure after that is new.
    second.apply([needs([row("CTL-1")])], T0 + 50_000);
    expect(second.tick(T0 + 55_000)).toHaveLength(1);
  });

  it("does not repeat a restored group when its workers are seen again", () => {
    const first = createNotifier();
    first.apply([needs(["A", "B", "C"].map((w) => row(w)))], T0);
    expect(first.tick(T0 + 5_000)).toHaveLength(1);
    const second = createNotifier();
    second.restore(first.openIncidents(), T0 + 6_000);
    second.seed(emptySnapshot(["A", "B", "C"].map((w) => row(w))), T0 + 6_000);
    expect(second.tick(T0 + 100_000)).toEqual([]);
  });
});

describe("other kinds", () => {
  it("alerts on failing CI after the hold-down and clears when it passes", () => {
    const n = createNotifier({ resolved: true });
    n.apply([prUpdate(workerView("CTL-1", { ciStatus: "failing" }))], T0);
    const [alert] = n.tick(T0 + 5_000);
    expect(alert).toMatchObject({
      kind: "ci-failing",
      severity: "warning",
      incident: "ci-failing|orch-a|CTL-1",
    });
    expect(alert!.message).toContain("PR #7 Fix it: CI failing");
    n.apply([prUpdate(workerView("CTL-1", { ciStatus: "passing" }))], T0 + 10_000);
    expect(n.tick(T0 + 40_000)).toMatchObject([{ state: "resolved" }]);
  });

  it("sends an opt-in PR merge once, and nothing when not opted in", () => {
    const merged = workerView("CTL-1", { state: "merged", ciStatus: "merged" });
    const off = createNotifier();
    expect(off.apply([prUpdate(merged)], T0)).toEqual([]);
    const on = createNotifier({ kinds: ["pr-merged"] });
    expect(on.apply([prUpdate(merged)], T0)).toMatchObject([{ kind: "pr-merged", severity: "info" }]);
    expect(on.apply([prUpdate(merged)], T0 + 1_000)).toEqual([]);
  });

  it("does not announce merges the seed snapshot already had", () => {
    const merged = workerView("CTL-1", { state: "merged", ciStatus: "merged" });
    const n = createNotifier({ kinds: ["pr-merged", "wave-completed"] });
    const snapshot = emptySnapshot();
    snapshot.orchestrators.push({
      id: "orch-a",
      workspace: "default",
      path: null,
      status: "active",
      projectKey: null,
      repository: null,
      baseBranch: null,
      startedAt: null,
      updatedAt: null,
      completedAt: null,
      lastHeartbeat: null,
      currentWave: 1,
      totalWaves: 1,
      waves: [
        { wave: 1, status: "done", tickets: ["CTL-1"], completedAt: "2026-12-07T08:00:00Z", dependsOn: [] },
      ],
      progress: { total: 1, done: 1, failed: 0, active: 0 },
      usage: null,
      attention: [],
      corrupt: null,
      briefings: [],
      sources: ["signal"],
      workers: { "CTL-1": merged },
    });
    n.seed(snapshot, T0);
    const wave: Delta = {
      id: 1,
      event: "wave-completed",
      data: {
        orchestrator: "orch-a",
        wave: 1,
        tickets: ["CTL-1"],
        ts: "2026-12-07T08:00:00Z",
        derived: true,
      },
    };
    expect(n.apply([prUpdate(merged), wave], T0 + 1_000)).toEqual([]);
  });

  it("alerts on a stale host when opted in, with the hold-down", () => {
    const hosts = (stale: boolean): Delta => ({
      id: 1,
      event: "hosts",
      data: { ts: new Date(T0).toISOString(), hosts: [{ name: "alpha", lastHeartbeat: null, stale }] },
    });
    const off = createNotifier();
    off.apply([hosts(true)], T0);
    expect(off.tick(T0 + 60_000)).toEqual([]);
    const on = createNotifier({ kinds: parseOptInKinds("host-stale") });
    on.apply([hosts(true)], T0);
    expect(on.tick(T0 + 5_000)).toMatchObject([
      { kind: "host-stale", host: "alpha", incident: "host-stale|alpha", title: "alpha went silent" },
    ]);
  });

  it("keeps an unknown needs-you reason as its kind", () => {
    const n = createNotifier();
    n.apply([needs([{ ...row("CTL-1"), reason: "needs-input" as NeedsYouItem["reason"] }])], T0);
    expect(n.tick(T0 + 5_000)).toMatchObject([
      { kind: "needs-input", severity: "critical", title: "CTL-1 needs input · orch-a" },
    ]);
  });
});

describe("options", () => {
  it("rejects bad values with a clear error", () => {
    expect(() => createNotifier({ holdMs: -1 })).toThrow(NotifyOptionsError);
    expect(() => parseOptInKinds("pr-merged,bogus")).toThrow(/bogus/);
    expect(parseOptInKinds("all")).toHaveLength(4);
  });

  it("makes a test alert", () => {
    expect(createTestAlert(T0, "http://x/")).toMatchObject({ kind: "test", url: "http://x/" });
  });
});
