import { multiHostSnapshot, workerView } from "@catalyst/test-utils";
import { describe, expect, it } from "vitest";
import { bigFleet, orchestrator, snapshotOf, worker } from "./fixtures.test-helper.js";
import { plainTable } from "./plain.js";
import {
  age,
  aliveCell,
  countFleet,
  countsLine,
  formatHeaderRow,
  formatWorkerRow,
  hostColumnWidth,
  hostParts,
  hostsLine,
  NO_VIEW_FILTER,
  nextHost,
  orchestratorList,
  phaseBar,
  phaseCell,
  pushBounded,
  spendLine,
  windowRows,
  workerRows,
} from "./view-model.js";

const fleet = snapshotOf([
  orchestrator("orch-a", [
    worker("orch-a", "A-1", { status: "done", phase: 6 }),
    worker("orch-a", "A-2", { status: "failed", phase: 3 }),
    worker("orch-a", "A-3", { status: "researching", phase: 1, title: "Dark mode" }),
  ]),
  orchestrator("orch-b", [
    worker("orch-b", "B-1", { status: "validating", phase: 4, alive: false }),
    worker("orch-b", "B-2", { status: "stalled", phase: 2 }),
  ]),
]);

describe("workerRows", () => {
  it("puts needs-you first, then failed, then running by phase, then done", () => {
    expect(workerRows(fleet, NO_VIEW_FILTER).map((r) => r.worker.ticket)).toEqual([
      "A-2",
      "B-2",
      "B-1",
      "A-3",
      "A-1",
    ]);
    expect(workerRows(fleet, NO_VIEW_FILTER)[0]?.needsYou).toBe(true);
  });

  it("filters by text (ticket, title, status), by orchestrator, and failed / needs-you only", () => {
    expect(workerRows(fleet, { ...NO_VIEW_FILTER, text: "dark" }).map((r) => r.worker.ticket)).toEqual([
      "A-3",
    ]);
    expect(workerRows(fleet, { ...NO_VIEW_FILTER, text: "VALID" }).map((r) => r.worker.ticket)).toEqual([
      "B-1",
    ]);
    expect(
      workerRows(fleet, { ...NO_VIEW_FILTER, orchestrator: "orch-b" }).map((r) => r.worker.ticket),
    ).toEqual(["B-2", "B-1"]);
    expect(workerRows(fleet, { ...NO_VIEW_FILTER, failedOnly: true }).map((r) => r.worker.ticket)).toEqual([
      "A-2",
      "B-2",
    ]);
  });
});

describe("countFleet", () => {
  it("counts over the whole fleet", () => {
    expect(countFleet(fleet)).toEqual({
      orchestrators: 2,
      workers: 5,
      active: 2,
      done: 1,
      failed: 2,
      needsYou: 1,
      dead: 1,
      onStaleHosts: 0,
      costUsd: expect.any(Number),
    });
  });

  it("sums the workers' cost into the header and shows it in a COST column", () => {
    const costed = structuredClone(fleet);
    const workers = costed.orchestrators.flatMap((o) => Object.values(o.workers));
    workers.forEach((w, i) => {
      w.cost = { costUSD: 1.25 * (i + 1) };
    });
    const counts = countFleet(costed);
    expect(counts.costUsd).toBeCloseTo(1.25 * ((workers.length * (workers.length + 1)) / 2), 6);
    expect(countsLine(counts)).toContain(`· $${counts.costUsd.toFixed(2)} spent`);
    expect(formatHeaderRow(120)).toContain("COST");
    const row = workerRows(costed, NO_VIEW_FILTER).find((r) => r.worker.ticket === workers[0]!.ticket)!;
    expect(formatWorkerRow(row, 120, Date.now())).toContain("$1.25");
    const at = Date.parse("2026-04-14T12:00:00");
    expect(spendLine((from, to) => (to.getTime() - from.getTime() > 3_600_001 ? 12.5 : 0.75), at)).toBe(
      "spent today $12.50 · burn $0.75/h",
    );
  });
});

describe("windowRows", () => {
  it("shows everything when it fits", () => {
    expect(windowRows(5, 3, 10)).toEqual({ start: 0, end: 5 });
  });
  it("keeps the selection in view and stays inside the list", () => {
    expect(windowRows(2000, 0, 10)).toEqual({ start: 0, end: 10 });
    expect(windowRows(2000, 1000, 10)).toEqual({ start: 995, end: 1005 });
    expect(windowRows(2000, 1999, 10)).toEqual({ start: 1990, end: 2000 });
    expect(windowRows(2000, 5000, 10)).toEqual({ start: 1990, end: 2000 });
  });
});

describe("cells", () => {
  it("draws a phase bar, ages, and rows that fit the width", () => {
    expect(phaseBar(0)).toBe("░░░░░░░");
    expect(phaseBar(6)).toBe("███████");
    expect(phaseBar(3)).toBe("████░░░");
    const now = Date.parse("2026-04-14T19:00:00Z");
    expect(age("2026-04-14T18:59:30Z", now)).toBe("30s");
    expect(age("2026-04-14T17:00:00Z", now)).toBe("2h");
    expect(age(null, now)).toBe("-");
    const rows = workerRows(fleet, NO_VIEW_FILTER);
    for (const columns of [80, 120, 200]) {
      expect(formatHeaderRow(columns).length).toBeLessThanOrEqual(columns);
      for (const row of rows) expect(formatWorkerRow(row, columns, now).length).toBeLessThanOrEqual(columns);
    }
    expect(formatWorkerRow(rows[0]!, 80, now, true).startsWith(">")).toBe(true);
  });

  it("keeps the event pane bounded", () => {
    expect(pushBounded([1, 2, 3], [4, 5], 3)).toEqual([3, 4, 5]);
  });
});

