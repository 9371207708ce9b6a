import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { resolveGithubToken, runGhAuthToken } from "./github-token.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
/** A PATH directory holding a fake `gh` script with the given body. */
async function fakeGhDir(body: string | null): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "pollers-gh-"));
  dirs.push(dir);
  if (body !== null) {
    const file = join(dir, "gh");
    await writeFile(file, `#!/bin/sh\n${body}\n`);
    await chmod(file, 0o755);
  }
  return dir;
}

describe("resolveGithubToken", () => {
  const noGh = async () => null;
  it("prefers GITHUB_TOKEN, then GH_TOKEN", async () => {
    expect(await resolveGithubToken({ GITHUB_TOKEN: "a1", GH_TOKEN: "b2" }, { runGh: noGh })).toEqual({
      token: "a1",
      source: "GITHUB_TOKEN",
    });
    expect(await resolveGithubToken({ GITHUB_TOKEN: "  ", GH_TOKEN: "b2" }, { runGh: noGh })).toEqual({
      token: "b2",
      source: "GH_TOKEN",
    });
  });
  it("falls back to gh, and to null when gh has nothing or throws", async () => {
    expect(await resolveGithubToken({}, { runGh: async () => "gho_x\n" })).toEqual({
      token: "gho_x",
      source: "gh",
    });
    expect(await resolveGithubToken({}, { runGh: noGh })).toBeNull();
    expect(
      await resolveGithubToken(
        {},
        {
          runGh: async () => {
            throw new Error("boom");
          },
        },
      ),
    ).toBeNull();
  });
});

describe.runIf(process.platform !== "win32")("runGhAuthToken with a real executable on PATH", () => {
  it("reads the token gh prints", async () => {
    const dir = await fakeGhDir('[ "$1 $2" = "auth token" ] && echo gho_fromGh123 || exit 3');
    expect(await runGhAuthToken({ PATH: dir })).toBe("gho_fromGh123");
    expect(await resolveGithubToken({ PATH: dir })).toEqual({ token: "gho_fromGh123", source: "gh" });
  });
  it("is null when gh is missing, not logged in, or prints nothing", async () => {
    expect(await runGhAuthToken({ PATH: await fakeGhDir(null) })).toBeNull();
    expect(await runGhAuthToken({ PATH: await fakeGhDir('echo "not logged in" >&2; exit 1') })).toBeNull();
    expect(await runGhAuthToken({ PATH: await fakeGhDir("exit 0") })).toBeNull();
  });
  it("gives up on a gh that hangs", async () => {
    const dir = await fakeGhDir("exec sleep 30");
    expect(await runGhAuthToken({ PATH: dir }, 200)).toBeNull();
  });
});
