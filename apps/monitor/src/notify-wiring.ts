import { homedir } from "node:os";
import {
  type Alerting,
  ChannelConfigError,
  createLoggedAlerting,
  type LoggedAlertingOptions,
  startAlertingAfter,
} from "@catalyst/notify-channels";
import { type CleanupStack, isInsideDir } from "@catalyst/sources/command-line";
import { UsageError } from "./errors.js";
import type { Logger } from "./logger.js";

/**
 * Builds alerting (a bad token file fails the start), undoes it on the cleanup stack, and starts
 * it once the history is folded in: history read at start-up is not news.
 */
export async function startMonitorAlerting(
  input: Pick<LoggedAlertingOptions, "flags" | "env" | "feed" | "dashboardUrl" | "identity"> & {
    /** The catalyst dir (null for the central monitor): the state dir must not be inside it. */
    catalystDir: string | null;
    logger: Logger;
    historyLoaded: () => Promise<unknown>;
  },
  cleanups: CleanupStack,
): Promise<Alerting> {
  const { catalystDir, logger } = input;
  let alerting: Alerting;
  try {
    alerting = await createLoggedAlerting({
      ...input,
      home: homedir(),
      checkDir: (what, path) => {
        if (catalystDir !== null && isInsideDir(catalystDir, path))
          throw new UsageError(
            `the alert ${what} dir ${path} is inside the catalyst dir; the monitor never writes there`,
          );
      },
      log: logger,
    });
  } catch (error) {
    if (error instanceof ChannelConfigError) throw new UsageError(error.message);
    throw error;
  }
  cleanups.defer(() => alerting.stop());
  startAlertingAfter(alerting, input.historyLoaded(), logger);
  return alerting;
}
