// `--pid-interval`: how often this machine's worker pids are checked (the liveness poller's 5 s
// unless told), parsed with clear errors and wired into the running monitor.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitUntil } from "@catalyst/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { HELP_TEXT } from "./cli/help-text.js";
import { parseCliArgs } from "./cli/parse-args.js";
import { createLogger } from "./logger.js";
import { startMonitor } from "./start.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

describe("catalyst-monitor --pid-interval", () => {
  it("reads 500ms, seconds and minutes within 100ms..1h, and says what is wrong otherwise", () => {
    const parse = (...args: string[]) => parseCliArgs(args, {}, "/home/u");
    expect(parse().pidIntervalMs).toBe(5_000);
    expect(parse("--pid-interval", "500ms").pidIntervalMs).toBe(500);
    expect(parse("--pid-interval", "2s").pidIntervalMs).toBe(2_000);
    expect(parse("--pid-interval", "1h").pidIntervalMs).toBe(3_600_000);
    expect(parse("--pid-interval", "1s", "--publish", "nats://h:4222").pidIntervalMs).toBe(1_000);
    for (const bad of ["50ms", "2h", "0", "5", "fast", "1.5s", ""])
      expect(() => parse("--pid-interval", bad)).toThrow(
        /^--pid-interval must be a duration from 100ms to 1h such as 500ms, 2s, 1m, got /,
      );
    expect(() => parse("--nats", "nats://h:4222", "--pid-interval", "1s")).toThrow(
      /the central monitor \(--nats\) checks none: pass it to each --publish host/,
    );
    expect(HELP_TEXT).toContain("--pid-interval <d>");
  });

  it("checks the dir's pids at that interval: a killed worker shows dead", async () => {
    const root = await mkdtemp(join(tmpdir(), "monitor-pid-interval-"));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const child = spawn("sleep", ["60"], { stdio: "ignore" });
    await once(child, "spawn");
    const exited = once(child, "exit");
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    const dir = join(root, "catalyst");
    await mkdir(join(dir, "runs", "o1", "workers"), { recursive: true });
    await writeFile(
      join(dir, "runs", "o1", "workers", "T-1.json"),
      JSON.stringify({ ticket: "T-1", status: "implementing", phase: 3, pid: child.pid }),
    );
    const options = parseCliArgs(
      ["--dir", dir, "--port", "0", "--history", "0", "--pid-interval", "200ms"],
      {},
      root,
    );
    const running = await startMonitor(
      options,
      {
        env: { GITHUB_TOKEN: "", GH_TOKEN: "", PATH: "", CATALYST_CACHE_DIR: join(root, "cache") },
        stdout: () => {},
        stderr: () => {},
      },
      createLogger({ write: () => {} }),
    );
    cleanups.push(() => running.stop());
    const get = async (path: string) => (await fetch(`${running.url}${path}`)).json();
    type Health = { pollers: { liveness: { lastSuccessAt: string | null; nextRunAt: string | null } } };
    let health = (await get("healthz")) as Health;
    await waitUntil("a first round of pid checks", async () => {
      health = (await get("healthz")) as Health;
      return health.pollers.liveness.lastSuccessAt !== null && health.pollers.liveness.nextRunAt !== null;
    });
    // The next round is due one interval after the last (5 s without the flag).
    const { lastSuccessAt, nextRunAt } = health.pollers.liveness;
    expect(Date.parse(nextRunAt!) - Date.parse(lastSuccessAt!)).toBeLessThan(1_000);

    type Snap = { orchestrators: { workers: Record<string, { alive: boolean | null }> }[] };
    const alive = async () => ((await get("api/snapshot")) as Snap).orchestrators[0]?.workers["T-1"]?.alive;
    await waitUntil("T-1 alive", async () => (await alive()) === true);
    child.kill("SIGKILL");
    await exited;
    await waitUntil("T-1 dead", async () => (await alive()) === false);
  }, 60_000);
});
