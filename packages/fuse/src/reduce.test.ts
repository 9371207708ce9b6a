import type { FuseInput, WorkerView } from "@catalyst/schema";
import { describe, expect, it } from "vitest";
import { createInitialState, type DeltaDraft, type FuseState, reduce, toSnapshot } from "./index.js";
import {
  at,
  globalState,
  globalWith,
  line,
  liveness,
  localState,
  logLines,
  NOW,
  ORCH,
  orchestratorAdded,
  prStatus,
  signal,
  signalRemoved,
  tornSignal,
  working,
} from "./inputs.test-helper.js";

function run(inputs: FuseInput[], now = NOW, state: FuseState = createInitialState()) {
  const deltas: DeltaDraft[] = [];
  let current = state;
  for (const input of inputs) {
    const result = reduce(current, input, now);
    current = result.state;
    deltas.push(...result.deltas);
  }
  return { state: current, deltas };
}

function worker(state: FuseState, key: string, orchestrator = ORCH): WorkerView | undefined {
  return toSnapshot(state, NOW).orchestrators.find((o) => o.id === orchestrator)?.workers[key];
}

function events(deltas: readonly DeltaDraft[]): string[] {
  return deltas.map((d) => d.event);
}

describe("reduce: signal files", () => {
  it("turns a new signal into orchestrator-update and worker-update with the seed's flat fields", () => {
    const { deltas } = run([orchestratorAdded(), signal(working("CTL-49"))]);
    const update = deltas.find((d) => d.event === "worker-update");
    expect(update?.data).toMatchObject({
      orchestrator: ORCH,
      worker: "CTL-49",
      status: "implementing",
      phase: 3,
      ts: NOW.toISOString(),
      workerState: { ticket: "CTL-49", pid: 63744, sources: ["signal"] },
    });
    expect(events(deltas)).toContain("orchestrator-update");
  });

  it("emits nothing when a re-read changes nothing visible", () => {
    const first = run([orchestratorAdded(), signal(working("CTL-49"))]);
    const again = reduce(first.state, signal(working("CTL-49")), at(1));
    expect(again.deltas).toEqual([]);
  });

  it("does not modify the state it was given", () => {
    const first = run([orchestratorAdded(), signal(working("CTL-49"))]);
    const before = structuredClone(first.state);
    reduce(first.state, signal(working("CTL-49", { status: "validating", phase: 4 })), at(1));
    reduce(first.state, tornSignal("CTL-49"), at(1));
    expect(first.state).toEqual(before);
  });

  it("keys a worker by its ticket, or by the file name when the ticket is empty", () => {
    const { state } = run([signal(working("CTL-7"), "renamed-file"), signal(working(""), "CTL-8")]);
    expect(worker(state, "CTL-7")?.ticket).toBe("CTL-7");
    expect(worker(state, "renamed-file")).toBeUndefined();
    expect(worker(state, "CTL-8")?.status).toBe("implementing");
  });

  it("removes a worker whose only source disappears", () => {
    const first = run([orchestratorAdded(), signal(working("CTL-49"))]);
    const removed = reduce(first.state, signalRemoved("CTL-49"), at(1));
    expect(removed.deltas.find((d) => d.event === "worker-removed")?.data).toMatchObject({
      worker: "CTL-49",
    });
    expect(worker(removed.state, "CTL-49")).toBeUndefined();
  });

  it("removes the orchestrator when no source names it any more", () => {
    const first = run([signal(working("CTL-49"))]);
    const removed = reduce(first.state, signalRemoved("CTL-49"), at(1));
    expect(events(removed.deltas)).toContain("orchestrator-removed");
    expect(toSnapshot(removed.state, NOW).orchestrators).toEqual([]);
  });
});

