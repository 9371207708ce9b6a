import { isAbsolute, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  ChannelConfigError,
  NOTIFY_CLI_OPTIONS,
  type NotifyFlags,
  notifyFlagsOf,
} from "@catalyst/notify-channels";
import { DEFAULT_LIVENESS_INTERVAL_MS } from "@catalyst/pollers";
import {
  NATS_CONNECTION_OPTIONS,
  type NatsConnectionFlags,
  natsFlagsOf,
  RELAY_ROLE_OPTIONS,
  type RelayRoleFlags,
  relayRoleFlagsOf,
} from "@catalyst/relay/command-line";
import {
  DURATION_EXAMPLES,
  isInsideDir,
  parseDuration,
  parsePort,
  parsePositiveDecimal,
  resolveCatalystDir,
  resolveJobsDir,
} from "@catalyst/sources/command-line";
import { isLoopbackHost } from "@catalyst/sse-server";
import { UsageError } from "../errors.js";

/** The monitor's settings after flags and environment are read (the broker role's from relay). */
export interface CliOptions extends RelayRoleFlags {
  /** Absolute catalyst dir (`--dir`, `CATALYST_DIR`, `~/catalyst`); unused with `--demo`. */
  dir: string;
  port: number;
  host: string;
  token: string | null;
  /** Where the token came from, for the log (never the token itself). */
  tokenSource: "flag" | "env" | "file" | null;
  /** `--token-file`: read by main (the parser does no I/O); wins over `token` when set. */
  tokenFile: string | null;
  /** Extra `Host` names accepted (`--allow-host`, repeatable). */
  allowHosts: string[];
  /** Signal and state files larger than this are refused and shown as corrupt. */
  maxFileBytes: number;
  /**
   * Claude Code's jobs root for execution-core liveness (`--jobs-dir`, `CATALYST_REVIVE_JOBS_DIR`,
   * `~/.claude/jobs`); with `--demo`, null unless given (the demo uses its own).
   */
  jobsDir: string | null;
  demo: boolean;
  /**
   * Absolute, but not normalised: `..` is left for the kernel to resolve, so that main's realpath
   * check sees `link/..` the way the write would (issue 17).
   */
  pidFile: string | null;
  logFormat: "text" | "json";
  /** How far back the event log is folded in at start-up, in ms; 0 turns it off. */
  historyMs: number;
  /** `--pid-interval`: how often worker pids (and execution-core jobs) are checked, in ms. */
  pidIntervalMs: number;
  /** `--budget-usd`: the daily budget; today's spend past it raises a `budget` needs-you row. */
  budgetUsd: number | null;
  /** The `--nats-*` credential flags (paths and a user name, never a secret); main reads the files. */
  natsFlags: NatsConnectionFlags;
  /** The `--notify-*` alert settings (token files are read by main). */
  notify: NotifyFlags;
  help: boolean;
  version: boolean;
  /** Non-fatal notes about the environment (a bad MONITOR_PORT), for the log. */
  warnings: string[];
}

/** @default `--max-file-mb`: 4 MiB, far above any real signal or state file. */
export const DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024;

/** @default port when neither `--port` nor `MONITOR_PORT` is set (FORMATS §1.6). */
export const DEFAULT_PORT = 7400;

/** @default `--history`: a week of log, enough to cover orchestrations still running. */
export const DEFAULT_HISTORY_MS = 7 * 24 * 3_600_000;

/** `--pid-interval` bounds: a check every 100 ms at the most, every hour at the least. */
export const MIN_PID_INTERVAL_MS = 100;
export const MAX_PID_INTERVAL_MS = 3_600_000;

/**
 * `--pid-interval`'s value in ms: `500ms` or a duration (`2s`, `1m`), from 100 ms to 1 h; the
 * liveness poller's 5 s when absent. Throws `UsageError` otherwise.
 */
export function pidIntervalOf(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LIVENESS_INTERVAL_MS;
  const ms = /^\s*(\d{1,9})ms\s*$/.exec(value);
  const parsed = ms ? Number(ms[1]) : parseDuration(value);
  if (parsed === null || parsed < MIN_PID_INTERVAL_MS || parsed > MAX_PID_INTERVAL_MS)
    throw new UsageError(
      `--pid-interval must be a duration from 100ms to 1h such as 500ms, 2s, 1m, got ${JSON.stringify(value)}`,
    );
  return parsed;
}

