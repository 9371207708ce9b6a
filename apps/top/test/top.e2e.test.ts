// catalyst-top in a real terminal (tmux): the demo fleet in-process, and a real monitor on a temp
// catalyst dir followed over SSE. Keys go in with send-keys; the screen is read with capture-pane.
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  binNodeArgs,
  hostsUpdate,
  killAllSpawned,
  type MonitorRun,
  multiHostSnapshot,
  startMonitorBin,
  startScriptedSseServer,
  writeAtomic,
} from "@catalyst/test-utils";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startTerminal, type Terminal } from "./tmux.test-helper.js";

const hasTmux = (() => {
  try {
    execFileSync("tmux", ["-V"]);
    return true;
  } catch {
    return false;
  }
})();

const top = [process.execPath, ...binNodeArgs("top")];
const cacheEnv = {
  CATALYST_CACHE_DIR: process.env.CATALYST_CACHE_DIR ?? join(tmpdir(), "catalyst-top-test-cache"),
  NO_COLOR: "1",
};
const ORCH = "orch-top";

function signal(ticket: string, status: string, phase: number): string {
  const now = new Date().toISOString();
  return `${JSON.stringify({ ticket, orchestrator: ORCH, status, phase, startedAt: now, updatedAt: now, pr: null })}\n`;
}

