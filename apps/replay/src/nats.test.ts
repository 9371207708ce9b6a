import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRelayPublisher } from "@catalyst/relay";
import { NATS_SERVER, type NatsServer, startNatsServer, waitUntil } from "@catalyst/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionLine, v1Line, writeTree } from "./log-fixture.test-helper.js";
import { runBin } from "./run-bin.test-helper.js";

// catalyst-replay --nats against a real nats-server: three hosts, each a real catalyst dir published
// by the real relay publisher, replayed merged from the stream and compared with the merge of each
// host's own local replay.

const skipReason = NATS_SERVER
  ? null
  : "nats-server is not installed (apt-get install nats-server; .ci/run does)";
if (skipReason) console.warn(`catalyst-replay --nats tests skipped: ${skipReason}`);

const ORCH = "orch-api-redesign-2026-04-14";

/** ISO time `minutes` after 2026-04-14T19:00Z, shifted by the host's clock error. */
function at(minutes: number, skewHours = 0): string {
  return new Date(Date.UTC(2026, 3, 14, 19, minutes) + skewHours * 3_600_000).toISOString();
}

/**
 * One host's log: a legacy file and a month file, written out of order, with a clock `skewHours`
 * off, lines stamped 1970 and 2099, and lines at the very same ts as the other hosts (ties).
 */
function hostTree(host: string, skewHours: number): Record<string, string> {
  const month: string[] = [];
  for (let i = 0; i < 40; i++) {
    const minute = (i * 7) % 120; // out of order within the file
    month.push(v1Line(at(minute, skewHours), "worker-status-changed", `CTL-${i}`, { host, i }, ORCH));
  }
  month.push(v1Line("1970-01-01T00:00:00Z", "worker-started", "CTL-EPOCH", { host }, ORCH));
  month.push(v1Line("2099-01-01T00:00:00.000Z", "worker-started", "CTL-FUTURE", { host }, ORCH));
  month.push(
    v1Line("2026-04-14T19:30:00Z", "worker-pr-merged", "CTL-TIE", { host, note: "é ✓ \\u0007" }, ORCH),
  );
  const legacy = [
    sessionLine(at(5, skewHours), "session-started"),
    v1Line(at(61, skewHours), "worker-failed", "CTL-L", { host }, ORCH),
    v1Line("2026-04-14T19:30:00Z", "worker-started", "CTL-TIE", null, ORCH),
  ];
  return {
    "events.jsonl": `${legacy.join("\n")}\n`,
    "events/2026-04.jsonl": `${month.join("\n")}\n`,
  };
}

const HOSTS = [
  { name: "alpha", skew: 0 },
  { name: "beta", skew: 12 }, // a clock 12 h fast
  { name: "gamma", skew: -3 },
] as const;
const LINES_PER_HOST = 46;

let root = "";
let server: NatsServer | null = null;
const dirs = new Map<string, string>();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "replay-nats-"));
  if (skipReason) return;
  server = await startNatsServer(join(root, "store"));
  for (const h of HOSTS) {
    const dir = join(root, h.name);
    await writeTree(dir, hostTree(h.name, h.skew));
    dirs.set(h.name, dir);
    const publisher = createRelayPublisher({
      servers: server.url,
      hostName: h.name,
      catalystDir: dir,
      stateDir: join(root, `state-${h.name}`),
    });
    await publisher.start();
    await waitUntil(`${h.name} published`, () => publisher.stats().linesPublished >= LINES_PER_HOST, 60_000);
    await publisher.idle();
    await publisher.stop();
  }
}, 120_000);

afterAll(async () => {
  await server?.kill();
  await rm(root, { recursive: true, force: true });
});

/** Each host's local `catalyst-replay --format jsonl <window>` output, merged by (ts, host), each host's order kept. */
async function mergedLocal(window: string[]): Promise<{ host: string; line: string }[]> {
  const all: { host: string; line: string; ts: number; seq: number }[] = [];
  for (const h of HOSTS) {
    const local = await runBin(["--dir", dirs.get(h.name)!, ...window, "--format", "jsonl"]);
    expect(local.code, local.stderr).toBe(0);
    const lines = local.stdout.toString("utf8").split("\n").slice(0, -1);
    lines.forEach((line, seq) => {
      all.push({ host: h.name, line, ts: Date.parse((JSON.parse(line) as { ts: string }).ts), seq });
    });
  }
  all.sort((a, b) => a.ts - b.ts || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0) || a.seq - b.seq);
  return all.map(({ host, line }) => ({ host, line }));
}

