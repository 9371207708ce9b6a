// The fleet a monitor runs, on a real (empty) catalyst dir and a real cache dir.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { centralHealth, createFleet, logHistory, startFolding } from "./index.js";

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0).reverse()) await undo();
});

describe("createFleet", () => {
  it("runs the local engine of a catalyst dir and says when the history is folded in", async () => {
    const root = await mkdtemp(join(tmpdir(), "engine-fleet-"));
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    const lines: string[] = [];
    const logger = {
      info: (m: string) => lines.push(`info ${m}`),
      warn: (m: string) => lines.push(`warn ${m}`),
      error: (m: string) => lines.push(`error ${m}`),
    };
    const cacheDir = await mkdtemp(join(tmpdir(), "engine-fleet-cache-"));
    cleanup.push(() => rm(cacheDir, { recursive: true, force: true }));
    let loaded = 0;
    const fleet = await createFleet({
      catalystDir: root,
      jobsDir: null,
      maxFileBytes: 1024 * 1024,
      cacheDir,
      githubToken: null,
      historyMs: 60_000,
      central: null,
      logger,
      onLoaded: () => {
        loaded += 1;
      },
      onSnapshotTimer: () => {},
    });
    cleanup.push(() => fleet.engine.stop());
    expect(fleet.central).toBeNull();
    expect(fleet.natsShown).toBeNull();
    expect(centralHealth(fleet)).toEqual({});
    await startFolding(fleet);
    logHistory(fleet, 60_000, logger);
    await vi.waitFor(() => expect(lines).toContain("info event log history folded in"), { timeout: 20_000 });
    await vi.waitFor(() => expect(loaded).toBe(1), { timeout: 20_000 });
    expect(fleet.sourceReadErrors()).toBe(0);
  });
});
