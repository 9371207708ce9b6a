// A real three-node `nats-server -js` cluster on loopback, for the relay's replication faults.
// Each node gets a config file (server name, client / cluster / monitoring ports, routes to the
// others, its own JetStream store) in the caller's dir; a node can be stopped and started again
// on the same ports and store.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { get } from "node:http";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { NATS_SERVER } from "./nats-server.js";
import { waitUntil } from "./wait-until.js";

/** One node of a {@link NatsCluster}. */
export interface NatsClusterNode {
  /** Its `server_name`: `n0`, `n1`, ... (what JetStream reports as a leader). */
  name: string;
  url: string;
  clusterPort: number;
  /** The monitoring port (`/jsz`, `/varz`). */
  httpPort: number;
  running(): boolean;
}

export interface NatsCluster {
  nodes: NatsClusterNode[];
  /** Every node's client URL: pass them all as `servers` so a client fails over. */
  urls: string[];
  /** Stop node `i` (SIGKILL by default: a crash), keeping its store dir. */
  stop(i: number, signal?: NodeJS.Signals): Promise<void>;
  /** Start node `i` again on the same ports and store; resolves once it sees a meta leader. */
  restart(i: number): Promise<void>;
  /** The JetStream meta leader's name as the running nodes report it (all must agree). */
  metaLeader(timeoutMs?: number): Promise<string>;
  /** Index of the node named `name` (e.g. a stream's `cluster.leader`). */
  indexOf(name: string): number;
  /** Stop every node. */
  kill(): Promise<void>;
}

/** Ports the kernel hands out now; held open together so they differ, then freed for the nodes. */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => resolve());
      });
    }
    return servers.map((s) => {
      const a = s.address();
      return typeof a === "object" && a ? a.port : 0;
    });
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

function launch(config: string): Promise<ChildProcess> {
  const child = spawn(NATS_SERVER!, ["-c", config], { stdio: ["ignore", "ignore", "pipe"] });
  return new Promise((resolve, reject) => {
    let text = "";
    let ready = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`nats-server (${config}) did not start: ${text.slice(-500)}`));
    }, 20_000);
    child.stderr!.on("data", (b: Buffer) => {
      // Keep reading (the pipe must not fill) but keep only the start, where the errors are.
      if (text.length < 64 * 1024) text += b.toString("utf8");
      if (!ready && /Server is ready/.test(text)) {
        ready = true;
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`nats-server (${config}) exited with ${code}: ${text.slice(-500)}`));
    });
  });
}

/** GET a monitoring endpoint as JSON (null when the node does not answer). */
function monitor(port: number, path: string): Promise<Record<string, unknown> | null> {
  return new Promise((resolve) => {
    const req = get({ host: "127.0.0.1", port, path, timeout: 2_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        if (body.length < 1024 * 1024) body += c;
      });
      res.on("end", () => {
        try {
          resolve(JSON.parse(body) as Record<string, unknown>);
        } catch {
          resolve(null);
        }
      });
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(null));
  });
}

async function metaLeaderOf(httpPort: number): Promise<string | null> {
  const jsz = await monitor(httpPort, "/jsz");
  const meta = jsz?.meta_cluster as { leader?: string } | undefined;
  return meta?.leader ? meta.leader : null;
}

/**
 * Start a `size`-node JetStream cluster (default 3) on free loopback ports, configs and stores
 * under `dir`, and wait until every node reports the same meta leader. Call only when
 * `NATS_SERVER` is set (tests skip otherwise).
 */
export async function startNatsCluster(dir: string, size = 3): Promise<NatsCluster> {
  // The ports are picked before the nodes bind them (the routes must name them): another process
  // may take one in between, so a failed start is tried again on fresh ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await tryStart(dir, size);
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

async function tryStart(dir: string, size: number): Promise<NatsCluster> {
  const ports = await freePorts(size * 3);
  const specs = Array.from({ length: size }, (_, i) => ({
    name: `n${i}`,
    port: ports[i * 3]!,
    clusterPort: ports[i * 3 + 1]!,
    httpPort: ports[i * 3 + 2]!,
    config: join(dir, `n${i}.conf`),
    store: join(dir, `n${i}`),
  }));
  for (const s of specs) {
    await mkdir(s.store, { recursive: true });
    const routes = specs.filter((o) => o !== s).map((o) => `"nats-route://127.0.0.1:${o.clusterPort}"`);
    await writeFile(
      s.config,
      [
        `server_name: "${s.name}"`,
        `listen: "127.0.0.1:${s.port}"`,
        `http: "127.0.0.1:${s.httpPort}"`,
        `jetstream { store_dir: ${JSON.stringify(s.store)} }`,
        "cluster {",
        '  name: "catalyst-test"',
        `  listen: "127.0.0.1:${s.clusterPort}"`,
        `  routes: [${routes.join(", ")}]`,
        "}",
        "",
      ].join("\n"),
    );
  }
  const children: (ChildProcess | null)[] = specs.map(() => null);
  const running = (i: number) => {
    const c = children[i];
    return c != null && c.exitCode === null && c.signalCode === null;
  };
  async function stop(i: number, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = children[i];
    if (!child || !running(i)) return;
    const gone = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill(signal);
    await gone;
  }
  async function kill(): Promise<void> {
    await Promise.all(specs.map((_, i) => stop(i)));
  }
  async function metaLeader(timeoutMs = 60_000): Promise<string> {
    return waitUntil(
      "a JetStream meta leader all running nodes agree on",
      async () => {
        const up = specs.filter((_, i) => running(i));
        const leaders = await Promise.all(up.map((s) => metaLeaderOf(s.httpPort)));
        const first = leaders[0];
        return first && leaders.every((l) => l === first) ? first : undefined;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }
  try {
    // All at once: each node's routes retry until the others listen.
    const started = await Promise.allSettled(specs.map((s) => launch(s.config)));
    started.forEach((r, i) => {
      if (r.status === "fulfilled") children[i] = r.value;
    });
    const failed = started.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    await metaLeader();
  } catch (error) {
    for (const c of children) c?.kill("SIGKILL");
    throw error;
  }
  return {
    nodes: specs.map((s, i) => ({
      name: s.name,
      url: `nats://127.0.0.1:${s.port}`,
      clusterPort: s.clusterPort,
      httpPort: s.httpPort,
      running: () => running(i),
    })),
    urls: specs.map((s) => `nats://127.0.0.1:${s.port}`),
    stop,
    async restart(i) {
      if (running(i)) return;
      children[i] = await launch(specs[i]!.config);
      await metaLeader();
    },
    metaLeader,
    indexOf(name) {
      return specs.findIndex((s) => s.name === name);
    },
    kill,
  };
}
