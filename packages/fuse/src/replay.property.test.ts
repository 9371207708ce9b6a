import { Delta, type FuseInput, Snapshot } from "@catalyst/schema";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyDelta, createFuse, createInitialState, type DeltaDraft, reduce, toSnapshot } from "./index.js";
import {
  globalState,
  liveness,
  localState,
  logLines,
  orchestratorAdded,
  prStatus,
  signal,
  signalRemoved,
  tornSignal,
} from "./inputs.test-helper.js";

// Random input sequences over a small universe (3 orchestrators, 5 tickets, a few timestamps) so
// that inputs collide: the same worker from several sources, corrupt reads, removals, merges.

const ORCHS = ["orch-a", "orch-b", "constructor"];
const TICKETS = ["T-1", "T-2", "T-3", "__proto__", "toString"];
const STATUSES = [
  "dispatched",
  "implementing",
  "pr-created",
  "done",
  "failed",
  "stalled",
  "superseded",
  "weird",
];
const TIMES = [
  "2026-04-14T18:00:00Z",
  "2026-04-14T18:30:00Z",
  "2026-04-14T19:00:00Z",
  "2026-04-14T19:30:00.250Z",
];
const BASE_MS = Date.parse("2026-04-14T19:00:00Z");

const orch = fc.constantFrom(...ORCHS);
const ticket = fc.constantFrom(...TICKETS);
const time = fc.constantFrom(...TIMES);
const status = fc.constantFrom(...STATUSES);
const prNumber = fc.constantFrom(1, 2);

const signalInput: fc.Arbitrary<FuseInput> = fc
  .record({
    orch,
    ticket,
    fileKey: fc.option(fc.constantFrom("T-1", "file-x"), { nil: undefined }),
    status,
    phase: fc.integer({ min: 0, max: 6 }),
    updatedAt: time,
    pid: fc.option(fc.constantFrom(100, 200), { nil: null }),
    pr: fc.option(
      fc.record({ number: prNumber, ciStatus: fc.constantFrom("pending", "passing", "merged") }),
      { nil: null },
    ),
    wave: fc.option(fc.constantFrom(1, 2), { nil: undefined }),
  })
  .map(({ orch: o, ticket: t, fileKey, pr, ...rest }) =>
    signal(
      {
        ticket: fileKey === "file-x" ? "" : t,
        ...rest,
        pr: pr ? { ...pr, url: `https://github.com/acme/api/pull/${pr.number}` } : null,
      },
      fileKey ?? t,
      o,
    ),
  );

const globalInput: fc.Arbitrary<FuseInput> = fc
  .record({
    orchs: fc.subarray(ORCHS),
    workers: fc.dictionary(
      ticket,
      fc.record({
        status,
        phase: fc.integer({ min: 0, max: 6 }),
        updatedAt: time,
        needsAttention: fc.boolean(),
      }),
    ),
    attention: fc.array(
      fc.record({
        type: fc.constantFrom("stalled", "ci-failing"),
        ticketId: ticket,
        message: fc.constantFrom("a", "b"),
        since: time,
      }),
      { maxLength: 2 },
    ),
    status: fc.constantFrom("active", "completed"),
    updatedAt: time,
  })
  .map(({ orchs, workers, attention, status: s, updatedAt }) =>
    globalState({
      version: "1.0.0",
      orchestrators: Object.fromEntries(
        orchs.map((id) => [id, { id, status: s, updatedAt, workers, attention }]),
      ),
    }),
  );

const localInput: fc.Arbitrary<FuseInput> = fc
  .record({ orch, tickets: fc.subarray(TICKETS, { minLength: 1 }), currentWave: fc.constantFrom(1, 2) })
  .map(({ orch: o, tickets, currentWave }) =>
    localState(
      {
        currentWave,
        waves: [
          { wave: 1, status: "in_progress", tickets },
          { wave: 2, tickets: ["T-4"] },
        ],
      },
      o,
    ),
  );

const logInput: fc.Arbitrary<FuseInput> = fc
  .array(
    fc.record({
      orch,
      ticket: fc.option(ticket, { nil: null }),
      ts: time,
      kind: fc.constantFrom(
        "worker-dispatched",
        "worker-status-change",
        "worker-pr-merged",
        "worker-done",
        "worker-failed",
        "attention-raised",
        "attention-resolved",
        "wave-started",
        "wave-completed",
        "orchestrator-completed",
        "archive",
      ),
      to: status,
      pr: prNumber,
    }),
    { minLength: 1, maxLength: 3 },
  )
  .map((lines) =>
    logLines(
      ...lines.map((l) => {
        const detail =
          l.kind === "worker-status-change"
            ? { from: "x", to: l.to }
            : l.kind === "worker-pr-merged"
              ? { pr: l.pr, mergedAt: l.ts }
              : l.kind === "attention-raised"
                ? { attentionType: "stalled", reason: "slow" }
                : l.kind.startsWith("wave-")
                  ? { wave: 1, tickets: ["T-1", "T-2"] }
                  : null;
        const orchestratorLevel =
          l.kind.startsWith("wave-") || l.kind.startsWith("orchestrator-") || l.kind === "archive";
        return {
          ts: l.ts,
          orchestrator: l.orch,
          worker: orchestratorLevel ? null : l.ticket,
          event: l.kind,
          detail,
        };
      }),
    ),
  );

