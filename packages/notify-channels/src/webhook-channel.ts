import type { Alert } from "@catalyst/notify";
import type { Channel } from "./channel.js";
import { channelIdOf } from "./delivery-key.js";
import { ChannelConfigError } from "./errors.js";
import { type FetchLike, postTo } from "./http-post.js";
import { parseHttpUrl, redactUrl } from "./redact-url.js";

/** `json`: the alert object; `slack`: Slack's incoming-webhook shape (`text` and one mrkdwn block). */
export type WebhookFormat = "json" | "slack";

export interface WebhookChannelOptions {
  url: string;
  /** @default "json" */
  format?: WebhookFormat;
  fetch?: FetchLike;
}

const SEVERITY_ICON: Record<string, string> = {
  critical: ":rotating_light:",
  warning: ":warning:",
  info: ":information_source:",
};

/** Slack's mrkdwn needs `&`, `<` and `>` escaped. */
function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The body a webhook receives for an alert in a format. */
export function webhookBody(alert: Alert, format: WebhookFormat): unknown {
  if (format === "json") return alert;
  const icon = alert.state === "resolved" ? ":white_check_mark:" : (SEVERITY_ICON[alert.severity] ?? "");
  const title =
    alert.url === null ? `*${escapeSlack(alert.title)}*` : `*<${alert.url}|${escapeSlack(alert.title)}>*`;
  const text = `${icon} ${title}\n${escapeSlack(alert.message)}`;
  return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
}

/**
 * The headers of a webhook request. `Idempotency-Key` (a structured-field string, as the IETF
 * httpapi draft "The Idempotency-Key HTTP Header Field" defines it) is the same for every attempt of
 * one alert, after a restart too: a receiver that keeps the keys it saw collapses a re-send.
 */
export function webhookHeaders(key?: string): Record<string, string> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "catalyst-monitor",
  };
  if (key !== undefined) headers["Idempotency-Key"] = `"${key}"`;
  return headers;
}

/** POSTs each alert as JSON to `url`. */
export function createWebhookChannel(options: WebhookChannelOptions): Channel {
  if (parseHttpUrl(options.url) === null)
    throw new ChannelConfigError("--notify-webhook", "an http:// or https:// URL", redactUrl(options.url));
  const format = options.format ?? "json";
  const fetchImpl: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const name = `webhook ${redactUrl(options.url)}`;
  return {
    name,
    id: channelIdOf("webhook", `${format} ${options.url}`),
    kind: "webhook",
    send: (alert, signal, key) =>
      postTo(
        name,
        options.url,
        { headers: webhookHeaders(key), body: JSON.stringify(webhookBody(alert, format)) },
        signal,
        fetchImpl,
      ),
  };
}
