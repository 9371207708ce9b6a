// The event loop's delay as a running fleet sees it (the engine slices its start-up work so that
// the loop never waits long; `/healthz` reports what it measured since the previous read).
import { monitorEventLoopDelay } from "node:perf_hooks";

/** Event-loop delay in ms over a window: median, 99th percentile and worst. */
export interface EventLoopDelay {
  p50: number;
  p99: number;
  max: number;
}

/** Samples the event-loop delay; `read()` returns the figures since the previous read and starts a new window. */
export interface EventLoopDelayMeter {
  read(): EventLoopDelay;
  stop(): void;
}

const round = (ns: number): number => Math.round(ns / 1e4) / 100;

/** Starts a `perf_hooks.monitorEventLoopDelay` histogram (10 ms resolution). */
export function createEventLoopDelayMeter(resolutionMs = 10): EventLoopDelayMeter {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  return {
    read() {
      const out =
        histogram.count === 0
          ? { p50: 0, p99: 0, max: 0 }
          : {
              p50: round(histogram.percentile(50)),
              p99: round(histogram.percentile(99)),
              max: round(histogram.max),
            };
      histogram.reset();
      return out;
    },
    stop() {
      histogram.disable();
    },
  };
}
