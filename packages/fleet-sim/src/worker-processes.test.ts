import { describe, expect, it } from "vitest";
import { pidExists } from "./fleet-files.test-helper.js";
import { pollUntil } from "./poll-until.test-helper.js";
import { createProcessPool } from "./worker-processes.js";

describe("createProcessPool", () => {
  it("spawns real processes and reaps every one on stopAll", async () => {
    const pool = createProcessPool();
    const unexpected: number[] = [];
    const pids = [1, 2, 3].map(() => pool.spawn(30_000, (pid) => unexpected.push(pid)));
    for (const pid of pids) expect(pidExists(pid)).toBe(true);
    expect(pool.livePids().sort()).toEqual([...pids].sort());
    await pool.stopAll();
    for (const pid of pids) expect(pidExists(pid)).toBe(false);
    expect(pool.livePids()).toEqual([]);
    expect(unexpected).toEqual([]);
  });

  it("tells about a process that died without being asked to", async () => {
    const pool = createProcessPool();
    const unexpected: number[] = [];
    const pid = pool.spawn(30_000, (p) => unexpected.push(p));
    const other = pool.spawn(30_000, (p) => unexpected.push(p));
    process.kill(pid, "SIGKILL");
    pool.kill(other);
    await pollUntil(() => pool.livePids().length === 0, "both processes reaped");
    expect(unexpected).toEqual([pid]);
    expect(pidExists(pid)).toBe(false);
    await pool.stopAll();
  });
});
