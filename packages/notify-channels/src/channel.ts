import type { Alert } from "@catalyst/notify";

/** Where alerts go. `send` resolves once the receiver took the alert and rejects otherwise. */
export interface Channel {
  /** Shown in `/healthz` and logs: the kind and a redacted target (`webhook https://hooks.slack.com/***`). */
  readonly name: string;
  readonly kind: "webhook" | "ntfy" | "exec" | "webpush";
  send(alert: Alert, signal: AbortSignal): Promise<void>;
}