describe("reduce: corrupt inputs stay visible", () => {
  it("keeps the last good view with a corrupt marker, and clears it on the next good read", () => {
    const good = run([orchestratorAdded(), signal(working("CTL-49"))]);
    const torn = reduce(good.state, tornSignal("CTL-49"), at(1));
    const view = worker(torn.state, "CTL-49");
    expect(view?.status).toBe("implementing");
    expect(view?.corrupt).toMatchObject({
      file: expect.stringContaining("CTL-49.json"),
      since: at(1).toISOString(),
    });
    expect(view?.corrupt?.reason).toContain("expected valid JSON");
    const needs = torn.deltas.find((d) => d.event === "needs-you");
    expect(needs?.data).toMatchObject({ added: [{ reason: "corrupt", worker: "CTL-49" }], removed: [] });

    const stillTorn = reduce(torn.state, tornSignal("CTL-49"), at(2));
    expect(worker(stillTorn.state, "CTL-49")?.corrupt?.since).toBe(at(1).toISOString());

    const healed = reduce(
      stillTorn.state,
      signal(working("CTL-49", { status: "validating", phase: 4 })),
      at(3),
    );
    expect(worker(healed.state, "CTL-49")).toMatchObject({ status: "validating", corrupt: null });
    expect(toSnapshot(healed.state, NOW).needsYou).toEqual([]);
  });

  it("shows a signal_corrupt row when no good read was ever seen", () => {
    const { state } = run([orchestratorAdded(), tornSignal("CTL-51")]);
    expect(worker(state, "CTL-51")).toMatchObject({ ticket: "CTL-51", status: "signal_corrupt", phase: 0 });
  });

  it("keeps the last good global state and reports the bad read in sourceErrors", () => {
    const good = run([
      globalWith({ status: "active", workers: { "CTL-50": { status: "dispatched", phase: 0 } } }),
    ]);
    const bad = reduce(good.state, globalState("{ not json"), at(1));
    const snapshot = toSnapshot(bad.state, NOW);
    expect(snapshot.sourceErrors).toHaveLength(1);
    expect(snapshot.orchestrators[0]?.workers["CTL-50"]?.status).toBe("dispatched");
    expect(bad.deltas.find((d) => d.event === "needs-you")?.data).toMatchObject({
      sourceErrors: [{ file: expect.stringContaining("state.json") }],
    });
  });

  it("keeps the last good local state and marks the orchestrator corrupt", () => {
    const good = run([
      orchestratorAdded(),
      localState({ currentWave: 1, waves: [{ wave: 1, tickets: ["CTL-48"] }] }),
    ]);
    const bad = reduce(good.state, localState(""), at(1));
    const orch = toSnapshot(bad.state, NOW).orchestrators[0];
    expect(orch?.currentWave).toBe(1);
    expect(orch?.corrupt?.reason).toContain("empty file");
  });
});

describe("reduce: workers without a signal file", () => {
  it("shows a worker known only from the global state", () => {
    const { state } = run([
      globalWith({
        status: "active",
        workers: {
          "CTL-50": { ticketId: "CTL-50", title: "Self-service API keys", status: "dispatched", phase: 0 },
        },
      }),
    ]);
    expect(worker(state, "CTL-50")).toMatchObject({ title: "Self-service API keys", sources: ["state"] });
  });

  it("shows a worker known only from the log", () => {
    const { state } = run([logLines(line("2026-04-14T18:37:51Z", "worker-dispatched", "CTL-48"))]);
    expect(worker(state, "CTL-48")).toMatchObject({
      status: "dispatched",
      startedAt: "2026-04-14T18:37:51Z",
      sources: ["log"],
    });
  });
});

