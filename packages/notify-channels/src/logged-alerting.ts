// Alerting as a bin runs it: the user's state and config dirs, the environment's switches, every
// delivery and every alert reported to the bin's log, and started once the history is folded in.
// The library never logs: the bin passes its logger in.
import { type Alerting, createAlerting } from "./alerting.js";
import type { NotifyFlags } from "./notify-flags.js";
import type { AlertFeed } from "./notify-runtime.js";
import { resolveConfigDir, resolveStateDir } from "./state-files.js";

/** Where alerting's lines go: the bin's logger. */
export interface AlertLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What `createLoggedAlerting` needs from the bin. */
export interface LoggedAlertingOptions {
  flags: NotifyFlags;
  env: NodeJS.ProcessEnv;
  /** The user's home directory (for the default state and config dirs). */
  home: string;
  feed: AlertFeed;
  dashboardUrl: string;
  /**
   * Called with the state and the config dir before anything is written: the bin throws its own
   * error for one it never writes into (inside the catalyst dir).
   */
  checkDir: (what: "state" | "config", path: string) => void;
  /** The catalyst dir, or the broker and durable of a central monitor: names the incident file. */
  identity: string;
  log: AlertLog;
}

/** Alerting with the bin's logger and the user's state dir; a bad flag or file is a `ChannelConfigError`. */
export async function createLoggedAlerting(input: LoggedAlertingOptions): Promise<Alerting> {
  const { log } = input;
  const stateDir = resolveStateDir(input.env, input.home);
  const configDir = resolveConfigDir(input.env, input.home);
  input.checkDir("state", stateDir);
  input.checkDir("config", configDir);
  const alerting = await createAlerting({
    flags: input.flags,
    feed: input.feed,
    dashboardUrl: input.dashboardUrl,
    stateDir,
    configDir,
    allowHttpPushLoopback: input.env.CATALYST_NOTIFY_PUSH_ALLOW_HTTP_LOOPBACK === "1",
    identity: input.identity,
    onProblem: (problem) => log.warn(`alerts: ${problem}`),
    // Channel names and errors are redacted by the library (no URL path, query or token).
    onEvent: (e) => {
      if (e.type === "sent")
        log.info("alert delivered", { channel: e.channel, incident: e.incident, attempts: e.attempts });
      else if (e.type === "failed")
        log.warn("alert delivery failed", { error: e.error, incident: e.incident, retryInMs: e.retryInMs });
      else if (e.type === "dropped")
        log.warn("alert dropped", { channel: e.channel, incident: e.incident, reason: e.reason });
      else if (e.type === "deferred")
        log.warn("alert deferred: the channel's queue is full; sent when it has room", {
          channel: e.channel,
          incident: e.incident,
        });
    },
  });
  alerting.subscribe((a) =>
    log.info("alert", { kind: a.kind, state: a.state, incident: a.incident, title: a.title }),
  );
  const channels = alerting.dispatcher.health().map((c) => c.name);
  if (channels.length > 0) log.info("alerts enabled", { channels, holdMs: input.flags.holdMs });
  return alerting;
}

/** Starts alerting once the history is folded in (history read at start-up is not news). */
export function startAlertingAfter(alerting: Alerting, historyLoaded: Promise<unknown>, log: AlertLog): void {
  void historyLoaded
    .then(() => alerting.start())
    .catch((error) => log.error("alerts could not start", { error: String(error) }));
}
