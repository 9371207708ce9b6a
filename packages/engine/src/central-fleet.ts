// The central fleet (`--nats`): every host's relayed lines from a NATS broker. Its own module so
// that `createFleet` loads it, and with it the NATS client, only when a broker is given.
import { redactUrl } from "@catalyst/relay";
import { createCentralEngine } from "./central.js";
import { createCentralTimeTravel } from "./central-time-travel.js";
import { rateLimitedWarn } from "./engine.js";
import { commonOptions, type Fleet, type FleetOptions } from "./fleet.js";

/** `createFleet` with `central` set: the central engine and its time travel, not yet started. */
export function createCentralFleet(
  options: FleetOptions,
  given: NonNullable<FleetOptions["central"]>,
  historySince: Date,
): Fleet {
  const { logger } = options;
  const warn = rateLimitedWarn(logger);
  const common = commonOptions(options);
  const central = createCentralEngine({
    ...common,
    servers: given.broker.servers,
    auth: given.broker.auth,
    durable: given.durable,
    staleAfterMs: given.staleAfterMs,
    forgetAfterMs: given.forgetAfterMs,
    ...(given.connectWaitMs === undefined ? {} : { connectWaitMs: given.connectWaitMs }),
    onHostForgotten: (host, result) =>
      "keys" in result
        ? logger.info("forgot a host silent past --forget-after", { host, keys: result.keys })
        : logger.warn("could not forget a host silent past --forget-after", {
            host,
            error: String(result.error),
          }),
    onIndexPruned: (hosts, result) => {
      if ("weeks" in result) {
        if (result.weeks > 0)
          logger.info("pruned the time index of silent hosts", { hosts, weeks: result.weeks });
      } else
        warn("index-prune", "could not prune the time index of silent hosts", {
          error: String(result.error),
        });
    },
    // One line per 10 s while the broker is away (never the URL: it may hold credentials).
    onRelayError: (error) => warn("relay", "reading from NATS failed; retrying", { error: String(error) }),
  });
  const timeTravel = createCentralTimeTravel({
    servers: given.broker.servers,
    ...(given.broker.auth === undefined ? {} : { auth: given.broker.auth }),
    cacheDir: options.cacheDir,
    catalystDir: options.catalystDir,
  });
  return {
    engine: central,
    central,
    natsShown: redactUrl(given.url),
    historySince,
    sourceReadErrors: () => 0,
    timeTravel,
    logStart: () => timeTravel.logStart(),
  };
}
