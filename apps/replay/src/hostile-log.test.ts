import { spawnSync } from "node:child_process";
import { chmod, mkdir, readdir, stat, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, removeDir } from "./log-fixture.test-helper.js";
import { NODE_ARGS, runShell } from "./run-bin.test-helper.js";

// Issue 25: thousands of month files under a low descriptor limit, and history that cannot be
// read. The real bin as a child process on real files; the limit is a real `ulimit -n`.

let root: string;

beforeAll(async () => {
  root = await makeTempDir();
  // The temp dir is 0700: a child dropped to `nobody` must be able to reach the logs under it.
  await chmod(root, 0o755);
});

afterAll(async () => {
  await removeDir(root);
});

/** A catalyst dir with `count` month files of one line each, from year 1200 on. */
async function manyMonths(dir: string, count: number): Promise<string[]> {
  await mkdir(join(dir, "events"), { recursive: true });
  const lines: string[] = [];
  const writes: Promise<void>[] = [];
  for (let n = 0; n < count; n++) {
    const year = 1200 + Math.floor(n / 12);
    const month = String((n % 12) + 1).padStart(2, "0");
    const line = `{"ts":"${year}-${month}-05T10:00:00Z","orchestrator":"o1","worker":"W-${n}","event":"worker-status-change","detail":{"from":"planning","to":"implementing"}}`;
    lines.push(line);
    writes.push(writeFile(join(dir, "events", `${year}-${month}.jsonl`), `${line}\n`));
  }
  await Promise.all(writes);
  return lines;
}

const shellQuote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

describe("thousands of month files under a low descriptor limit (issue 25 regression)", () => {
  it("prints every line of 1,500 month files under ulimit -n 128, first run and warm, in order", async () => {
    const dir = join(root, "many");
    const lines = await manyMonths(dir, 1_500);
    const cache = join(root, "many-cache");
    // 1,500 files under a limit of 128 descriptors: only a bounded number may be open at once.
    const script = `ulimit -n 128 && $REPLAY --since 1000-01-01 --format jsonl --dir ${shellQuote(dir)}`;
    for (const run of ["first", "warm"]) {
      const result = await runShell(script, { CATALYST_CACHE_DIR: cache });
      expect(result.stderr, run).not.toMatch(/EMFILE|cannot read/);
      expect(result.code, run).toBe(0);
      expect(result.stdout.toString("utf8"), run).toBe(`${lines.join("\n")}\n`);
    }
  }, 120_000);
});

describe("history that cannot be read", () => {
  it("names a month file that is a symlink loop, prints every other line, exits 1", async () => {
    const dir = join(root, "loop");
    await mkdir(join(dir, "events"), { recursive: true });
    const good = '{"ts":"2026-03-01T00:00:00Z","orchestrator":"o","worker":"W","event":"archive"}';
    await writeFile(join(dir, "events", "2026-03.jsonl"), `${good}\n`);
    await symlink("2026-04.jsonl", join(dir, "events", "2026-04.jsonl")); // points at itself
    for (const format of ["jsonl", "pretty"]) {
      const result = await runShell(`$REPLAY --since 2026-01-01 --format ${format} --dir ${shellQuote(dir)}`);
      expect(result.code, format).toBe(1);
      expect(result.stdout.toString("utf8"), format).toContain(format === "jsonl" ? good : "W");
      expect(result.stderr, format).toContain(join(dir, "events", "2026-04.jsonl"));
      expect(result.stderr, format).toMatch(/symbolic links|ELOOP/);
    }
  }, 60_000);

  // Mode 000 does not stop root, and the tests run as root here: the bin is run as `nobody`
  // (setpriv drops the privileges of the real child), so the permission check is the kernel's.
  const asRoot = process.getuid?.() === 0;
  const setpriv = spawnSync("setpriv", ["--version"]).status === 0;
  it.skipIf(asRoot && !setpriv)(
    "a month file with mode 000 read by a non-root user: named on stderr, the other lines printed, exit 1",
    async () => {
      const dir = join(root, "mode000");
      await mkdir(join(dir, "events"), { recursive: true });
      const good = '{"ts":"2026-03-01T00:00:00Z","orchestrator":"o","worker":"W","event":"archive"}';
      await writeFile(join(dir, "events", "2026-03.jsonl"), `${good}\n`);
      await writeFile(join(dir, "events", "2026-04.jsonl"), `${good.replace("03-01", "04-01")}\n`);
      await chmod(join(dir, "events", "2026-04.jsonl"), 0o000);
      await chmod(dir, 0o755);
      await chmod(join(dir, "events"), 0o755);
      await chmod(join(dir, "events", "2026-03.jsonl"), 0o644);
      const cache = join(root, "mode000-cache");
      await mkdir(cache, { mode: 0o777 });
      await chmod(cache, 0o777);
      // The bundled bin lives in a 0700 temp dir: let `nobody` read it too.
      await chmod(dirname(NODE_ARGS[0]!), 0o755);
      const drop = asRoot ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "";
      const bin = [process.execPath, ...NODE_ARGS].map(shellQuote).join(" ");
      const run = () =>
        runShell(`${drop}${bin} --since 2026-01-01 --format jsonl --dir ${shellQuote(dir)}`, {
          CATALYST_CACHE_DIR: cache,
        });
      const result = await run();
      expect(result.stderr).toContain(
        `cannot read ${join(dir, "events", "2026-04.jsonl")} (permission denied)`,
      );
      expect(result.stdout.toString("utf8")).toBe(`${good}\n`);
      expect(result.code).toBe(1);
      // The index manifest is written once, not again on every run while the file stays unreadable.
      const sub = join(cache, "event-index-v4");
      const manifest = join(sub, (await readdir(sub)).find((n) => n.startsWith("manifest-"))!);
      const before = await stat(manifest);
      const again = await run();
      expect(again.code).toBe(1);
      expect(again.stdout.toString("utf8")).toBe(`${good}\n`);
      expect((await stat(manifest)).ino).toBe(before.ino);
    },
    60_000,
  );
});