describe("reduce: precedence when sources disagree", () => {
  it("a re-read global state rebuilds only the workers whose entry changed", () => {
    const entry = (status: string) => ({
      status: "active",
      workers: {
        "CTL-1": { status: "planning", phase: 2 },
        "CTL-2": { status, phase: 3 },
      },
    });
    const first = run([globalWith(entry("implementing"))]);
    const again = reduce(first.state, globalWith(entry("validating")), at(1));
    expect(again.deltas.map((d) => [d.event, "worker" in d.data ? d.data.worker : null])).toEqual([
      ["worker-update", "CTL-2"],
    ]);
  });

  it("signal file beats state.json for worker fields, even when state.json is newer", () => {
    const { state } = run([
      signal(working("CTL-49", { updatedAt: "2026-04-14T19:00:00Z" })),
      globalWith({
        workers: {
          "CTL-49": { status: "researching", phase: 1, updatedAt: "2026-04-14T19:10:00Z", title: "Audit" },
        },
      }),
    ]);
    expect(worker(state, "CTL-49")).toMatchObject({
      status: "implementing",
      phase: 3,
      title: "Audit",
      updatedAt: "2026-04-14T19:10:00Z",
    });
  });

  it("a newer status in the log beats the signal file (the worker exited before writing it)", () => {
    const { state } = run([
      signal(working("CTL-48", { status: "pr-created", phase: 5, updatedAt: "2026-04-14T19:15:30Z" })),
      logLines(
        line("2026-04-14T19:20:00Z", "worker-status-terminal", "CTL-48", {
          from: "pr-created",
          to: "merging",
          pr: { number: 123, url: "https://github.com/acme/api/pull/123" },
        }),
      ),
    ]);
    expect(worker(state, "CTL-48")).toMatchObject({ status: "merging", phase: 6 });
    expect(worker(state, "CTL-48")?.pr?.number).toBe(123);
  });

  it("an older status in the log does not beat the signal file", () => {
    const { state } = run([
      signal(working("CTL-48", { updatedAt: "2026-04-14T19:06:40Z" })),
      logLines(
        line("2026-04-14T18:52:44Z", "worker-status-change", "CTL-48", {
          from: "researching",
          to: "planning",
        }),
      ),
    ]);
    expect(worker(state, "CTL-48")?.status).toBe("implementing");
  });

  it("newest timestamp wins between the log and state.json when there is no signal file", () => {
    const global = globalWith({
      workers: { "CTL-50": { status: "planning", phase: 2, updatedAt: "2026-04-14T19:00:00Z" } },
    });
    const older = run([global, logLines(line("2026-04-14T18:59:00Z", "worker-done", "CTL-50"))]);
    expect(worker(older.state, "CTL-50")?.status).toBe("planning");
    const newer = run([global, logLines(line("2026-04-14T19:01:00Z", "worker-done", "CTL-50"))]);
    expect(worker(newer.state, "CTL-50")).toMatchObject({
      status: "done",
      completedAt: "2026-04-14T19:01:00Z",
    });
  });

  it("two signal files with one ticket: the newer updatedAt wins, and the other still counts when it goes", () => {
    const { state } = run([
      signal(working("CTL-9", { status: "planning", updatedAt: "2026-04-14T19:00:00Z" }), "CTL-9"),
      signal(working("CTL-9", { status: "validating", updatedAt: "2026-04-14T19:10:00Z" }), "CTL-9-copy"),
    ]);
    expect(worker(state, "CTL-9")?.status).toBe("validating");
    const after = reduce(state, signalRemoved("CTL-9-copy"), at(1));
    expect(worker(after.state, "CTL-9")?.status).toBe("planning");
  });

  it("orchestrator status: a newer log line beats the global state, an older one does not", () => {
    const global = globalWith({ status: "active", updatedAt: "2026-04-14T20:00:00Z" });
    const newer = run([global, logLines(line("2026-04-14T21:48:03Z", "orchestrator-completed", null))]);
    expect(toSnapshot(newer.state, NOW).orchestrators[0]).toMatchObject({
      status: "completed",
      completedAt: "2026-04-14T21:48:03Z",
    });
    const older = run([global, logLines(line("2026-04-14T19:48:03Z", "orchestrator-completed", null))]);
    expect(toSnapshot(older.state, NOW).orchestrators[0]?.status).toBe("active");
  });

  it("an orchestrator directory going away drops its signal workers but keeps what state.json knows", () => {
    const first = run([
      orchestratorAdded(),
      signal(working("CTL-49")),
      globalWith({ workers: { "CTL-50": { status: "dispatched", phase: 0 } } }),
    ]);
    const gone = reduce(first.state, { kind: "orchestrator-removed", id: ORCH }, at(1));
    expect(gone.deltas.filter((d) => d.event === "worker-removed").map((d) => d.data)).toEqual([
      { orchestrator: ORCH, worker: "CTL-49", ts: at(1).toISOString() },
    ]);
    expect(Object.keys(toSnapshot(gone.state, NOW).orchestrators[0]?.workers ?? {})).toEqual(["CTL-50"]);
  });

  it("a merged PR beats a stale status (GitHub poll backstop)", () => {
    const pr = { number: 123, url: "https://github.com/acme/api/pull/123", ciStatus: "passing" };
    const first = run([
      signal(working("CTL-48", { status: "pr-created", phase: 5, updatedAt: "2026-04-14T19:15:30Z", pr })),
    ]);
    expect(worker(first.state, "CTL-48")?.pr).toMatchObject({
      state: "unknown",
      ciStatus: "passing",
      repo: "acme/api",
    });
    const merged = reduce(
      first.state,
      prStatus({ number: 123, state: "merged", ciStatus: "merged", mergedAt: "2026-04-14T19:39:58Z" }),
      at(1),
    );
    expect(worker(merged.state, "CTL-48")).toMatchObject({
      status: "merged",
      phase: 6,
      completedAt: "2026-04-14T19:39:58Z",
      pr: { state: "merged", mergedAt: "2026-04-14T19:39:58Z", checkedAt: NOW.toISOString() },
      sources: ["signal", "github"],
    });
    expect(events(merged.deltas)).toEqual(expect.arrayContaining(["pr-update", "worker-update"]));
    const prUpdate = merged.deltas.find((d) => d.event === "pr-update");
    expect(prUpdate?.data).toMatchObject({ worker: "CTL-48", pr: 123, ciStatus: "merged", state: "merged" });
  });

  it("a status written after the merge is not overridden by it", () => {
    const pr = { number: 123, url: "https://github.com/acme/api/pull/123", mergedAt: "2026-04-14T19:39:58Z" };
    const { state } = run([
      signal(
        working("CTL-48", {
          status: "failed",
          error: "post-merge verification failed",
          updatedAt: "2026-04-14T20:00:00Z",
          pr,
        }),
      ),
    ]);
    expect(worker(state, "CTL-48")?.status).toBe("failed");
    expect(worker(state, "CTL-48")?.pr?.state).toBe("merged");
  });

  it("a poll answering UNKNOWN never un-merges a PR the signal file calls merged", () => {
    const pr = {
      number: 123,
      url: "https://github.com/acme/api/pull/123",
      ciStatus: "merged",
      mergedAt: "2026-04-14T19:39:58Z",
    };
    const { state } = run([
      signal(working("CTL-48", { status: "pr-created", phase: 5, pr })),
      prStatus({ number: 123, state: "unknown", ciStatus: "unknown", stale: true }),
    ]);
    expect(worker(state, "CTL-48")).toMatchObject({
      status: "merged",
      pr: { state: "merged", ciStatus: "merged", stale: true },
    });
  });

  it("the log supplies pr.mergedAt that the signal file never got", () => {
    const pr = { number: 124, url: "https://github.com/acme/api/pull/124" };
    const { state } = run([
      signal(working("CTL-49", { status: "pr-created", phase: 5, updatedAt: "2026-04-14T20:10:00Z", pr })),
      logLines(
        line("2026-04-14T20:31:45Z", "worker-pr-merged", "CTL-49", {
          pr: 124,
          mergedAt: "2026-04-14T20:31:30Z",
        }),
      ),
    ]);
    expect(worker(state, "CTL-49")).toMatchObject({
      status: "merged",
      pr: { mergedAt: "2026-04-14T20:31:30Z" },
    });
  });
});

