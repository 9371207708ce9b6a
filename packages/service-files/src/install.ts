// The service file on disk: written whole (tmp + rename), removed with systemd's enable link when
// that link is ours, read back with a size cap; and the commands that start or stop it, as text.
import { lstat, mkdir, open, readlink, rename, rm, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { LAUNCHD_LABEL, type ServiceKind, type ServicePaths, SYSTEMD_UNIT } from "./service-files.js";

/** Largest service file {@link readServiceFile} reads. */
export const MAX_SERVICE_FILE_BYTES = 256 * 1024;

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** Writes the file through a temp file and a rename (a service manager never reads half a unit); true when it replaced one. */
export async function writeServiceFile(paths: ServicePaths, text: string): Promise<{ replaced: boolean }> {
  const replaced = await exists(paths.file);
  await mkdir(dirname(paths.file), { recursive: true });
  const tmp = `${paths.file}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o644 });
  await rename(tmp, paths.file);
  return { replaced };
}

/** Removes the file, and systemd's `default.target.wants` link when it points at it; true when there was a file. */
export async function removeServiceFile(paths: ServicePaths): Promise<{ removed: boolean }> {
  const removed = await exists(paths.file);
  if (paths.enableLink !== null) {
    const target = await readlink(paths.enableLink).catch(() => null);
    if (target !== null && resolve(dirname(paths.enableLink), target) === paths.file)
      await rm(paths.enableLink);
  }
  await rm(paths.file, { force: true });
  return { removed };
}

/** The installed file's text (null when there is none; at most {@link MAX_SERVICE_FILE_BYTES}) and whether systemd's enable link exists. */
export async function readServiceFile(
  paths: ServicePaths,
): Promise<{ text: string | null; enabled: boolean }> {
  const enabled = paths.enableLink !== null && (await exists(paths.enableLink));
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(paths.file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { text: null, enabled };
    throw error;
  }
  try {
    const buffer = Buffer.alloc(MAX_SERVICE_FILE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAX_SERVICE_FILE_BYTES, 0);
    return { text: buffer.subarray(0, bytesRead).toString("utf8"), enabled };
  } finally {
    await handle.close();
  }
}

/** Quotes a path for a printed shell command, only when it needs it. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/** What to run after writing the file: enable/start or apply, where the logs are, and the token file. */
export function installHints(
  kind: ServiceKind,
  paths: ServicePaths,
  options: { replaced: boolean; uid: number },
): string {
  if (kind === "systemd") {
    const unit = SYSTEMD_UNIT;
    return (
      (options.replaced
        ? `apply it with:\n  systemctl --user daemon-reload && systemctl --user restart ${unit}\n`
        : `enable and start it with:\n  systemctl --user daemon-reload && systemctl --user enable --now ${unit}\n`) +
      `logs: journalctl --user -u ${unit} -f\n` +
      `to keep it running while you are logged out: loginctl enable-linger\n` +
      `GITHUB_TOKEN for PR status, if gh is not logged in: a GITHUB_TOKEN=... line in ${paths.envFile} (chmod 600)\n`
    );
  }
  const domain = `gui/${options.uid}`;
  const plist = shellWord(paths.file);
  return (
    (options.replaced
      ? `apply it with:\n  launchctl bootout ${domain}/${LAUNCHD_LABEL}; launchctl bootstrap ${domain} ${plist}\n`
      : `start it (and at every login) with:\n  launchctl bootstrap ${domain} ${plist}\n`) +
    `logs: ${paths.logFile}\n`
  );
}

/** What to run after removing the file. */
export function uninstallHints(kind: ServiceKind, options: { uid: number }): string {
  return kind === "systemd"
    ? `stop it if it runs:\n  systemctl --user stop ${SYSTEMD_UNIT}; systemctl --user daemon-reload\n`
    : `stop it if it runs:\n  launchctl bootout gui/${options.uid}/${LAUNCHD_LABEL}\n`;
}
