import { fileURLToPath } from "node:url";
import { build, type Metafile } from "esbuild";
import { describe, expect, it } from "vitest";
import pkg from "../package.json" with { type: "json" };

const entry = fileURLToPath(new URL("./bin.ts", import.meta.url));

/** The npm packages and workspace files an output loads, statically or only through `import()`. */
function reach(meta: Metafile, from: string) {
  const loaded = { static: new Set<string>(), dynamic: new Set<string>() };
  const seen = new Set<string>();
  const walk = (file: string, kind: "static" | "dynamic") => {
    if (seen.has(`${kind} ${file}`)) return;
    seen.add(`${kind} ${file}`);
    const output = meta.outputs[file];
    for (const input of Object.keys(output?.inputs ?? {})) loaded[kind].add(input);
    for (const imp of output?.imports ?? []) {
      const next = imp.kind === "dynamic-import" ? "dynamic" : kind;
      if (imp.external) loaded[next].add(imp.path);
      else walk(imp.path, next);
    }
  };
  walk(from, "static");
  return loaded;
}

describe("catalyst-monitor's bundle", () => {
  // Issue 26: a plain start parses and runs only what it uses; each of these costs tens of ms of
  // start-up CPU and is loaded on first use (the build splits it into its own chunk).
  it("loads NATS, prom-client, web-push and the demo fleet only through import()", async () => {
    const result = await build({
      entryPoints: { bin: entry },
      bundle: true,
      splitting: true,
      write: false,
      outdir: "/virtual-out",
      format: "esm",
      platform: "node",
      conditions: ["@catalyst/source", "import", "node"],
      external: Object.keys(pkg.dependencies),
      metafile: true,
      logLevel: "silent",
    });
    const bin = Object.keys(result.metafile.outputs).find((o) => o.endsWith("/bin.js"));
    expect(bin).toBeDefined();
    const loaded = reach(result.metafile, bin!);
    const lazy = ["@nats-io/transport-node", "@nats-io/jetstream", "@nats-io/kv", "prom-client", "web-push"];
    for (const name of lazy) {
      expect(loaded.static.has(name), `${name} loaded at start`).toBe(false);
      expect(loaded.dynamic.has(name), `${name} reachable through import()`).toBe(true);
    }
    const fleetSim = (set: Set<string>) => [...set].some((p) => p.includes("packages/fleet-sim/"));
    expect(fleetSim(loaded.static)).toBe(false);
    expect(fleetSim(loaded.dynamic)).toBe(true);
    // What a plain start does load: the HTTP server.
    expect(loaded.static.has("hono")).toBe(true);
  });
});