let terminals: Terminal[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterEach(() => {
  for (const t of terminals) t.kill();
  terminals = [];
});
afterAll(async () => {
  for (const c of cleanups.splice(0)) await c();
  killAllSpawned();
});

function open(
  args: string[],
  size: { columns?: number; rows?: number } = {},
  env: Record<string, string> = {},
): Terminal {
  const t = startTerminal([...top, ...args], { ...size, env: { ...cacheEnv, ...env } });
  terminals.push(t);
  return t;
}

/** After quitting: the shell's screen is back (alternate screen left) and the exit code is 0. */
async function expectQuitCleanly(t: Terminal): Promise<void> {
  const after = await t.waitFor(/\[exit \d+\]/);
  expect(after).toContain("[exit 0]");
  expect(after).toContain("before-top");
  expect(after).not.toContain("TICKET");
}

describe.skipIf(!hasTmux)("catalyst-top in tmux", () => {
  it("--demo: live table at 80×24, filter, detail, help, quit with the terminal restored", async () => {
    const t = open(["--demo"], { columns: 80, rows: 24 });
    let screen = await t.waitFor(/4 orch · 24 workers/);
    expect(screen).toContain("TICKET");
    for (const line of screen.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
    // The demo moves on: some worker leaves `dispatched`.
    await t.waitFor(/researching|planning|implementing/);
    t.keys("/");
    await t.waitFor(/Enter keep/);
    t.keys("C", "T", "L", "-", "3", "0", "5", "Enter");
    screen = await t.waitFor(/rows 1-1 of 1 · filter "CTL-305"/);
    expect(screen).toMatch(/^>CTL-305/m);
    t.keys("Enter");
    await t.waitFor(/Recent events/);
    // the demo writes today's mix of shapes: v1 names or their canonical forms
    await t.waitFor(/worker[-.]dispatched|worker-status-change/);
    t.keys("Escape");
    await t.waitFor(/rows 1-1 of 1/);
    t.keys("?");
    await t.waitFor(/pick an orchestrator/);
    t.keys("Escape");
    await t.waitFor(/TICKET/);
    // Resize: the table follows.
    t.resize(120, 30);
    await t.waitFor(/ORCHESTRATOR/);
    t.keys("q");
    await expectQuitCleanly(t);
  }, 120_000);

  it("draws live on a terminal even with CI=true in the environment", async () => {
    // Ink alone would draw nothing until the last frame here; the bin hides CI from it on a TTY.
    const t = open(["--demo"], { columns: 100, rows: 30 }, { CI: "true", CONTINUOUS_INTEGRATION: "1" });
    await t.waitFor(/4 orch · 24 workers/);
    t.keys("?");
    await t.waitFor(/pick an orchestrator/);
    t.keys("Escape");
    await t.waitFor(/TICKET/);
    t.keys("q");
    await expectQuitCleanly(t);
  }, 60_000);

  it("Ctrl-C restores the terminal too", async () => {
    const t = open(["--demo"]);
    await t.waitFor(/24 workers/);
    t.keys("C-c");
    await expectQuitCleanly(t);
  }, 60_000);

  it("--url: follows a real monitor, shows a signal file change, detail from /api/events", async () => {
    const dir = await mkdtemp(join(tmpdir(), "top-e2e-"));
    const workers = join(dir, "runs", ORCH, "workers");
    await mkdir(workers, { recursive: true });
    await writeAtomic(join(workers, "TP-1.json"), signal("TP-1", "researching", 1));
    await writeAtomic(join(workers, "TP-2.json"), signal("TP-2", "planning", 2));
    await mkdir(join(dir, "events"), { recursive: true });
    const month = new Date().toISOString().slice(0, 7);
    await writeAtomic(
      join(dir, "events", `${month}.jsonl`),
      `${JSON.stringify({ ts: new Date(Date.now() - 60_000).toISOString(), event: "worker-dispatched", orchestrator: ORCH, worker: "TP-1", detail: { note: "first" } })}\n`,
    );
    const monitor: MonitorRun = await startMonitorBin(dir, { args: ["--history", "1h"] });
    cleanups.push(async () => {
      await monitor.stop();
      await rm(dir, { recursive: true, force: true });
    });

    const t = open(["--url", monitor.url]);
    await t.waitFor(/· live/);
    await t.waitFor(/TP-1\s.*(researching|dispatched)/);
    await writeAtomic(join(workers, "TP-1.json"), signal("TP-1", "validating", 4));
    await t.waitFor(/TP-1\s.*validating/);
    t.keys("/", "T", "P", "-", "1");
    await t.waitFor(/filter "TP-1"/);
    t.keys("Enter");
    await t.waitFor(/rows 1-1 of 1/);
    t.keys("Enter");
    await t.waitFor(/worker-dispatched.*first/);
    t.keys("Escape", "q");
    await expectQuitCleanly(t);
  }, 120_000);

  it("--url: shows the drop, reconnects to a restarted monitor and carries on live", async () => {
    const dir = await mkdtemp(join(tmpdir(), "top-drop-"));
    const workers = join(dir, "runs", ORCH, "workers");
    await mkdir(workers, { recursive: true });
    await writeAtomic(join(workers, "DR-1.json"), signal("DR-1", "planning", 2));
    let monitor: MonitorRun = await startMonitorBin(dir, { args: ["--history", "0"] });
    const port = monitor.port;
    cleanups.push(async () => {
      await monitor.stop();
      await rm(dir, { recursive: true, force: true });
    });
    const t = open(["--url", monitor.url]);
    await t.waitFor(/DR-1\s.*planning/);
    await monitor.stop();
    await t.waitFor(/reconnecting/);
    await writeAtomic(join(workers, "DR-1.json"), signal("DR-1", "shipping", 5));
    monitor = await startMonitorBin(dir, { port, args: ["--history", "0"] });
    const screen = await t.waitFor(/DR-1\s.*shipping/, 60_000);
    expect(screen).toMatch(/· live/);
    t.keys("q");
    await expectQuitCleanly(t);
  }, 150_000);

  it("--url on a multi-host monitor at 80×24: HOST column, a host going stale, h cycles hosts", async () => {
    const server = await startScriptedSseServer({ snapshot: multiHostSnapshot(), snapshotId: 3 });
    cleanups.push(() => server.stop());
    const t = open(["--url", server.url], { columns: 80, rows: 24 });
    let screen = await t.waitFor(/hosts: alpha · beta/);
    expect(screen).toMatch(/TICKET \/ TITLE\s+HOST/);
    for (const line of screen.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
    expect(screen).toMatch(/^ WEB-2\s.*beta .*DEAD/m);
    server.push(
      hostsUpdate(4, [
        { name: "alpha", lastHeartbeat: new Date().toISOString(), stale: false },
        { name: "beta", lastHeartbeat: new Date(Date.now() - 180_000).toISOString(), stale: true },
      ]),
    );
    screen = await t.waitFor(/beta STALE \(no heartbeat for 3 min\)/);
    expect(screen).toMatch(/^ WEB-2\s.*stale host/m);
    expect(screen).not.toContain("DEAD");
    t.keys("h");
    await t.waitFor(/rows 1-2 of 2 · host alpha/);
    t.keys("h");
    screen = await t.waitFor(/rows 1-2 of 2 · host beta/);
    expect(screen).not.toMatch(/^[ >!]CTL-/m);
    t.keys("q");
    await expectQuitCleanly(t);
  }, 120_000);

  it("not a terminal: --once prints one plain table and exits 0; --dir --format json; bad flags exit 2", async () => {
    const onceDir = await mkdtemp(join(tmpdir(), "top-once-"));
    cleanups.push(() => rm(onceDir, { recursive: true, force: true }));
    await mkdir(join(onceDir, "runs", ORCH, "workers"), { recursive: true });
    await writeAtomic(join(onceDir, "runs", ORCH, "workers", "OD-1.json"), signal("OD-1", "implementing", 3));
    const out = execFileSync(process.execPath, [...binNodeArgs("top"), "--demo", "--once"], {
      encoding: "utf8",
      env: { ...process.env, ...cacheEnv },
    });
    expect(out).toMatch(/4 orch · 24 workers/);
    expect(out).toContain("TICKET");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no escape codes in plain output
    expect(out).not.toMatch(/\x1b/);
    // --dir, piped: the engine in-process on a temp dir, the snapshot as JSON.
    const json = execFileSync(
      process.execPath,
      [...binNodeArgs("top"), "--dir", onceDir, "--format", "json"],
      {
        encoding: "utf8",
        env: { ...process.env, ...cacheEnv, GITHUB_TOKEN: "", GH_TOKEN: "" },
      },
    );
    const snapshot = JSON.parse(json) as {
      orchestrators: Array<{ id: string; workers: Record<string, { status: string }> }>;
    };
    expect(snapshot.orchestrators[0]?.workers["OD-1"]?.status).toBe("implementing");
    expect(execFileSync(process.execPath, [...binNodeArgs("top"), "--help"], { encoding: "utf8" })).toContain(
      "catalyst-top --dir <catalyst dir>",
    );
    let status = 0;
    let stderr = "";
    try {
      execFileSync(process.execPath, [...binNodeArgs("top"), "--bogus"], { encoding: "utf8", stdio: "pipe" });
    } catch (error) {
      status = (error as { status: number }).status;
      stderr = String((error as { stderr: string }).stderr);
    }
    expect(status).toBe(2);
    expect(stderr).toBe("catalyst-top: unknown option --bogus (see --help)\n");
  }, 60_000);
});
