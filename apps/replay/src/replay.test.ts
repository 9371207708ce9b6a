import { join } from "node:path";
import type { Snapshot } from "@catalyst/schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createStringSink,
  MalformedLineError,
  parseReplayArgs,
  type ReplayOptions,
  ReplayReadError,
  replay,
} from "./index.js";
import { makeTempDir, removeDir, v1Line, writeTree } from "./log-fixture.test-helper.js";
import { runBin } from "./run-bin.test-helper.js";

// `replay` in-process with string sinks, over real files and the real @catalyst/sources and
// @catalyst/fuse; plus the snapshot path through the real bin.

// FORMATS §4.4: one orchestration, v1 lines, seconds precision.
const ORCH = "orch-api-redesign-2026-04-14";
const EXAMPLE = [
  v1Line("2026-04-14T18:37:02Z", "orchestrator-started", null, { tickets: ["CTL-48", "CTL-49", "CTL-50"] }),
  v1Line("2026-04-14T18:37:51Z", "worker-dispatched", "CTL-48"),
  v1Line("2026-04-14T18:37:53Z", "worker-dispatched", "CTL-49"),
  v1Line("2026-04-14T18:40:12Z", "worker-status-change", "CTL-48", { from: "dispatched", to: "researching" }),
  v1Line("2026-04-14T18:41:05Z", "worker-status-change", "CTL-49", { from: "dispatched", to: "researching" }),
  v1Line("2026-04-14T18:52:44Z", "worker-status-change", "CTL-48", { from: "researching", to: "planning" }),
  v1Line("2026-04-14T19:00:10Z", "attention-raised", "CTL-49", {
    attentionType: "stalled",
    reason: "No progress for 15+ minutes (last update: 2026-04-14T18:41:05Z)",
  }),
  v1Line("2026-04-14T19:03:01Z", "worker-status-change", "CTL-48", { from: "planning", to: "implementing" }),
  v1Line("2026-04-14T19:05:22Z", "worker-status-change", "CTL-49", { from: "researching", to: "planning" }),
  v1Line("2026-04-14T19:05:40Z", "attention-resolved", "CTL-49"),
  v1Line("2026-04-14T19:15:30Z", "worker-pr-created", "CTL-48", {
    pr: 123,
    url: "https://github.com/acme/api/pull/123",
  }),
  v1Line("2026-04-14T19:21:14Z", "verification-started", "CTL-48"),
  v1Line("2026-04-14T19:24:02Z", "verification-passed", "CTL-48"),
  v1Line("2026-04-14T19:40:12Z", "worker-pr-merged", "CTL-48", { pr: 123, mergedAt: "2026-04-14T19:39:58Z" }),
  v1Line("2026-04-14T20:31:45Z", "worker-pr-merged", "CTL-49", { pr: 124, mergedAt: "2026-04-14T20:31:30Z" }),
  v1Line("2026-04-14T20:32:10Z", "wave-completed", null, { wave: 1, tickets: ["CTL-48", "CTL-49"] }),
  v1Line("2026-04-14T20:34:50Z", "wave-started", null, { wave: 2, tickets: ["CTL-50"] }),
  v1Line("2026-04-14T20:34:52Z", "worker-dispatched", "CTL-50"),
  v1Line("2026-04-14T21:48:03Z", "orchestrator-completed"),
  v1Line("2026-04-14T21:48:04Z", "archive"),
];

let root: string;
let dir: string;

beforeAll(async () => {
  root = await makeTempDir();
  dir = join(root, "catalyst");
  // Split over the legacy file and a month file, out of file order, to exercise the merge.
  await writeTree(dir, {
    "events.jsonl": `${EXAMPLE.filter((_, i) => i % 3 === 0).join("\n")}\n`,
    "events/2026-04.jsonl": `${EXAMPLE.filter((_, i) => i % 3 !== 0).join("\n")}\n`,
  });
});

afterAll(async () => {
  await removeDir(root);
});

function optionsFor(...argv: string[]): ReplayOptions {
  const command = parseReplayArgs([...argv, "--dir", dir], {
    now: new Date("2026-04-15T00:00:00Z"),
    // The log index goes to the test's temp dir, never the user's ~/.cache.
    env: { CATALYST_CACHE_DIR: join(root, "cache") },
  });
  if (command.kind !== "replay") throw new Error("expected a replay command");
  return command.options;
}

async function run(...argv: string[]): Promise<{ out: string; err: string }> {
  const out = createStringSink();
  const err = createStringSink();
  await replay(optionsFor(...argv), { out, err });
  return { out: out.text, err: err.text };
}

