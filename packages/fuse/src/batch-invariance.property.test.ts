import type { FuseInput, LogRecord } from "@catalyst/schema";
import { tombstoneLine } from "@catalyst/test-utils";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createInitialState, exportState, type FuseState, reduce, toSnapshot } from "./index.js";
import { logLines } from "./inputs.test-helper.js";
import { type BatchWork, reduceBatch } from "./reduce.js";

// A fold of log lines does not depend on how they are batched: the monitor tails in whatever
// chunks its reads give, and checkpoints start batches elsewhere than a fold from the start. For
// random seed-era and today-shaped lines over two orchestrators and three tickets (archives,
// waves, ticket-only lines, execution-core lines, tombstones, node heartbeats, PR-routed lines),
// folded in random batches, the snapshot and the state export equal those of the same lines
// folded one line per batch (the reference).

const ORCHS = ["o-1", "o-2"];
const TICKETS = ["T-1", "T-2", "T-3"];
const STATUSES = ["dispatched", "implementing", "pr-created", "done", "failed"];
const BASE_MS = Date.parse("2026-04-14T18:00:00Z");
const NOW = new Date(BASE_MS + 3 * 3_600_000);

const orch = fc.constantFrom(...ORCHS);
const ticket = fc.constantFrom(...TICKETS);
const pr = fc.constantFrom(7, 8);

const KINDS = [
  "status",
  "dispatched",
  "ticket-only",
  "execution-core",
  "wave-started",
  "wave-completed",
  "archive",
  "orchestrator-started",
  "pr-created",
  "pr-merged-by-number",
  "attention-raised",
  "tombstone",
  "heartbeat",
] as const;

const lineArb = fc
  .record({
    kind: fc.constantFrom(...KINDS),
    orch,
    ticket,
    other: ticket,
    to: fc.constantFrom(...STATUSES),
    pr,
    node: fc.constantFrom("n-1", "n-2"),
    inFlight: fc.integer({ min: 0, max: 3 }),
  })
  .chain((l) => fc.integer({ min: 0, max: 5 }).map((tick) => ({ ...l, tick })));

type LineSpec = typeof lineArb extends fc.Arbitrary<infer T> ? T : never;

function lineOf(l: LineSpec, index: number): Record<string, unknown> {
  // Time moves forward with small ties, as concurrent writers' lines do.
  const ts = new Date(BASE_MS + index * 60_000 + l.tick * 1_000).toISOString();
  switch (l.kind) {
    case "status":
      return {
        ts,
        orchestrator: l.orch,
        worker: l.ticket,
        event: "worker-status-change",
        detail: { to: l.to },
      };
    case "dispatched":
      return { ts, orchestrator: l.orch, worker: l.ticket, event: "worker-dispatched", detail: null };
    case "ticket-only":
      return {
        ts,
        worker: l.ticket,
        event: l.to === "failed" ? "worker-failed" : "worker-done",
        detail: null,
      };
    case "execution-core":
      // The ticket passed as the orchestrator id (FORMATS-TODAY R1.20).
      return {
        ts,
        orchestrator: l.ticket,
        worker: l.ticket,
        event: "worker-status-change",
        detail: { to: l.to },
      };
    case "wave-started":
    case "wave-completed":
      return {
        ts,
        orchestrator: l.orch,
        worker: null,
        event: l.kind,
        detail: { wave: 1, tickets: [l.ticket, l.other] },
      };
    case "archive":
    case "orchestrator-started":
      return { ts, orchestrator: l.orch, worker: null, event: l.kind, detail: null };
    case "pr-created":
      return {
        ts,
        orchestrator: l.orch,
        worker: l.ticket,
        event: "worker-pr-created",
        detail: { pr: l.pr, url: `https://github.com/acme/api/pull/${l.pr}` },
      };
    case "pr-merged-by-number":
      // No worker: matched to one by its PR number in the orchestrator's views.
      return { ts, orchestrator: l.orch, worker: null, event: "github.pr.merged", detail: { pr: l.pr } };
    case "attention-raised":
      return {
        ts,
        orchestrator: l.orch,
        worker: l.ticket,
        event: "attention-raised",
        detail: { attentionType: "stalled", reason: "slow" },
      };
    case "tombstone":
      return tombstoneLine(ts, l.to === "done" ? "session.context" : `phase.plan.complete.${l.ticket}`, "h");
    case "heartbeat":
      return {
        ts,
        attributes: { "event.name": "node.heartbeat", "catalyst.node.in_flight_count": l.inFlight },
        resource: { "service.name": "catalyst.execution-core", "host.name": l.node },
      };
  }
}

function recordsOf(specs: readonly LineSpec[]): LogRecord[] {
  const input = logLines(...specs.map(lineOf));
  if (input.kind !== "log-lines") throw new Error("not log lines");
  return input.records;
}

function foldBatches(records: readonly LogRecord[], cuts: ReadonlySet<number>, replayed = false): FuseState {
  let state = createInitialState();
  let batch: LogRecord[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    const input: FuseInput = { kind: "log-lines", records: batch, replayed };
    state = reduce(state, input, NOW).state;
    batch = [];
  };
  records.forEach((record, index) => {
    if (cuts.has(index)) flush();
    batch.push(record);
  });
  flush();
  return state;
}

