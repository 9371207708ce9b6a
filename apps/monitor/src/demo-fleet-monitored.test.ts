import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createDemoFleet } from "@catalyst/fleet-sim";
import { createFuse } from "@catalyst/fuse";
import { checkLiveness } from "@catalyst/pollers";
import { type FuseInput, type LogRecord, normalizeEventLine, parseEventLine } from "@catalyst/schema";
import { readEvents, scanCatalystDir } from "@catalyst/sources";
import { describe, expect, it, vi } from "vitest";

/** The demo's attention-raised events so far (month files, in order), whatever shape each line has. */
function attentionLines(
  dir: string,
): Array<{ event: string; worker: string; detail: { attentionType?: string } }> {
  let files: string[] = [];
  try {
    files = readdirSync(join(dir, "events")).sort();
  } catch {
    return [];
  }
  return files
    .flatMap((f) => readFileSync(join(dir, "events", f), "utf8").split("\n"))
    .flatMap((text) => {
      const res = text === "" ? null : parseEventLine(text);
      if (!res?.ok) return [];
      const e = normalizeEventLine(res.value);
      if (e.type !== "attention-raised") return [];
      return [
        { event: e.type, worker: e.worker ?? "", detail: (e.detail ?? {}) as { attentionType?: string } },
      ];
    });
}

// The demo exists to be watched: read it with the monitor's own readers, fuse and liveness check.
describe("the demo fleet through sources, fuse and the liveness check", () => {
  it("shows every orchestrator, both layouts, and the failed, attention and dead workers", async () => {
    const fleet = createDemoFleet({ tickMs: 150, seed: 17, loop: false });
    try {
      await fleet.start();
      const stalled = await vi.waitFor(
        () => {
          const line = attentionLines(fleet.dir).find((l) => l.detail.attentionType === "stalled");
          if (!line) throw new Error("no stalled attention line yet");
          return line;
        },
        { timeout: 60_000, interval: 20 },
      );

      const fuse = createFuse();
      const records: LogRecord[] = [];
      const log = readEvents(fleet.dir);
      for await (const record of log) records.push(record);
      expect(log.stats.invalid).toBe(0);
      const scanned = await scanCatalystDir(fleet.dir);
      fuse.apply([...scanned, { kind: "log-lines", records }], new Date());

      const liveness: FuseInput[] = [];
      for (const orch of fuse.snapshot().orchestrators) {
        for (const w of Object.values(orch.workers)) {
          const target = { orchestrator: orch.id, worker: w.ticket, pid: w.pid, startedAt: w.startedAt };
          const result = checkLiveness(target, new Date());
          liveness.push({ kind: "liveness", orchestrator: orch.id, worker: w.ticket, result });
        }
      }
      fuse.apply(liveness, new Date());
      const snapshot = fuse.snapshot();

      expect(snapshot.sourceErrors).toEqual([]);
      expect(snapshot.orchestrators).toHaveLength(4);
      // The execution-core pipeline beside the three orchestrators (FORMATS-TODAY §3).
      const core = snapshot.orchestrators.find((o) => o.id === "execution-core");
      const tickets = Object.values(core?.workers ?? {});
      expect(tickets).toHaveLength(6);
      expect(tickets.every((w) => w.pipeline !== undefined && w.corrupt === null)).toBe(true);
      const orchestrate = snapshot.orchestrators.filter((o) => o.id !== "execution-core");
      const workspaces = orchestrate.map((o) => o.workspace).sort();
      expect(workspaces.filter((w) => w === "default")).toHaveLength(2);
      const workers = orchestrate.flatMap((o) => Object.values(o.workers));
      expect(workers).toHaveLength(18);
      expect(workers.filter((w) => w.corrupt !== null)).toEqual([]);
      expect(workers.every((w) => w.wave !== null)).toBe(true);
      // Workers in flight have a live, real pid (not a "reused" one). A worker's process is ended
      // only after its signal says done/failed, so one still unfinished on disk now was alive then.
      const onDisk = await scanCatalystDir(fleet.dir);
      const stillRunning = new Set(
        onDisk.flatMap((c) =>
          c.kind === "signal" && c.result.ok && !["done", "failed"].includes(c.result.value.status)
            ? [`${c.key}:${c.result.value.pid}`]
            : [],
        ),
      );
      const inFlight = workers.filter(
        (w) =>
          w.status !== "dispatched" &&
          w.ticket !== stalled.worker &&
          stillRunning.has(`${w.ticket}:${w.pid}`),
      );
      expect(inFlight.length).toBeGreaterThan(0);
      for (const w of inFlight) expect(w.alive).toBe(true);

      const reasons = snapshot.needsYou.map((n) => `${n.reason}:${n.worker}`);
      const failed = workers.find((w) => w.status === "failed")!;
      expect(reasons).toContain(`failed:${failed.ticket}`);
      expect(reasons).toContain(`attention:${failed.ticket}`);
      expect(reasons).toContain(`attention:${stalled.worker}`);
      // The revive comes six ticks after the stall line. If the scan still read the crashed
      // pid (no reviveCount yet), the liveness check must have found it dead.
      const crashedSignal = scanned.find((c) => c.kind === "signal" && c.key === stalled.worker);
      const value =
        crashedSignal?.kind === "signal" && crashedSignal.result.ok ? crashedSignal.result.value : null;
      expect(value).not.toBeNull();
      if (value?.reviveCount === undefined) expect(reasons).toContain(`dead:${stalled.worker}`);
    } finally {
      await fleet.stop();
    }
  }, 90_000);
});
