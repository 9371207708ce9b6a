// The dashboard's DOM-free modules, tested in Node with plain objects and fixed times.

import { backoffDelay, canResume } from "@catalyst/client";
import { applyDelta } from "@catalyst/fuse";
import {
  fleetSnapshot,
  hostsUpdate,
  multiHostSnapshot,
  T0,
  workerUpdate,
  workerView,
} from "@catalyst/test-utils";
import { describe, expect, it } from "vitest";
import { describeDelta } from "../src/event-feed.js";
import { formatFilters, matchesNeedsYou, matchesWorker, parseFilters } from "../src/filters.js";
import { compareNatural, formatAge, formatTokens, formatUsd, ticketProject } from "../src/format.js";
import { topSpenders } from "../src/spenders.js";
import { ciTone, isFinished, workerStatusTone } from "../src/status-tone.js";
import { createStore, workerKey } from "../src/store.js";

const API = "orch-api-2026-04-14";
const WEB = "orch-web-2026-04-14";

describe("format", () => {
  it("formats ages like the reference UI", () => {
    expect(formatAge(0)).toBe("0s");
    expect(formatAge(59_999)).toBe("59s");
    expect(formatAge(3 * 60_000 + 4000)).toBe("3m 04s");
    expect(formatAge(2 * 3_600_000 + 5 * 60_000)).toBe("2h 05m");
    expect(formatAge(3 * 86_400_000 + 4 * 3_600_000)).toBe("3d 4h");
    expect(formatAge(-5000)).toBe("0s");
  });

  it("formats money and tokens, sorts tickets naturally, finds the project key", () => {
    expect(formatUsd(0)).toBe("$0");
    expect(formatUsd(0.004)).toBe("<$0.01");
    expect(formatUsd(12.3)).toBe("$12.30");
    expect(formatTokens(950)).toBe("950");
    expect(formatTokens(12_345)).toBe("12k");
    expect(formatTokens(4_100_000)).toBe("4.1M");
    expect(["CTL-10", "CTL-9", "CTL-100"].sort(compareNatural)).toEqual(["CTL-9", "CTL-10", "CTL-100"]);
    expect(ticketProject("ctl-48")).toBe("CTL");
    expect(ticketProject("orch-x")).toBeNull();
  });

  it("counts a worker finished by the schema's terminal statuses, in any case", () => {
    expect(isFinished("MERGED")).toBe(true);
    expect(isFinished("implementing")).toBe(false);
  });

  it("maps open-ended statuses onto fixed tones", () => {
    expect(workerStatusTone("implementing")).toBe("implement");
    expect(workerStatusTone("in_progress")).toBe("implement");
    expect(workerStatusTone("some-future-status")).toBe("unknown");
    expect(ciTone("passing,pending")).toBe("validate");
    expect(ciTone("failing,passing")).toBe("failed");
  });
});

describe("filters", () => {
  it("parses comma lists and writes them back, keeping other parameters", () => {
    const f = parseFilters("?orch=a,b&status=failed&token=t0k&project=");
    expect(f).toEqual({ orch: ["a", "b"], status: ["failed"], project: [], host: [] });
    expect(formatFilters({ ...f, project: ["CTL"] }, "?token=t0k&orch=x")).toBe(
      "?token=t0k&orch=a,b&status=failed&project=CTL",
    );
    expect(formatFilters({ orch: [], status: [], project: [], host: [] }, "?orch=x")).toBe("");
    expect(formatFilters({ ...f, host: ["beta"] }, "")).toBe("?orch=a,b&status=failed&host=beta");
  });

  it("matches status groups, project keys and ticket prefixes, orchestrator id parts", () => {
    const snap = fleetSnapshot();
    const api = snap.orchestrators[0]!;
    const web = snap.orchestrators[1]!;
    const match = (search: string) =>
      snap.orchestrators.flatMap((o) =>
        Object.values(o.workers)
          .filter((w) => matchesWorker(w, o, parseFilters(search)))
          .map((w) => w.ticket),
      );
    expect(match("?status=active")).toEqual([
      "CTL-48",
      "CTL-49",
      "CTL-51",
      "CTL-53",
      "WEB-7",
      "WEB-8",
      "WEB-9",
    ]);
    expect(match("?status=finished")).toEqual(["CTL-50", "CTL-52"]);
    expect(match("?status=attention")).toEqual(["CTL-48", "CTL-50", "CTL-51"]);
    expect(match("?project=web")).toEqual(["WEB-7", "WEB-8", "WEB-9"]);
    expect(match("?orch=API&status=Failed")).toEqual(["CTL-50"]);
    // A ticket prefix counts even when the orchestrator has no project key.
    const noKey = { ...web, projectKey: null };
    expect(matchesWorker(web.workers["WEB-7"]!, noKey, parseFilters("?project=WEB"))).toBe(true);
    expect(matchesWorker(api.workers["CTL-48"]!, api, parseFilters("?project=WEB"))).toBe(false);
  });
});

