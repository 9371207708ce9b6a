import { homedir } from "node:os";
import {
  type AlertFeed,
  type Alerting,
  ChannelConfigError,
  createAlerting,
  type NotifyFlags,
  resolveConfigDir,
  resolveStateDir,
} from "@catalyst/notify-channels";
import { type CleanupStack, isInsideDir } from "@catalyst/sources/command-line";
import { UsageError } from "./errors.js";
import type { Logger } from "./logger.js";

/** Alerting for this monitor: `@catalyst/notify-channels` with the monitor's logger and state dir. */
export async function buildMonitorAlerting(input: {
  flags: NotifyFlags;
  env: NodeJS.ProcessEnv;
  feed: AlertFeed;
  dashboardUrl: string;
  /** The catalyst dir (null for the central monitor): the state dir must not be inside it. */
  catalystDir: string | null;
  /** The catalyst dir, or the broker and durable of a central monitor: names the incident file. */
  identity: string;
  logger: Logger;
}): Promise<Alerting> {
  const { logger } = input;
  const stateDir = resolveStateDir(input.env, homedir());
  const configDir = resolveConfigDir(input.env, homedir());
  for (const [what, path] of [
    ["state", stateDir],
    ["config", configDir],
  ] as const)
    if (input.catalystDir !== null && isInsideDir(input.catalystDir, path))
      throw new UsageError(
        `the alert ${what} dir ${path} is inside the catalyst dir; the monitor never writes there`,
      );
  let alerting: Alerting;
  try {
    alerting = await createAlerting({
      flags: input.flags,
      feed: input.feed,
      dashboardUrl: input.dashboardUrl,
      stateDir,
      configDir,
      allowHttpPushLoopback: input.env.CATALYST_NOTIFY_PUSH_ALLOW_HTTP_LOOPBACK === "1",
      identity: input.identity,
      onProblem: (problem) => logger.warn(`alerts: ${problem}`),
      // Channel names and errors are redacted by the library (no URL path, query or token).
      onEvent: (e) =>
        e.type === "sent"
          ? logger.info("alert delivered", { channel: e.channel, incident: e.incident, attempts: e.attempts })
          : e.type === "failed"
            ? logger.warn("alert delivery failed", {
                error: e.error,
                incident: e.incident,
                retryInMs: e.retryInMs,
              })
            : logger.warn("alert dropped", { channel: e.channel, incident: e.incident, reason: e.reason }),
    });
  } catch (error) {
    if (error instanceof ChannelConfigError) throw new UsageError(error.message);
    throw error;
  }
  alerting.subscribe((a) =>
    logger.info("alert", { kind: a.kind, state: a.state, incident: a.incident, title: a.title }),
  );
  const channels = alerting.dispatcher.health().map((c) => c.name);
  if (channels.length > 0) logger.info("alerts enabled", { channels, holdMs: input.flags.holdMs });
  return alerting;
}

/**
 * Builds alerting (a bad token file fails the start), undoes it on the cleanup stack, and starts
 * it once the history is folded in: history read at start-up is not news.
 */
export async function startMonitorAlerting(
  input: Parameters<typeof buildMonitorAlerting>[0] & { historyLoaded: () => Promise<unknown> },
  cleanups: CleanupStack,
): Promise<Alerting> {
  const alerting = await buildMonitorAlerting(input);
  cleanups.defer(() => alerting.stop());
  void input
    .historyLoaded()
    .then(() => alerting.start())
    .catch((error) => input.logger.error("alerts could not start", { error: String(error) }));
  return alerting;
}