describe("several hosts", () => {
  const now = Date.now();

  it("adds nothing on a single-host snapshot", () => {
    expect(hostColumnWidth(fleet)).toBe(0);
    expect(hostParts(fleet, now)).toBeNull();
    expect(nextHost(fleet.hosts, null)).toBeNull();
    expect(formatHeaderRow(120)).toBe(formatHeaderRow(120, hostColumnWidth(fleet)));
    expect(formatHeaderRow(120)).not.toContain("HOST");
  });

  it("gives each row its host, filters by host and cycles all → each host → all", () => {
    const snap = multiHostSnapshot();
    const rows = workerRows(snap, NO_VIEW_FILTER);
    expect(rows.map((r) => `${r.host}:${r.worker.ticket}`).sort()).toEqual([
      "alpha:CTL-1",
      "alpha:CTL-2",
      "beta:WEB-1",
      "beta:WEB-2",
    ]);
    expect(workerRows(snap, { ...NO_VIEW_FILTER, host: "beta" }).map((r) => r.worker.ticket)).toEqual([
      "WEB-2",
      "WEB-1",
    ]);
    expect(orchestratorList(snap, { ...NO_VIEW_FILTER, host: "alpha" }).map((o) => o.id)).toEqual([
      "alpha/orch-api",
    ]);
    expect(workerRows(snap, { ...NO_VIEW_FILTER, text: "beta" })).toHaveLength(2);
    expect([null, "alpha", "beta"].map((h) => nextHost(snap.hosts, h))).toEqual(["alpha", "beta", null]);
  });

  it("marks a stale host's workers 'stale host', never counts them dead, and words the silence", () => {
    const fresh = multiHostSnapshot();
    expect(countFleet(fresh)).toMatchObject({ dead: 1, onStaleHosts: 0 });
    const stale = multiHostSnapshot({ staleHosts: ["beta"], heartbeatAgoMs: 130_000 });
    const counts = countFleet(stale);
    expect(counts).toMatchObject({ dead: 0, onStaleHosts: 2 });
    expect(countsLine(counts)).toContain("· 2 on stale hosts");
    expect(countsLine(counts)).not.toContain("dead");
    const web2 = workerRows(stale, NO_VIEW_FILTER).find((r) => r.worker.ticket === "WEB-2")!;
    expect(web2.hostStale).toBe(true);
    const width = hostColumnWidth(stale);
    expect(width).toBe(5);
    for (const columns of [80, 120, 200]) {
      const line = formatWorkerRow(web2, columns, now, false, width);
      expect(line.length).toBeLessThanOrEqual(columns);
      expect(line).toContain("stale host");
      expect(line).not.toContain("DEAD");
      expect(formatHeaderRow(columns, width)).toContain("HOST");
    }
    expect(hostsLine(hostParts(stale, now)!)).toBe("hosts: alpha · beta STALE (no heartbeat for 2 min)");
    // --once prints the same: the hosts line, the HOST column, no DEAD on the stale host.
    const plain = plainTable(stale, 100, now).split("\n");
    expect(plain[1]).toBe("hosts: alpha · beta STALE (no heartbeat for 2 min)");
    // A host's skipped lines (its publisher's skipped-line markers) follow its name, on --once too.
    const skipped = { ...stale, hosts: stale.hosts!.map((h) => ({ ...h, skipped: { lines: 3, files: 1 } })) };
    expect(plainTable(skipped, 100, now).split("\n")[1]).toBe(
      "hosts: alpha (3 lines skipped) · beta STALE (no heartbeat for 2 min) (3 lines skipped)",
    );
    expect(plain.find((l) => l.startsWith(" TICKET"))).toContain("HOST");
    expect(plain.find((l) => l.startsWith(" WEB-2"))).toMatch(/beta .*stale host/);
    expect(plainTable(fleet, 100, now)).not.toMatch(/HOST|hosts:/);
  });
});

describe("scale", () => {
  it("sorts 2,000 workers and windows them", () => {
    const big = bigFleet(2000);
    const rows = workerRows(big, NO_VIEW_FILTER);
    expect(rows).toHaveLength(2000);
    expect(rows.slice(0, 286).every((r) => r.needsYou)).toBe(true);
    const w = windowRows(rows.length, 1500, 12);
    expect(w.end - w.start).toBe(12);
  });
});

describe("execution-core rows (FORMATS-TODAY §3.4)", () => {
  it("R3.12 the PHASE cell names the board column; a blocked job is WAIT, never DEAD", () => {
    const pipeline = {
      phase: "verify",
      phaseStatus: "running",
      column: "Validate",
      attention: "waiting-on-you" as const,
      attentionSince: null,
      jobId: "5e0c9a7f",
      job: "waiting-on-you" as const,
      host: null,
      generation: null,
      yieldDeadline: null,
      phases: [],
    };
    const w = workerView("execution-core", "CTL-415", { status: "running", phase: 4, alive: null, pipeline });
    expect(phaseCell(w, 7)).toBe("Valid  ");
    expect(aliveCell(w)).toBe("WAIT");
  });
});