describe("hosts (a monitor that fuses several machines)", () => {
  it("filters by host, exactly and in any case; an orchestrator without a host never matches one", () => {
    const snap = multiHostSnapshot();
    const byHost = (search: string) =>
      snap.orchestrators.flatMap((o) =>
        Object.values(o.workers)
          .filter((w) => matchesWorker(w, o, parseFilters(search)))
          .map((w) => w.ticket),
      );
    expect(byHost("?host=BETA")).toEqual(["WEB-1", "WEB-2"]);
    expect(byHost("?host=bet")).toEqual([]);
    expect(byHost("?host=alpha,beta&status=failed")).toEqual(["CTL-2"]);
    expect(matchesNeedsYou(snap.needsYou[0]!, snap.orchestrators, parseFilters("?host=beta"))).toBe(false);
    expect(matchesNeedsYou(snap.needsYou[0]!, snap.orchestrators, parseFilters("?host=alpha"))).toBe(true);
    const single = fleetSnapshot().orchestrators[0]!;
    expect(matchesWorker(Object.values(single.workers)[0]!, single, parseFilters("?host=alpha"))).toBe(false);
  });

  it("says which hosts went stale, came back or joined, and nothing for a heartbeat alone", () => {
    const before = multiHostSnapshot();
    const hosts = before.hosts!;
    const stale = hosts.map((h) => ({ ...h, stale: h.name === "beta" }));
    expect(describeDelta(hostsUpdate(5, stale), before)).toMatchObject({
      kind: "host",
      tone: "stalled",
      orchestrator: null,
      text: "host beta stale (no heartbeat)",
    });
    const after = applyDelta(before, hostsUpdate(5, stale));
    const back = [...hosts, { name: "gamma", lastHeartbeat: null, stale: false }];
    expect(describeDelta(hostsUpdate(6, back), after)?.text).toBe("host beta back · gamma joined");
    const beat = hosts.map((h) => ({ ...h, lastHeartbeat: new Date().toISOString() }));
    expect(describeDelta(hostsUpdate(7, beat), before)).toBeNull();
  });
});

describe("connection policy", () => {
  it("backs off exponentially up to the cap, with bounded jitter", () => {
    const b = { initialMs: 500, maxMs: 15_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 10].map((n) => backoffDelay(n, b, () => 0.5))).toEqual([
      500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000,
    ]);
    expect(backoffDelay(1, b, () => 0)).toBe(375);
    expect(backoffDelay(1, b, () => 0.999999)).toBe(625);
  });

  it("resumes only from the same server instance", () => {
    expect(canResume(40, { lastEventId: 45, uptimeSec: 600 }, 3000)).toBe(true);
    expect(canResume(0, { lastEventId: 45, uptimeSec: 600 }, 3000)).toBe(false);
    // Restarted: ids numbered from 1 again.
    expect(canResume(40, { lastEventId: 3, uptimeSec: 600 }, 3000)).toBe(false);
    // Restarted and already past our id: only the uptime gives it away.
    expect(canResume(40, { lastEventId: 90, uptimeSec: 2 }, 3000)).toBe(false);
  });
});

