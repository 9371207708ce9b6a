import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  installHints,
  MAX_SERVICE_FILE_BYTES,
  readServiceFile,
  removeServiceFile,
  uninstallHints,
  writeServiceFile,
} from "./install.js";
import { SYSTEMD_UNIT, servicePaths } from "./service-files.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function home(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "service-files-"));
  dirs.push(dir);
  return dir;
}

describe("service file on disk", () => {
  it("writes through a temp file, says whether it replaced one, and reads it back", async () => {
    const paths = servicePaths("systemd", {}, await home());
    expect(await readServiceFile(paths)).toEqual({ text: null, enabled: false });
    expect(await writeServiceFile(paths, "one")).toEqual({ replaced: false });
    expect(await writeServiceFile(paths, "two")).toEqual({ replaced: true });
    expect(await readFile(paths.file, "utf8")).toBe("two");
    expect((await stat(paths.file)).mode & 0o777).toBe(0o644);
    expect(await readdir(join(paths.file, ".."))).toEqual([SYSTEMD_UNIT]);
    expect(await readServiceFile(paths)).toEqual({ text: "two", enabled: false });
  });

  it("reads at most MAX_SERVICE_FILE_BYTES of a huge file", async () => {
    const paths = servicePaths("launchd", {}, await home());
    await writeServiceFile(paths, "x".repeat(MAX_SERVICE_FILE_BYTES + 10));
    expect((await readServiceFile(paths)).text).toHaveLength(MAX_SERVICE_FILE_BYTES);
  });

  it("removes the file and systemd's enable link only when the link is ours", async () => {
    const paths = servicePaths("systemd", {}, await home());
    const link = paths.enableLink!;
    await writeServiceFile(paths, "unit");
    await mkdir(join(link, ".."), { recursive: true });
    await symlink(paths.file, link);
    expect((await readServiceFile(paths)).enabled).toBe(true);
    expect(await removeServiceFile(paths)).toEqual({ removed: true });
    expect(await readdir(join(link, ".."))).toEqual([]);
    expect(await removeServiceFile(paths)).toEqual({ removed: false });

    const other = join(paths.file, "..", "someone-else.service");
    await writeFile(other, "theirs");
    await symlink(other, link);
    await writeServiceFile(paths, "unit");
    await removeServiceFile(paths);
    expect(await readdir(join(link, ".."))).toEqual([SYSTEMD_UNIT]);
  });

  it("tells the commands to start, apply and stop it", () => {
    const paths = servicePaths("launchd", {}, "/Users/ada");
    expect(installHints("launchd", paths, { replaced: false, uid: 501 })).toContain(
      "launchctl bootstrap gui/501 /Users/ada/Library/LaunchAgents/dev.catalyst.monitor.plist",
    );
    const systemd = servicePaths("systemd", {}, "/home/ada");
    expect(installHints("systemd", systemd, { replaced: true, uid: 1000 })).toContain(
      `systemctl --user restart ${SYSTEMD_UNIT}`,
    );
    expect(uninstallHints("systemd", { uid: 1000 })).toContain(`systemctl --user stop ${SYSTEMD_UNIT}`);
  });
});
