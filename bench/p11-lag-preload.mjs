// P11 `--trace`: preloaded into the dedicated host's `catalyst-monitor` (node --import), it
// publishes every event-loop stall over 20 ms on the `catalyst:stage` channel as a `lag` stage (a
// 10 ms timer that fired late by more than 20 ms; the line's time is the stall's end), so the
// monitor's stage trace (CATALYST_MONITOR_TRACE) shows what held the loop while a write waited.
import { channel } from "node:diagnostics_channel";

const stages = channel("catalyst:stage");
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  if (now - last > 30) stages.publish({ stage: "lag", ms: Number((now - last - 10).toFixed(1)) });
  last = now;
}, 10).unref();
