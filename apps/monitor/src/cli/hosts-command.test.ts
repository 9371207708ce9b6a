// `catalyst-monitor hosts list|forget` against a real nats-server: what it prints, its exit codes,
// and that a forgotten host's keys are gone from the broker.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRelayPublisher, listBrokerHosts, readRelayEvents } from "@catalyst/relay";
import { NATS_SERVER, type NatsServer, startNatsServer } from "@catalyst/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../main.js";

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { env: {}, stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, out: out.join(""), err: err.join("") };
}

describe("catalyst-monitor hosts (usage)", () => {
  it("prints its help, and refuses a bad command line with exit 2", async () => {
    const help = await run("hosts", "--help");
    expect(help).toMatchObject({ code: 0, err: "" });
    expect(help.out).toContain("catalyst-monitor hosts forget <host> --nats <nats-url>");
    expect((await run("hosts")).code).toBe(2);
    expect(await run("hosts", "drop", "x", "--nats", "nats://h:1")).toMatchObject({
      code: 2,
      err: 'catalyst-monitor: unknown hosts action "drop" (list or forget; see hosts --help)\n',
    });
    expect(await run("hosts", "forget", "x")).toMatchObject({
      code: 2,
      err: "catalyst-monitor: hosts forget needs --nats <nats-url> (the broker)\n",
    });
    expect((await run("hosts", "forget", "--nats", "nats://h:1")).code).toBe(2);
    expect((await run("hosts", "forget", "x", "--nats", "http://h")).code).toBe(2);
  });
});

describe.skipIf(NATS_SERVER === null)("catalyst-monitor hosts (on a broker)", () => {
  let root = "";
  let server: NatsServer;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "monitor-hosts-"));
    server = await startNatsServer(join(root, "store"));
  }, 30_000);
  afterAll(async () => {
    await server?.kill();
    await rm(root, { recursive: true, force: true });
  });

  it("lists the hosts, refuses one still beating or unknown (exit 1), forgets one gone", async () => {
    const publishers = [];
    for (const h of ["old-box", "live-box"]) {
      const dir = join(root, h);
      await mkdir(join(dir, "runs", "o1", "workers"), { recursive: true });
      await writeFile(
        join(dir, "runs", "o1", "workers", "T-1.json"),
        JSON.stringify({ ticket: "T-1", status: "implementing" }),
      );
      // Two log lines each: on the stream and in the time index.
      await mkdir(join(dir, "events"), { recursive: true });
      const ts = new Date().toISOString();
      const line = (w: string) =>
        `${JSON.stringify({ ts, orchestrator: "o1", worker: w, event: "worker-started", detail: null })}\n`;
      // live-box also has two lines it cannot take: counted by hosts list.
      const bad = h === "live-box" ? "not json\n{torn\n" : "";
      await writeFile(join(dir, "events", `${ts.slice(0, 7)}.jsonl`), line("T-1") + bad + line("T-2"));
      const p = createRelayPublisher({
        servers: server.url,
        hostName: h,
        catalystDir: dir,
        stateDir: join(root, "state"),
      });
      await p.start();
      await p.idle();
      publishers.push(p);
    }
    try {
      const list = await run("hosts", "list", "--nats", server.url);
      expect(list.code).toBe(0);
      expect(list.out.split("\n").filter(Boolean)).toEqual([
        expect.stringMatching(/^live-box\tlast heartbeat \d+s ago\t4 keys\t2 log lines skipped in 1 file$/),
        expect.stringMatching(/^old-box\tlast heartbeat \d+s ago\t3 keys$/),
      ]);

      expect(await run("hosts", "forget", "nobody", "--nats", server.url)).toMatchObject({
        code: 1,
        err: `catalyst-monitor: no host named "nobody" on ${server.url} (hosts: live-box, old-box)\n`,
      });
      const running = await run("hosts", "forget", "live-box", "--nats", server.url);
      expect(running.code).toBe(1);
      expect(running.err).toMatch(
        /^catalyst-monitor: host "live-box" beat \d+s ago: its publisher is still running/,
      );

      await publishers[0]!.stop();
      // Stopped but its heartbeat is recent: --force (or waiting out --stale-after) forgets it.
      const forgot = await run("hosts", "forget", "old-box", "--nats", server.url, "--force");
      expect(forgot).toMatchObject({
        code: 0,
        out: `forgot host "old-box": deleted 3 keys, 2 log lines and 2 index keys on ${server.url}; central monitors drop it now\n`,
      });
      expect((await listBrokerHosts({ servers: server.url })).map((h) => h.name)).toEqual(["live-box"]);
      // Its lines are gone from a whole read and a windowed (indexed) one; the other host's stay.
      const hostsOf = async (since?: Date) => {
        const out: string[] = [];
        for await (const e of readRelayEvents({ servers: server.url, ...(since ? { since } : {}) }))
          out.push(`${e.host} ${JSON.parse(e.text).worker}`);
        return out.sort();
      };
      expect(await hostsOf()).toEqual(["live-box T-1", "live-box T-2"]);
      expect(await hostsOf(new Date(Date.now() - 3_600_000))).toEqual(["live-box T-1", "live-box T-2"]);
    } finally {
      for (const p of publishers) await p.stop();
    }
  }, 60_000);
});
