// Starting the monitor for parsed options, one named step at a time. Every step that opens
// something defers its undoing on one last-in-first-out cleanup stack: stop() (or a failed start)
// undoes them newest first, so the pid file goes first and the demo fleet last.
import { rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import {
  centralHealth,
  createBudgetWatch,
  createEventLoopDelayMeter,
  createFleet,
  type Fleet,
  logHistory,
  startFolding,
  startPublishing,
} from "@catalyst/engine";
import { followMonitor } from "@catalyst/metrics/follow";
import type { Alerting } from "@catalyst/notify-channels";
import { resolveGithubToken } from "@catalyst/pollers";
import type { LoadingState } from "@catalyst/schema";
import { resolveCacheDir } from "@catalyst/sources";
import {
  type CleanupStack,
  createCleanupStack,
  readPackageVersion,
  readTokenFlag,
} from "@catalyst/sources/command-line";
import {
  createSnapshotFrames,
  createSseHub,
  formatUrlHost,
  type SseHub,
  withLoadingState,
} from "@catalyst/sse-server";
import { resolveBrokerConnection } from "./cli/nats-connection.js";
import type { CliOptions } from "./cli/parse-args.js";
import { PidFileError } from "./errors.js";
import type { Logger } from "./logger.js";
import { startMonitorAlerting } from "./notify-wiring.js";
import { createApp } from "./server/create-app.js";
import { listenApp } from "./server/listen.js";
import { startStageTrace } from "./stage-trace.js";

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
  /** SIGHUP: re-open the log files and rescan the catalyst dir; clients stay connected. */
  reopen(): void;
  stop(): Promise<void>;
}

/** The package version (package.json is one level above both src/ and dist/). */
export const readVersion = (): string => readPackageVersion(new URL("../package.json", import.meta.url));