describe("applyDelta (from @catalyst/fuse) as the dashboard relies on it, and the event stream lines", () => {
  it("patches workers, orchestrators and the needs-you list without mutating the input", () => {
    const snap = fleetSnapshot();
    const frozen = JSON.stringify(snap);
    const moved = workerView(WEB, "WEB-7", {
      status: "shipping",
      phase: 5,
      updatedAt: "2026-04-14T19:05:00.000Z",
    });
    const a = applyDelta(snap, workerUpdate(11, moved));
    expect(a.orchestrators[1]!.workers["WEB-7"]!.status).toBe("shipping");
    expect(a.generatedAt).toBe("2026-04-14T19:05:00.000Z");
    const b = applyDelta(a, {
      id: 12,
      event: "worker-removed",
      data: { orchestrator: WEB, worker: "WEB-8", ts: T0 },
    });
    expect(Object.keys(b.orchestrators[1]!.workers)).toEqual(["WEB-7", "WEB-9"]);
    const { workers: _w, ...summary } = b.orchestrators[0]!;
    const c = applyDelta(b, {
      id: 13,
      event: "orchestrator-update",
      data: { orchestrator: API, ts: T0, orchestratorState: { ...summary, currentWave: 2 } },
    });
    expect(c.orchestrators[0]!.currentWave).toBe(2);
    expect(Object.keys(c.orchestrators[0]!.workers)).toHaveLength(6);
    const d = applyDelta(c, {
      id: 14,
      event: "needs-you",
      data: { ts: T0, added: [], changed: [], removed: c.needsYou },
    });
    expect(d.needsYou).toEqual([]);
    const e = applyDelta(d, { id: 15, event: "orchestrator-removed", data: { orchestrator: WEB, ts: T0 } });
    expect(e.orchestrators.map((o) => o.id)).toEqual([API]);
    expect(JSON.stringify(snap)).toBe(frozen);
  });

  it("keeps unchanged orchestrators and workers as the same objects (the fleet view reuses their DOM)", () => {
    const snap = fleetSnapshot();
    const next = applyDelta(
      snap,
      workerUpdate(11, workerView(WEB, "WEB-7", { status: "shipping", phase: 5 })),
    );
    expect(next.orchestrators[0]).toBe(snap.orchestrators[0]);
    expect(next.orchestrators[1]).not.toBe(snap.orchestrators[1]);
    expect(next.orchestrators[1]!.workers["WEB-8"]).toBe(snap.orchestrators[1]!.workers["WEB-8"]);
  });

  it("describes what changed compared with the state before", () => {
    const snap = fleetSnapshot();
    const status = describeDelta(
      workerUpdate(11, workerView(WEB, "WEB-7", { status: "shipping", phase: 5 })),
      snap,
    );
    expect(status).toMatchObject({ kind: "status", worker: "WEB-7", text: "validating → shipping" });
    const phase = describeDelta(
      workerUpdate(12, workerView(WEB, "WEB-7", { status: "validating", phase: 5 })),
      snap,
    );
    expect(phase).toMatchObject({ kind: "phase", text: "phase 4 → 5" });
    const fresh = describeDelta(
      workerUpdate(13, workerView(WEB, "WEB-10", { status: "dispatched", phase: 0 })),
      snap,
    );
    expect(fresh).toMatchObject({ kind: "new", text: "discovered · dispatched · phase 0" });
    const wave = describeDelta(
      {
        id: 14,
        event: "wave-completed",
        data: { orchestrator: API, wave: 1, tickets: ["CTL-48"], ts: T0, derived: true },
      },
      snap,
    );
    expect(wave).toMatchObject({ kind: "wave", text: "wave 1 completed (1 ticket)" });
    expect(
      describeDelta(
        { id: 15, event: "needs-you", data: { ts: T0, added: [], changed: [], removed: [] } },
        snap,
      ),
    ).toBeNull();
    const web7 = snap.orchestrators[1]!.workers["WEB-7"]!;
    const pid = describeDelta(workerUpdate(16, { ...web7, pid: 6001, cost: { costUSD: 0.5 } }), snap);
    expect(pid).toMatchObject({ kind: "update", text: "pid 6001 · cost $0.50" });
    // Only a timestamp moved: not worth a line.
    expect(
      describeDelta(workerUpdate(17, { ...web7, updatedAt: "2026-04-14T20:00:00.000Z" }), snap),
    ).toBeNull();
  });
});

