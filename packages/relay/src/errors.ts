// The relay's error classes: flat, with fixed messages that never hold a secret.

/**
 * A credential given on the command line or in the environment cannot be used: a file that is
 * missing, empty or too large, or two ways of authenticating at once. The bins exit with code 2.
 */
export class NatsCredentialsError extends Error {
  override name = "NatsCredentialsError";
  /** The flag or environment variable at fault (`--nats-creds`, `NATS_TOKEN`). */
  readonly source: string;
  constructor(message: string, source: string, options?: { cause?: unknown }) {
    super(message, options);
    this.source = source;
  }
}

/** Why a connection to the broker failed. */
export type RelayConnectProblem = "auth" | "tls" | "unreachable" | "timeout" | "other";

/**
 * The broker could not be reached or refused us. The message is one line naming the broker
 * (credentials hidden, see `redactUrl`) and the reason, never a secret; the bins exit with code 1.
 */
export class RelayConnectError extends Error {
  override name = "RelayConnectError";
  readonly problem: RelayConnectProblem;
  /** With `timeout`: the request the broker did not answer in time, in words ("the stream's info"). */
  readonly operation: string | null;
  constructor(
    message: string,
    problem: RelayConnectProblem,
    options?: { cause?: unknown; operation?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.problem = problem;
    this.operation = options?.operation ?? null;
  }
}
