import type { Alert } from "@catalyst/notify";
import type { Channel } from "./channel.js";
import { channelIdOf } from "./delivery-key.js";
import { ChannelConfigError } from "./errors.js";
import { type FetchLike, postTo } from "./http-post.js";
import { parseHttpUrl, redactUrl } from "./redact-url.js";

export interface NtfyChannelOptions {
  /** The topic URL, e.g. `https://ntfy.sh/my-secret-topic`. */
  url: string;
  /** An access token (`Authorization: Bearer`), read by the app from a file or the environment. */
  token?: string | null;
  fetch?: FetchLike;
}

const PRIORITY: Record<string, string> = { critical: "5", warning: "4", info: "3" };
const TAGS: Record<string, string> = {
  critical: "rotating_light",
  warning: "warning",
  info: "information_source",
};

/** HTTP header values are Latin-1: anything else goes as an RFC 2047 encoded word, which ntfy decodes. */
function headerText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: header values must not carry control characters
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, " ");
  return /^[\x20-\x7e]*$/.test(clean)
    ? clean
    : `=?UTF-8?B?${Buffer.from(clean, "utf8").toString("base64")}?=`;
}

/**
 * The headers ntfy reads for an alert: Title, Priority, Tags and Click, and with a key
 * `X-Sequence-ID`: ntfy 2.16 and later has its clients replace the notification of an earlier
 * message with the same sequence id in place, so a re-send after a crash shows once.
 */
export function ntfyHeaders(alert: Alert, token: string | null, key?: string): Record<string, string> {
  const headers: Record<string, string> = {
    "content-type": "text/plain; charset=utf-8",
    "user-agent": "catalyst-monitor",
    Title: headerText(alert.title),
    Priority: alert.state === "resolved" ? "2" : (PRIORITY[alert.severity] ?? "3"),
    Tags: [
      alert.state === "resolved" ? "white_check_mark" : (TAGS[alert.severity] ?? "bell"),
      alert.kind,
    ].join(","),
  };
  if (alert.url !== null) headers.Click = alert.url;
  if (key !== undefined) headers["X-Sequence-ID"] = key;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  return headers;
}

/** Publishes each alert to an ntfy topic (the message as the body, the rest as headers). */
export function createNtfyChannel(options: NtfyChannelOptions): Channel {
  if (parseHttpUrl(options.url) === null)
    throw new ChannelConfigError("--notify-ntfy", "an http:// or https:// topic URL", redactUrl(options.url));
  const fetchImpl: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const name = `ntfy ${redactUrl(options.url)}`;
  const token = options.token ?? null;
  return {
    name,
    id: channelIdOf("ntfy", options.url),
    kind: "ntfy",
    send: (alert, signal, key) =>
      postTo(
        name,
        options.url,
        { headers: ntfyHeaders(alert, token, key), body: alert.message },
        signal,
        fetchImpl,
      ),
  };
}
