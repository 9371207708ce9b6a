// A real `nats-server -js` on a loopback port with its own store dir, for the relay and monitor tests.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CANDIDATES = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"];

/** The nats-server binary, or null when it is not installed (the tests then skip and say why). */
export const NATS_SERVER = CANDIDATES.find((p) => existsSync(p)) ?? null;

export interface NatsServer {
  url: string;
  port: number;
  /** Stop it (SIGKILL by default: a crash), keeping the store dir. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Sends it a signal without waiting for anything (SIGSTOP / SIGCONT: a broker that stops answering). */
  signal(signal: NodeJS.Signals): void;
  /** Start it again on the same port and store dir (with JetStream unless `jetstream: false`). */
  restart(options?: { jetstream?: boolean }): Promise<void>;
}

/** Options of {@link startNatsServer}. */
export interface NatsServerOptions {
  /**
   * More `nats-server` arguments, e.g. `["--auth", token]`, `["--user", u, "--pass", p]` or
   * `["--tls", "--tlscert", cert, "--tlskey", key]`. Kept for `restart()`.
   */
  args?: string[];
  /** The scheme of `url`: `tls` for a broker that requires TLS. @default "nats" */
  scheme?: "nats" | "tls";
  /** False: a broker without JetStream (its API requests get no answer). @default true */
  jetstream?: boolean;
}

function launch(
  storeDir: string,
  port: number,
  extra: string[],
  jetstream = true,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    NATS_SERVER!,
    [...(jetstream ? ["-js"] : []), "-a", "127.0.0.1", "-p", String(port), "-sd", storeDir, ...extra],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`nats-server did not start: ${text.slice(-500)}`));
    }, 20_000);
    child.stderr!.on("data", (b: Buffer) => {
      if (text.length < 64 * 1024) text += b.toString("utf8");
      const m = /Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(text);
      if (m && /Server is ready/.test(text)) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with ${code}: ${text.slice(-500)}`));
    });
  });
}

/** Start a broker on an ephemeral port (`-p -1`) with JetStream stored under `storeDir`. */
export async function startNatsServer(
  storeDir: string,
  options: NatsServerOptions = {},
): Promise<NatsServer> {
  const extra = options.args ?? [];
  let { child, port } = await launch(storeDir, -1, extra, options.jetstream ?? true);
  const server: NatsServer = {
    url: `${options.scheme ?? "nats"}://127.0.0.1:${port}`,
    port,
    async kill(signal: NodeJS.Signals = "SIGKILL") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill(signal);
      await gone;
    },
    signal(signal) {
      child.kill(signal);
    },
    async restart(again = {}) {
      ({ child } = await launch(storeDir, port, extra, again.jetstream ?? true));
    },
  };
  return server;
}

/** Why the nats tests skip (null when nats-server is installed); each says it once. */
export const NATS_SKIP_REASON = NATS_SERVER
  ? null
  : "nats-server is not installed (apt-get install nats-server; .ci/run does)";

/** A broker in a temp dir of its own, for a test file's `beforeAll`. */
export interface TestBroker {
  server: NatsServer;
  url: string;
  /** The temp dir (the store is under it); removed by `stop()`. */
  root: string;
  /** Kills the broker and removes its dir. */
  stop(): Promise<void>;
}

/** Starts a nats-server with its store in a new temp dir named after `prefix`. */
export async function startTestBroker(prefix: string, options: NatsServerOptions = {}): Promise<TestBroker> {
  const root = await mkdtemp(join(tmpdir(), `${prefix}-`));
  try {
    const server = await startNatsServer(join(root, "store"), options);
    return {
      server,
      url: server.url,
      root,
      async stop() {
        await server.kill();
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}
