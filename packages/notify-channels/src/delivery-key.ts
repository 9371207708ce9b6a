import { createHash } from "node:crypto";
import type { Alert } from "@catalyst/notify";

// The keys that let a receiver collapse a re-send. An alert owed to channels is journaled (the
// outbox of the incident store) before anything is sent; a crash while a request is in flight
// sends it again after the restart, with the same key, so a receiver that deduplicates shows it
// once. The key is per alert and channel: the same alert to two receivers has two keys.

function digest(text: string): string {
  return createHash("sha256").update(text).digest("base64url");
}

/** One alert's id in the outbox: its incident, state and time (22 base64url characters). */
export function alertKeyOf(alert: Alert): string {
  return digest(`${alert.incident}\u0000${alert.state}\u0000${alert.at}`).slice(0, 22);
}

/**
 * The key one channel sends for one alert: 32 characters of the URL-safe base64 alphabet, which
 * fits every receiver's rule (a Web Push `Topic` is at most 32 of them, RFC 8030 section 5.4; an
 * ntfy sequence id goes in a URL path).
 */
export function deliveryKeyOf(alertKey: string, channelId: string): string {
  return digest(`${alertKey}\u0000${channelId}`).slice(0, 32);
}

/**
 * A channel's id across restarts: its kind and a digest of its whole target (URL, format or
 * command), so the outbox knows which channels an alert is still owed to. The digest shows no
 * secret of the target.
 */
export function channelIdOf(kind: string, target: string): string {
  return `${kind}:${digest(`${kind}\u0000${target}`).slice(0, 12)}`;
}
