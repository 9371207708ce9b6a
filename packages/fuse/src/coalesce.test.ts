// `apply(inputs, now, { coalesce: true })`: a first read of a fleet publishes each orchestrator once
// (issue 26: every signal file rebuilt its orchestrator, a third of a 10,000-worker start-up).
// Counted, never timed.
import type { Delta, FuseInput, Snapshot } from "@catalyst/schema";
import { describe, expect, it } from "vitest";
import { applyDelta, createFuse, createInitialState } from "./index.js";
import {
  at,
  globalState,
  liveness,
  localState,
  logLines,
  orchestratorAdded,
  prStatus,
  signal,
  working,
} from "./inputs.test-helper.js";
import { reduceBatch } from "./reduce.js";

const ORCHESTRATORS = 5;
const PER_ORCHESTRATOR = 20;
const idOf = (o: number) => `orch-${o}`;
const ticketOf = (o: number, w: number) => `T-${o}-${w}`;

/** A first scan as the watcher sends it: every orchestrator, its files, then the global state. */
function firstScan(): FuseInput[] {
  const inputs: FuseInput[] = [];
  const entries: Record<string, unknown> = {};
  for (let o = 0; o < ORCHESTRATORS; o++) inputs.push(orchestratorAdded(idOf(o)));
  for (let o = 0; o < ORCHESTRATORS; o++) {
    const id = idOf(o);
    const tickets = Array.from({ length: PER_ORCHESTRATOR }, (_, w) => ticketOf(o, w));
    inputs.push(localState({ orchestrator: id, currentWave: 1, waves: [{ wave: 1, tickets }] }, id));
    const workers: Record<string, unknown> = {};
    for (const [w, ticket] of tickets.entries()) {
      const fields = {
        orchestrator: id,
        pid: 100 + w,
        pr: w === 0 ? { number: 40 + o, url: `https://github.com/acme/api/pull/${40 + o}` } : null,
      };
      inputs.push(signal(working(ticket, fields), ticket, id));
      workers[ticket] = { ticketId: ticket, title: `Ticket ${ticket}`, status: "implementing" };
    }
    entries[id] = { id, projectKey: "acme", repository: "acme/api", status: "active", workers };
  }
  inputs.push(globalState({ version: "1.0.0", orchestrators: entries }));
  return inputs;
}

/** The first scan with later reads mixed in: a worker written again, pid answers, a PR, a log line. */
function mixedBatch(): FuseInput[] {
  const scan = firstScan();
  return [
    ...scan.slice(0, 30),
    signal(
      working(ticketOf(0, 3), { orchestrator: idOf(0), status: "failed", error: "boom" }),
      ticketOf(0, 3),
      idOf(0),
    ),
    liveness(ticketOf(0, 4), 104, false, idOf(0)),
    // Matched against the views: the signals before it must be published first.
    prStatus({ number: 40, state: "merged", mergedAt: at(-5).toISOString() }),
    ...scan.slice(30, 70),
    logLines({
      ts: at(-1).toISOString(),
      orchestrator: idOf(1),
      worker: ticketOf(1, 2),
      event: "worker-status-change",
      detail: { from: "implementing", to: "validating" },
    }),
    ...scan.slice(70),

    liveness(ticketOf(4, 1), 101, true, idOf(4)),
  ];
}

/** A client's copy patched with the deltas, stamped like the live snapshot it is compared with. */
function patched(from: Snapshot, deltas: readonly Delta[], live: Snapshot): Snapshot {
  let copy = from;
  for (const delta of deltas) copy = applyDelta(copy, delta);
  return { ...copy, generatedAt: live.generatedAt };
}

function workerOf(snapshot: Snapshot, orchestrator: string, ticket: string) {
  return snapshot.orchestrators.find((o) => o.id === orchestrator)?.workers[ticket];
}

describe("apply with coalesce", () => {
  it("publishes each orchestrator of a first scan once, where one by one publishes per input", () => {
    const scan = firstScan();
    const coalesced = { visited: 0, published: 0 };
    reduceBatch(createInitialState(), scan, at(0), undefined, false, true, coalesced);
    expect(coalesced.published).toBe(ORCHESTRATORS);
    // One worker view built and one row set derived per worker (needs-you on a fresh fleet).
    expect(coalesced.visited).toBe(2 * ORCHESTRATORS * PER_ORCHESTRATOR);

    const single = { visited: 0, published: 0 };
    reduceBatch(createInitialState(), scan, at(0), undefined, false, false, single);
    expect(single.published).toBeGreaterThanOrEqual(scan.length);
  });

  it("sends each worker once, and ends at the snapshot applying the inputs one by one gives", () => {
    const coalesced = createFuse();
    const single = createFuse();
    const before = coalesced.snapshot();
    const deltas = coalesced.apply(firstScan(), at(0), { coalesce: true });
    single.apply(firstScan(), at(0));
    const updates = deltas.filter((d) => d.event === "worker-update");
    expect(updates).toHaveLength(ORCHESTRATORS * PER_ORCHESTRATOR);
    expect(coalesced.snapshot()).toEqual(single.snapshot());
    expect(patched(before, deltas, coalesced.snapshot())).toEqual(coalesced.snapshot());
  });

  it("publishes what is pending before a PR status or a log line, which look workers up in the views", () => {
    const coalesced = createFuse();
    const single = createFuse();
    const before = coalesced.snapshot();
    const deltas = coalesced.apply(mixedBatch(), at(0), { coalesce: true });
    single.apply(mixedBatch(), at(0));
    const live = coalesced.snapshot();
    expect(live).toEqual(single.snapshot());
    expect(workerOf(live, idOf(0), ticketOf(0, 0))?.pr).toMatchObject({
      number: 40,
      state: "merged",
    });
    expect(workerOf(live, idOf(1), ticketOf(1, 2))?.status).toBe("validating");
    expect(patched(before, deltas, live)).toEqual(live);
    // The tick after it agrees too.
    coalesced.apply({ kind: "tick" }, at(30), { coalesce: true });
    single.apply({ kind: "tick" }, at(30));
    expect(coalesced.snapshot()).toEqual(single.snapshot());
  });
});
