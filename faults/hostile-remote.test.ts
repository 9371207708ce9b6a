// Remote use (issue 17): a wildcard bind accepts the machine's own addresses as Host, `--allow-host`
// adds names, tokens come from CATALYST_MONITOR_TOKEN or --token-file and are never printed, and
// every response carries the security headers, against the real monitor bin.
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  killAll,
  listeningOn,
  rawRequestFull,
  removeDir,
  spawnMonitorWith,
  stopBin,
  tempDir,
  writeFleet,
} from "./support.ts";

const TOKEN = "remote-fault-token-8d2e1";
let root: string;
let dir: string;

/** A non-loopback IPv4 address of this machine, if it has one. */
function machineAddress(): string | null {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  return null;
}

beforeAll(async () => {
  root = await tempDir("hostile-remote");
  dir = join(root, "catalyst");
  await writeFleet(dir, 1, 1);
});

afterAll(async () => {
  killAll();
  await removeDir(root);
});

describe("remote use", () => {
  it("--host 0.0.0.0 with the token from the environment: the machine's address and --allow-host names pass", async () => {
    const run = spawnMonitorWith(
      [
        "--dir",
        dir,
        "--port",
        "0",
        "--host",
        "0.0.0.0",
        "--allow-host",
        "monitor.example",
        "--allow-host",
        "Other.Example",
      ],
      { env: { CATALYST_MONITOR_TOKEN: TOKEN } },
    );
    try {
      const { port } = await listeningOn(run);
      const auth = { authorization: `Bearer ${TOKEN}` };
      const address = machineAddress();
      const hosts = [`monitor.example:${port}`, `other.example:${port}`, `127.0.0.1:${port}`];
      if (address !== null) hosts.push(`${address}:${port}`);
      for (const host of hosts)
        expect((await rawRequestFull(port, { path: "/healthz", host, headers: auth })).status, host).toBe(
          200,
        );
      expect(
        (await rawRequestFull(port, { path: "/healthz", host: `evil.example:${port}`, headers: auth }))
          .status,
      ).toBe(403);
      expect((await rawRequestFull(port, { path: "/healthz", host: `monitor.example:${port}` })).status).toBe(
        401,
      );
      const cmdline = readFileSync(`/proc/${run.child.pid}/cmdline`, "utf8");
      expect(cmdline).not.toContain(TOKEN);
      expect(run.stdout() + run.stderr()).not.toContain(TOKEN);
    } finally {
      await stopBin(run);
    }
  });

  it("--token-file: the token is read from the file, required, and never printed", async () => {
    const file = join(root, "token");
    await writeFile(file, `${TOKEN}\n`, { mode: 0o600 });
    const run = spawnMonitorWith(["--dir", dir, "--port", "0", "--token-file", file]);
    try {
      const { port } = await listeningOn(run);
      expect((await rawRequestFull(port, { path: "/api/snapshot" })).status).toBe(401);
      const ok = await rawRequestFull(port, {
        path: "/api/snapshot",
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(ok.status).toBe(200);
      expect(readFileSync(`/proc/${run.child.pid}/cmdline`, "utf8")).not.toContain(TOKEN);
      expect(run.stdout() + run.stderr()).not.toContain(TOKEN);
    } finally {
      await stopBin(run);
    }
    const missing = spawnMonitorWith(["--dir", dir, "--port", "0", "--token-file", join(root, "absent")]);
    const { code } = await missing.exit;
    expect(code).toBe(2);
    expect(missing.stderr()).toMatch(/^catalyst-monitor: --token-file .*absent cannot be read \(ENOENT\)\n$/);
  });

  it("every response carries CSP, Referrer-Policy, X-Frame-Options and nosniff, refusals and the stream included", async () => {
    const run = spawnMonitorWith(["--dir", dir, "--port", "0"]);
    try {
      const { port } = await listeningOn(run);
      const requests: Array<[string, Parameters<typeof rawRequestFull>[1]]> = [
        ["dashboard", { path: "/" }],
        ["healthz", { path: "/healthz" }],
        ["snapshot", { path: "/api/snapshot" }],
        ["events api", { path: "/api/events?since=1h" }],
        ["stream", { path: "/events" }],
        ["HEAD stream", { method: "HEAD", path: "/events" }],
        ["404", { path: "/nope" }],
        ["403", { path: "/healthz", host: "evil.example" }],
      ];
      for (const [what, req] of requests) {
        const res = await rawRequestFull(port, req);
        expect(res.headers["content-security-policy"], what).toMatch(/default-src 'none'; script-src 'self'/);
        expect(res.headers["content-security-policy"], what).toContain("frame-ancestors 'none'");
        expect(res.headers["referrer-policy"], what).toBe("no-referrer");
        expect(res.headers["x-frame-options"], what).toBe("DENY");
        expect(res.headers["x-content-type-options"], what).toBe("nosniff");
      }
    } finally {
      await stopBin(run);
    }
  });
});
