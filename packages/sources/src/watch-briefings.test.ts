import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SourceChange } from "@catalyst/schema";
import { afterEach, describe, expect, it } from "vitest";
import {
  createSourceWatcher,
  readBriefingText,
  type SourceWatcher,
  scanCatalystDir,
  statBriefings,
} from "./index.js";
import { makeTree, removeTree, signalText, waitFor } from "./test-tree.test-helper.js";

let root = "";
let watcher: SourceWatcher | null = null;
afterEach(async () => {
  await watcher?.stop();
  watcher = null;
  await removeTree(root);
});

async function startWatcher(reparseDelayMs?: number) {
  const changes: SourceChange[] = [];
  watcher = createSourceWatcher({
    catalystDir: root,
    waitIntervalMs: 20,
    ...(reparseDelayMs === undefined ? {} : { reparseDelayMs }),
  });
  watcher.subscribe((b) => changes.push(...b));
  await watcher.start();
  return changes;
}

describe("briefings", () => {
  it("statBriefings lists DASHBOARD.md and wave briefings with size and mtime, nothing else", async () => {
    root = await makeTree({
      "runs/o/workers/CTL-1.json": signalText("CTL-1"),
      "runs/o/DASHBOARD.md": "# Dash",
      "runs/o/wave-2-briefing.md": "two",
      "runs/o/SUMMARY.md": "not a briefing",
    });
    const ref = { id: "o", workspace: "default", path: join(root, "runs/o"), source: "runs" as const };
    const got = await statBriefings(ref);
    expect(got.map((b) => [b.wave, b.bytes])).toEqual([
      [null, 6],
      [2, 3],
    ]);
    expect(got[0]?.modifiedAt).toMatch(/^\d{4}-/);
    const scanned = (await scanCatalystDir(root)).filter((c) => c.kind === "briefing");
    expect(scanned).toHaveLength(2);
  });

  it("readBriefingText reads one document, capped, and names a missing one", async () => {
    root = await makeTree({ "runs/o/workers/.keep": "", "runs/o/wave-1-briefing.md": "x".repeat(100) });
    const dir = join(root, "runs/o");
    expect(await readBriefingText(dir, 1)).toMatchObject({
      ok: true,
      text: "x".repeat(100),
      truncated: false,
    });
    expect(await readBriefingText(dir, 1, 10)).toMatchObject({
      ok: true,
      text: "x".repeat(10),
      truncated: true,
    });
    expect(await readBriefingText(dir, null)).toMatchObject({ ok: false, reason: "missing" });
  });

  it("the watcher reports a briefing appearing, changing and going away", async () => {
    root = await makeTree({ "runs/o/workers/CTL-1.json": signalText("CTL-1") });
    const changes = await startWatcher();
    const file = join(root, "runs/o/wave-3-briefing.md");
    writeFileSync(file, "# Wave 3");
    await waitFor(() => changes.some((c) => c.kind === "briefing" && c.wave === 3), 5_000, "briefing");
    writeFileSync(file, "# Wave 3, longer");
    await waitFor(
      () => changes.some((c) => c.kind === "briefing" && c.bytes === "# Wave 3, longer".length),
      5_000,
      "changed",
    );
    rmSync(file);
    await waitFor(() => changes.some((c) => c.kind === "briefing-removed"), 5_000, "removed");
    expect(changes.find((c) => c.kind === "briefing-removed")).toEqual({
      kind: "briefing-removed",
      orchestrator: "o",
      file,
      wave: 3,
    });
  });
});

describe("a file caught mid-rewrite is read again before a failure is reported", () => {
  it("an in-place rewrite with identical content emits nothing", async () => {
    const text = signalText("CTL-1", "implementing", 3);
    root = await makeTree({
      "runs/o/workers/CTL-1.json": text,
      "runs/o/workers/CTL-2.json": signalText("CTL-2"),
    });
    const file = join(root, "runs/o/workers/CTL-1.json");
    // A long re-read delay, so the writer below always finishes before the second read.
    const changes = await startWatcher(1_500);
    // `jq … > file`: truncate, write part, then the rest a moment later.
    writeFileSync(file, text.slice(0, 10));
    setTimeout(() => writeFileSync(file, text), 100);
    // A later change to another file is the marker that the watcher has moved past CTL-1.
    setTimeout(
      () => writeFileSync(join(root, "runs/o/workers/CTL-2.json"), signalText("CTL-2", "planning", 2)),
      2_000,
    );
    await waitFor(
      () =>
        changes.some(
          (c) =>
            c.kind === "signal" && c.key === "CTL-2" && c.result.ok && c.result.value.status === "planning",
        ),
      10_000,
      "CTL-2 change",
    );
    const ctl1 = changes.filter((c) => c.kind === "signal" && c.key === "CTL-1");
    expect(ctl1.filter((c) => c.kind === "signal" && !c.result.ok)).toEqual([]);
    expect(ctl1.slice(1)).toEqual([]); // only the initial scan's read
  });

  it("a file that stays torn is reported after the re-read", async () => {
    root = await makeTree({ "runs/o/workers/CTL-1.json": signalText("CTL-1") });
    const file = join(root, "runs/o/workers/CTL-1.json");
    const changes = await startWatcher(20);
    writeFileSync(file, '{"ticket":"CTL-1","sta');
    await waitFor(() => changes.some((c) => c.kind === "signal" && !c.result.ok), 5_000, "torn read");
  });
});