describe("reduce: liveness and needs you", () => {
  it("emits liveness-change and a dead row for a dead pid of a live worker", () => {
    const first = run([orchestratorAdded(), signal(working("CTL-49"))]);
    const dead = reduce(first.state, liveness("CTL-49", 63744, false), at(1));
    expect(dead.deltas.find((d) => d.event === "liveness-change")?.data).toMatchObject({
      alive: false,
      pid: 63744,
    });
    expect(toSnapshot(dead.state, NOW).needsYou).toEqual([
      {
        orchestrator: ORCH,
        worker: "CTL-49",
        reason: "dead",
        message: "Worker died (pid 63744)",
        since: NOW.toISOString(),
      },
    ]);
  });

  it("ignores liveness for terminal statuses (FORMATS §5.9)", () => {
    const first = run([signal(working("CTL-48", { status: "done", phase: 6 }))]);
    const dead = reduce(first.state, liveness("CTL-48", 63744, false), at(1));
    expect(dead.deltas).toEqual([]);
    expect(worker(dead.state, "CTL-48")?.alive).toBeNull();
  });

  it("ignores a liveness answer about a previous pid", () => {
    const { state } = run([signal(working("CTL-49")), liveness("CTL-49", 11, false)]);
    expect(worker(state, "CTL-49")?.alive).toBeNull();
  });

  it("lists a worker as stalled on a tick after the threshold, once", () => {
    const first = run([signal(working("CTL-49", { updatedAt: NOW.toISOString() }))]);
    const early = reduce(first.state, { kind: "tick" }, at(14));
    expect(early.deltas).toEqual([]);
    const late = reduce(early.state, { kind: "tick" }, at(16));
    expect(late.deltas.map((d) => d.event)).toEqual(["needs-you"]);
    expect(toSnapshot(late.state, NOW).needsYou[0]).toMatchObject({ reason: "stalled", worker: "CTL-49" });
    expect(reduce(late.state, { kind: "tick" }, at(30)).deltas).toEqual([]);
  });

  it("honours stallAfterMs and does not call a worker waiting on an open PR stalled", () => {
    const pr = { number: 9, url: "https://github.com/acme/api/pull/9" };
    let state = run([
      signal(working("CTL-1", { updatedAt: NOW.toISOString() })),
      signal(working("CTL-2", { status: "pr-created", phase: 5, updatedAt: NOW.toISOString(), pr })),
      prStatus({ number: 9, state: "open" }),
    ]).state;
    state = reduce(state, { kind: "tick" }, at(2), { stallAfterMs: 60_000 }).state;
    expect(toSnapshot(state, NOW).needsYou.map((i) => i.worker)).toEqual(["CTL-1"]);
  });

  it("raises attention from the global state and sorts needs-you by urgency", () => {
    const { state, deltas } = run([
      signal(
        working("CTL-48", { status: "failed", error: "tests failed", completedAt: "2026-04-14T19:10:00Z" }),
      ),
      globalWith({
        status: "active",
        attention: [
          {
            type: "stalled",
            ticketId: "CTL-49",
            message: "No progress for 15+ minutes",
            since: "2026-04-14T19:00:10Z",
          },
        ],
        workers: {
          "CTL-49": { status: "researching", phase: 1, needsAttention: true, attentionReason: "No progress" },
        },
      }),
    ]);
    expect(deltas.find((d) => d.event === "attention-raised")?.data).toEqual({
      orchestrator: ORCH,
      worker: "CTL-49",
      attentionType: "stalled",
      message: "No progress for 15+ minutes",
      ts: "2026-04-14T19:00:10Z",
    });
    expect(worker(state, "CTL-49")).toMatchObject({ needsAttention: true, attentionReason: "No progress" });
    expect(toSnapshot(state, NOW).needsYou.map((i) => [i.reason, i.worker])).toEqual([
      ["attention", "CTL-49"],
      ["failed", "CTL-48"],
    ]);
  });
});