/** Reads argv (without node and script) and env into options; a bad flag throws `UsageError`. */
export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv, home: string): CliOptions {
  let values: ReturnType<typeof parseFlags>["values"];
  let positionals: string[];
  try {
    ({ values, positionals } = parseFlags(argv));
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split("\n")[0]} (see --help)`);
  }
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])} (see --help)`);
  const warnings: string[] = [];

  let port = DEFAULT_PORT;
  if (values.port !== undefined) {
    const parsed = parsePort(values.port);
    if (parsed === null)
      throw new UsageError(`--port must be an integer from 0 to 65535, got ${JSON.stringify(values.port)}`);
    port = parsed;
  } else if (env.MONITOR_PORT !== undefined && env.MONITOR_PORT !== "") {
    const parsed = parsePort(env.MONITOR_PORT);
    // FORMATS §1.6: a non-positive or unparseable MONITOR_PORT falls back to 7400.
    if (parsed === null || parsed === 0)
      warnings.push(`ignoring MONITOR_PORT=${JSON.stringify(env.MONITOR_PORT)}; using ${DEFAULT_PORT}`);
    else port = parsed;
  }

  const host = values.host ?? "127.0.0.1";
  if (host.trim() === "") throw new UsageError("--host must not be empty");
  const tokenFile = values["token-file"] === undefined ? null : resolve(values["token-file"]);
  if (tokenFile !== null && values.token !== undefined)
    throw new UsageError("pass either --token or --token-file, not both");
  const envToken = env.CATALYST_MONITOR_TOKEN === "" ? undefined : env.CATALYST_MONITOR_TOKEN;
  const token = values.token ?? (tokenFile === null ? (envToken ?? null) : null);
  const tokenSource =
    tokenFile !== null ? "file" : values.token !== undefined ? "flag" : envToken !== undefined ? "env" : null;
  if (token !== null && token.trim() === "")
    throw new UsageError(`${tokenSource === "env" ? "CATALYST_MONITOR_TOKEN" : "--token"} must not be empty`);
  if (!isLoopbackHost(host) && token === null && tokenFile === null)
    throw new UsageError(
      `--host ${host} is not a loopback address; refusing to start without a token (--token-file, CATALYST_MONITOR_TOKEN or --token)`,
    );
  const allowHosts = (values["allow-host"] ?? []).map((h) => h.trim().toLowerCase());
  for (const h of allowHosts)
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)$/.test(h))
      throw new UsageError(
        `--allow-host must be a host name or address without a port, got ${JSON.stringify(h)}`,
      );

  let maxFileBytes = DEFAULT_MAX_FILE_BYTES;
  if (values["max-file-mb"] !== undefined) {
    const mb = parsePositiveDecimal(values["max-file-mb"], 1024);
    if (mb === null)
      throw new UsageError(
        `--max-file-mb must be a number of MiB above 0 and at most 1024, got ${JSON.stringify(values["max-file-mb"])}`,
      );
    maxFileBytes = Math.round(mb * 1024 * 1024);
  }

  const logFormat = values["log-format"] ?? "text";
  if (logFormat !== "text" && logFormat !== "json")
    throw new UsageError(`--log-format must be text or json, got ${JSON.stringify(logFormat)}`);

  const demo = values.demo ?? false;
  if (demo && values.dir !== undefined)
    throw new UsageError("--demo runs its own catalyst dir; do not pass --dir with it");
  const dir = resolveCatalystDir(values.dir, env, home);
  if (values["jobs-dir"] !== undefined && values["jobs-dir"].trim() === "")
    throw new UsageError("--jobs-dir must not be empty");
  // The demo checks its own simulated jobs, never the user's ~/.claude, unless told otherwise.
  const jobsDir =
    demo && values["jobs-dir"] === undefined ? null : resolveJobsDir(values["jobs-dir"], env, home);

  const rawPid = values["pid-file"];
  if (rawPid !== undefined && rawPid.trim() === "") throw new UsageError("--pid-file must not be empty");
  const pidFile = rawPid === undefined ? null : isAbsolute(rawPid) ? rawPid : `${process.cwd()}/${rawPid}`;
  // The monitor never writes under the catalyst dir (issue 7, B6).
  if (pidFile !== null && !demo && isInsideDir(dir, resolve(pidFile)))
    throw new UsageError(`--pid-file ${pidFile} is inside the catalyst dir; the monitor never writes there`);

  let historyMs = DEFAULT_HISTORY_MS;
  if (values.history !== undefined) {
    const parsed = values.history.trim() === "0" ? 0 : parseDuration(values.history);
    if (parsed === null)
      throw new UsageError(
        `--history must be 0 or a duration such as ${DURATION_EXAMPLES}, got ${JSON.stringify(values.history)}`,
      );
    historyMs = parsed;
  }

  const relayRole = relayRoleFlagsOf(values, { dirGiven: values.dir !== undefined, demo });
  const pidIntervalMs = pidIntervalOf(values["pid-interval"]);
  if (values["pid-interval"] !== undefined && relayRole.nats !== null)
    throw new UsageError(
      "--pid-interval sets how often this machine checks its workers' pids; the central monitor (--nats) checks none: pass it to each --publish host",
    );

  let budgetUsd: number | null = null;
  if (values["budget-usd"] !== undefined) {
    const usd = parsePositiveDecimal(values["budget-usd"], 1e9);
    if (usd === null)
      throw new UsageError(
        `--budget-usd must be a number of US dollars above 0, e.g. --budget-usd 250, got ${JSON.stringify(values["budget-usd"])}`,
      );
    budgetUsd = usd;
  }

  let notify: NotifyFlags;
  try {
    notify = notifyFlagsOf(values, env);
  } catch (error) {
    if (error instanceof ChannelConfigError) throw new UsageError(error.message);
    throw error;
  }

  return {
    dir,
    port,
    host,
    token,
    tokenSource,
    tokenFile,
    allowHosts,
    maxFileBytes,
    jobsDir,
    demo,
    pidFile,
    logFormat,
    historyMs,
    ...relayRole,
    pidIntervalMs,
    budgetUsd,
    natsFlags: natsFlagsOf(values),
    notify,
    help: values.help ?? false,
    version: (values.version ?? false) || (values["version-v"] ?? false),
    warnings,
  };
}

function parseFlags(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      dir: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      token: { type: "string" },
      "token-file": { type: "string" },
      "allow-host": { type: "string", multiple: true },
      "max-file-mb": { type: "string" },
      "jobs-dir": { type: "string" },
      demo: { type: "boolean" },
      "pid-file": { type: "string" },
      "log-format": { type: "string" },
      history: { type: "string" },
      "pid-interval": { type: "string" },
      ...RELAY_ROLE_OPTIONS,
      "budget-usd": { type: "string" },
      ...NATS_CONNECTION_OPTIONS,
      ...NOTIFY_CLI_OPTIONS,
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "V" },
      // -v, kept from before -V was shared with catalyst-replay; not in --help.
      "version-v": { type: "boolean", short: "v" },
    },
  });
}
