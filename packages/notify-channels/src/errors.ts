import { trimForMessage } from "@catalyst/schema";

/** A channel did not take an alert: an HTTP status, a connection error, a command's exit code or a timeout. */
export class ChannelError extends Error {
  override name = "ChannelError";
  readonly channel: string;
  /** Retrying may help (5xx, 429, connection refused, timeout); false for a 4xx the receiver will keep refusing. */
  readonly retryable: boolean;
  /** The HTTP status, when the receiver answered. */
  readonly status: number | null;
  constructor(
    channel: string,
    problem: string,
    retryable: boolean,
    options?: { cause?: unknown; status?: number },
  ) {
    super(`${channel}: ${problem}`, options);
    this.channel = channel;
    this.retryable = retryable;
    this.status = options?.status ?? null;
  }
}

/** A channel option is unusable (not an http(s) URL, an empty command, an unreadable token file). */
export class ChannelConfigError extends Error {
  override name = "ChannelConfigError";
  readonly option: string;
  constructor(option: string, expected: string, received: unknown) {
    super(`${option}: expected ${expected}, received ${trimForMessage(received)}`);
    this.option = option;
  }
}
