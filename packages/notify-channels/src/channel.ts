import type { Alert } from "@catalyst/notify";

/** Where alerts go. `send` resolves once the receiver took the alert and rejects otherwise. */
export interface Channel {
  /** Shown in `/healthz` and logs: the kind and a redacted target (`webhook https://hooks.slack.com/***`). */
  readonly name: string;
  /**
   * Names the channel across restarts (the outbox keeps which channels an alert is still owed
   * to): the kind and a digest of the whole target. @default name
   */
  readonly id?: string;
  readonly kind: "webhook" | "ntfy" | "exec" | "webpush";
  /**
   * `key`: the same for every attempt of this alert on this channel, in this run and after a
   * restart (32 URL-safe base64 characters); each channel hands it to its receiver in the way
   * that receiver can collapse a re-send. Absent for alerts that are not journaled (`notify test`).
   */
  send(alert: Alert, signal: AbortSignal, key?: string): Promise<void>;
}
