import {
  createInitialState,
  exportHostState,
  type FuseState,
  mergeHostStates,
  reduce,
  stateHosts,
  toSnapshot,
} from "@catalyst/fuse";
import type { LogRecord, Snapshot } from "@catalyst/schema";
import { parseLogLine } from "@catalyst/sources";
import { createSeededRandom, tombstoneLine } from "@catalyst/test-utils";
import { describe, expect, it } from "vitest";
import {
  addReach,
  emptyReach,
  type HostReach,
  nodesOf,
  noteLine,
  reachCrossing,
  restrictReach,
} from "./host-reach.js";

// Issue 25, the exactness of the central checkpoints' per-host pieces (central-time-travel.ts,
// "mending"): for random multi-host logs under skewed clocks and every checkpoint time t, a
// checkpoint laid before some of a host's lines stored late, mended by folding that host's lines
// alone onto its piece of an earlier checkpoint and merging with the other hosts' pieces, equals
// one fold of every line up to t (and folds on equal). Where the hosts' lines do not fold apart
// (a ticket looked up across hosts named by two of them, a node named by two), the store does not
// mend; those cases are counted too, and merged anyway they must be found unequal at least once
// (so the guard is not idle).

const H = 3_600_000;
const MINUTE = 60_000;
const BASE = Date.parse("2026-04-01T00:00:00Z");
const HOSTS = ["alpha", "beta", "gamma"];
const STATUSES = ["researching", "planning", "implementing", "validating", "pr-created", "done", "failed"];

interface Line {
  host: string;
  record: LogRecord;
}

function recordOf(host: string, text: string, offset: number): LogRecord {
  const parsed = parseLogLine(text, "events/2026-04.jsonl", offset);
  if (!parsed.ok) throw new Error(`bad test line ${text}`);
  const r = parsed.record;
  const ev = r.event;
  return {
    ...r,
    file: `${host}/${r.file}`,
    event: ev.orchestrator === null ? ev : { ...ev, orchestrator: `${host}/${ev.orchestrator}` },
  };
}

/** A random log of three hosts (one 7 h ahead, one 3 days behind), in the central fold's order. */
function randomLog(seed: number, shared: { tickets: boolean; nodes: boolean }): Line[] {
  const random = createSeededRandom(seed).next;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const skew: Record<string, number> = { alpha: 7 * H, beta: -3 * 24 * H, gamma: 0 };
  const lines: { host: string; ms: number; text: string; offset: number }[] = [];
  for (const host of HOSTS) {
    let offset = 0;
    const tickets = [`${host}-1`, `${host}-2`, `${host}-3`, ...(shared.tickets ? ["S-1"] : [])];
    const nodes = [`${host}-node`, ...(shared.nodes ? ["shared-node"] : [])];
    for (let i = 0; i < 40; i++) {
      const ms = BASE + skew[host]! + i * 4 * MINUTE + Math.floor((random() - 0.5) * 20 * MINUTE);
      const ts = new Date(ms).toISOString();
      const ticket = pick(tickets);
      const orchestrator = pick(["orch-1", "orch-2"]);
      const kind = random();
      let line: Record<string, unknown>;
      if (kind < 0.45)
        line = {
          ts,
          orchestrator,
          worker: ticket,
          event: "worker-status-change",
          detail: { to: pick(STATUSES) },
        };
      else if (kind < 0.6)
        line = { ts, orchestrator, worker: ticket, event: "worker-dispatched", detail: null };
      // Names a ticket, no orchestrator: looked up across the fleet.
      else if (kind < 0.72)
        line = { ts, worker: ticket, event: pick(["worker-done", "worker-failed"]), detail: null };
      else if (kind < 0.78)
        line = {
          ts,
          orchestrator,
          event: "wave-started",
          detail: { wave: pick([1, 2]), tickets: [ticket, pick(tickets)] },
        };
      else if (kind < 0.86)
        line = {
          ts,
          attributes: {
            "event.name": "node.heartbeat",
            "catalyst.node.in_flight_count": Math.floor(random() * 4),
          },
          resource: { "service.name": "catalyst.execution-core", "host.name": pick(nodes) },
        };
      else if (kind < 0.93 && host === "gamma")
        // A tombstone: placed on the ticket's workers, or a problem of its file when none has the
        // ticket (session.context names none). One host's only: the problems of two hosts' files
        // do not merge (mergeHostStates).
        line = tombstoneLine(ts, random() < 0.5 ? "session.context" : `phase.plan.complete.${ticket}`, host);
      else line = { ts, orchestrator, event: pick(["orchestrator-started", "archive"]), detail: null };
      const text = JSON.stringify(line);
      lines.push({ host, ms, text, offset });
      offset += text.length + 1;
    }
  }
  // readRelayEvents' order: the line's own ts, then host, file, generation, offset.
  lines.sort((a, b) => a.ms - b.ms || (a.host < b.host ? -1 : a.host > b.host ? 1 : a.offset - b.offset));
  return lines.map((l) => ({ host: l.host, record: recordOf(l.host, l.text, l.offset) }));
}

/**
 * Lines folded (replayed, as the fold loop does) onto `state` in batches of up to 7, noting each
 * in `reach`. The batches start at other places than the checkpoints' and the pieces' folds: a
 * fold of log lines does not depend on how they are batched (fuse README, "Batches of log lines").
 */
function foldLines(state: FuseState, lines: readonly Line[], reach: HostReach, now: Date): FuseState {
  let next = state;
  for (let i = 0; i < lines.length; i += 7) {
    const batch = lines.slice(i, i + 7);
    for (const l of batch) noteLine(reach, l.host, l.record);
    const records = batch.map((l) => l.record);
    next = reduce(next, { kind: "log-lines", records, replayed: true }, now).state;
  }
  return next;
}