describe("reduce: waves and the log", () => {
  const waves = localState({
    currentWave: 1,
    totalWaves: 2,
    waves: [
      { wave: 1, status: "in_progress", tickets: ["CTL-48", "CTL-49"] },
      { wave: 2, status: "blocked", tickets: ["CTL-50"], dependsOn: [1] },
    ],
  });

  it("derives wave-completed when every ticket of a wave is terminal, and never emits it twice", () => {
    const first = run([
      orchestratorAdded(),
      waves,
      signal(working("CTL-48", { status: "done", phase: 6 })),
      signal(working("CTL-49")),
    ]);
    expect(events(first.deltas)).not.toContain("wave-completed");
    expect(worker(first.state, "CTL-48")?.wave).toBe(1);
    const done = reduce(first.state, signal(working("CTL-49", { status: "done", phase: 6 })), at(1));
    expect(done.deltas.filter((d) => d.event === "wave-completed").map((d) => d.data)).toEqual([
      { orchestrator: ORCH, wave: 1, tickets: ["CTL-48", "CTL-49"], ts: at(1).toISOString(), derived: true },
    ]);
    const logged = reduce(
      done.state,
      logLines(line("2026-04-14T20:32:10Z", "wave-completed", null, { wave: 1 })),
      at(2),
    );
    expect(events(logged.deltas)).toEqual(["log-event", "orchestrator-update"]);
  });

  it("emits wave-completed from the log line, then not again when derived", () => {
    const first = run([
      orchestratorAdded(),
      waves,
      signal(working("CTL-48", { status: "done", phase: 6 })),
      signal(working("CTL-49")),
    ]);
    const logged = reduce(
      first.state,
      logLines(
        line("2026-04-14T20:32:10Z", "wave-completed", null, { wave: 1, tickets: ["CTL-48", "CTL-49"] }),
      ),
      at(1),
    );
    expect(logged.deltas.find((d) => d.event === "wave-completed")?.data).toMatchObject({
      derived: false,
      ts: "2026-04-14T20:32:10Z",
    });
    const done = reduce(logged.state, signal(working("CTL-49", { status: "done", phase: 6 })), at(2));
    expect(events(done.deltas)).not.toContain("wave-completed");
  });

  it("emits one log-event per record, with the line's own ts", () => {
    const lines = logLines(
      line("2026-04-14T18:37:02Z", "orchestrator-started", null, { tickets: ["CTL-48"] }),
      {
        ts: "2026-04-14T18:38:00Z",
        session: "sess_20260414T183800_abcdefgh",
        event: "heartbeat",
        detail: null,
      },
    );
    const { deltas } = run([lines]);
    const logEvents = deltas.filter((d) => d.event === "log-event").map((d) => d.data);
    expect(logEvents).toHaveLength(2);
    expect(logEvents[0]).toMatchObject({
      orchestrator: ORCH,
      worker: null,
      event: "orchestrator-started",
      ts: "2026-04-14T18:37:02Z",
    });
    expect(logEvents[1]).toMatchObject({ orchestrator: null, event: "heartbeat" });
  });
});

describe("reduce: hostile keys", () => {
  it("treats __proto__ and constructor as ordinary orchestrator and worker keys", () => {
    const { state } = run([
      signal(working("__proto__"), "__proto__", "constructor"),
      logLines({
        ts: "2026-04-14T19:00:00Z",
        orchestrator: "toString",
        worker: "constructor",
        event: "worker-done",
      }),
    ]);
    const snapshot = toSnapshot(state, NOW);
    expect(snapshot.orchestrators.map((o) => o.id)).toEqual(["constructor", "toString"]);
    expect(Object.hasOwn(snapshot.orchestrators[0]?.workers ?? {}, "__proto__")).toBe(true);
    expect(
      Object.getOwnPropertyDescriptor(snapshot.orchestrators[1]?.workers, "constructor")?.value,
    ).toMatchObject({ status: "done" });
  });
});

describe("reduce: bad arguments", () => {
  it("rejects an invalid now and bad options with named errors", () => {
    expect(() => reduce(createInitialState(), { kind: "tick" }, new Date(Number.NaN))).toThrow(/valid Date/);
    expect(() => reduce(createInitialState(), { kind: "tick" }, NOW, { stallAfterMs: -1 })).toThrow(
      /stallAfterMs/,
    );
  });
});