describe("store", () => {
  it("keeps the feed newest first and capped, tracks the resume id and changed rows", () => {
    let now = 1000;
    const store = createStore({ maxFeed: 3, now: () => now });
    store.applyFrame(workerUpdate(1, workerView(WEB, "WEB-7")));
    expect(store.getState().snapshot).toBeNull();
    store.applyFrame({ id: 10, event: "snapshot", data: fleetSnapshot() });
    expect(store.getState().feed.map((e) => e.kind)).toEqual(["sync"]);
    for (let i = 0; i < 4; i++) {
      now += 1;
      store.applyFrame(
        workerUpdate(
          11 + i,
          workerView(WEB, "WEB-7", { status: i % 2 ? "validating" : "shipping", phase: 4 }),
        ),
      );
    }
    const state = store.getState();
    expect(state.feed.map((e) => e.id)).toEqual([14, 13, 12]);
    expect(state.lastId).toBe(14);
    expect(state.changedAt.get(workerKey(WEB, "WEB-7"))).toBe(1004);
    // A later snapshot (periodic, or after a restart) sets the resume id even when it is lower.
    store.applyFrame({ id: 2, event: "snapshot", data: fleetSnapshot() });
    expect(store.getState().lastId).toBe(2);
    expect(store.getState().feed[0]!.kind).not.toBe("sync");
  });
});

describe("spend", () => {
  it("the store books what a worker's cost grew at the frame's time; top spenders are by cost", () => {
    const store = createStore();
    const base = fleetSnapshot();
    const costed = {
      ...base,
      generatedAt: "2026-04-14T20:00:00.000Z",
      orchestrators: base.orchestrators.map((o, i) => ({
        ...o,
        workers: Object.fromEntries(
          Object.entries(o.workers).map(([k, w], j) => [
            k,
            { ...w, cost: { costUSD: i + j + 1 }, startedAt: null, updatedAt: "2026-04-14T19:30:00.000Z" },
          ]),
        ),
      })),
    };
    store.applyFrame({ id: 1, event: "snapshot", data: costed });
    const all = costed.orchestrators.flatMap((o) => Object.values(o.workers));
    const total = all.reduce((n, w) => n + (w.cost?.costUSD ?? 0), 0);
    const day = [new Date("2026-04-14T00:00:00Z"), new Date("2026-04-15T00:00:00Z")] as const;
    expect(store.spent(...day)).toBeCloseTo(total, 6);
    const first = all[0]!;
    store.applyFrame(
      workerUpdate(2, {
        ...first,
        cost: { costUSD: (first.cost?.costUSD ?? 0) + 2.5 },
        updatedAt: "2026-04-14T20:10:00.000Z",
      }),
    );
    expect(store.spent(new Date("2026-04-14T20:00:00Z"), new Date("2026-04-14T21:00:00Z"))).toBeCloseTo(
      2.5,
      6,
    );
    const top = topSpenders(store.getState().snapshot!, 3);
    expect(top).toHaveLength(Math.min(3, all.length));
    for (let i = 1; i < top.length; i++)
      expect(top[i - 1]!.cost!.costUSD!).toBeGreaterThanOrEqual(top[i]!.cost!.costUSD!);
    expect(top[0]!.cost!.costUSD).toBe(
      Math.max(
        ...all.map((w) =>
          w.ticket === first.ticket && w.orchestrator === first.orchestrator
            ? (first.cost?.costUSD ?? 0) + 2.5
            : (w.cost?.costUSD ?? 0),
        ),
      ),
    );
  });
});
