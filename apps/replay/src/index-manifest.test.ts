import { appendFile, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, removeDir, v1Line, writeTree } from "./log-fixture.test-helper.js";
import { runBin } from "./run-bin.test-helper.js";

// Issue 25 (first line): a warm query reads the catalyst dir's index manifest, one file, instead
// of one index file per month file. The real bin as a child process (a fresh process each run, so
// nothing is remembered in memory), on real files, with its own cache dir.

let root: string;
let dir: string;
let cache: string;
let sub: string;

beforeAll(async () => {
  root = await makeTempDir();
  dir = join(root, "catalyst");
  cache = join(root, "cache");
  sub = join(cache, "event-index-v4");
  await writeTree(dir, {
    // Wholly before the window: one file of bad lines only (counted whatever the window), one of
    // good lines (skipped whole: a warm query does not even make its blocks).
    "events/2026-01.jsonl": "not json either\n",
    "events/2026-02.jsonl": `${v1Line("2026-02-10T10:00:00Z", "worker-dispatched", "CTL-0")}\n`,
    "events/2026-03.jsonl": `${[
      v1Line("2026-03-30T10:00:00Z", "worker-dispatched", "CTL-1"),
      "not json",
      v1Line("2026-03-31T10:00:00Z", "worker-dispatched", "CTL-2"),
    ].join("\n")}\n`,
    "events/2026-04.jsonl": `${[
      v1Line("2026-04-01T10:00:00Z", "worker-dispatched", "CTL-3"),
      v1Line("2026-04-02T10:00:00Z", "worker-dispatched", "CTL-4"),
    ].join("\n")}\n`,
  });
});

afterAll(async () => {
  await removeDir(root);
});

const query = (): ReturnType<typeof runBin> =>
  runBin(["--since", "2026-03-31", "--format", "jsonl", "--dir", dir], { CATALYST_CACHE_DIR: cache });
const perFile = async (): Promise<string[]> =>
  (await readdir(sub)).filter((n) => n.endsWith(".jsonl.json")).sort();
const manifests = async (): Promise<string[]> =>
  (await readdir(sub)).filter((n) => n.startsWith("manifest-"));

describe("the index manifest", () => {
  it("is used when every file is as indexed, and otherwise found out: an append, a damaged or missing manifest", async () => {
    const first = await query();
    expect(first.code, first.stderr).toBe(0);
    const want = first.stdout.toString();
    expect(
      want
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l).ts),
    ).toEqual(["2026-03-31T10:00:00Z", "2026-04-01T10:00:00Z", "2026-04-02T10:00:00Z"]);
    expect(first.stderr).toMatch(/skipped 2 malformed lines/);
    expect(await perFile()).toHaveLength(4);
    expect(await manifests()).toHaveLength(1);

    // The per-file indexes gone: the manifest alone serves the query (nothing is indexed again).
    for (const name of await perFile()) await rm(join(sub, name));
    const warm = await query();
    expect(warm.stdout.toString()).toBe(want);
    expect(warm.stderr).toBe(first.stderr);
    expect(await perFile()).toEqual([]);

    // A line appended since: that file's stat no longer matches its entry; it is indexed again.
    const late = v1Line("2026-04-03T10:00:00Z", "worker-dispatched", "CTL-5");
    await appendFile(join(dir, "events/2026-04.jsonl"), `${late}\n`);
    const grown = await query();
    expect(grown.stdout.toString()).toBe(`${want}${late}\n`);
    expect(grown.stderr).toBe(first.stderr);
    expect((await perFile()).map((n) => n.replace(/^\w+-/, ""))).toEqual(["2026-04.jsonl.json"]);

    // A damaged manifest is not used (the per-file path answers) and is written again.
    const [name] = await manifests();
    const path = join(sub, name!);
    await writeFile(path, Buffer.concat([Buffer.from("CIXM"), Buffer.alloc(64, 0xff)]));
    const damaged = await query();
    expect(damaged.stdout.toString()).toBe(`${want}${late}\n`);
    expect(damaged.stderr).toBe(first.stderr);
    expect((await readFile(path)).length).toBeGreaterThan(68);

    // A cache of per-file indexes without a manifest (an older run of this version): read as
    // before, and the manifest is written for the next run.
    await rm(path);
    const old = await query();
    expect(old.stdout.toString()).toBe(`${want}${late}\n`);
    expect(old.stderr).toBe(first.stderr);
    expect(await manifests()).toEqual([name]);
  });

  it("is not rewritten by runs with and without --include-legacy taking turns, a month file growing between them", async () => {
    const legacy = v1Line("2026-04-01T12:00:00Z", "worker-dispatched", "CTL-9");
    await writeFile(join(dir, "events/2026-04.jsonl.legacy"), `${legacy}\n`);
    const run = (withLegacy: boolean) =>
      runBin(
        [
          "--since",
          "2026-04-01",
          "--format",
          "jsonl",
          "--dir",
          dir,
          ...(withLegacy ? ["--include-legacy"] : []),
        ],
        {
          CATALYST_CACHE_DIR: cache,
        },
      );
    const path = async (): Promise<string> => join(sub, (await manifests())[0]!);
    const ino = async (): Promise<number> => (await stat(await path())).ino;
    expect((await run(true)).code).toBe(0); // indexes the rotated file: the manifest gains it
    const written = await ino();
    // A run without the rotated file and with an appended line: it writes the manifest again (the
    // grown file), keeping the rotated file's entry ...
    await appendFile(
      join(dir, "events/2026-04.jsonl"),
      `${v1Line("2026-04-05T10:00:00Z", "worker-dispatched", "CTL-6")}\n`,
    );
    const plain = await run(false);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout.toString()).not.toContain("CTL-9");
    const kept = await ino();
    expect(kept).not.toBe(written);
    // ... so the next run with it finds every file in the manifest and leaves it alone, and so does
    // the next run without it.
    const withIt = await run(true);
    expect(withIt.stdout.toString()).toContain(legacy);
    expect(await ino()).toBe(kept);
    expect((await run(false)).code).toBe(0);
    expect(await ino()).toBe(kept);
  });
});