const WINDOWS = [
  ["--since", "1970-01-01"],
  ["--since", "2026-04-14T19:30:00Z", "--until", "2026-04-15T07:00:00Z"],
  ["--since", "2099-01-01"],
];

describe.skipIf(skipReason !== null)("catalyst-replay --nats", () => {
  it.each(WINDOWS)(
    "equals the merge of every host's local replay, byte for byte, whatever the clocks (%s %s)",
    async (...window: string[]) => {
      const expected = await mergedLocal(window);
      expect(expected.length).toBeGreaterThan(0);
      const res = await runBin(["--nats", server!.url, ...window, "--format", "jsonl"]);
      expect(res.stderr).toBe("");
      expect(res.code).toBe(0);
      expect(res.stdout.toString("utf8")).toBe(expected.map((e) => `${e.line}\n`).join(""));

      const withHost = await runBin(["--nats", server!.url, ...window, "--format", "jsonl", "--with-host"]);
      expect(withHost.code, withHost.stderr).toBe(0);
      expect(withHost.stdout.toString("utf8")).toBe(
        expected.map((e) => `{"host":${JSON.stringify(e.host)},"line":${e.line}}\n`).join(""),
      );
      const parsed = withHost.stdout
        .toString("utf8")
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l) as { host: string });
      expect(new Set(parsed.map((p) => p.host))).toEqual(new Set(expected.map((e) => e.host)));
    },
    120_000,
  );

  it("gives the same output when the window spills to disk, and removes its temp dir", async () => {
    const window = ["--since", "1970-01-01"];
    const expected = (await mergedLocal(window)).map((e) => `${e.line}\n`).join("");
    const tmp = await mkdtemp(join(root, "tmp-"));
    // ~140 lines of ~200 bytes against a 4 KiB budget: a dozen sorted runs, merged.
    const res = await runBin(["--nats", server!.url, ...window, "--format", "jsonl"], {
      CATALYST_REPLAY_SORT_BYTES: "4096",
      TMPDIR: tmp,
    });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.toString("utf8")).toBe(expected);
    expect(await readdir(tmp)).toEqual([]);
    // The runs really go to TMPDIR: one that does not exist fails the spill (and the budget is what spills).
    const gone = await runBin(["--nats", server!.url, ...window, "--format", "jsonl"], {
      CATALYST_REPLAY_SORT_BYTES: "4096",
      TMPDIR: join(tmp, "missing"),
    });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(join(tmp, "missing"));
    const fits = await runBin(["--nats", server!.url, ...window, "--format", "jsonl"], {
      TMPDIR: join(tmp, "missing"),
    });
    expect(fits.code, fits.stderr).toBe(0);
  }, 120_000);

  it("filters by host, orchestrator and type, shows the host in pretty, and json is an array", async () => {
    const res = await runBin([
      "--nats",
      server!.url,
      "--since",
      "1970-01-01",
      "--host",
      "beta,gamma",
      "--type",
      "worker-started",
      "--format",
      "json",
      "--with-host",
    ]);
    expect(res.code, res.stderr).toBe(0);
    const items = JSON.parse(res.stdout.toString("utf8")) as { host: string; line: { event: string } }[];
    expect(items.length).toBe(6);
    expect(new Set(items.map((i) => i.host))).toEqual(new Set(["beta", "gamma"]));
    expect(items.every((i) => i.line.event === "worker-started")).toBe(true);

    const pretty = await runBin(["--nats", server!.url, "--since", "2099-01-01", "--format", "pretty"]);
    expect(pretty.code, pretty.stderr).toBe(0);
    const lines = pretty.stdout.toString("utf8").trimEnd().split("\n");
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(["alpha", "beta", "gamma"]);
    expect(lines[0]).toContain("CTL-FUTURE");
  }, 120_000);

  it("says so and exits 1 when the broker is unreachable; a stream not yet created is empty", async () => {
    const res = await runBin(["--nats", "nats://127.0.0.1:1", "--since", "2h"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      /^catalyst-replay: cannot reach the NATS broker at nats:\/\/127\.0\.0\.1:1 \(/,
    );
    expect(res.stderr.trim().split("\n")).toHaveLength(1);

    const empty = await startNatsServer(join(root, "empty-store"));
    try {
      const none = await runBin(["--nats", empty.url, "--since", "2h", "--format", "jsonl"]);
      expect(none.code, none.stderr).toBe(0);
      expect(none.stdout.length).toBe(0);
      expect(none.stderr).toMatch(/no event stream yet/);
    } finally {
      await empty.kill();
    }
  }, 60_000);
});