describe("replay", () => {
  it("keeps the index in the cache dir, and reports indexing that takes over a second on stderr", async () => {
    const own = join(root, "progress");
    await writeTree(own, { "events/2026-04.jsonl": `${EXAMPLE.join("\n")}\n` });
    const options = { ...optionsFor("--since", "2026-04-01", "--format", "jsonl"), dir: own };
    const err = createStringSink();
    let clock = 0;
    // A clock that moves 1.5 s per look: the first progress report is past the 1 s mark.
    await replay(options, { out: createStringSink(), err, nowMs: () => (clock += 1500) });
    expect(err.text).toMatch(/catalyst-replay: indexing .*2026-04\.jsonl: 100% of/);
    const again = createStringSink();
    await replay(options, { out: createStringSink(), err: again, nowMs: () => (clock += 1500) });
    expect(again.text).toBe(""); // indexed: nothing to report
  });

  it("merges the legacy and monthly files in time order, since inclusive and until exclusive", async () => {
    const all = await run("--since", "2026-04-14", "--format", "jsonl");
    expect(all.out).toBe(`${EXAMPLE.join("\n")}\n`);
    const window = await run(
      "--since",
      "2026-04-14T19:03:01Z",
      "--until",
      "2026-04-14T19:15:30Z",
      "--format",
      "jsonl",
    );
    expect(window.out).toBe(`${EXAMPLE.slice(7, 10).join("\n")}\n`);
  });

  it("says nothing matched on a terminal, and nothing when piped", async () => {
    const out = createStringSink();
    const err = createStringSink();
    const summary = await replay(optionsFor("--since", "2027-01-01"), { out, err, isTTY: true });
    expect(summary.printed).toBe(0);
    expect(out.text).toBe("");
    expect(err.text).toBe("catalyst-replay: no events matched\n");
    expect((await run("--since", "2027-01-01")).err).toBe("");
  });

  it("throws ReplayReadError with the path for a missing dir", async () => {
    const missing = join(root, "missing");
    const options = { ...optionsFor("--since", "1h"), dir: missing };
    const error = await replay(options, { out: createStringSink(), err: createStringSink() }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReplayReadError);
    expect((error as ReplayReadError).path).toBe(missing);
  });

  it("throws MalformedLineError under --strict", async () => {
    const bad = join(root, "bad");
    await writeTree(bad, { "events/2026-04.jsonl": `${EXAMPLE[0]}\n{oops\n${EXAMPLE[1]}\n` });
    const options = { ...optionsFor("--since", "2026-04-01", "--strict"), dir: bad };
    await expect(
      replay(options, { out: createStringSink(), err: createStringSink() }),
    ).rejects.toBeInstanceOf(MalformedLineError);
  });

  it("folds the fleet at a time with --at --snapshot", async () => {
    const json = await run("--at", "2026-04-14T19:20:00Z", "--snapshot", "--format", "json");
    const snapshot = JSON.parse(json.out) as Snapshot;
    expect(snapshot.generatedAt).toBe("2026-04-14T19:20:00.000Z");
    const orch = snapshot.orchestrators.find((o) => o.id === ORCH);
    expect(orch).toBeDefined();
    expect(orch?.workers["CTL-48"]?.pr?.number).toBe(123);
    expect(orch?.workers["CTL-49"]?.status).toBe("planning");
    expect(orch?.workers["CTL-48"]?.status).not.toBe("done");

    const later = JSON.parse(
      (await run("--at", "2026-04-14T21:00:00Z", "--snapshot", "--format", "jsonl")).out,
    ) as Snapshot;
    expect(later.orchestrators.find((o) => o.id === ORCH)?.workers["CTL-48"]?.pr?.state).toBe("merged");

    const pretty = await run("--at", "2026-04-14T19:20:00Z", "--snapshot", "--worker", "CTL-49");
    expect(pretty.out).toMatch(/^Fleet at 2026-04-14 19:20:00\.000Z\n/);
    expect(pretty.out).toContain(ORCH);
    expect(pretty.out).toMatch(/CTL-49\s+planning/);
    expect(pretty.out).not.toContain("CTL-48");
  });

  it("prints an empty fleet before the first event", async () => {
    const early = await run("--at", "2026-01-01T00:00:00Z", "--snapshot");
    expect(early.out).toContain("(no orchestrators)");
  });
});

describe("catalyst-replay --at --snapshot (bin)", () => {
  it("prints the folded fleet as JSON", async () => {
    const result = await runBin([
      "--at",
      "2026-04-14T19:20:00Z",
      "--snapshot",
      "--format",
      "json",
      "--dir",
      dir,
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const snapshot = JSON.parse(result.stdout.toString()) as Snapshot;
    expect(snapshot.orchestrators.map((o) => o.id)).toEqual([ORCH]);
  });
});
