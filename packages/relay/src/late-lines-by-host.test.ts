import { appendFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NATS_SKIP_REASON, type NatsServer, startNatsServer } from "@catalyst/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkLateLines, readStreamPosition } from "./late-lines.js";
import { type LogHost, logHost, publisherOf, waitForStream } from "./log-hosts.test-helper.js";
import type { RelayNames } from "./names.js";

// `checkLateLines({ byHost: true })` (issue 25, the central checkpoints' per-host pieces) names the
// hosts whose lines were stored late, found both ways it finds them: an earlier hour's index entry
// written since (beta) and a line of the time's own hour read from the stream (gamma); a host that
// only wrote later lines (alpha) is not among them. Real nats-server, real publishers.

const skipReason = NATS_SKIP_REASON;
if (skipReason) console.warn(`late lines by host tests skipped: ${skipReason}`);

const H = 3_600_000;
const BASE = Date.parse("2026-03-01T00:00:00Z");

let root = "";
let server: NatsServer | null = null;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "relay-late-hosts-"));
  if (skipReason) return;
  server = await startNatsServer(join(root, "store"));
}, 60_000);

afterAll(async () => {
  await server?.kill();
  await rm(root, { recursive: true, force: true });
});

const line = (tsMs: number, n: number): string =>
  `${JSON.stringify({ ts: new Date(tsMs).toISOString(), orchestrator: "o", worker: `W-${n}`, event: "worker-started", detail: null })}\n`;

describe.skipIf(skipReason !== null)("late lines by host", () => {
  it("names the hosts with a line stored late, each way it is found, and no other", async () => {
    const names: RelayNames = {
      stream: "LATE_HOSTS",
      subjectPrefix: "latehosts.events",
      bucket: "latehosts-state",
      indexBucket: "latehosts-index",
    };
    const hosts: LogHost[] = [];
    for (const name of ["alpha", "beta", "gamma"]) hosts.push(await logHost(root, name));
    const write = async (h: LogHost, ms: number): Promise<void> => {
      await appendFile(join(h.dir, "events", "2026-03.jsonl"), line(ms, h.n++));
    };
    // Five hours of lines on each host.
    for (const h of hosts) for (let i = 0; i < 10; i++) await write(h, BASE + i * 30 * 60_000);
    const publishers = hosts.map((h) => publisherOf(server!.url, names, h, join(root, "state")));
    for (const p of publishers) await p.start();
    let total = 30;
    try {
      await waitForStream(server!.url, names.stream!, total, publishers);
      const since = (await readStreamPosition({ servers: server!.url, ...names }))!;
      const atMs = BASE + 4 * H + 20 * 60_000;
      // alpha: later than atMs; beta: an earlier hour (the index says so); gamma: atMs's own hour, before it.
      await write(hosts[0]!, atMs + H);
      await write(hosts[1]!, BASE + H + 60_000);
      await write(hosts[2]!, BASE + 4 * H + 60_000);
      total += 3;
      await waitForStream(server!.url, names.stream!, total, publishers);
      const byHost = await checkLateLines({ servers: server!.url, ...names, since, atMs, byHost: true });
      expect(byHost.late).toBe(true);
      expect(byHost.lateHosts).toEqual(["beta", "gamma"]);
      const plain = await checkLateLines({ servers: server!.url, ...names, since, atMs });
      expect(plain.late).toBe(true);
      expect(plain.lateHosts).toBeUndefined();
      // Only alpha's later line: nothing late, no host named.
      const before = await checkLateLines({
        servers: server!.url,
        ...names,
        since,
        atMs: BASE - 1,
        byHost: true,
      });
      expect(before).toMatchObject({ late: false, lateHosts: [] });
      const later = await checkLateLines({
        servers: server!.url,
        ...names,
        since: byHost.position!,
        atMs,
        byHost: true,
      });
      expect(later).toMatchObject({ late: false, lateHosts: [] });
    } finally {
      for (const p of publishers) await p.stop();
    }
  }, 60_000);
});
