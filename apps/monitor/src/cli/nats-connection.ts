// The broker of `--publish`: its URL and the shared `--nats-*` credential flags and NATS_* variables
// (@catalyst/relay/command-line), read once at start. A credentials file that cannot be used is a
// usage error (exit 2), like `--token-file`.
import {
  type NatsConnectionFlags,
  type NatsConnectionSettings,
  NatsCredentialsError,
  resolveNatsConnection,
} from "@catalyst/relay/command-line";
import { UsageError } from "../errors.js";

/** Read the credentials for `url`; never returns or throws a message holding a secret. */
export async function resolveBrokerConnection(
  url: string,
  flags: NatsConnectionFlags,
  env: NodeJS.ProcessEnv,
): Promise<NatsConnectionSettings> {
  try {
    return await resolveNatsConnection(url, flags, env);
  } catch (error) {
    if (error instanceof NatsCredentialsError)
      throw new UsageError(error.message, { flag: error.source }, { cause: error });
    throw error;
  }
}