/** The fleet at `at` after a state: one tick at `at`, then the snapshot (what an answer shows). */
function answer(state: FuseState, at: Date): Snapshot {
  return toSnapshot(reduce(state, { kind: "tick" }, at).state, at);
}

/** Every host's piece of `state`, merged again. */
function split(state: FuseState, reach: HostReach): FuseState | null {
  const hosts = new Set(stateHosts(state) ?? []);
  for (const list of reach.nodes.values()) for (const h of list) hosts.add(h);
  return mergeHostStates(
    [...hosts].sort().map((h) => exportHostState(state, h, { nodes: nodesOf(reach, h) })),
  );
}

describe("central checkpoints' per-host pieces", () => {
  it("merged, pieces folded apart equal one fold of every line at every checkpoint time (random skewed logs)", () => {
    const now = new Date("2099-01-01T00:00:00Z");
    const counts = { mended: 0, guarded: 0, guardedUnequal: 0, roundTrips: 0 };
    for (let seed = 1; seed <= 4; seed++) {
      // Tickets named by two hosts' lines in one of the logs, a node named by two in another.
      const shared = { tickets: seed === 3, nodes: seed === 4 };
      const lines = randomLog(seed, shared);
      const every = 15;
      // The full fold, with a checkpoint (state, reach) after every `every` lines.
      const checkpoints: { index: number; atMs: number; state: FuseState; reach: HostReach }[] = [];
      let state = createInitialState();
      const reach = emptyReach();
      for (let i = 0; i < lines.length; i += every) {
        state = foldLines(state, lines.slice(i, i + every), reach, now);
        const last = Math.min(i + every, lines.length) - 1;
        // Only where the next line has a later ts (the fold loop's rule).
        if (last + 1 < lines.length && lines[last + 1]!.record.event.tsMs === lines[last]!.record.event.tsMs)
          continue;
        checkpoints.push({
          index: last + 1,
          atMs: lines[last]!.record.event.tsMs,
          state,
          reach: restrictReach(reach, () => true),
        });
      }
      for (const c of checkpoints) {
        // merge(split(s)) = s, whenever the hosts' reach allows pieces at all.
        const again = split(c.state, c.reach);
        if (again !== null) {
          counts.roundTrips++;
          expect(answer(again, new Date(c.atMs)), `seed ${seed} round trip at ${c.index}`).toEqual(
            answer(c.state, new Date(c.atMs)),
          );
        }
      }
      // Mending: host `late`'s lines after checkpoint `b` and up to `t` (some of them) stored late.
      for (const [ti, t] of checkpoints.entries()) {
        // From the beginning, or from one of the two checkpoints before t.
        for (const [bi, b] of [[-1, null] as const, ...checkpoints.entries()]) {
          if (bi >= ti) break;
          if (bi >= 0 && bi < ti - 2) continue;
          for (const late of HOSTS) {
            const window = lines.slice(b?.index ?? 0, t.index).filter((l) => l.host === late);
            if (window.length === 0) continue;
            // The checkpoint at t as laid without the late host's last lines of the window.
            const missing = new Set(window.slice(Math.floor(window.length / 2)));
            const laidReach = emptyReach();
            const laid = foldLines(
              createInitialState(),
              lines.slice(0, t.index).filter((l) => !missing.has(l)),
              laidReach,
              now,
            );
            // The late host's piece of b (or nothing), its lines since folded alone.
            let pieceReach = b === null ? emptyReach() : restrictReach(b.reach, (h) => h === late);
            let piece =
              b === null
                ? createInitialState()
                : mergeHostStates([exportHostState(b.state, late, { nodes: nodesOf(b.reach, late) })]);
            expect(piece).not.toBeNull();
            piece = foldLines(piece!, window, pieceReach, now);
            pieceReach = addReach(
              restrictReach(laidReach, (h) => h !== late),
              pieceReach,
            );
            const others = new Set(stateHosts(laid) ?? []);
            for (const list of laidReach.nodes.values()) for (const h of list) others.add(h);
            others.delete(late);
            const merged = mergeHostStates([
              exportHostState(piece, late, { nodes: nodesOf(pieceReach, late) }),
              ...[...others].sort().map((h) => exportHostState(laid, h, { nodes: nodesOf(laidReach, h) })),
            ]);
            const at = new Date(t.atMs);
            const label = `seed ${seed}, late ${late}, from ${b?.index ?? 0} to ${t.index}`;
            if (reachCrossing(pieceReach) !== null || reachCrossing(laidReach) !== null || merged === null) {
              counts.guarded++;
              if (
                merged !== null &&
                JSON.stringify(answer(merged, at)) !== JSON.stringify(answer(t.state, at))
              )
                counts.guardedUnequal++;
              continue;
            }
            counts.mended++;
            expect(answer(merged, at), label).toEqual(answer(t.state, at));
            // And it folds on as the full fold does: the rest of the log, then the end.
            if (bi !== ti - 1) continue;
            const rest = lines.slice(t.index);
            const end = new Date(BASE + 10 * 24 * H);
            expect(answer(foldLines(merged, rest, emptyReach(), now), end), label).toEqual(
              answer(foldLines(t.state, rest, emptyReach(), now), end),
            );
          }
        }
      }
    }
    // Both kinds met: mended cases, and guarded ones where merging anyway would have been wrong.
    expect(counts.mended).toBeGreaterThan(60);
    expect(counts.roundTrips).toBeGreaterThan(15);
    expect(counts.guarded).toBeGreaterThan(0);
    expect(counts.guardedUnequal).toBeGreaterThan(0);
  }, 60_000);
});