describe.skipIf(skipReason !== null)("catalyst-replay --nats --at --snapshot", () => {
  it("prints every host's fleet at that time, a skewed host's part as its own --at --snapshot has it", async () => {
    const when = "2026-04-14T20:00:00Z";
    const res = await runBin(["--nats", server!.url, "--at", when, "--snapshot", "--format", "json"], {
      CATALYST_CACHE_DIR: join(root, "cache-snapshot"),
    });
    expect(res.code, res.stderr).toBe(0);
    type Fleet = {
      at?: string;
      orchestrators: { id: string; workers: Record<string, { status: string }> }[];
    };
    const central = JSON.parse(res.stdout.toString("utf8")) as Fleet;
    const statuses = (f: Fleet, id: string) =>
      Object.fromEntries(
        Object.entries(f.orchestrators.find((o) => o.id === id)?.workers ?? {}).map(([k, w]) => [
          k,
          w.status,
        ]),
      );
    // beta's clock runs 12 h fast: its own fold at that time, namespaced, is the central one's part.
    const local = await runBin(["--dir", dirs.get("beta")!, "--at", when, "--snapshot", "--format", "json"]);
    expect(local.code, local.stderr).toBe(0);
    const own = JSON.parse(local.stdout.toString("utf8")) as Fleet;
    expect(Object.keys(statuses(own, ORCH)).length).toBeGreaterThan(0);
    expect(statuses(central, `beta/${ORCH}`)).toEqual(statuses(own, ORCH));
    expect(central.orchestrators.map((o) => o.id).sort()).toEqual(
      HOSTS.map((h) => `${h.name}/${ORCH}`).sort(),
    );
  }, 60_000);
});

describe("catalyst-replay --nats usage", () => {
  it("refuses what does not go with --nats, and never echoes the URL", async () => {
    const cases: [string[], RegExp][] = [
      [["--nats", "http://u:s3cret@x", "--since", "2h"], /^catalyst-replay: --nats must be a NATS URL/],
      [
        ["--nats", "nats://h:4222", "--at", "2026-04-14T19:30:00Z", "--snapshot", "--host", "a"],
        /--host cannot be used with --snapshot/,
      ],
      [
        ["--nats", "nats://h:4222", "--follow", "--format", "json"],
        /--format json cannot be used with --follow/,
      ],
      [["--nats", "nats://h:4222", "--since", "2h", "--dir", "/x"], /--dir cannot be used with --nats/],
      [["--since", "2h", "--with-host"], /--with-host needs --nats <url>/],
      [["--since", "2h", "--nats-creds", "/x"], /--nats-creds needs --nats <url>/],
      [["--nats", "nats://h:4222", "--nats-token", "s3cret", "--since", "2h"], /unknown option --nats-token/],
    ];
    for (const [args, message] of cases) {
      const res = await runBin(args);
      expect(res.code, args.join(" ")).toBe(2);
      expect(res.stderr).toMatch(message);
      expect(res.stderr).not.toContain("s3cret");
    }
    const dir = join(root, "creds");
    await mkdir(dir, { recursive: true });
    const missing = await runBin([
      "--nats",
      "nats://127.0.0.1:1",
      "--since",
      "2h",
      "--nats-creds",
      join(dir, "no"),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--nats-creds ${join(dir, "no")} cannot be read (ENOENT)`);
  }, 60_000);
});
