import { appendFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogRecord } from "@catalyst/schema";
import { afterEach, describe, expect, it } from "vitest";
import { buildParts } from "./build-parts.js";
import { createMonitor, type Monitor } from "./monitor.js";

// SEED "workers exit before merge": the signal file stops at pr-created and only the log knows the
// PR merged. After a monitor restart the fleet must still say so.

const ORCH = "orch-history";
const month = new Date().toISOString().slice(0, 7);
const recent = (minutesAgo: number) =>
  new Date(Date.now() - minutesAgo * 60_000).toISOString().replace(/\.\d+Z$/, "Z");

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function fleet(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "monitor-history-"));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, "runs", ORCH, "workers"), { recursive: true });
  await mkdir(join(dir, "events"), { recursive: true });
  const signal = {
    ticket: "CTL-48",
    orchestrator: ORCH,
    status: "pr-created",
    phase: 5,
    startedAt: recent(90),
    updatedAt: recent(60),
    pr: { number: 123, url: "https://github.com/acme/api/pull/123" },
  };
  await writeFile(join(dir, "runs", ORCH, "workers", "CTL-48.json"), `${JSON.stringify(signal, null, 2)}\n`);
  const merged = {
    ts: recent(30),
    orchestrator: ORCH,
    worker: "CTL-48",
    event: "worker-pr-merged",
    detail: { pr: 123, mergedAt: recent(31) },
  };
  await writeFile(join(dir, "events", `${month}.jsonl`), `${JSON.stringify(merged)}\n`);
  return dir;
}

async function start(
  dir: string,
  history: boolean,
  read?: (since: Date, parts: ReturnType<typeof buildParts>, monitor: Monitor) => AsyncIterable<LogRecord>,
  foldEarly = true,
) {
  const parts = buildParts({ catalystDir: dir, githubToken: null });
  const monitor: Monitor = createMonitor(parts, {
    history: history
      ? {
          since: new Date(Date.now() - 86_400_000),
          read: (since) => (read ? read(since, parts, monitor) : parts.readEvents(dir, { since })),
          foldEarly,
        }
      : null,
  });
  cleanup.push(() => monitor.stop());
  const events: string[] = [];
  parts.fuse.subscribe((deltas) => {
    for (const d of deltas) events.push(d.event);
  });
  await monitor.start();
  return { parts, monitor, events };
}

describe("start-up history", () => {
  it("folds merges that only the log knows into the fleet", async () => {
    const dir = await fleet();
    const { parts, monitor } = await start(dir, true);
    expect(await monitor.historyLoaded()).toEqual({ records: 1, error: null, complete: true });
    const worker = parts.fuse.snapshot().orchestrators[0]?.workers["CTL-48"];
    expect(worker?.status).toBe("merged");
    expect(worker?.pr?.state).toBe("merged");
  });

  it("without history the same fleet still shows the stale pr-created (the case history exists for)", async () => {
    const dir = await fleet();
    const { parts } = await start(dir, false);
    expect(parts.fuse.snapshot().orchestrators[0]?.workers["CTL-48"]?.status).toBe("pr-created");
  });

  it.each([
    [true, "folded with the first read"],
    [false, "folded after it"],
  ])("does not re-announce history lines as log-event deltas (%s: %s)", async (foldEarly) => {
    const dir = await fleet();
    const { monitor, events } = await start(dir, true, undefined, foldEarly);
    await monitor.historyLoaded();
    expect(events).not.toContain("log-event");
    expect(events).toContain("worker-update");
  });

  it("folds a line that arrives live while history loads only once", async () => {
    const dir = await fleet();
    const file = join(dir, "events", `${month}.jsonl`);
    const live = {
      ts: recent(1),
      orchestrator: ORCH,
      worker: "CTL-48",
      event: "verification-passed",
      detail: null,
    };
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The history after the first read (as it goes with foldEarly: false, or when too long to
    // read first): held back until the live line was tailed and folded.
    const { parts, monitor } = await start(
      dir,
      true,
      async function* (since, parts) {
        await gate;
        yield* parts.readEvents(dir, { since });
      },
      false,
    );
    const seen: string[] = [];
    parts.fuse.subscribe((deltas) => {
      for (const d of deltas) if (d.event === "log-event") seen.push(d.data.event);
    });
    await appendFile(file, `${JSON.stringify(live)}\n`);
    const deadline = Date.now() + 10_000;
    while (!seen.includes("verification-passed")) {
      if (Date.now() > deadline) throw new Error("live line never arrived");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    release();
    // Two lines on disk; the live one was already folded, so history folds one.
    expect(await monitor.historyLoaded()).toEqual({ records: 1, error: null, complete: true });
    expect(parts.fuse.snapshot().orchestrators[0]?.workers["CTL-48"]?.status).toBe("merged");
  });

  it.each([
    [false, "after the first read"],
    [true, "while read before the first read is published"],
  ])(
    "stopped (SIGTERM) while folding says so: complete is false, never a finished fold (foldEarly %s: %s)",
    async (foldEarly) => {
      const dir = await fleet();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let yielded = 0;
      const { monitor } = await start(
        dir,
        true,
        async function* (since, parts, monitor) {
          if (!foldEarly) await gate;
          // A long history (the one line, many times): stopped part-way, as SIGTERM does.
          for await (const record of parts.readEvents(dir, { since })) {
            for (let i = 0; i < 2_000; i++) {
              yielded++;
              if (yielded === 300) await monitor.stop();
              yield { ...record, offset: record.offset + i };
            }
          }
        },
        foldEarly,
      );
      release();
      const result = await monitor.historyLoaded();
      expect(result.complete).toBe(false);
      expect(result.error).toBeNull();
      expect(result.records).toBeLessThan(2_000);
    },
  );
});
