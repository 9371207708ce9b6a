import type { ChildProcess } from "node:child_process";
import type { LivenessTarget } from "@catalyst/schema";
import { afterEach, describe, expect, it, vi } from "vitest";
import { killAndWait, spawnSleeper } from "./child-process.test-helper.js";
import { checkLiveness, createProcessStartReader, isPidAlive } from "./pid-liveness.js";

const now = new Date("2026-11-24T12:00:00.000Z");
const children: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map(killAndWait));
  vi.restoreAllMocks();
});
async function sleeper() {
  const child = await spawnSleeper();
  children.push(child);
  return child;
}
const target = (pid: unknown, startedAt: string | null = null): LivenessTarget => ({
  orchestrator: "orch-a",
  worker: "CTL-1",
  pid: pid as number | null,
  startedAt,
});
const errno = (code: string) => () => {
  throw Object.assign(new Error(code), { code });
};

describe("isPidAlive", () => {
  it("is true for a running child and false (ESRCH) once it has exited", async () => {
    const child = await sleeper();
    expect(isPidAlive(child.pid)).toBe(true);
    await killAndWait(child);
    expect(isPidAlive(child.pid)).toBe(false);
  });
  it("maps EPERM to 'eperm' and other errors to dead", () => {
    expect(isPidAlive(1234, errno("EPERM"))).toBe("eperm");
    expect(isPidAlive(1234, errno("ESRCH"))).toBe(false);
    expect(isPidAlive(1234, errno("EINVAL"))).toBe(false);
  });
  it.runIf(process.platform !== "win32" && process.getuid?.() !== 0)(
    "gets a real EPERM from init as a normal user",
    () => {
      expect(isPidAlive(1)).toBe("eperm");
    },
  );
  it("calls process.kill lazily, so a spy sees the probe", () => {
    const spy = vi.spyOn(process, "kill").mockImplementation(() => {
      throw Object.assign(new Error("EPERM"), { code: "EPERM" });
    });
    expect(isPidAlive(4242)).toBe("eperm");
    expect(spy).toHaveBeenCalledWith(4242, 0);
  });
});

describe("checkLiveness", () => {
  it.each([
    [null, "no-pid", null],
    [undefined, "no-pid", null],
    [0, "invalid-pid", 0],
    [1, "invalid-pid", 1],
    [-42, "invalid-pid", -42],
    [12.5, "invalid-pid", 12.5],
    [Number.NaN, "invalid-pid", null],
    ["1234", "invalid-pid", null],
  ])("pid %s is unknown (%s), not dead", (pid, reason, reportedPid) => {
    const kill = vi.fn();
    expect(checkLiveness(target(pid), now, { kill })).toEqual({
      pid: reportedPid,
      alive: null,
      reason,
      checkedAt: now.toISOString(),
    });
    expect(kill).not.toHaveBeenCalled();
  });

  it("reports a running child alive, then dead after it exits", async () => {
    const startedAt = new Date(Date.now() - 1_000).toISOString();
    const child = await sleeper();
    expect(checkLiveness(target(child.pid, startedAt), now)).toMatchObject({ alive: true, reason: "alive" });
    await killAndWait(child);
    expect(checkLiveness(target(child.pid, startedAt), now)).toEqual({
      pid: child.pid,
      alive: false,
      reason: "dead",
      checkedAt: now.toISOString(),
    });
  });

  it("reports EPERM as alive", () => {
    expect(checkLiveness(target(4242), now, { kill: errno("EPERM") })).toMatchObject({
      alive: true,
      reason: "eperm",
    });
  });

  it.runIf(process.platform === "linux")(
    "spots a reused pid: the process started after the worker did",
    async () => {
      const child = await sleeper();
      // The worker was dispatched an hour ago; this pid belongs to a process born just now.
      const workerStartedAt = new Date(Date.now() - 3_600_000).toISOString();
      expect(checkLiveness(target(child.pid, workerStartedAt), now)).toMatchObject({
        pid: child.pid,
        alive: false,
        reason: "reused",
      });
      // Within the slack (launch delay + clock skew) it is still the worker.
      expect(
        checkLiveness(target(child.pid, workerStartedAt), now, { startSlackMs: 7_200_000 }),
      ).toMatchObject({
        alive: true,
      });
    },
  );

  it("falls back to kill(0) only off Linux or without startedAt", async () => {
    const child = await sleeper();
    const old = new Date(Date.now() - 3_600_000).toISOString();
    const offLinux = { processStartMs: createProcessStartReader("darwin") };
    expect(checkLiveness(target(child.pid, old), now, offLinux)).toMatchObject({
      alive: true,
      reason: "alive",
    });
    expect(checkLiveness(target(child.pid, null), now)).toMatchObject({ alive: true });
    expect(checkLiveness(target(child.pid, "not a date"), now)).toMatchObject({ alive: true });
  });
});
