import { describe, expect, it } from "vitest";
import { killAndWait, spawnSleeper } from "./child-process.test-helper.js";
import {
  CLOCK_TICKS_PER_SECOND,
  parseBootTime,
  parseProcStatStartTicks,
  readBootTimeMs,
  readProcessStartMs,
} from "./proc-stat.js";

const tail = (start: number) =>
  `S 1 100 100 0 -1 4194304 150 0 0 0 1 2 0 0 20 0 1 0 ${start} 8000000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0`;

describe("parseProcStatStartTicks", () => {
  it("reads field 22", () => {
    expect(parseProcStatStartTicks(`4242 (sleep) ${tail(987654)}`)).toBe(987654);
  });
  it("counts fields after the last ')' because comm may hold spaces and parentheses", () => {
    expect(parseProcStatStartTicks(`4242 (my (odd) name) 1 2 3) ${tail(1234)}`)).toBe(1234);
    expect(parseProcStatStartTicks(`4242 ()) ${tail(77)}`)).toBe(77);
  });
  it("returns null on garbage", () => {
    expect(parseProcStatStartTicks("")).toBeNull();
    expect(parseProcStatStartTicks("4242 sleep S 1")).toBeNull();
    expect(parseProcStatStartTicks("4242 (sleep) S 1 2")).toBeNull();
    expect(parseProcStatStartTicks(`4242 (x) ${tail(-5)}`)).toBeNull();
  });
});

describe("parseBootTime", () => {
  it("finds the btime line", () => {
    expect(parseBootTime("cpu  1 2 3\nintr 5\nbtime 1763980000\nprocesses 9\n")).toBe(1763980000);
    expect(parseBootTime("cpu 1 2 3\n")).toBeNull();
  });
});

describe("readProcessStartMs with fake procfs text", () => {
  it("adds ticks / USER_HZ to the boot time", () => {
    const read = () => `9 (w) ${tail(250)}`;
    expect(readProcessStartMs(9, 1_000_000, read)).toBe(1_000_000 + (250 * 1000) / CLOCK_TICKS_PER_SECOND);
  });
  it("is null when the file cannot be read or boot time is unknown", () => {
    const missing = () => {
      throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
    };
    expect(readProcessStartMs(9, 1_000_000, missing)).toBeNull();
    expect(readProcessStartMs(9, null)).toBeNull();
    expect(readBootTimeMs(missing)).toBeNull();
  });
});

describe.runIf(process.platform === "linux")("real procfs", () => {
  it("gives this process a start time close to now - uptime", () => {
    const expected = Date.now() - process.uptime() * 1000;
    const start = readProcessStartMs(process.pid, readBootTimeMs());
    expect(start).not.toBeNull();
    // btime is whole seconds and the vitest worker may have started a little before `uptime` counts.
    expect(Math.abs((start as number) - expected)).toBeLessThan(3_000);
  });
  it("gives a fresh child a start time at or after its spawn, and null once it is gone", async () => {
    const before = Date.now();
    const child = await spawnSleeper();
    const start = readProcessStartMs(child.pid, readBootTimeMs());
    expect(start).not.toBeNull();
    expect(start as number).toBeGreaterThanOrEqual(before - 2_000);
    expect(start as number).toBeLessThanOrEqual(Date.now() + 2_000);
    await killAndWait(child);
    expect(readProcessStartMs(child.pid, readBootTimeMs())).toBeNull();
  });
});
