import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { OrchestratorRef } from "@catalyst/schema";
import { afterEach, describe, expect, it } from "vitest";
import {
  readBriefings,
  readGlobalState,
  readLocalState,
  readSignalDir,
  scanCatalystDir,
  type TextFiles,
} from "./index.js";
import { makeTree, removeTree, signalText } from "./test-tree.test-helper.js";

const FIXTURES = join(import.meta.dirname, "../../schema/fixtures/formats");

let root = "";
afterEach(() => removeTree(root));

function ref(path: string, id = "orch-a"): OrchestratorRef {
  return { id, workspace: "default", path, source: "runs" };
}

describe("readSignalDir", () => {
  it("reads *.json directly in workers/, skipping -output.json, .tmp, hidden files and subdirs", async () => {
    const merged = await readFile(join(FIXTURES, "signal-merged.json"), "utf8");
    root = await makeTree({
      "runs/orch-a/workers/CTL-48.json": merged,
      "runs/orch-a/workers/CTL-49.json": signalText("CTL-49"),
      "runs/orch-a/workers/CTL-49.json.tmp": "{",
      "runs/orch-a/workers/CTL-49-output.json": "{}",
      "runs/orch-a/workers/.hidden.json": "{}",
      "runs/orch-a/workers/output/CTL-48-output.json": "{}",
      "runs/orch-a/workers/CTL-49-prompt.md": "x",
    });
    const reads = await readSignalDir(ref(join(root, "runs/orch-a")));
    expect(reads.map((r) => [r.key, r.orchestrator, r.result.ok])).toEqual([
      ["CTL-48", "orch-a", true],
      ["CTL-49", "orch-a", true],
    ]);
    const first = reads[0]!;
    expect(first.file).toBe(join(root, "runs/orch-a/workers/CTL-48.json"));
    if (first.result.ok) expect(first.result.value.status).toBe("done");
  });

  it("turns torn, empty and ticket-less files into results that name the file and the problem", async () => {
    root = await makeTree({
      "w/workers/torn.json": '{"ticket":"CTL-1","status":"impl',
      "w/workers/empty.json": "",
      "w/workers/bad.json": JSON.stringify({ ticket: 3, status: "planning", phase: 2 }),
      "w/workers/odd.json": JSON.stringify({ ticket: "CTL-4", status: "planning", phase: "three" }),
    });
    const reads = await readSignalDir(ref(join(root, "w")));
    const byKey = Object.fromEntries(reads.map((r) => [r.key, r.result]));
    for (const key of ["torn", "empty", "bad"]) {
      const res = byKey[key]!;
      expect(res.ok).toBe(false);
      if (!res.ok) expect(res.error.message).toContain(join(root, "w/workers", `${key}.json`));
    }
    const bad = byKey.bad!;
    if (!bad.ok) expect(bad.error.path).toBe("$.ticket");
    // A bad phase is not fatal: it falls back to the status's phase, with a warning.
    expect(byKey.odd).toMatchObject({ ok: true, value: { phase: 2 }, warnings: [{ path: "$.phase" }] });
    const empty = byKey.empty!;
    if (!empty.ok) expect(empty.error.received).toBe("an empty file");
  });

  it("skips a file that vanishes between list and read, and returns [] without workers/", async () => {
    root = await makeTree({ "w/workers/": "" });
    const racy: TextFiles = {
      list: async () => ["gone.json", "here.json"],
      read: async (p) => {
        if (p.endsWith("gone.json")) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
        return signalText("CTL-2");
      },
    };
    expect((await readSignalDir(ref(join(root, "w")), racy)).map((r) => r.key)).toEqual(["here"]);
    expect(await readSignalDir(ref(join(root, "missing")))).toEqual([]);
  });

  it("reports an unreadable file (not ENOENT) as a failed result", async () => {
    const failing: TextFiles = {
      list: async () => ["x.json"],
      read: async () => {
        throw Object.assign(new Error("EACCES"), { code: "EACCES" });
      },
    };
    const [read] = await readSignalDir(ref("/nowhere"), failing);
    expect(read?.result.ok).toBe(false);
    if (read && !read.result.ok) expect(read.result.error.received).toBe("EACCES");
  });
});

describe("readLocalState / readGlobalState", () => {
  it("reads both state files, null when absent, a failed result when torn", async () => {
    const local = await readFile(join(FIXTURES, "local-state.json"), "utf8");
    const global = await readFile(join(FIXTURES, "global-state.json"), "utf8");
    root = await makeTree({
      "state.json": global,
      "runs/orch-a/state.json": local,
      "runs/orch-b/state.json": "{",
    });
    const l = await readLocalState(ref(join(root, "runs/orch-a")));
    expect(l?.orchestrator).toBe("orch-a");
    expect(l?.result.ok).toBe(true);
    const g = await readGlobalState(root);
    expect(g?.file).toBe(join(root, "state.json"));
    expect(g?.result.ok).toBe(true);
    const torn = await readLocalState(ref(join(root, "runs/orch-b"), "orch-b"));
    expect(torn?.result.ok).toBe(false);
    expect(await readLocalState(ref(join(root, "runs/none")))).toBeNull();
    expect(await readGlobalState(join(root, "runs"))).toBeNull();
  });
});

describe("scanCatalystDir", () => {
  it("returns the global state, then per orchestrator: added, local state, signals; no log lines", async () => {
    root = await makeTree({
      "state.json": JSON.stringify({ orchestrators: {} }),
      "runs/orch-a/state.json": JSON.stringify({ currentWave: 1 }),
      "runs/orch-a/workers/CTL-1.json": signalText("CTL-1"),
      "wt/ctl/orch-b/workers/CTL-2.json": signalText("CTL-2"),
      "events/2026-04.jsonl": '{"ts":"2026-04-14T18:37:02Z","event":"archive","orchestrator":"o"}\n',
    });
    const changes = await scanCatalystDir(root);
    expect(changes.map((c) => c.kind)).toEqual([
      "global-state",
      "orchestrator-added",
      "local-state",
      "signal",
      "orchestrator-added",
      "signal",
    ]);
  });
});

describe("readBriefings", () => {
  it("reads wave-N-briefing.md files in wave order", async () => {
    root = await makeTree({
      "o/wave-10-briefing.md": "ten",
      "o/wave-2-briefing.md": "two",
      "o/DASHBOARD.md": "d",
    });
    const got = await readBriefings(ref(join(root, "o")));
    expect(got.map((b) => [b.wave, b.text])).toEqual([
      [2, "two"],
      [10, "ten"],
    ]);
  });
});
