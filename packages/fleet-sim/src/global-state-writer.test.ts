import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, rmdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OrchestratorEntry, parseEventLine, parseGlobalStateText } from "@catalyst/schema";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StateLockTimeoutError } from "./errors.js";
import { eventLines } from "./fleet-files.test-helper.js";
import { createGlobalStateWriter } from "./global-state-writer.js";

let dir: string;
let clock: Date;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "demo-state-"));
  clock = new Date("2026-04-14T18:37:02.400Z");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const entry = () => ({
  id: "orch-a",
  projectKey: "ctl",
  repository: "catalyst-demo/api",
  baseBranch: "main",
  status: "active",
  startedAt: "2026-04-14T18:37:02Z",
  worktreeDir: "/x/runs/orch-a",
  stateFile: "/x/runs/orch-a/state.json",
  progress: {
    totalTickets: 2,
    completedTickets: 0,
    failedTickets: 0,
    inProgressTickets: 0,
    currentWave: 1,
    totalWaves: 1,
  },
  workers: {
    "CTL-2": {
      ticketId: "CTL-2",
      title: "b",
      status: "dispatched",
      phase: 0,
      updatedAt: "2026-04-14T18:37:02Z",
      needsAttention: false,
    },
    "CTL-1": {
      ticketId: "CTL-1",
      title: "a",
      status: "dispatched",
      phase: 0,
      updatedAt: "2026-04-14T18:37:02Z",
      needsAttention: false,
    },
  },
  attention: [],
});

async function readState() {
  const text = await readFile(join(dir, "state.json"), "utf8");
  expect(text).toBe(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
  const res = parseGlobalStateText(text, "state.json");
  if (!res.ok) throw new Error(res.error.message);
  return res.value;
}

describe("createGlobalStateWriter", () => {
  it("writes what catalyst-state.sh writes for register, worker, attention, resolve and archive", async () => {
    const writer = createGlobalStateWriter({ catalystDir: dir, now: () => clock });
    await writer.init();
    expect((await readState()).orchestrators).toEqual({});

    await writer.register("orch-a", entry());
    let state = await readState();
    expect(state.lastUpdated).toBe("2026-04-14T18:37:02Z");
    const registered = state.orchestrators["orch-a"]!;
    // register appends updatedAt and lastHeartbeat after the caller's object (FORMATS §3.5).
    const raw = JSON.parse(await readFile(join(dir, "state.json"), "utf8"));
    expect(Object.keys(raw.orchestrators["orch-a"]).slice(-2)).toEqual(["updatedAt", "lastHeartbeat"]);
    expect(registered.lastHeartbeat).toBe("2026-04-14T18:37:02Z");

    clock = new Date("2026-04-14T18:40:12Z");
    await writer.worker("orch-a", "CTL-1", (w) => {
      w.status = "researching";
      w.phase = 1;
    });
    state = await readState();
    expect(state.orchestrators["orch-a"]!.workers!["CTL-1"]).toMatchObject({
      status: "researching",
      phase: 1,
      updatedAt: "2026-04-14T18:40:12Z",
    });
    expect(state.orchestrators["orch-a"]!.updatedAt).toBe("2026-04-14T18:40:12Z");

    await writer.attention("orch-a", "stalled", "CTL-2", "first");
    await writer.attention("orch-a", "stalled", "CTL-2", "second");
    state = await readState();
    expect(state.orchestrators["orch-a"]!.attention!.map((a) => a.message)).toEqual(["second", "first"]);
    expect(state.orchestrators["orch-a"]!.workers!["CTL-2"]).toMatchObject({
      needsAttention: true,
      attentionReason: "second",
    });

    await writer.resolveAttention("orch-a", "CTL-2");
    state = await readState();
    expect(state.orchestrators["orch-a"]!.attention).toEqual([]);
    expect(state.orchestrators["orch-a"]!.workers!["CTL-2"]).toMatchObject({
      needsAttention: false,
      attentionReason: null,
    });

    const history = await writer.archive("orch-a");
    expect(history).toBe(join(dir, "history", "orch-a--2026-04-14T18-37-02Z.json"));
    expect((await readState()).orchestrators).toEqual({});
    expect(OrchestratorEntry.safeParse(JSON.parse(await readFile(history!, "utf8"))).success).toBe(true);
    expect(await writer.archive("orch-a")).toBeNull();

    const lines = eventLines(dir);
    expect(lines.map((l) => l.event)).toEqual([
      "orchestrator-started",
      "attention-raised",
      "attention-raised",
      "attention-resolved",
      "archive",
    ]);
    expect(lines[0]!.detail).toEqual({ tickets: ["CTL-1", "CTL-2"] });
    expect(lines[1]!.detail).toEqual({ attentionType: "stalled", reason: "first" });
    for (const line of lines) expect(parseEventLine(JSON.stringify(line)).ok).toBe(true);
    // No lock directory and no temp file are left behind.
    expect((await readdir(dir)).sort()).toEqual(["events", "history", "runs", "state.json"]);
  });

  it("waits for a held mkdir lock, then writes", async () => {
    const writer = createGlobalStateWriter({ catalystDir: dir, now: () => clock, lockRetryMs: 5 });
    await writer.init();
    await mkdir(join(dir, "state.json.lock"));
    const write = writer.heartbeat("orch-a");
    // The rival writer releases its lock a little later.
    setTimeout(() => void rmdir(join(dir, "state.json.lock")), 50);
    await write;
    expect((await readState()).orchestrators["orch-a"]!.lastHeartbeat).toBe("2026-04-14T18:37:02Z");
    expect(existsSync(join(dir, "state.json.lock"))).toBe(false);
  });

  it("gives up with StateLockTimeoutError when the lock stays taken, leaving the state alone", async () => {
    const writer = createGlobalStateWriter({
      catalystDir: dir,
      now: () => clock,
      lockTimeoutMs: 60,
      lockRetryMs: 5,
    });
    await writer.init();
    const before = await readFile(join(dir, "state.json"), "utf8");
    await mkdir(join(dir, "state.json.lock"));
    await expect(writer.heartbeat("orch-a")).rejects.toBeInstanceOf(StateLockTimeoutError);
    expect(await readFile(join(dir, "state.json"), "utf8")).toBe(before);
    // The rival's lock is not ours to remove.
    expect(existsSync(join(dir, "state.json.lock"))).toBe(true);
  });
});
