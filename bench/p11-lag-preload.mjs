// P11 `--trace`: preloaded into the dedicated host's `catalyst-monitor` (node --import), it
// publishes every event-loop stall over 20 ms on the `catalyst:stage` channel as a `lag` stage (a
// 10 ms timer that fired late by more than 20 ms; the line's time is the stall's end), so the
// monitor's stage trace (CATALYST_MONITOR_TRACE) shows what held the loop while a write waited.
import { channel } from "node:diagnostics_channel";

const stages = channel("catalyst:stage");
let last = performance.now();
let lastCpu = process.cpuUsage();
setInterval(() => {
  const now = performance.now();
  const cpu = process.cpuUsage();
  // The process's own CPU time over the stall: near its length, the loop was busy (our work or
  // GC); far below it, the process waited for a core (the box's load).
  if (now - last > 30) {
    const used = (cpu.user + cpu.system - lastCpu.user - lastCpu.system) / 1000;
    stages.publish({ stage: "lag", ms: Number((now - last - 10).toFixed(1)), cpu: Number(used.toFixed(1)) });
  }
  last = now;
  lastCpu = cpu;
}, 10).unref();
