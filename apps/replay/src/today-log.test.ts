import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createStringSink, parseReplayArgs, replay } from "./index.js";
import { makeTempDir, removeDir, writeTree } from "./log-fixture.test-helper.js";

// Today's Catalyst log (FORMATS-TODAY §1): the composed four-shape lines and rotated files.
const FOUR = readFileSync(
  join(import.meta.dirname, "../../../packages/schema/fixtures/formats-today/four-shapes.jsonl"),
  "utf8",
);

let root = "";
afterEach(() => removeDir(root));

async function run(dir: string, ...argv: string[]) {
  const command = parseReplayArgs([...argv, "--dir", dir], {
    now: new Date("2026-08-22T00:00:00Z"),
    env: { CATALYST_CACHE_DIR: join(root, "cache") },
  });
  if (command.kind !== "replay") throw new Error("not a replay command");
  const out = createStringSink();
  const err = createStringSink();
  const summary = await replay(command.options, { out, err });
  return { out: out.text, err: err.text, summary };
}

describe("catalyst-replay on today's log", () => {
  it("R1.7 reports 0 malformed lines for valid JSON of any of the four shapes", async () => {
    root = await makeTempDir();
    await writeTree(root, { "events/2026-08.jsonl": FOUR });
    for (const format of ["jsonl", "pretty", "json"]) {
      const { out, err, summary } = await run(root, "--since", "2026-08-01", "--format", format);
      expect(summary).toMatchObject({ printed: 5, invalid: 0, oversized: 0 });
      expect(err).toBe("");
      if (format === "jsonl") {
        // in time order (R0.1: parsed, the .318Z line of the 6th sorts first)
        expect(
          out
            .split("\n")
            .filter(Boolean)
            .map((l) => JSON.parse(l).ts),
        ).toEqual([
          "2026-08-06T22:41:09.318Z",
          "2026-08-10T09:15:00Z",
          "2026-08-14T09:15:00Z",
          "2026-08-15T03:00:00.000Z",
          "2026-08-20T14:03:11Z",
        ]);
      }
    }
  });

  it("R1.9 lines it cannot use are counted with their reason on stderr", async () => {
    root = await makeTempDir();
    const dual = JSON.parse(FOUR.split("\n")[2]!);
    dual.attributes["event.name"] = "phase.terminal.reap-complete";
    await writeTree(root, {
      "events/2026-08.jsonl": `${FOUR}${JSON.stringify(dual)}\n{"ts":"2026-08-01T00:00:00Z"}\n{"name":"x"}\n`,
    });
    const { err, summary } = await run(root, "--since", "2026-08-01", "--format", "jsonl");
    expect(summary.printed).toBe(5);
    expect(err).toBe(
      "catalyst-replay: skipped 3 malformed lines (3 invalid, 0 oversized; dual-mismatch 1, no-ts 1, unknown-shape 1)\n",
    );
  });

  it("R1.21 --worker finds a ticket in every shape, embedded names included", async () => {
    root = await makeTempDir();
    await writeTree(root, { "events/2026-08.jsonl": FOUR });
    const { out } = await run(
      root,
      "--since",
      "2026-08-01",
      "--format",
      "jsonl",
      "--worker",
      "CTL-412,CTL-88",
    );
    expect(
      out
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l).ts),
    ).toEqual(["2026-08-06T22:41:09.318Z", "2026-08-20T14:03:11Z"]);
  });

  it("R1.3 rotated legacy files are left out unless --include-legacy, which merges them exactly", async () => {
    root = await makeTempDir();
    await writeTree(root, {
      "events/2026-08.jsonl": `${JSON.stringify({ ts: "2026-08-14T00:00:00Z", name: "live" })}\n`,
      "events/2026-08.jsonl.legacy.2026-08-13T15-02-11-123Z": `${JSON.stringify({ ts: "2026-08-13T15:00:00Z", event: "rotated" })}\n`,
    });
    const without = await run(root, "--since", "2026-08-01", "--format", "jsonl");
    expect(
      without.out
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l).ts),
    ).toEqual(["2026-08-14T00:00:00Z"]);
    const withLegacy = await run(root, "--since", "2026-08-01", "--format", "jsonl", "--include-legacy");
    expect(
      withLegacy.out
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l).ts),
    ).toEqual(["2026-08-13T15:00:00Z", "2026-08-14T00:00:00Z"]);
  });

  it("--include-legacy cannot be used with --nats", () => {
    expect(() =>
      parseReplayArgs(["--nats", "nats://127.0.0.1:4222", "--since", "2h", "--include-legacy"], {
        now: new Date(),
        env: {},
      }),
    ).toThrow(/--include-legacy cannot be used with --nats/);
  });
});
