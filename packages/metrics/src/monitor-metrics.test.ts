import { createFuse } from "@catalyst/fuse";
import { describe, expect, it } from "vitest";
import { fleetInputs, NOW, orchestratorAdded, signal } from "./fleet-inputs.test-helper.js";
import { createMonitorMetrics, followFleet } from "./index.js";

/** `name{labels} value` lines of one metric. */
function samples(text: string, name: string): Array<{ labels: string; value: number }> {
  const out: Array<{ labels: string; value: number }> = [];
  for (const line of text.split("\n")) {
    const m = /^([a-z_:]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m?.[1] === name) out.push({ labels: m[2] ?? "", value: Number(m[3]) });
  }
  return out;
}

const sum = (list: Array<{ value: number }>) => list.reduce((a, s) => a + s.value, 0);

describe("the monitor's metrics", () => {
  it("render the fleet's numbers: workers by status add up, cost is the sum of the workers' costs", async () => {
    const fuse = createFuse();
    const { counts } = followFleet(fuse);
    fuse.apply(fleetInputs(4, 10), NOW);
    const metrics = createMonitorMetrics({ fleet: counts, defaultMetrics: false });
    const text = await metrics.render();
    const snapshot = fuse.snapshot();
    const workers = snapshot.orchestrators.flatMap((o) => Object.values(o.workers));
    expect(sum(samples(text, "catalyst_workers"))).toBe(workers.length);
    expect(sum(samples(text, "catalyst_cost_usd"))).toBeCloseTo(
      workers.reduce((a, w) => a + (w.cost?.costUSD ?? 0), 0),
      6,
    );
    expect(sum(samples(text, "catalyst_pull_requests"))).toBe(workers.filter((w) => w.pr !== null).length);
    expect(sum(samples(text, "catalyst_orchestrators"))).toBe(4);
    expect(samples(text, "catalyst_tokens").find((s) => s.labels.includes('kind="input"'))).toBeDefined();
    // Bounded labels only: no worker or PR ever becomes a label.
    expect(text).not.toMatch(/(worker|ticket|pr)="/);
    expect(text).not.toContain("T-0-1");
  });

  it("a scrape after a change shows it (an orchestrator's cached lines are rebuilt), and one gone leaves", async () => {
    const fuse = createFuse();
    const { counts } = followFleet(fuse);
    fuse.apply(fleetInputs(2, 4), NOW);
    const metrics = createMonitorMetrics({ fleet: counts, defaultMetrics: false });
    const fresh = async () => {
      const other = followFleet(fuse).counts;
      return createMonitorMetrics({ fleet: other, defaultMetrics: false }).render();
    };
    const sorted = (text: string) => text.split("\n").sort().join("\n");
    await metrics.render();
    fuse.apply(signal("orch-1", "T-1-0", { status: "done", phase: 6, cost: { costUSD: 9 } }), NOW);
    expect(sorted(await metrics.render())).toEqual(sorted(await fresh()));
    counts.apply([
      { id: 0, event: "orchestrator-removed", data: { orchestrator: "orch-1", ts: NOW.toISOString() } },
    ]);
    const text = await metrics.render();
    expect(text).not.toContain('orchestrator="orch-1"');
    expect(text).toContain('orchestrator="orch-0"');
  });

  it("escapes label values", async () => {
    const fuse = createFuse();
    const { counts } = followFleet(fuse);
    fuse.apply([orchestratorAdded('or"ch\\x'), signal('or"ch\\x', "A")], NOW);
    const text = await createMonitorMetrics({ fleet: counts, defaultMetrics: false }).render();
    expect(text).toContain('catalyst_workers{orchestrator="or\\"ch\\\\x",status="implementing",phase="3"} 1');
  });

  it("a scrape at 10,000 workers visits no worker", async () => {
    const fuse = createFuse();
    const { counts } = followFleet(fuse);
    fuse.apply(fleetInputs(200, 50), NOW);
    const metrics = createMonitorMetrics({ fleet: counts, defaultMetrics: false });
    const before = counts.visited();
    const text = await metrics.render();
    await metrics.render();
    expect(counts.visited()).toBe(before);
    expect(sum(samples(text, "catalyst_workers"))).toBe(10_000);
  });

  it("reads the monitor's own figures at scrape time, with _total counters and base units", async () => {
    const fuse = createFuse();
    const { counts } = followFleet(fuse);
    let frames = 10;
    const metrics = createMonitorMetrics({
      fleet: counts,
      sse: () => ({ clients: 2, framesSent: frames, bytesSent: 4096, resyncs: 1, dropped: 0 }),
      sourceReadErrors: () => 3,
      watched: () => ({ files: 17, directories: 6 }),
      startup: () => ({ loading: false, seconds: 1.25 }),
      githubRateLimitRemaining: () => 4990,
      alertsSent: () => 2,
    });
    let text = await metrics.render();
    expect(samples(text, "catalyst_sse_clients")[0]!.value).toBe(2);
    expect(samples(text, "catalyst_sse_frames_sent_total")[0]!.value).toBe(10);
    expect(samples(text, "catalyst_sse_sent_bytes_total")[0]!.value).toBe(4096);
    expect(samples(text, "catalyst_source_read_errors_total")[0]!.value).toBe(3);
    expect(samples(text, "catalyst_files_watched")[0]!.value).toBe(17);
    expect(samples(text, "catalyst_startup_seconds")[0]!.value).toBe(1.25);
    expect(samples(text, "catalyst_github_rate_limit_remaining")[0]!.value).toBe(4990);
    expect(samples(text, "catalyst_alerts_sent_total")[0]!.value).toBe(2);
    expect(samples(text, "process_cpu_seconds_total")).toHaveLength(1);
    expect(text).toContain("# TYPE catalyst_sse_frames_sent_total counter");
    frames = 25;
    text = await metrics.render();
    expect(samples(text, "catalyst_sse_frames_sent_total")[0]!.value).toBe(25);
  });

  it("hosts, the age of each host's heartbeat and its skipped lines on a central monitor", async () => {
    const fuse = createFuse();
    const { counts } = followFleet(fuse);
    fuse.apply(
      {
        kind: "hosts",
        hosts: [
          { name: "alpha", lastHeartbeat: "2026-04-14T19:21:50.000Z", stale: false },
          {
            name: "beta",
            lastHeartbeat: "2026-04-14T19:20:00.000Z",
            stale: true,
            skipped: { lines: 7, files: 2 },
          },
        ],
      },
      NOW,
    );
    const metrics = createMonitorMetrics({ fleet: counts, defaultMetrics: false, now: () => NOW.getTime() });
    const text = await metrics.render();
    expect(samples(text, "catalyst_hosts")[0]!.value).toBe(2);
    expect(samples(text, "catalyst_hosts_stale")[0]!.value).toBe(1);
    expect(samples(text, "catalyst_relay_lag_seconds")).toEqual([
      { labels: '{host="alpha"}', value: 10 },
      { labels: '{host="beta"}', value: 120 },
    ]);
    expect(samples(text, "catalyst_host_skipped_lines")).toEqual([
      { labels: '{host="alpha"}', value: 0 },
      { labels: '{host="beta"}', value: 7 },
    ]);
  });
});