/** Starts everything for parsed options: demo fleet, parts, app, socket, wiring, pid file. */
export async function startMonitor(options: CliOptions, io: MainIo, logger: Logger): Promise<RunningMonitor> {
  const startedMs = Date.now();
  const secrets = await readSecrets(options, io.env);
  const cleanups = createCleanupStack();
  try {
    // Opt-in: per-stage timestamps of the live path and GC pauses, for latency work (issue 26).
    const tracePath = io.env.CATALYST_MONITOR_TRACE;
    if (tracePath !== undefined && tracePath !== "") {
      const trace = startStageTrace(tracePath);
      cleanups.defer(async () => trace.stop());
    }
    const demo = options.demo ? await startDemo(logger, cleanups) : null;
    const catalystDir = demo?.dir ?? options.dir;
    // Execution-core liveness: the demo's own simulated jobs unless --jobs-dir says otherwise.
    const jobsDir = options.jobsDir ?? demo?.jobsDir ?? null;
    // The hub exists once the fleet's feed does; the engine's timers only fire after start.
    let hub: SseHub | null = null;
    // Start-up time for /metrics, and the budget's first check, once loading is done.
    let loadedSeconds: number | null = null;
    let budget: ReturnType<typeof createBudgetWatch> | null = null;
    let metricsRegistry: (() => void) | null = null;
    const onLoaded = (): void => {
      loadedSeconds = (Date.now() - startedMs) / 1000;
      metricsRegistry?.();
      budget?.check();
      hub?.broadcastSnapshot();
    };
    const fleet = await startFleet(options, catalystDir, jobsDir, io.env, logger, secrets, onLoaded, () =>
      hub?.broadcastSnapshot(),
    );
    cleanups.defer(() => fleet.engine.stop());
    if (options.budgetUsd !== null) {
      const watch = createBudgetWatch({
        fuse: fleet.engine.parts.fuse,
        limitUsd: options.budgetUsd,
        // The rule-based alerts (--notify-*) see the budget row like any needs-you row; this line
        // is the log's.
        onExceeded: (over) =>
          logger.warn("today's spend passed the daily budget", {
            spentUsd: over.spentUsd,
            limitUsd: over.limitUsd,
          }),
      });
      watch.start();
      cleanups.defer(async () => watch.stop());
      budget = watch;
    }
    const delay = createEventLoopDelayMeter();
    cleanups.defer(() => delay.stop());
    // Until the socket is up and the engine started (and until it has loaded), clients get the
    // fleet so far, marked `loading`.
    const starting: LoadingState = { phase: "scanning", records: 0, startedAt: new Date().toISOString() };
    let loadingOf: () => LoadingState | null = () => starting;
    const loading = (): LoadingState | null => loadingOf();
    const feed = withLoadingState(fleet.engine.feed, loading);
    // One encoding of the snapshot, built in steps, for the SSE snapshot frames and /api/snapshot
    // (issue 26: ~10 MB at 10,000 workers, built and held twice before).
    const snapshotFrames = createSnapshotFrames(feed);
    hub = createSseHub(feed, { frames: snapshotFrames, onClientEvent: clientEventLogger(logger, io.env) });
    let alerting: Alerting | null = null;
    const metrics = followMonitor({
      parts: fleet.engine.parts,
      hub,
      sourceReadErrors: fleet.sourceReadErrors,
      startup: () => ({ loading: loadingOf() !== null, seconds: loadedSeconds }),
      alertsSent: () => alerting?.health().alertsSent ?? 0,
    });
    cleanups.defer(async () => metrics.stop());
    // The registry (prom-client and Node's default metrics) is built once loading is over, off the
    // start-up path. Built at start-up (as before) or only at the first scrape, P7's 2,000-worker
    // write tail was worse in the second case on a loaded box (issue 26; BENCHMARKS.md).
    metricsRegistry = () => void metrics.prepare().catch(() => {});
    if (loadedSeconds !== null) metricsRegistry();
    let port = options.port;
    const app = createApp({
      metrics: metrics.metrics,
      feed,
      hub,
      snapshotFrames,
      ...(fleet.timeTravel ? { snapshotAt: fleet.timeTravel.snapshotAt } : {}),
      ...(fleet.logStart ? { logStart: fleet.logStart } : {}),
      loading,
      eventLoopDelay: () => delay.read(),
      catalystDir: fleet.natsShown === null ? catalystDir : `${fleet.natsShown} (central)`,
      publicDir: fileURLToPath(new URL("./public/", import.meta.url)),
      access: { host: options.host, port: () => port, token: secrets.token, allowHosts: options.allowHosts },
      readEvents: fleet.engine.readEvents,
      // Centrally a briefing's text comes from the broker (relayed by its host, issue 28).
      ...(fleet.central === null ? {} : { readBriefing: fleet.central.parts.readBriefing }),
      ...centralHealth(fleet),
      health: {
        sources: fleet.engine.parts.watcher.health,
        github: fleet.engine.parts.prPoller.health,
        liveness: fleet.engine.parts.liveness.health,
      },
      notify: {
        health: () => alerting?.health() ?? null,
        alerts: (after) => alerting?.alerts(after) ?? { alerts: [], lastSeq: after, open: 0 },
        push: () => alerting?.push ?? null,
      },
      version: readVersion(),
      onError: (error) => logger.error("request failed", { error: String(error) }),
    });
    const listening = await listenApp(app, { host: options.host, port: options.port });
    port = listening.port;
    cleanups.defer(() => listening.close());
    // The URL at once: the socket answers from here on (the fleet so far, marked `loading`), and
    // a large fleet takes seconds to read. stdout's `listening on` line still comes once the first
    // scan is in, as scripts and supervisors wait for it to mean "watching every file".
    logger.info("serving while the fleet loads", { url: `http://${formatUrlHost(options.host)}:${port}/` });
    cleanups.defer(() => hub?.close());
    loadingOf = () => fleet.engine.loading();
    await startFolding(fleet);
    alerting = await startMonitorAlerting(
      {
        flags: options.notify,
        env: io.env,
        feed: fleet.engine.feed,
        dashboardUrl: `http://${formatUrlHost(options.host)}:${port}/`,
        catalystDir: fleet.central === null ? catalystDir : null,
        identity: fleet.central === null ? catalystDir : `${fleet.natsShown} ${options.durable}`,
        logger,
        historyLoaded: () => fleet.engine.historyLoaded(),
      },
      cleanups,
    );
    if (secrets.broker !== null)
      await startPublisher(options, secrets.broker, catalystDir, io.env, logger, cleanups, fleet);
    if (options.pidFile !== null) await writePidFile(options.pidFile, cleanups);
    logHistory(fleet, options.historyMs, logger);
    const url = `http://${formatUrlHost(options.host)}:${port}/`;
    logStarted(url, options, fleet, catalystDir, logger);
    let stopping: Promise<void> | null = null;
    return {
      url,
      port,
      reopen: () => fleet.engine.parts.watcher.reopen?.(),
      stop: () => {
        stopping ??= cleanups.run();
        return stopping;
      },
    };
  } catch (error) {
    await cleanups.run();
    throw error;
  }
}

type Broker = Awaited<ReturnType<typeof resolveBrokerConnection>>;

interface Secrets {
  token: string | null;
  /** `--publish`'s broker. */
  broker: Broker | null;
  /** `--nats`'s broker: the same --nats-* credential flags and NATS_* variables. */
  centralBroker: Broker | null;
}

