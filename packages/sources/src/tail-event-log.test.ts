import { appendFileSync, mkdirSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SourceChange } from "@catalyst/schema";
import { afterEach, describe, expect, it } from "vitest";
import { createLogTailer, type LogTailer } from "./index.js";
import { makeTree, removeTree, v1Line, waitFor } from "./test-tree.test-helper.js";

let root = "";
let tailer: LogTailer | null = null;
afterEach(async () => {
  await tailer?.stop();
  tailer = null;
  await removeTree(root);
});

function line(seq: number): string {
  return `${v1Line("2026-04-14T19:00:00Z", "worker-status-change", { seq })}\n`;
}

async function startTailer(from: "end" | "start" = "end", maxLineBytes?: number) {
  const changes: SourceChange[] = [];
  tailer = createLogTailer({ catalystDir: root, from, ...(maxLineBytes ? { maxLineBytes } : {}) });
  tailer.subscribe((batch) => changes.push(...batch));
  await tailer.start();
  const seqs = () =>
    changes.flatMap((c) =>
      c.kind === "log-lines" ? c.records.map((r) => (r.line as { seq?: number }).seq) : [],
    );
  const resets = () => changes.filter((c) => c.kind === "log-reset");
  return { changes, seqs, resets };
}

describe("createLogTailer", () => {
  it("starts at the end by default and emits appended lines with their file and byte offset", async () => {
    root = await makeTree({ "events/2026-04.jsonl": line(0) + line(1) });
    const month = join(root, "events/2026-04.jsonl");
    const t = await startTailer();
    appendFileSync(month, line(2));
    await waitFor(() => t.seqs().length === 1, 5_000, "line 2");
    expect(t.seqs()).toEqual([2]);
    const first = t.changes.find((c) => c.kind === "log-lines");
    if (first?.kind === "log-lines") {
      expect(first.records[0]?.file).toBe(month);
      expect(first.records[0]?.offset).toBe(line(0).length * 2);
    }
  });

  it("reads existing lines with from: start, and a line appended in several writes once, whole", async () => {
    root = await makeTree({ "events/2026-04.jsonl": line(0) });
    const month = join(root, "events/2026-04.jsonl");
    const t = await startTailer("start");
    await waitFor(() => t.seqs().length === 1, 5_000, "line 0");
    const text = line(1);
    appendFileSync(month, text.slice(0, 10));
    appendFileSync(month, text.slice(10, 40));
    appendFileSync(month, text.slice(40));
    await waitFor(() => t.seqs().length === 2, 5_000, "line 1");
    expect(t.seqs()).toEqual([0, 1]);
    expect(t.changes.filter((c) => c.kind === "log-skipped")).toEqual([]);
  });

  it("starts a half-written last line from its beginning when starting at the end", async () => {
    const text = line(1);
    root = await makeTree({ "events/2026-04.jsonl": line(0) + text.slice(0, 20) });
    const t = await startTailer();
    appendFileSync(join(root, "events/2026-04.jsonl"), text.slice(20));
    await waitFor(() => t.seqs().length === 1, 5_000, "line 1");
    expect(t.seqs()).toEqual([1]);
  });

  it("reports truncation and restarts at 0", async () => {
    root = await makeTree({ "events/2026-04.jsonl": line(0) + line(1) });
    const month = join(root, "events/2026-04.jsonl");
    const t = await startTailer("start");
    await waitFor(() => t.seqs().length === 2, 5_000);
    truncateSync(month, 0);
    appendFileSync(month, line(2));
    await waitFor(() => t.seqs().length === 3, 5_000, "line 2");
    expect(t.seqs()).toEqual([0, 1, 2]);
    expect(t.resets()).toEqual([{ kind: "log-reset", file: month, reason: "truncated" }]);
  });

  it("spots a truncate-and-regrow past the old offset by the changed first bytes", async () => {
    root = await makeTree({ "events/2026-04.jsonl": line(0) });
    const month = join(root, "events/2026-04.jsonl");
    const t = await startTailer("start");
    await waitFor(() => t.seqs().length === 1, 5_000);
    await tailer!.stop();
    writeFileSync(month, line(10) + line(11) + line(12));
    await tailer!.start();
    await waitFor(() => t.seqs().length === 4, 5_000, "lines 10-12");
    expect(t.seqs()).toEqual([0, 10, 11, 12]);
    expect(t.resets().map((c) => c.kind === "log-reset" && c.reason)).toEqual(["truncated"]);
  });

  it("drains a replaced file through its open handle, then reads the new one from 0", async () => {
    root = await makeTree({ "events/2026-04.jsonl": line(0) });
    const month = join(root, "events/2026-04.jsonl");
    const t = await startTailer("start");
    await waitFor(() => t.seqs().length === 1, 5_000);
    appendFileSync(month, line(1));
    writeFileSync(`${month}.new`, line(2));
    renameSync(month, `${month}.legacy`);
    renameSync(`${month}.new`, month);
    await waitFor(() => t.seqs().length === 3, 5_000, "lines 1 and 2");
    expect(t.seqs()).toEqual([0, 1, 2]);
    expect(t.resets().map((c) => c.kind === "log-reset" && c.reason)).toEqual(["replaced"]);
  });

  it("handles deletion and re-creation, and a month rollover", async () => {
    root = await makeTree({ "events/2026-04.jsonl": line(0) });
    const april = join(root, "events/2026-04.jsonl");
    const t = await startTailer("start");
    await waitFor(() => t.seqs().length === 1, 5_000);
    rmSync(april);
    await waitFor(() => t.resets().length === 1, 5_000, "deleted");
    writeFileSync(april, line(1));
    writeFileSync(join(root, "events/2026-05.jsonl"), line(2));
    await waitFor(() => t.seqs().length === 3, 5_000, "lines 1 and 2");
    expect([...t.seqs()].sort()).toEqual([0, 1, 2]);
    expect(t.resets()).toEqual([{ kind: "log-reset", file: april, reason: "deleted" }]);
  });

  it("picks up the legacy events.jsonl and an events/ dir created after start", async () => {
    root = await makeTree({});
    const t = await startTailer();
    writeFileSync(join(root, "events.jsonl"), line(0));
    await waitFor(() => t.seqs().length === 1, 5_000, "legacy line");
    mkdirSync(join(root, "events"));
    writeFileSync(join(root, "events/2026-04.jsonl"), line(1));
    await waitFor(() => t.seqs().length === 2, 5_000, "month line");
    expect(t.seqs()).toEqual([0, 1]);
  });

  it("skips invalid and oversized lines with log-skipped, and keeps going", async () => {
    root = await makeTree({ "events/2026-04.jsonl": "" });
    const month = join(root, "events/2026-04.jsonl");
    const t = await startTailer("end", 1024);
    appendFileSync(month, `not json\n${"y".repeat(5000)}\n${line(3)}`);
    await waitFor(() => t.seqs().length === 1, 5_000);
    const skipped = t.changes.filter((c) => c.kind === "log-skipped");
    expect(skipped.map((c) => c.kind === "log-skipped" && [c.reason, c.offset])).toEqual([
      ["invalid", 0],
      ["oversized", 9],
    ]);
  });

  it("resumes after stop() where it stopped, delivering lines written meanwhile once", async () => {
    root = await makeTree({ "events/2026-04.jsonl": "" });
    const month = join(root, "events/2026-04.jsonl");
    const t = await startTailer();
    appendFileSync(month, line(0));
    await waitFor(() => t.seqs().length === 1, 5_000);
    await tailer!.stop();
    appendFileSync(month, line(1));
    await tailer!.start();
    appendFileSync(month, line(2));
    await waitFor(() => t.seqs().length === 3, 5_000);
    expect(t.seqs()).toEqual([0, 1, 2]);
  });
});
