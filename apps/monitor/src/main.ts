import { readFileSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { fileURLToPath } from "node:url";
import { resolveGithubToken } from "@catalyst/pollers";
import type { LoadingState } from "@catalyst/schema";
import { buildParts } from "./build-parts.js";
import { HELP_TEXT } from "./cli/help-text.js";
import { type CliOptions, parseCliArgs } from "./cli/parse-args.js";
import { createDemoFleet, type DemoFleet } from "./demo/index.js";
import { PidFileError, PortInUseError, UsageError } from "./errors.js";
import { createLogger, type Logger } from "./logger.js";
import { createMonitor } from "./monitor.js";
import { formatUrlHost } from "./server/access-guard.js";
import { createApp } from "./server/create-app.js";
import { createEventLoopDelayMeter } from "./server/event-loop-delay.js";
import { listenApp } from "./server/listen.js";
import { throttleWhileLoading, withLoadingState } from "./server/loading-feed.js";
import { createSseHub } from "./server/sse-hub.js";

/** Where the process talks to the world; tests of `main` may pass their own. */
export interface MainIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** A started monitor: its URL and a stop that closes streams, watchers, pollers and the demo. */
export interface RunningMonitor {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** The package version, read from package.json (one level above both src/ and dist/). */
export function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

/** Starts everything for parsed options: demo fleet, parts, app, socket, wiring, pid file. */
export async function startMonitor(options: CliOptions, io: MainIo, logger: Logger): Promise<RunningMonitor> {
  let fleet: DemoFleet | null = null;
  let catalystDir = options.dir;
  if (options.demo) {
    fleet = createDemoFleet({
      onError: (error) => logger.warn("demo step failed", { error: String(error) }),
    });
    await fleet.start();
    catalystDir = fleet.dir;
    logger.info("demo fleet started", { dir: catalystDir });
  }
  const cleanups: Array<() => Promise<void>> = [];
  if (fleet !== null) {
    const started = fleet;
    cleanups.push(() => started.stop());
  }
  try {
    // The demo's PRs are made up: never send them to GitHub, whatever token the user has.
    const github = options.demo ? null : await resolveGithubToken(io.env);
    logger.info(
      options.demo
        ? "PR polling disabled in demo mode"
        : github === null
          ? "PR polling disabled: no GITHUB_TOKEN, GH_TOKEN or gh login"
          : "PR polling enabled",
      {
        tokenSource: github?.source,
      },
    );
    const parts = buildParts({ catalystDir, githubToken: github?.token ?? null });
    const debug = io.env.CATALYST_MONITOR_DEBUG === "1";
    // The monitor exists only after the socket is up; until then (and until it has loaded)
    // clients get the fleet so far, marked `loading`.
    const starting: LoadingState = { phase: "scanning", records: 0, startedAt: new Date().toISOString() };
    let monitorLoading: () => LoadingState | null = () => starting;
    const loading = (): LoadingState | null => monitorLoading();
    const feed = withLoadingState(parts.fuse, loading);
    const delay = createEventLoopDelayMeter();
    cleanups.push(async () => delay.stop());
    const hub = createSseHub(feed, {
      onClientEvent: (e) =>
        e.type === "drop"
          ? logger.warn("dropped a slow SSE client (queue full)", { clients: e.clients })
          : debug && logger.debug(`SSE client ${e.type}`, { clients: e.clients, resumed: e.resumed }),
    });
    let port = options.port;
    const app = createApp({
      feed,
      hub,
      apiSnapshot: throttleWhileLoading(() => feed.snapshot(), loading),
      loading,
      eventLoopDelay: () => delay.read(),
      catalystDir,
      publicDir: fileURLToPath(new URL("./public/", import.meta.url)),
      access: { host: options.host, port: () => port, token: options.token },
      readEvents: parts.readEvents,
      health: {
        sources: parts.watcher.health,
        github: parts.prPoller.health,
        liveness: parts.liveness.health,
      },
      version: readVersion(),
      onError: (error) => logger.error("request failed", { error: String(error) }),
    });
    const listening = await listenApp(app, { host: options.host, port: options.port });
    port = listening.port;
    cleanups.unshift(() => listening.close());
    cleanups.unshift(async () => hub.close());

    const historySince = new Date(Date.now() - options.historyMs);
    const monitor = createMonitor(parts, {
      onSnapshotTimer: () => hub.broadcastSnapshot(),
      // Loading is over: every client gets the full snapshot, without the `loading` mark.
      onLoaded: () => hub.broadcastSnapshot(),
      logger,
      history:
        options.historyMs > 0
          ? { since: historySince, read: (since) => parts.readEvents(catalystDir, { since }) }
          : null,
    });
    cleanups.splice(2, 0, () => monitor.stop());
    monitorLoading = () => monitor.loading();
    await monitor.start();

    if (options.pidFile !== null) {
      const pidFile = options.pidFile;
      try {
        await writeFile(pidFile, `${process.pid}\n`);
      } catch (error) {
        throw new PidFileError(pidFile, { cause: error });
      }
      // First on the way out, so the hard exit deadline never leaves a stale pid file.
      cleanups.unshift(() => rm(pidFile, { force: true }));
    }
    void monitor.historyLoaded().then(({ records, error }) => {
      if (error === null && options.historyMs > 0)
        logger.info("event log history folded in", { since: historySince.toISOString(), lines: records });
    });
    const url = `http://${formatUrlHost(options.host)}:${port}/`;
    logger.info("monitoring", { dir: catalystDir, url });
    let stopping: Promise<void> | null = null;
    return {
      url,
      port,
      stop: () => {
        stopping ??= runCleanups(cleanups);
        return stopping;
      },
    };
  } catch (error) {
    await runCleanups(cleanups);
    throw error;
  }
}

async function runCleanups(cleanups: Array<() => Promise<void>>): Promise<void> {
  for (const cleanup of cleanups) {
    try {
      await cleanup();
    } catch {
      // best effort on the way out
    }
  }
}

/** Exit budget after SIGINT/SIGTERM (the issue asks for under 1 s). */
const SHUTDOWN_BUDGET_MS = 900;

/** The bin's body: parse, start, print the URL, and exit 0 on SIGINT/SIGTERM. */
export async function main(argv: readonly string[], io?: Partial<MainIo>): Promise<void> {
  const fullIo: MainIo = {
    env: io?.env ?? process.env,
    stdout: io?.stdout ?? ((text) => void process.stdout.write(text)),
    stderr: io?.stderr ?? ((text) => void process.stderr.write(text)),
  };
  let options: CliOptions;
  try {
    options = parseCliArgs(argv, fullIo.env, homedir());
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    fullIo.stderr(`error: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  if (options.help) {
    fullIo.stdout(HELP_TEXT);
    return;
  }
  if (options.version) {
    fullIo.stdout(`${readVersion()}\n`);
    return;
  }
  const logger = createLogger({
    format: options.logFormat,
    debug: fullIo.env.CATALYST_MONITOR_DEBUG === "1",
    write: fullIo.stderr,
  });
  for (const warning of options.warnings) logger.warn(warning);

  let running: RunningMonitor;
  try {
    running = await startMonitor(options, fullIo, logger);
  } catch (error) {
    const message =
      error instanceof PortInUseError || error instanceof PidFileError
        ? error.message
        : `could not start: ${error instanceof Error ? error.message : String(error)}`;
    fullIo.stderr(`error: ${message}\n`);
    process.exitCode = 1;
    return;
  }
  fullIo.stdout(`catalyst-monitor listening on ${running.url}\n`);

  const shutdown = (signal: string): void => {
    logger.info("shutting down", { signal });
    const hardStop = setTimeout(() => process.exit(0), SHUTDOWN_BUDGET_MS);
    hardStop.unref();
    void running.stop().finally(() => process.exit(0));
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}