/** Reads the token file and the brokers' credentials (a file that cannot be used is a usage error). */
async function readSecrets(options: CliOptions, env: NodeJS.ProcessEnv): Promise<Secrets> {
  const token = options.tokenFile === null ? options.token : await readTokenFlag(options.tokenFile);
  const resolve = (url: string | null) =>
    url === null ? null : resolveBrokerConnection(url, options.natsFlags, env);
  return { token, broker: await resolve(options.publish), centralBroker: await resolve(options.nats) };
}

/** `--demo`: starts the simulated fleet and returns its catalyst dir and its simulated jobs dir. */
async function startDemo(logger: Logger, cleanups: CleanupStack): Promise<{ dir: string; jobsDir: string }> {
  // Loaded only for --demo.
  const { createDemoFleet } = await import("@catalyst/fleet-sim");
  const fleet = createDemoFleet({
    onError: (error) => logger.warn("demo step failed", { error: String(error) }),
  });
  await fleet.start();
  cleanups.defer(() => fleet.stop());
  logger.info("demo fleet started", { dir: fleet.dir });
  return { dir: fleet.dir, jobsDir: fleet.jobsDir };
}

/**
 * The engine for the options (`@catalyst/engine`'s fleet), not yet started; `onLoaded` runs once
 * loading is over, `onSnapshotTimer` refreshes every SSE client.
 */
async function startFleet(
  options: CliOptions,
  catalystDir: string,
  jobsDir: string | null,
  env: NodeJS.ProcessEnv,
  logger: Logger,
  secrets: Secrets,
  onLoaded: () => void,
  onSnapshotTimer: () => void,
): Promise<Fleet> {
  // The demo's PRs are made up: never send them to GitHub, whatever token the user has.
  const github = options.demo ? null : await resolveGithubToken(env);
  logger.info(
    options.demo
      ? "PR polling disabled in demo mode"
      : github === null
        ? "PR polling disabled: no GITHUB_TOKEN, GH_TOKEN or gh login"
        : "PR polling enabled",
    { tokenSource: github?.source },
  );
  const { centralBroker } = secrets;
  return createFleet({
    catalystDir,
    jobsDir,
    maxFileBytes: options.maxFileBytes,
    cacheDir: resolveCacheDir(env),
    githubToken: github?.token ?? null,
    historyMs: options.historyMs,
    livenessIntervalMs: options.pidIntervalMs,
    central:
      centralBroker !== null && options.nats !== null
        ? {
            url: options.nats,
            broker: centralBroker,
            durable: options.durable,
            staleAfterMs: options.staleAfterMs,
            forgetAfterMs: options.forgetAfterMs,
            connectWaitMs: options.natsWaitMs,
          }
        : null,
    logger,
    onLoaded,
    onSnapshotTimer,
  });
}

/** What SSE clients coming, going and being dropped is logged as (only drops unless debugging). */
function clientEventLogger(logger: Logger, env: NodeJS.ProcessEnv) {
  const debug = env.CATALYST_MONITOR_DEBUG === "1";
  return (e: { type: string; clients: number; resumed?: boolean }) =>
    e.type === "drop"
      ? logger.warn("dropped a slow SSE client (queue full)", { clients: e.clients })
      : debug && logger.debug(`SSE client ${e.type}`, { clients: e.clients, resumed: e.resumed });
}

/** `--publish`: also publishes the catalyst dir to the broker. */
async function startPublisher(
  options: CliOptions,
  broker: Broker,
  catalystDir: string,
  env: NodeJS.ProcessEnv,
  logger: Logger,
  cleanups: CleanupStack,
  fleet: Fleet,
): Promise<void> {
  const stop = await startPublishing({
    broker,
    hostName: options.hostName,
    catalystDir,
    stateDir: resolveCacheDir(env),
    connectWaitMs: options.natsWaitMs,
    logger,
    // This host's pid and job checks go with its files (issue 28).
    liveness: fleet.engine.parts.liveness,
  });
  cleanups.defer(stop);
}

/** `--pid-file`: written last, so removed first on the way out (the exit deadline never leaves it). */
async function writePidFile(pidFile: string, cleanups: CleanupStack): Promise<void> {
  try {
    await writeFile(pidFile, `${process.pid}\n`);
  } catch (error) {
    throw new PidFileError(pidFile, { cause: error });
  }
  cleanups.defer(() => rm(pidFile, { force: true }));
}

function logStarted(
  url: string,
  options: CliOptions,
  fleet: Fleet,
  catalystDir: string,
  logger: Logger,
): void {
  if (fleet.central !== null)
    logger.info("catalyst-monitor started as the central monitor of every host on NATS", {
      version: readVersion(),
      url,
      nats: fleet.natsShown,
      durable: options.durable,
      hosts: fleet.central.parts.hosts().length,
    });
  else logger.info("catalyst-monitor started", { version: readVersion(), url, dir: catalystDir });
}
