import { join } from "node:path";
import type { Alert } from "@catalyst/notify";
import type { Channel } from "./channel.js";
import { ChannelError } from "./errors.js";
import { type FetchLike, postTo } from "./http-post.js";
import { readJsonFile, writeJsonFile } from "./state-files.js";

// Web Push to dashboards installed as an app. The VAPID key pair is made once and kept in the
// user's config dir (0600), with the subscriptions the dashboards registered; `web-push` builds
// each request (VAPID JWT, aes128gcm payload encryption) and we send it ourselves, so failures
// become redacted ChannelErrors and a 404/410 ("this subscription is gone") removes it.

/** `web-push`, loaded on first use: a monitor that sends no browser push never loads it. */
type WebPush = typeof import("web-push");
let webPushModule: Promise<WebPush> | null = null;
function loadWebPush(): Promise<WebPush> {
  // A CommonJS package: its exports are the namespace's `default`.
  webPushModule ??= import("web-push").then((m) => (m as WebPush & { default?: WebPush }).default ?? m);
  return webPushModule;
}

/** A browser's PushSubscription as JSON (`subscription.toJSON()`). */
export interface PushSubscriptionJson {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  /** `mailto:` or `https:` contact the push services see. */
  subject: string;
}

const MAX_SUBSCRIPTIONS = 50;

/**
 * Push endpoints must be https. The one exception is explicit and loopback only: tests stand a
 * local http server in for the push service (`allowHttpLoopback`, set by the monitor only when
 * `CATALYST_NOTIFY_PUSH_ALLOW_HTTP_LOOPBACK=1`).
 */
export function checkPushEndpoint(endpoint: string, allowHttpLoopback = false): string | null {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return "the endpoint is not a URL";
  }
  if (url.username !== "" || url.password !== "") return "the endpoint must not carry credentials";
  if (url.protocol === "https:") return null;
  if (
    allowHttpLoopback &&
    url.protocol === "http:" &&
    ["127.0.0.1", "[::1]", "localhost"].includes(url.hostname)
  )
    return null;
  return "push endpoints must be https";
}

function base64urlBytes(text: unknown): number {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]+={0,2}$/.test(text)) return -1;
  return Buffer.from(text, "base64url").length;
}

/** A subscription as a dashboard posts it, checked; `{ok: false, problem}` says what is wrong. */
export function parsePushSubscription(
  value: unknown,
  allowHttpLoopback = false,
): { ok: true; subscription: PushSubscriptionJson } | { ok: false; problem: string } {
  const v = value as { endpoint?: unknown; keys?: { p256dh?: unknown; auth?: unknown } } | null;
  if (typeof v !== "object" || v === null || typeof v.endpoint !== "string" || v.endpoint.length > 2048)
    return { ok: false, problem: "expected {endpoint, keys: {p256dh, auth}}" };
  const bad = checkPushEndpoint(v.endpoint, allowHttpLoopback);
  if (bad !== null) return { ok: false, problem: bad };
  // An uncompressed P-256 point and a 16-byte auth secret (RFC 8291).
  if (base64urlBytes(v.keys?.p256dh) !== 65 || base64urlBytes(v.keys?.auth) !== 16)
    return {
      ok: false,
      problem: "keys.p256dh must be a P-256 public key and keys.auth 16 bytes (base64url)",
    };
  return {
    ok: true,
    subscription: {
      endpoint: v.endpoint,
      keys: { p256dh: v.keys!.p256dh as string, auth: v.keys!.auth as string },
    },
  };
}

