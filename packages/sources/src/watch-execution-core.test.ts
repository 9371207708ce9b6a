// Execution-core phase files and orchestrate per-phase overlays, read and watched on real temp
// dirs (FORMATS-TODAY §2.3, §3.1, §3.2).
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PhaseFileRead, SourceChange } from "@catalyst/schema";
import { afterEach, describe, expect, it } from "vitest";
import {
  createSourceWatcher,
  discoverOrchestrators,
  nodeFiles,
  phaseOfFileName,
  readJobLiveness,
  resolveJobsDir,
  type SourceWatcher,
  scanCatalystDir,
  type TextFiles,
} from "./index.js";
import { makeTree, removeTree, waitFor } from "./test-tree.test-helper.js";

let root = "";
let watcher: SourceWatcher | null = null;
afterEach(async () => {
  await watcher?.stop();
  watcher = null;
  await removeTree(root);
});

const phaseText = (ticket: string, phase: string, status: string, extra: object = {}) =>
  JSON.stringify({ ticket, phase, orchestrator: ticket, model: "opus", turnCap: 200, status, ...extra });

/** How execution-core writes: `<file>.tmp.<pid>`, then rename. */
function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp.${process.pid}`, text);
  renameSync(`${path}.tmp.${process.pid}`, path);
}

/** Real files, counting every read and list by path. */
function countingFiles(): { files: TextFiles; reads: string[]; lists: string[] } {
  const reads: string[] = [];
  const lists: string[] = [];
  return {
    reads,
    lists,
    files: {
      list: (dir) => {
        lists.push(dir);
        return nodeFiles.list(dir);
      },
      read: (path) => {
        reads.push(path);
        return nodeFiles.read(path);
      },
    },
  };
}

function phaseReads(changes: readonly SourceChange[]): PhaseFileRead[] {
  return changes.filter(
    (c): c is Extract<SourceChange, { kind: "phase-signal" }> => c.kind === "phase-signal",
  );
}

describe("execution-core layout", () => {
  it("R2.2 only phase-<name>.json are phase files: yield tombstones, temp files, artifacts and claims are skipped", () => {
    expect(phaseOfFileName("phase-implement.json")).toBe("implement");
    expect(phaseOfFileName("phase-monitor-deploy.json")).toBe("monitor-deploy");
    expect(phaseOfFileName("phase-recovery-pass.json")).toBe("recovery-pass");
    for (const name of [
      "phase-plan-yield-2026.json",
      "phase-plan.json.tmp.123",
      "phase-plan.json.tmp",
      "triage.json",
      "verify.json",
      "review.json",
      "plan.claim.3",
      ".terminal-done.applied",
      "canary-output.json",
    ]) {
      expect(phaseOfFileName(name), name).toBeNull();
    }
  });

  it("discovers $CATALYST_DIR/execution-core as the orchestrator `execution-core` and scans every ticket's phase files", async () => {
    root = await makeTree({
      "execution-core/workers/CTL-412/phase-plan.json": phaseText("CTL-412", "plan", "done"),
      "execution-core/workers/CTL-412/phase-implement.json": phaseText("CTL-412", "implement", "running"),
      "execution-core/workers/CTL-412/triage.json": "{}",
      "execution-core/workers/CTL-412/phase-plan-yield-1.json": "{}",
      "execution-core/workers/output/phase-plan.json": phaseText("X-1", "plan", "done"),
      "execution-core/eligible/CTL.json": "[]",
    });
    const refs = await discoverOrchestrators(root);
    expect(refs).toEqual([
      {
        id: "execution-core",
        workspace: "default",
        path: join(root, "execution-core"),
        source: "execution-core",
      },
    ]);
    const phases = phaseReads(await scanCatalystDir(root));
    expect(phases.map((p) => `${p.ticket}/${p.phase}`).sort()).toEqual(["CTL-412/implement", "CTL-412/plan"]);
    expect(phases.every((p) => p.orchestrator === "execution-core" && p.result.ok)).toBe(true);
  });

  it("sees a new ticket, tmp+rename and in-place writes, and removals", async () => {
    root = await makeTree({
      "execution-core/workers/CTL-1/phase-plan.json": phaseText("CTL-1", "plan", "running"),
    });
    const seen: SourceChange[] = [];
    watcher = createSourceWatcher({ catalystDir: root, waitIntervalMs: 20 });
    watcher.subscribe((b) => seen.push(...b));
    await watcher.start();
    expect(phaseReads(seen).map((p) => p.phase)).toEqual(["plan"]);

    const dir2 = join(root, "execution-core/workers/CTL-2");
    mkdirSync(dir2);
    writeAtomic(join(dir2, "phase-triage.json"), phaseText("CTL-2", "triage", "dispatched"));
    await waitFor(
      () => phaseReads(seen).some((p) => p.ticket === "CTL-2" && p.phase === "triage"),
      10_000,
      "new ticket",
    );

    const plan = join(root, "execution-core/workers/CTL-1/phase-plan.json");
    writeAtomic(plan, phaseText("CTL-1", "plan", "done"));
    await waitFor(
      () =>
        phaseReads(seen).some((p) => p.ticket === "CTL-1" && p.result.ok && p.result.value.status === "done"),
      10_000,
      "rename",
    );
    writeFileSync(plan, phaseText("CTL-1", "plan", "failed")); // in place (jq … > file)
    await waitFor(
      () =>
        phaseReads(seen).some(
          (p) => p.ticket === "CTL-1" && p.result.ok && p.result.value.status === "failed",
        ),
      10_000,
      "in-place",
    );
    rmSync(plan);
    await waitFor(
      () => seen.some((c) => c.kind === "phase-signal-removed" && c.file === plan),
      10_000,
      "removal",
    );
    rmSync(dir2, { recursive: true });
    await waitFor(
      () => seen.some((c) => c.kind === "phase-signal-removed" && c.ticket === "CTL-2"),
      10_000,
      "ticket dir removal",
    );
  });

  it("a torn phase file is a result naming the file and field, and a bad file never affects another", async () => {
    root = await makeTree({
      "execution-core/workers/CTL-1/phase-plan.json": '{"ticket":"CTL-1","sta',
      "execution-core/workers/CTL-1/phase-research.json": phaseText("CTL-1", "research", "done", {
        turnCap: "x",
      }),
    });
    const phases = phaseReads(await scanCatalystDir(root));
    const torn = phases.find((p) => p.phase === "plan");
    expect(torn?.result.ok).toBe(false);
    if (torn && !torn.result.ok) expect(torn.result.error.message).toContain("CTL-1/phase-plan.json");
    const research = phases.find((p) => p.phase === "research");
    expect(research?.result.ok && research.result.warnings?.[0]?.path).toBe("$.turnCap");
  });

  it("O(change): a write under one ticket reads only that ticket's file, never the others", async () => {
    const tree: Record<string, string> = {};
    for (let i = 0; i < 40; i++)
      tree[`execution-core/workers/CTL-${i}/phase-plan.json`] = phaseText(`CTL-${i}`, "plan", "running");
    root = await makeTree(tree);
    const counted = countingFiles();
    const seen: SourceChange[] = [];
    watcher = createSourceWatcher({
      catalystDir: root,
      waitIntervalMs: 20,
      files: counted.files,
      rescanIntervalMs: 600_000,
    });
    watcher.subscribe((b) => seen.push(...b));
    await watcher.start();
    expect(phaseReads(seen)).toHaveLength(40);
    counted.reads.length = 0;
    counted.lists.length = 0;
    const file = join(root, "execution-core/workers/CTL-7/phase-implement.json");
    writeAtomic(file, phaseText("CTL-7", "implement", "running"));
    await waitFor(() => phaseReads(seen).some((p) => p.file === file), 10_000, "the write");
    const others = [...counted.reads, ...counted.lists].filter(
      (p) => !p.includes("/CTL-7") && !p.endsWith("/workers"),
    );
    expect(others).toEqual([]);
    expect(counted.reads.every((p) => p.includes("/CTL-7/"))).toBe(true);
  });

  it("R2.1 orchestrate workers' per-phase overlays are read beside the flat signal files", async () => {
    root = await makeTree({
      "runs/orch-a/workers/CTL-30.json": JSON.stringify({ ticket: "CTL-30", status: "dispatched", phase: 0 }),
      "runs/orch-a/workers/CTL-30/phase-implement.json": JSON.stringify({
        ticket: "CTL-30",
        orchestrator: "orch-a",
        phase: "implement",
        status: "running",
      }),
    });
    const changes = await scanCatalystDir(root);
    expect(changes.filter((c) => c.kind === "signal")).toHaveLength(1);
    expect(phaseReads(changes).map((p) => [p.orchestrator, p.ticket, p.phase])).toEqual([
      ["orch-a", "CTL-30", "implement"],
    ]);
  });
});

describe("job liveness (FORMATS-TODAY §3.5)", () => {
  it("R3.18 dir absent is dead; working or an unreadable state.json in an existing dir is alive; terminal states are dead", async () => {
    root = await makeTree({
      "jobs/aaaa0001/state.json": JSON.stringify({ state: "working" }),
      "jobs/aaaa0002/state.json": JSON.stringify({ state: "done" }),
      "jobs/aaaa0003/state.json": JSON.stringify({
        state: "working",
        firstTerminalAt: "2026-08-20T10:00:00Z",
      }),
      "jobs/aaaa0004/state.json": '{"state":',
      "jobs/aaaa0005/": "",
      "jobs/aaaa0006/state.json": JSON.stringify({ state: "stopped" }),
    });
    const jobs = join(root, "jobs");
    expect(readJobLiveness(jobs, "aaaa0001")).toEqual({ verdict: "alive", state: "working" });
    expect(readJobLiveness(jobs, "aaaa0002").verdict).toBe("dead");
    expect(readJobLiveness(jobs, "aaaa0003").verdict).toBe("dead");
    expect(readJobLiveness(jobs, "aaaa0004").verdict).toBe("alive");
    expect(readJobLiveness(jobs, "aaaa0005").verdict).toBe("alive");
    expect(readJobLiveness(jobs, "aaaa0006").verdict).toBe("dead");
    expect(readJobLiveness(jobs, "ffff0000").verdict).toBe("dead");
  });

  it("R3.19 blocked is waiting on you, not dead; a path-like job id is unknown", async () => {
    root = await makeTree({
      "jobs/bbbb0001/state.json": JSON.stringify({ state: "blocked", tempo: "idle" }),
    });
    expect(readJobLiveness(join(root, "jobs"), "bbbb0001")).toEqual({ verdict: "blocked", state: "blocked" });
    expect(readJobLiveness(join(root, "jobs"), "../etc").verdict).toBe("unknown");
  });

  it("the jobs root is the flag, else $CATALYST_REVIVE_JOBS_DIR, else ~/.claude/jobs", () => {
    expect(resolveJobsDir("/f", { CATALYST_REVIVE_JOBS_DIR: "/e" }, "/h")).toBe("/f");
    expect(resolveJobsDir(undefined, { CATALYST_REVIVE_JOBS_DIR: "/e" }, "/h")).toBe("/e");
    expect(resolveJobsDir(undefined, { CATALYST_REVIVE_JOBS_DIR: "" }, "/h")).toBe("/h/.claude/jobs");
  });
});
