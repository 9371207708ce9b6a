import { spawn } from "node:child_process";
import { existsSync, readFileSync, watch } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  localWaves,
  normalizeEventLine,
  OrchestratorEntry,
  parseEventLine,
  parseGlobalStateText,
  parseLocalStateText,
  parseSignalText,
  type WorkerSignal,
} from "@catalyst/schema";
import { afterEach, describe, expect, it } from "vitest";
import {
  eventLines,
  eventLineTexts,
  listFiles,
  localStateFiles,
  pidExists,
  signalFiles,
} from "./fleet-files.test-helper.js";
import {
  createDemoFleet,
  DemoDirNotEmptyError,
  type DemoFleet,
  DemoFleetStoppedError,
  WorkerProcessSpawnError,
} from "./index.js";
import { pollUntil } from "./poll-until.test-helper.js";
import { WORKER_LIFECYCLE } from "./run-orchestration.js";

const fleets: DemoFleet[] = [];
const scratch: string[] = [];
afterEach(async () => {
  await Promise.all(fleets.splice(0).map((f) => f.stop()));
  await Promise.all(scratch.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function track(fleet: DemoFleet): DemoFleet {
  fleets.push(fleet);
  return fleet;
}

/** Parse a signal file, failing the test with the schema's message if it does not parse. */
function readSignal(dir: string, file: string): WorkerSignal {
  const text = readFileSync(join(dir, file), "utf8");
  const res = parseSignalText(text, file);
  if (!res.ok) throw new Error(res.error.message);
  return res.value;
}

function readSignals(dir: string): Map<string, WorkerSignal> {
  return new Map(signalFiles(dir).map((f) => [f, readSignal(dir, f)]));
}

const completedCount = (dir: string) =>
  eventLines(dir).filter((l) => l.event === "orchestrator-completed").length;

// Normally a few seconds; generous so a loaded 2-core box cannot make them flaky.
const SLOW_TEST_MS = 90_000;
const SECONDS_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const isPrettyJson = (text: string) => text === `${JSON.stringify(JSON.parse(text), null, 2)}\n`;

describe("createDemoFleet: a whole fleet, run to the end", () => {
  it(
    "writes only valid files, in the real shapes, through the real lifecycle",
    async () => {
      const errors: unknown[] = [];
      const fleet = track(
        createDemoFleet({ tickMs: 5, loop: false, seed: 17, onError: (e) => errors.push(e) }),
      );
      const dir = fleet.dir;
      await fleet.start();

      // start() resolves with a fleet on disk: every wave-1 worker dispatched with a real live pid.
      const initial = readSignals(dir);
      expect(initial.size).toBeGreaterThanOrEqual(3);
      for (const signal of initial.values()) {
        expect(signal.status).toBe("dispatched");
        expect(pidExists(signal.pid!)).toBe(true);
        if (process.platform === "linux") {
          expect(readFileSync(`/proc/${signal.pid}/cmdline`, "utf8")).toMatch(/sleep|node/);
        }
      }
      expect(listFiles(dir)).toContain("state.json");

      // Signal writes go through `<T>.json.tmp` then rename.
      const firstWorkersDir = join(dir, signalFiles(dir)[0]!.replace(/\/[^/]+$/, ""));
      const seenNames = new Set<string>();
      const watcher = watch(firstWorkersDir, (_event, name) => {
        if (name) seenNames.add(String(name));
      });

      // While it runs, every read of a signal file sees a whole document, and every pid is real.
      const pids = new Set<number>([...initial.values()].map((s) => s.pid!));
      let reads = 0;
      await pollUntil(
        () => {
          for (const file of signalFiles(dir)) {
            const signal = readSignal(dir, file);
            reads++;
            if (typeof signal.pid === "number") pids.add(signal.pid);
          }
          return completedCount(dir) === 3;
        },
        "three orchestrator-completed lines",
        { intervalMs: 20 },
      );
      watcher.close();
      expect(reads).toBeGreaterThan(0);
      expect([...seenNames].some((n) => n.endsWith(".json.tmp"))).toBe(true);
      expect(errors).toEqual([]);

      const files = listFiles(dir);
      expect(files.filter((f) => f.endsWith(".tmp") || f.includes(".lock"))).toEqual([]);

      // Layouts: runs/<id>/ and one nested wt/<project>/<id>/ (FORMATS §1.1, §1.2).
      const orchDirs = localStateFiles(dir).map((f) => f.replace(/\/state\.json$/, ""));
      expect(orchDirs).toHaveLength(3);
      expect(orchDirs.filter((d) => d.startsWith("runs/"))).toHaveLength(2);
      expect(orchDirs.filter((d) => /^wt\/[a-z]+\/orch-/.test(d))).toHaveLength(1);

      // Signal files: pretty JSON, parse, named for their ticket, all settled.
      const signals = readSignals(dir);
      expect(signals.size).toBe(18);
      let failed = 0;
      for (const [file, signal] of signals) {
        expect(isPrettyJson(readFileSync(join(dir, file), "utf8"))).toBe(true);
        expect(file.endsWith(`/workers/${signal.ticket}.json`)).toBe(true);
        expect(file.includes(`/${signal.orchestrator}/workers/`)).toBe(true);
        for (const key of ["startedAt", "updatedAt", "completedAt", "lastHeartbeat"] as const) {
          expect(signal[key]).toMatch(SECONDS_Z);
        }
        const stamps = Object.keys(signal.phaseTimestamps ?? {});
        if (signal.status === "failed") {
          failed++;
          expect(signal.error).toEqual(expect.any(String));
          expect(stamps.at(-1)).toBe("failed");
          continue;
        }
        expect(signal.status).toBe("done");
        expect(signal.phase).toBe(6);
        // pr-created is set by a direct edit, so it has no phase timestamp (FORMATS §2.8 C).
        expect(stamps).toEqual(WORKER_LIFECYCLE.filter((s) => s !== "dispatched" && s !== "pr-created"));
        const pr = signal.pr as { number: number; url: string; ciStatus: string; mergedAt: string };
        expect(pr.url).toBe(
          `https://github.com/${pr.url.split("/")[3]}/${pr.url.split("/")[4]}/pull/${pr.number}`,
        );
        expect(pr.url.startsWith("https://github.com/catalyst-demo/")).toBe(true);
        expect(pr.ciStatus).toBe("merged");
        expect(pr.mergedAt).toMatch(SECONDS_Z);
      }
      expect(failed).toBe(1);

      // Every worker process ended when its worker did, and was reaped.
      for (const signal of signals.values()) pids.add(signal.pid!);
      expect(pids.size).toBeGreaterThanOrEqual(19); // 18 workers plus one revived
      await pollUntil(() => [...pids].every((pid) => !pidExists(pid)), "every worker pid reaped");

      // Global state: pretty, parses, every orchestrator completed, the failure needs the user.
      const globalText = readFileSync(join(dir, "state.json"), "utf8");
      expect(isPrettyJson(globalText)).toBe(true);
      const global = parseGlobalStateText(globalText, "state.json");
      if (!global.ok) throw new Error(global.error.message);
      expect(global.value.lastUpdated).toMatch(SECONDS_Z);
      const entries = Object.values(global.value.orchestrators);
      expect(entries).toHaveLength(3);
      for (const entry of entries) {
        expect(entry.status).toBe("completed");
        const p = entry.progress!;
        expect(p.completedTickets! + p.failedTickets!).toBe(p.totalTickets);
        expect(p.inProgressTickets).toBe(0);
        expect(p.currentWave).toBe(p.totalWaves);
        for (const [ticket, worker] of Object.entries(entry.workers!)) {
          const signal = [...signals.values()].find((s) => s.ticket === ticket)!;
          expect(worker.status).toBe(signal.status);
        }
      }
      const attention = entries.flatMap((e) => e.attention ?? []);
      expect(attention).toEqual([expect.objectContaining({ type: "waiting-for-user" })]);
      const failedSignal = [...signals.values()].find((s) => s.status === "failed")!;
      expect(attention[0]!.ticketId).toBe(failedSignal.ticket);

      // Local states: parse, waves all settled.
      for (const file of localStateFiles(dir)) {
        const text = readFileSync(join(dir, file), "utf8");
        expect(isPrettyJson(text)).toBe(true);
        const local = parseLocalStateText(text, file);
        if (!local.ok) throw new Error(local.error.message);
        const waves = localWaves(local.value);
        expect(waves).toHaveLength(local.value.totalWaves!);
        expect(local.value.currentWave).toBe(local.value.totalWaves);
        for (const wave of waves) {
          expect(["complete", "failed"]).toContain(wave.status);
          expect(wave.completedAt).toMatch(SECONDS_Z);
        }
      }

      // Event lines: compact, today's four shapes (FORMATS-TODAY R1.7) with the odd tombstone, v1
      // keys in writer order, in the month file of their ts, in time order by the second (v1 and
      // canonical lines stamp whole seconds, bare v3 lines milliseconds: R0.1).
      const texts = eventLineTexts(dir);
      let lastSecond = 0;
      const shapes = new Set<string>();
      for (const { file, text } of texts) {
        const res = parseEventLine(text, file);
        if (!res.ok) throw new Error(res.error.message);
        const line = JSON.parse(text);
        expect(JSON.stringify(line)).toBe(text);
        const event = normalizeEventLine(res.value);
        shapes.add(event.dropped ? "tombstone" : event.envelope);
        if (event.envelope === "v1")
          expect(Object.keys(line)).toEqual(["ts", "orchestrator", "worker", "event", "detail"]);
        if (event.envelope !== "v3" && !event.dropped) expect(line.ts).toMatch(SECONDS_Z);
        expect(file).toBe(`${line.ts.slice(0, 7)}.jsonl`);
        const second = Math.floor(event.tsMs / 1000);
        expect(second >= lastSecond).toBe(true);
        lastSecond = second;
      }
      expect([...shapes].filter((s) => s !== "tombstone").sort()).toEqual(["dual", "v1", "v2", "v3"]);
      const lines = eventLines(dir);
      const byWorker = new Map<string, typeof lines>();
      for (const line of lines) {
        if (line.worker) byWorker.set(line.worker, [...(byWorker.get(line.worker) ?? []), line]);
      }
      expect(byWorker.size).toBe(18);

      // The lifecycle, per worker, in the real order: each status change starts where the last ended.
      for (const [ticket, ownLines] of byWorker) {
        const order: string[] = ["dispatched"];
        for (const line of ownLines) {
          if (line.event === "worker-status-change") {
            const detail = line.detail as { from: string; to: string };
            expect(detail.from).toBe(order.at(-1));
            order.push(detail.to);
          }
          if (line.event === "worker-pr-created") order.push("pr-created");
        }
        const signal = [...signals.values()].find((s) => s.ticket === ticket)!;
        if (signal.status === "done") expect(order).toEqual([...WORKER_LIFECYCLE]);
        else {
          expect(order.at(-1)).toBe("failed");
          expect(WORKER_LIFECYCLE.slice(0, order.length - 1)).toEqual(order.slice(0, -1));
        }
        expect(ownLines[0]!.event).toBe("worker-dispatched");
      }

      // Orchestrator-level story: started, waves completed in order, completed.
      const orchIds = entries.map((e) => e.id!);
      for (const id of orchIds) {
        const own = lines.filter((l) => l.orchestrator === id && l.worker === null);
        expect(own[0]!.event).toBe("orchestrator-started");
        expect(own.at(-1)!.event).toBe("orchestrator-completed");
        const waveEvents = own
          .filter((l) => l.event.startsWith("wave-"))
          .map((l) => `${l.event}:${(l.detail as { wave: number }).wave}`);
        const total = global.value.orchestrators[id]!.progress!.totalWaves!;
        const expected = Array.from({ length: total }, (_, i) => [
          `wave-started:${i + 1}`,
          `wave-completed:${i + 1}`,
        ]).flat();
        expect(waveEvents).toEqual(expected);
      }

      // The failure, the attention items and the revived worker all left their lines.
      const events = lines.map((l) => l.event);
      expect(events.filter((e) => e === "worker-failed")).toHaveLength(1);
      const raised = lines
        .filter((l) => l.event === "attention-raised")
        .map((l) => (l.detail as { attentionType: string }).attentionType);
      expect(raised.sort()).toEqual(["stalled", "waiting-for-user"]);
      expect(events.filter((e) => e === "attention-resolved")).toHaveLength(1);
      expect(events.filter((e) => e === "worker-revived")).toHaveLength(1);

      await fleet.stop();
      expect(existsSync(dir)).toBe(false);
    },
    SLOW_TEST_MS,
  );
});

describe("createDemoFleet: processes and liveness", () => {
  it(
    "a crashed worker's pid really dies while the worker is unfinished, then a revive brings a new one",
    async () => {
      const fleet = track(
        createDemoFleet({ tickMs: 60, orchestrators: 2, workersPerOrchestrator: 4, loop: false, seed: 3 }),
      );
      const dir = fleet.dir;
      await fleet.start();
      const firstPid = new Map<string, number>([...readSignals(dir).values()].map((s) => [s.ticket, s.pid!]));

      const stalled = await pollUntil(
        () =>
          eventLines(dir).find(
            (l) =>
              l.event === "attention-raised" &&
              (l.detail as { attentionType: string }).attentionType === "stalled",
          ),
        "a stalled attention line",
      );
      const ticket = stalled.worker!;
      const deadPid = firstPid.get(ticket)!;
      expect(deadPid).toEqual(expect.any(Number));
      expect(pidExists(deadPid)).toBe(false);
      const own = eventLines(dir)
        .filter((l) => l.worker === ticket)
        .map((l) => l.event);
      expect(own).not.toContain("worker-done");
      expect(own).not.toContain("worker-failed");

      await pollUntil(
        () => eventLines(dir).some((l) => l.worker === ticket && l.event === "worker-revived"),
        "the revive",
      );
      const revived = [...readSignals(dir).values()].find((s) => s.ticket === ticket)!;
      expect(revived.pid).not.toBe(deadPid);
      expect(revived.reviveCount).toBe(1);
      expect(revived.lastReviveReason).toBe("pid-dead");
      if (revived.status !== "done") expect(pidExists(revived.pid!)).toBe(true);

      await fleet.stop();
      expect(pidExists(revived.pid!)).toBe(false);
    },
    SLOW_TEST_MS,
  );

  it("stop() mid-run kills and reaps every live worker process and removes the dir", async () => {
    const fleet = track(createDemoFleet({ tickMs: 10, seed: 5 }));
    const dir = fleet.dir;
    await fleet.start();
    await pollUntil(() => eventLines(dir).some((l) => l.event === "worker-status-change"), "some progress");
    const live = [...readSignals(dir).values()].map((s) => s.pid!).filter(pidExists);
    expect(live.length).toBeGreaterThan(0);
    await fleet.stop();
    for (const pid of live) expect(pidExists(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    await fleet.stop(); // idempotent
  });
});

describe("createDemoFleet: seed, loop and directories", () => {
  const STORY_LINES = 80;
  async function story(seed: number): Promise<string[]> {
    const fleet = track(
      createDemoFleet({ tickMs: 1, orchestrators: 2, workersPerOrchestrator: 3, loop: false, seed }),
    );
    await fleet.start();
    // The story is written one step at a time, so its first lines are the same whatever the pace.
    await pollUntil(() => eventLines(fleet.dir).length >= STORY_LINES, `${STORY_LINES} event lines`);
    const ids: string[] = [];
    const story = eventLines(fleet.dir)
      .slice(0, STORY_LINES)
      .map((l) => {
        if (!ids.includes(l.orchestrator)) ids.push(l.orchestrator);
        // Times differ between runs; everything else is the seed's.
        const detail = JSON.stringify(l.detail).replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, "<ts>");
        return `${ids.indexOf(l.orchestrator)} ${l.worker} ${l.event} ${detail}`;
      });
    await fleet.stop();
    return story;
  }

  it(
    "tells the same story for the same seed, and another for another seed",
    async () => {
      const a = await story(99);
      const b = await story(99);
      expect(a).toEqual(b);
      expect(a.filter((line) => line.includes("worker-status-change")).length).toBeGreaterThan(10);
      expect(await story(100)).not.toEqual(a);
    },
    SLOW_TEST_MS,
  );

  it(
    "loops: archives finished orchestrations to history/ and starts new ones",
    async () => {
      const fleet = track(
        createDemoFleet({ tickMs: 1, orchestrators: 1, workersPerOrchestrator: 2, seed: 8 }),
      );
      const dir = fleet.dir;
      await fleet.start();
      const firstId = eventLines(dir)[0]!.orchestrator;
      await pollUntil(
        () => eventLines(dir).some((l) => l.event === "orchestrator-started" && l.orchestrator !== firstId),
        "a second generation",
      );
      const archived = eventLines(dir).find((l) => l.event === "archive")!;
      expect(archived.orchestrator).toBe(firstId);
      const history = (await readdir(join(dir, "history"))).filter((f) => f.startsWith(`${firstId}--`));
      expect(history).toHaveLength(1);
      expect(history[0]).toMatch(/^.+--\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.json$/);
      const entry = OrchestratorEntry.safeParse(
        JSON.parse(readFileSync(join(dir, "history", history[0]!), "utf8")),
      );
      expect(entry.success && entry.data.status).toBe("completed");
      expect(existsSync(join(dir, "runs", firstId))).toBe(false);
      const global = parseGlobalStateText(readFileSync(join(dir, "state.json"), "utf8"));
      expect(global.ok && Object.keys(global.value.orchestrators)).not.toContain(firstId);
      await fleet.stop();
      expect(existsSync(dir)).toBe(false);
    },
    SLOW_TEST_MS,
  );

  it("uses a given empty dir, empties it on stop, and keeps the dir itself", async () => {
    const parent = await mkdtemp(join(tmpdir(), "demo-given-"));
    scratch.push(parent);
    const given = join(parent, "catalyst");
    await mkdir(given);
    const fleet = track(createDemoFleet({ dir: given, tickMs: 5, seed: 2 }));
    expect(fleet.dir).toBe(given);
    await fleet.start();
    expect(signalFiles(given).length).toBeGreaterThan(0);
    await fleet.stop();
    expect(await readdir(given)).toEqual([]);
  });

  it("creates a missing given dir and removes it on stop", async () => {
    const parent = await mkdtemp(join(tmpdir(), "demo-given-"));
    scratch.push(parent);
    const given = join(parent, "not-yet");
    const fleet = track(createDemoFleet({ dir: given, tickMs: 5 }));
    await fleet.start();
    expect(existsSync(join(given, "state.json"))).toBe(true);
    await fleet.stop();
    expect(existsSync(given)).toBe(false);
    expect(existsSync(parent)).toBe(true);
  });

  it("refuses a dir that already holds files, and leaves it alone", async () => {
    const given = await mkdtemp(join(tmpdir(), "demo-real-"));
    scratch.push(given);
    await writeFile(join(given, "state.json"), '{"orchestrators":{}}\n');
    const fleet = track(createDemoFleet({ dir: given }));
    await expect(fleet.start()).rejects.toBeInstanceOf(DemoDirNotEmptyError);
    await fleet.stop();
    expect(await readdir(given)).toEqual(["state.json"]);
    expect(readFileSync(join(given, "state.json"), "utf8")).toBe('{"orchestrators":{}}\n');
  });

  it("rejects start() when no worker process can be started, and still cleans up", async () => {
    const missing = join(tmpdir(), "no-such-dir", "no-such-binary");
    const fleet = track(
      createDemoFleet({
        spawnProcess: () => {
          const child = spawn(missing, [], { stdio: "ignore" });
          child.on("error", () => {});
          return child;
        },
      }),
    );
    await expect(fleet.start()).rejects.toBeInstanceOf(WorkerProcessSpawnError);
    await fleet.stop();
    expect(existsSync(fleet.dir)).toBe(false);
  });

  it("removes its temp dir on stop even when never started, and will not start after", async () => {
    const fleet = track(createDemoFleet());
    expect(existsSync(fleet.dir)).toBe(true);
    await fleet.stop();
    expect(existsSync(fleet.dir)).toBe(false);
    await expect(fleet.start()).rejects.toBeInstanceOf(DemoFleetStoppedError);
    expect(existsSync(fleet.dir)).toBe(false);
  });
});