/** Reads the VAPID keys from `<configDir>/push-vapid.json`, making them (once) when absent. */
export async function loadVapidKeys(
  configDir: string,
  subject = "mailto:catalyst-monitor@localhost",
): Promise<VapidKeys> {
  const path = join(configDir, "push-vapid.json");
  const read = await readJsonFile(path);
  if (read?.ok) {
    const v = read.value as Partial<VapidKeys>;
    if (typeof v.publicKey === "string" && typeof v.privateKey === "string")
      return { publicKey: v.publicKey, privateKey: v.privateKey, subject: v.subject ?? subject };
  }
  if (read !== null && !read.ok) throw new Error(`${path}: ${read.error} (remove it to make new keys)`);
  const keys = (await loadWebPush()).generateVAPIDKeys();
  const made: VapidKeys = { publicKey: keys.publicKey, privateKey: keys.privateKey, subject };
  await writeJsonFile(path, made);
  return made;
}

/** The subscriptions dashboards registered, kept in `<configDir>/push-subscriptions.json`. */
export interface PushSubscriptions {
  list(): PushSubscriptionJson[];
  /** Adds (or keeps) one; the oldest goes past 50. */
  add(subscription: PushSubscriptionJson): Promise<void>;
  remove(endpoint: string): Promise<void>;
}

/** Loads the subscription file (an unreadable one starts empty). */
export async function loadPushSubscriptions(
  configDir: string,
  allowHttpLoopback = false,
): Promise<PushSubscriptions> {
  const path = join(configDir, "push-subscriptions.json");
  const read = await readJsonFile(path);
  let list: PushSubscriptionJson[] = [];
  if (read?.ok && Array.isArray((read.value as { subscriptions?: unknown }).subscriptions))
    for (const item of (read.value as { subscriptions: unknown[] }).subscriptions) {
      const parsed = parsePushSubscription(item, allowHttpLoopback);
      if (parsed.ok) list.push(parsed.subscription);
    }
  const save = () => writeJsonFile(path, { version: 1, subscriptions: list });
  return {
    list: () => [...list],
    async add(subscription) {
      list = [...list.filter((s) => s.endpoint !== subscription.endpoint), subscription].slice(
        -MAX_SUBSCRIPTIONS,
      );
      await save();
    },
    async remove(endpoint) {
      const before = list.length;
      list = list.filter((s) => s.endpoint !== endpoint);
      if (list.length !== before) await save();
    },
  };
}

/** The notification a service worker shows: small, no secrets. */
export function pushPayload(alert: Alert): string {
  return JSON.stringify({
    title: alert.title,
    body: alert.message,
    url: alert.url,
    tag: alert.incident,
    severity: alert.severity,
    state: alert.state,
  });
}

/** Sends each alert to every subscription; a subscription the push service says is gone is removed. */
export function createWebPushChannel(options: {
  vapid: VapidKeys;
  subscriptions: PushSubscriptions;
  fetch?: FetchLike;
}): Channel {
  const fetchImpl: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const name = "webpush";
  return {
    name,
    id: "webpush",
    kind: "webpush",
    async send(alert, signal, key) {
      const subs = options.subscriptions.list();
      let failure: ChannelError | null = null;
      let delivered = 0;
      if (subs.length === 0) return;
      const webpush = await loadWebPush();
      for (const sub of subs) {
        const details = webpush.generateRequestDetails(sub, pushPayload(alert), {
          vapidDetails: options.vapid,
          TTL: 3_600,
          urgency: alert.severity === "critical" ? "high" : "normal",
          // RFC 8030 5.4: the push service replaces a message with the same Topic that it has not
          // delivered yet; one it delivered is replaced on screen by the notification's tag.
          ...(key !== undefined ? { topic: key } : {}),
        });
        const headers = Object.fromEntries(Object.entries(details.headers).map(([k, v]) => [k, String(v)]));
        try {
          await postTo(
            name,
            details.endpoint,
            { headers, body: details.body as Uint8Array },
            signal,
            fetchImpl,
          );
          delivered += 1;
        } catch (error) {
          if (error instanceof ChannelError && (error.status === 404 || error.status === 410)) {
            await options.subscriptions.remove(sub.endpoint);
            continue;
          }
          failure = error instanceof ChannelError ? error : new ChannelError(name, String(error), true);
        }
      }
      // Some browsers got it: retrying would repeat it for them.
      if (failure !== null && delivered === 0) throw failure;
    },
  };
}