const input: fc.Arbitrary<FuseInput> = fc.oneof(
  { arbitrary: signalInput, weight: 5 },
  { arbitrary: fc.tuple(orch, ticket).map(([o, t]) => tornSignal(t, o)), weight: 1 },
  {
    arbitrary: fc.tuple(orch, fc.constantFrom(...TICKETS, "file-x")).map(([o, t]) => signalRemoved(t, o)),
    weight: 1,
  },
  { arbitrary: globalInput, weight: 2 },
  { arbitrary: fc.constant<FuseInput>(globalState("{")), weight: 1 },
  { arbitrary: fc.constant<FuseInput>({ kind: "global-state-removed", file: "/tmp/state.json" }), weight: 1 },
  { arbitrary: localInput, weight: 1 },
  {
    arbitrary: orch.map(
      (o) => ({ kind: "local-state-removed", orchestrator: o, file: `/x/${o}/state.json` }) as FuseInput,
    ),
    weight: 1,
  },
  { arbitrary: logInput, weight: 3 },
  {
    arbitrary: fc
      .record({
        number: prNumber,
        state: fc.constantFrom("open", "closed", "merged", "unknown" as const),
        ci: fc.constantFrom("pending", "failing", "unknown"),
      })
      .map(({ number, state, ci }) =>
        prStatus({ number, state, ciStatus: ci, mergedAt: state === "merged" ? (TIMES[3] ?? null) : null }),
      ),
    weight: 1,
  },
  {
    arbitrary: fc
      .tuple(orch, ticket, fc.constantFrom(100, 200), fc.boolean())
      .map(([o, t, pid, alive]) => liveness(t, pid, alive, o)),
    weight: 2,
  },
  { arbitrary: orch.map((o) => orchestratorAdded(o)), weight: 1 },
  { arbitrary: orch.map((o) => ({ kind: "orchestrator-removed", id: o }) as FuseInput), weight: 1 },
  { arbitrary: fc.constant<FuseInput>({ kind: "tick" }), weight: 2 },
);

// Minutes after BASE; time only moves forward, as it does for the monitor.
const steps = fc.array(fc.tuple(input, fc.integer({ min: 0, max: 20 })), { minLength: 1, maxLength: 40 });

function withoutGeneratedAt(snapshot: Snapshot): Omit<Snapshot, "generatedAt"> {
  const { generatedAt: _ignored, ...rest } = snapshot;
  return rest;
}

describe("replaying deltas rebuilds the live snapshot", () => {
  // `generatedAt` is left out of the comparison: applyDelta moves it to each delta's ts, while
  // toSnapshot stamps the caller's now, and a reduce that changed nothing sends no delta at all.
  it("applyDelta over all deltas from an earlier snapshot equals toSnapshot of the live state", () => {
    fc.assert(
      fc.property(steps, fc.nat(), (sequence, cut) => {
        const split = cut % (sequence.length + 1);
        let state = createInitialState();
        let now = new Date(BASE_MS);
        let earlier = toSnapshot(state, now);
        const later: DeltaDraft[] = [];
        sequence.forEach(([item, minutes], index) => {
          now = new Date(now.getTime() + minutes * 60_000);
          const result = reduce(state, item, now);
          state = result.state;
          if (index < split) earlier = toSnapshot(state, now);
          else later.push(...result.deltas);
        });
        const rebuilt = later.reduce(applyDelta, earlier);
        expect(withoutGeneratedAt(rebuilt)).toEqual(withoutGeneratedAt(toSnapshot(state, now)));
      }),
      { numRuns: 300 },
    );
  });

  it("every delta and snapshot matches the published schemas, and since(id) resumes exactly", () => {
    fc.assert(
      fc.property(steps, fc.nat(), (sequence, pick) => {
        const fuse = createFuse({ ringSize: 10_000 });
        let now = new Date(BASE_MS);
        const snapshots = new Map<number, Snapshot>([[0, fuse.snapshot()]]);
        for (const [item, minutes] of sequence) {
          now = new Date(now.getTime() + minutes * 60_000);
          for (const delta of fuse.apply(item, now)) {
            const parsed = Delta.safeParse(delta);
            if (!parsed.success) throw new Error(`${delta.event}: ${parsed.error.message}`);
          }
          snapshots.set(fuse.lastId(), fuse.snapshot());
        }
        const live = fuse.snapshot();
        expect(Snapshot.safeParse(live).success).toBe(true);
        const ids = [...snapshots.keys()];
        const from = ids[pick % ids.length] ?? 0;
        const resumed = fuse.since(from);
        if (!resumed.ok) throw new Error("unexpected gap");
        const rebuilt = resumed.deltas.reduce(applyDelta, snapshots.get(from) as Snapshot);
        expect(withoutGeneratedAt(rebuilt)).toEqual(withoutGeneratedAt(live));
      }),
      { numRuns: 150 },
    );
  });
});
