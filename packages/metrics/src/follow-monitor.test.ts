import { createFuse } from "@catalyst/fuse";
import { describe, expect, it } from "vitest";
import { followMonitor } from "./index.js";

describe("followMonitor", () => {
  it("renders the hub's, the watcher's, GitHub's, start-up's and the alerts' figures", async () => {
    const fuse = createFuse();
    const { metrics, stop } = followMonitor({
      parts: {
        fuse,
        watcher: { watched: () => ({ files: 7, directories: 3 }) },
        prPoller: { stats: () => ({ rateLimit: { remaining: 4321 } }) },
      },
      hub: {
        sentCounts: () => ({ frames: 11, bytes: 2048 }),
        clientCount: () => 2,
        resyncCount: () => 1,
        droppedCount: () => 0,
      },
      sourceReadErrors: () => 5,
      startup: () => ({ loading: false, seconds: 1.5 }),
      alertsSent: () => 9,
    });
    const text = await metrics.render();
    stop();
    for (const line of [
      /^catalyst_sse_clients 2$/m,
      /_rate_limit_remaining 4321$/m,
      / 2048$/m,
      / 9$/m,
      / 1\.5$/m,
    ])
      expect(text).toMatch(line);
  });

  it("leaves out what a central monitor has not (no watcher figures, no GitHub stats, no alerts)", async () => {
    const { metrics, stop } = followMonitor({
      parts: { fuse: createFuse(), watcher: {}, prPoller: {} },
      hub: {
        sentCounts: () => ({ frames: 0, bytes: 0 }),
        clientCount: () => 0,
        resyncCount: () => 0,
        droppedCount: () => 0,
      },
      sourceReadErrors: () => 0,
      startup: () => ({ loading: true, seconds: null }),
    });
    const text = await metrics.render();
    stop();
    expect(text).not.toMatch(/rate_limit_remaining \d/);
  });
});
