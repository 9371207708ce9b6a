import { readFileSync } from "node:fs";
import { createFuse } from "@catalyst/fuse";
import { describe, expect, it } from "vitest";
import { fleetInputs, NOW } from "./fleet-inputs.test-helper.js";
import { createMonitorMetrics, followFleet } from "./index.js";

const DASHBOARD = new URL("../../../docs/grafana/catalyst-fleet.json", import.meta.url);

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr: string }>;
}

// PromQL words that are not metric names.
const PROMQL = new Set([
  "sum",
  "by",
  "without",
  "rate",
  "increase",
  "delta",
  "clamp_min",
  "sort_desc",
  "vector",
  "or",
  "label_values",
  "and",
  "max",
  "min",
  "avg",
]);

describe("the Grafana dashboard", () => {
  it("parses, and every metric it queries is in /metrics", async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as {
      panels: Panel[];
      templating: { list: Array<{ query?: unknown }> };
    };
    const exprs = dashboard.panels.flatMap((p) => p.targets?.map((t) => t.expr) ?? []);
    expect(exprs.length).toBeGreaterThan(10);
    for (const v of dashboard.templating.list)
      if (typeof v.query === "object" && v.query !== null)
        exprs.push(String((v.query as { query: string }).query));
    const names = new Set<string>();
    for (const expr of exprs) {
      // Drop label matchers, grouping labels, strings and ranges; what is left that looks like a
      // name is a metric.
      const bare = expr
        .replace(/\b(by|without)\s*\([^)]*\)/g, "")
        .replace(/label_values\(([^,]+),[^)]*\)/g, "$1")
        .replace(/\{[^}]*\}/g, "")
        .replace(/"[^"]*"/g, "")
        .replace(/\[[^\]]*\]/g, "");
      for (const word of bare.match(/[a-zA-Z_][a-zA-Z0-9_]*/g) ?? []) if (!PROMQL.has(word)) names.add(word);
    }
    const fuse = createFuse();
    const { counts } = followFleet(fuse);
    fuse.apply(fleetInputs(2, 5), NOW);
    const metrics = createMonitorMetrics({
      fleet: counts,
      sse: () => ({ clients: 0, framesSent: 0, bytesSent: 0, resyncs: 0, dropped: 0 }),
      sourceReadErrors: () => 0,
      watched: () => ({ files: 0, directories: 0 }),
      startup: () => ({ loading: false, seconds: 1 }),
      githubRateLimitRemaining: () => 5000,
    });
    const text = await metrics.render();
    const exposed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
    const missing = [...names].filter((n) => !exposed.has(n));
    expect(missing).toEqual([]);
    expect(names).toContain("catalyst_cost_usd");
    expect(names).toContain("catalyst_needs_you");
  });
});
