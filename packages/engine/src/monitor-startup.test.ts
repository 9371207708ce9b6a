import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogRecord } from "@catalyst/schema";
import { readEvents } from "@catalyst/sources";
import { afterEach, describe, expect, it, vi } from "vitest";
import { buildParts } from "./build-parts.js";
import { createMonitor } from "./monitor.js";

// The first scan is a batch larger than one slice of the start-up queue: it must be applied in
// full before start() resolves, and live changes after it must still flow.

const ORCH = "orch-startup";
let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

const signal = (ticket: string, status: string) =>
  `${JSON.stringify({ ticket, orchestrator: ORCH, status, phase: 3, updatedAt: new Date().toISOString() })}\n`;

describe("monitor start-up in slices", () => {
  it("applies a scan of 120 files before start() resolves, reports loading meanwhile, then keeps applying live writes", async () => {
    const dir = await mkdtemp(join(tmpdir(), "monitor-startup-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const workers = join(dir, "runs", ORCH, "workers");
    await mkdir(workers, { recursive: true });
    for (let i = 0; i < 120; i++)
      await writeFile(join(workers, `W-${i}.json`), signal(`W-${i}`, "implementing"));

    const parts = buildParts({ catalystDir: dir, githubToken: null });
    let loaded = 0;
    const monitor = createMonitor(parts, { history: null, onLoaded: () => (loaded += 1) });
    cleanup.push(() => monitor.stop());
    const starting = monitor.start();
    expect(monitor.loading()).toMatchObject({ phase: "scanning", records: 0 });
    await starting;
    expect(monitor.loading()).toBeNull();
    expect(loaded).toBe(1);
    expect(Object.keys(parts.fuse.snapshot().orchestrators[0]?.workers ?? {})).toHaveLength(120);

    // Two live writes after the big batch: both arrive.
    for (const ticket of ["W-1", "W-2"]) {
      await writeFile(join(workers, `${ticket}.json.tmp`), signal(ticket, "validating"));
      await rename(join(workers, `${ticket}.json.tmp`), join(workers, `${ticket}.json`));
    }
    await vi.waitFor(
      () => {
        const w = parts.fuse.snapshot().orchestrators[0]?.workers ?? {};
        expect([w["W-1"]?.status, w["W-2"]?.status], "live writes after the scan").toEqual([
          "validating",
          "validating",
        ]);
      },
      { timeout: 15_000, interval: 5 },
    );
  });
});

describe("a global state.json that lists the whole fleet", () => {
  it("goes in as slices of orchestrators on the first read, not as one apply that builds every worker", async () => {
    const dir = await mkdtemp(join(tmpdir(), "monitor-global-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    const orchestrators: Record<string, unknown> = {};
    for (let o = 0; o < 60; o++) {
      const id = `orch-g-${o}`;
      const workers: Record<string, unknown> = {};
      for (let w = 0; w < 5; w++)
        workers[`G-${o}-${w}`] = {
          ticketId: `G-${o}-${w}`,
          title: "t",
          status: "implementing",
          phase: 3,
          updatedAt: hourAgo,
          needsAttention: false,
        };
      orchestrators[id] = {
        id,
        status: "active",
        startedAt: hourAgo,
        updatedAt: hourAgo,
        workers,
        attention: [],
      };
    }
    await writeFile(
      join(dir, "state.json"),
      JSON.stringify({ version: "1.0.0", lastUpdated: hourAgo, orchestrators }, null, 2),
    );
    const parts = buildParts({ catalystDir: dir, githubToken: null });
    // Worker views fuse built per apply call: with the whole file in one call, all 300 at once.
    const perCall: number[] = [];
    const apply = parts.fuse.apply.bind(parts.fuse);
    parts.fuse.apply = (inputs, now, options) => {
      const deltas = apply(inputs, now, options);
      perCall.push(deltas.filter((d) => d.event === "worker-update").length);
      return deltas;
    };
    const monitor = createMonitor(parts, { history: null });
    cleanup.push(() => monitor.stop());
    await monitor.start();
    const snapshot = parts.fuse.snapshot();
    expect(snapshot.orchestrators.reduce((n, o) => n + Object.keys(o.workers).length, 0)).toBe(300);
    expect(perCall.reduce((a, b) => a + b, 0)).toBe(300);
    // A slice of listed workers up to 128 (whole orchestrators of 5 + their one file).
    expect(Math.max(...perCall)).toBeLessThanOrEqual(128);
  });
});

describe("the first scan of a busy operator's fleet", () => {
  // Issue 26: signal files, local states and a global state.json listing every worker. The scan
  // sends the global state last; applied as it came, every worker was built from its signal file
  // and again when the global state named it, and each file rebuilt its whole orchestrator.
  it("builds each worker once, with its orchestrator's reads and its global entry in one apply", async () => {
    const dir = await mkdtemp(join(tmpdir(), "monitor-busy-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    const orchestrators: Record<string, unknown> = {};
    for (let o = 0; o < 25; o++) {
      const id = `orch-b-${o}`;
      const orchDir = join(dir, "wt", `proj-${o % 3}`, id);
      await mkdir(join(orchDir, "workers"), { recursive: true });
      const tickets = Array.from({ length: 6 }, (_, w) => `B-${o}-${w}`);
      await writeFile(
        join(orchDir, "state.json"),
        JSON.stringify({ orchestrator: id, currentWave: 1, waves: [{ wave: 1, tickets }] }, null, 2),
      );
      const workers: Record<string, unknown> = {};
      for (const ticket of tickets) {
        await writeFile(
          join(orchDir, "workers", `${ticket}.json`),
          JSON.stringify(
            { ticket, orchestrator: id, status: "implementing", phase: 3, updatedAt: hourAgo },
            null,
            2,
          ),
        );
        workers[ticket] = {
          ticketId: ticket,
          title: `Ticket ${ticket}`,
          status: "implementing",
          updatedAt: hourAgo,
        };
      }
      orchestrators[id] = {
        id,
        status: "active",
        startedAt: hourAgo,
        updatedAt: hourAgo,
        workers,
        attention: [],
      };
    }
    await writeFile(
      join(dir, "state.json"),
      JSON.stringify({ version: "1.0.0", lastUpdated: hourAgo, orchestrators }, null, 2),
    );
    const parts = buildParts({ catalystDir: dir, githubToken: null });
    const perCall: number[] = [];
    const apply = parts.fuse.apply.bind(parts.fuse);
    parts.fuse.apply = (inputs, now, options) => {
      const deltas = apply(inputs, now, options);
      perCall.push(deltas.filter((d) => d.event === "worker-update").length);
      return deltas;
    };
    const monitor = createMonitor(parts, { history: null });
    cleanup.push(() => monitor.stop());
    await monitor.start();
    const snapshot = parts.fuse.snapshot();
    const titles = snapshot.orchestrators.flatMap((o) => Object.values(o.workers).map((w) => w.title));
    expect(titles).toHaveLength(150);
    expect(titles.every((t) => typeof t === "string" && t.startsWith("Ticket "))).toBe(true);
    expect(snapshot.needsYou).toHaveLength(150);
    // One worker-update per worker over the whole start-up, a slice of orchestrators per apply.
    expect(perCall.reduce((a, b) => a + b, 0)).toBe(150);
    expect(Math.max(...perCall)).toBeLessThanOrEqual(60);
  });
});

describe("the first scan's slices are cut by work, not by a count of orchestrators", () => {
  // Issue 26: ten orchestrators a slice, each with its files, its global entry and its log
  // lines, were 39–105 ms of work per apply at 10,000 workers of 20 an orchestrator. A slice now
  // holds whole orchestrators up to 128 units (a file read or a listed worker each): three of
  // these (22 files and 20 listed workers each).
  it("builds at most three 20-worker orchestrators per apply", async () => {
    const dir = await mkdtemp(join(tmpdir(), "monitor-weight-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    const orchestrators: Record<string, unknown> = {};
    for (let o = 0; o < 8; o++) {
      const id = `orch-w-${o}`;
      const orchDir = join(dir, "wt", "proj", id);
      await mkdir(join(orchDir, "workers"), { recursive: true });
      const tickets = Array.from({ length: 20 }, (_, w) => `W-${o}-${w}`);
      await writeFile(
        join(orchDir, "state.json"),
        JSON.stringify({ orchestrator: id, currentWave: 1, waves: [{ wave: 1, tickets }] }),
      );
      const workers: Record<string, unknown> = {};
      for (const ticket of tickets) {
        await writeFile(
          join(orchDir, "workers", `${ticket}.json`),
          JSON.stringify({ ticket, orchestrator: id, status: "implementing", phase: 3, updatedAt: hourAgo }),
        );
        workers[ticket] = { ticketId: ticket, title: `Ticket ${ticket}`, status: "implementing" };
      }
      orchestrators[id] = { id, status: "active", startedAt: hourAgo, workers, attention: [] };
    }
    await writeFile(
      join(dir, "state.json"),
      JSON.stringify({ version: "1.0.0", lastUpdated: hourAgo, orchestrators }, null, 2),
    );
    const parts = buildParts({ catalystDir: dir, githubToken: null });
    const perCall: number[] = [];
    const apply = parts.fuse.apply.bind(parts.fuse);
    parts.fuse.apply = (inputs, now, options) => {
      const deltas = apply(inputs, now, options);
      perCall.push(deltas.filter((d) => d.event === "worker-update").length);
      return deltas;
    };
    const monitor = createMonitor(parts, { history: null });
    cleanup.push(() => monitor.stop());
    await monitor.start();
    expect(perCall.reduce((a, b) => a + b, 0)).toBe(160);
    // Main put all eight (160 workers) in one apply.
    expect(Math.max(...perCall)).toBeLessThanOrEqual(60);
    expect(perCall.filter((n) => n > 0)).toEqual([60, 60, 40]);
  });
});

describe("the start-up history's first lines", () => {
  // Issue 26: a reader whose blocks are read already hands its lines out without a turn of the
  // event loop; the monitor read 10,000 of them (the history folded with the first read) in one
  // block of ~60 ms. Counted: the most lines taken with no turn between them.
  it("are read 512 at a time at most, with a turn of the event loop between", async () => {
    const dir = await mkdtemp(join(tmpdir(), "monitor-head-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const workers = join(dir, "runs", ORCH, "workers");
    await mkdir(workers, { recursive: true });
    await writeFile(join(workers, "H-0.json"), signal("H-0", "implementing"));
    await mkdir(join(dir, "events"), { recursive: true });
    const base = Date.now() - 3_600_000;
    const lines = Array.from({ length: 1_500 }, (_, i) =>
      JSON.stringify({
        ts: new Date(base + i * 1000).toISOString(),
        orchestrator: ORCH,
        worker: `H-${i % 50}`,
        event: "worker-dispatched",
      }),
    );
    await writeFile(
      join(dir, "events", `${new Date(base).toISOString().slice(0, 7)}.jsonl`),
      `${lines.join("\n")}\n`,
    );
    const since = new Date(base - 60_000);
    const records: LogRecord[] = [];
    for await (const r of readEvents(dir, { since })) records.push(r);
    expect(records).toHaveLength(1_500);

    let tick = 0;
    let ticking = true;
    const ticker = (): void => {
      tick += 1;
      if (ticking) setImmediate(ticker);
    };
    setImmediate(ticker);
    let most = 0;
    let run = 0;
    let last = -1;
    const parts = buildParts({ catalystDir: dir, githubToken: null });
    const monitor = createMonitor(parts, {
      history: {
        since,
        // Every line ready at once: no I/O, so no turn unless the monitor gives one.
        read: async function* () {
          for (const r of records) {
            run = tick === last ? run + 1 : 1;
            last = tick;
            most = Math.max(most, run);
            yield r;
          }
        },
      },
    });
    cleanup.push(() => monitor.stop());
    await monitor.start();
    const history = await monitor.historyLoaded();
    ticking = false;
    expect(history).toMatchObject({ records: 1_500, complete: true });
    expect(Object.keys(parts.fuse.snapshot().orchestrators[0]?.workers ?? {})).toHaveLength(50);
    // All 1,500 in one go before.
    expect(most).toBeLessThanOrEqual(512);
  });
});