// Keyed maps and the ticket-owner table are sparse arrays of buckets: one filled and emptied again
// is written `{}`, one never filled `null`, and the arrays' lengths depend on the last bucket ever
// set. The same maps, so the comparison reads an emptied bucket or level as null and drops
// trailing nulls.
function withoutEmptiedBuckets(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map((item) => {
      const inner = withoutEmptiedBuckets(item);
      const empty = inner !== null && typeof inner === "object" && Object.keys(inner as object).length === 0;
      return empty ? null : inner;
    });
    while (items.length > 0 && items[items.length - 1] === null) items.pop();
    return items;
  }
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutEmptiedBuckets(v)]));
  return value;
}

// Likewise a ticket-owner table emptied again is the same as none.
// Not compared: `wavesCompleted`, which waves fuse has announced as complete. A wave derived
// complete after one line and incomplete again after a later line of the same batch (a worker
// done, then set back) is announced with one line per batch and not with both in one (README,
// "Batches").
function exported(state: FuseState): unknown {
  const out = exportState(state) as {
    state: { ticketOwners?: { size: number }; wavesCompleted?: unknown };
  };
  if (out.state.ticketOwners?.size === 0) delete out.state.ticketOwners;
  delete out.state.wavesCompleted;
  return withoutEmptiedBuckets(out);
}

function sameFold(a: FuseState, b: FuseState): void {
  expect(toSnapshot(a, NOW)).toEqual(toSnapshot(b, NOW));
  expect(exported(a)).toEqual(exported(b));
}

describe("a fold of log lines is independent of how they are batched", () => {
  it("random batches equal one line per batch", () => {
    fc.assert(
      fc.property(
        fc.array(lineArb, { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (specs, cutsRaw) => {
          const records = recordsOf(specs);
          const perLine = foldBatches(records, new Set(records.map((_, i) => i)));
          const batched = foldBatches(records, new Set(cutsRaw.map((c) => c % records.length)));
          sameFold(batched, perLine);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("an archive and a later line of its orchestrator, in one batch", () => {
    const records = recordsOf([
      {
        kind: "status",
        orch: "o-1",
        ticket: "T-1",
        other: "T-1",
        to: "implementing",
        pr: 7,
        node: "n-1",
        inFlight: 0,
        tick: 0,
      },
      {
        kind: "archive",
        orch: "o-1",
        ticket: "T-1",
        other: "T-1",
        to: "done",
        pr: 7,
        node: "n-1",
        inFlight: 0,
        tick: 0,
      },
      {
        kind: "status",
        orch: "o-1",
        ticket: "T-2",
        other: "T-2",
        to: "implementing",
        pr: 7,
        node: "n-1",
        inFlight: 0,
        tick: 0,
      },
    ]);
    sameFold(foldBatches(records, new Set()), foldBatches(records, new Set([0, 1, 2])));
  });

  it("a ticket only a wave-started list names, looked up by a line of the same batch", () => {
    const records = recordsOf([
      {
        kind: "wave-started",
        orch: "o-1",
        ticket: "T-1",
        other: "T-2",
        to: "done",
        pr: 7,
        node: "n-1",
        inFlight: 0,
        tick: 0,
      },
      {
        kind: "ticket-only",
        orch: "o-1",
        ticket: "T-2",
        other: "T-2",
        to: "done",
        pr: 7,
        node: "n-1",
        inFlight: 0,
        tick: 0,
      },
    ]);
    sameFold(foldBatches(records, new Set()), foldBatches(records, new Set([0, 1])));
  });

  it("publishes early what the next line reads, once per wave line and archive, not once per line", () => {
    const base = { other: "T-3", pr: 7, node: "n-1", inFlight: 0, tick: 0 } as const;
    const specs: LineSpec[] = [{ ...base, kind: "wave-started", orch: "o-1", ticket: "T-1", to: "done" }];
    for (let i = 0; i < 60; i++)
      specs.push({ ...base, kind: "status", orch: "o-1", ticket: TICKETS[i % 3]!, to: STATUSES[i % 5]! });
    specs.push({ ...base, kind: "archive", orch: "o-2", ticket: "T-1", to: "done" });
    for (let i = 0; i < 60; i++)
      specs.push({ ...base, kind: "ticket-only", orch: "o-1", ticket: TICKETS[i % 3]!, to: "done" });
    const records = recordsOf(specs);
    const work: BatchWork = { visited: 0, published: 0 };
    reduceBatch(createInitialState(), [{ kind: "log-lines", records }], NOW, undefined, false, false, work);
    // Early: o-1 when the wave's first ticket is named again, o-2 (archived, dropped) before the
    // first ticket-only line; then o-1 at the end. Not once per line, nor the fleet each time.
    expect(work.published).toBe(3);
    sameFold(foldBatches(records, new Set()), foldBatches(records, new Set(records.map((_, i) => i))));
  });

  it("replayed history folded ahead of the views (coalesce) with an archive in it", () => {
    const base = { other: "T-3", pr: 7, node: "n-1", inFlight: 0, tick: 0 } as const;
    const records = recordsOf([
      { ...base, kind: "status", orch: "o-1", ticket: "T-1", to: "implementing" },
      { ...base, kind: "archive", orch: "o-1", ticket: "T-1", to: "done" },
      { ...base, kind: "status", orch: "o-1", ticket: "T-2", to: "implementing" },
    ]);
    const input: FuseInput = { kind: "log-lines", records, replayed: true };
    const coalesced = reduceBatch(createInitialState(), [input], NOW, undefined, false, true).state;
    sameFold(coalesced, foldBatches(records, new Set(records.map((_, i) => i)), true));
  });
});
