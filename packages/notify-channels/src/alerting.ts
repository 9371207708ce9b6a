import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { type Alert, createNotifier, createTestAlert } from "@catalyst/notify";
import type { AlertsResponse, HealthResponse } from "@catalyst/schema";
import type { Channel } from "./channel.js";
import { createDispatcher, type DispatchEvent, type Dispatcher } from "./dispatcher.js";
import { ChannelConfigError } from "./errors.js";
import { createExecChannel } from "./exec-channel.js";
import type { FetchLike } from "./http-post.js";
import { createIncidentStore } from "./incident-store.js";
import { hasNotifyChannels, type NotifyFlags } from "./notify-flags.js";
import { type AlertFeed, createNotifyRuntime, type NotifyRuntime } from "./notify-runtime.js";
import { createNtfyChannel } from "./ntfy-channel.js";
import {
  createWebPushChannel,
  loadPushSubscriptions,
  loadVapidKeys,
  type PushSubscriptions,
  parsePushSubscription,
  type VapidKeys,
} from "./web-push-channel.js";
import { createWebhookChannel } from "./webhook-channel.js";

// Everything a monitor needs for alerts, built from its flags: channels, dispatcher, notifier
// runtime and the incident store, behind four calls (health, alerts, test, stop).

/** The first line of a token file: at most 64 KiB read, empty is an error. */
export async function readSecretFile(option: string, path: string): Promise<string> {
  let text: string;
  try {
    const handle = await open(path, "r");
    try {
      const buffer = Buffer.alloc(65_536);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      text = buffer.subarray(0, bytesRead).toString("utf8");
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new ChannelConfigError(
      option,
      "a readable file",
      `${path} (${(error as { code?: string }).code ?? "unreadable"})`,
    );
  }
  const first = (text.split(/\r?\n/)[0] ?? "").trim();
  if (first === "")
    throw new ChannelConfigError(option, "a file whose first line is the token", `${path} (empty)`);
  return first;
}

/** The channels the flags configure (Web Push is added by the caller, which owns its keys). */
export async function buildChannels(flags: NotifyFlags, fetchImpl?: FetchLike): Promise<Channel[]> {
  const token =
    flags.ntfyTokenFile !== null
      ? await readSecretFile("--notify-ntfy-token-file", flags.ntfyTokenFile)
      : flags.ntfyToken;
  return [
    ...flags.webhooks.map((url) =>
      createWebhookChannel({ url, format: flags.format, ...(fetchImpl ? { fetch: fetchImpl } : {}) }),
    ),
    ...flags.ntfy.map((url) => createNtfyChannel({ url, token, ...(fetchImpl ? { fetch: fetchImpl } : {}) })),
    ...flags.exec.map((command) => createExecChannel({ command, timeoutMs: flags.execTimeoutMs })),
  ];
}

/** The store's file name for one monitor: a local one per catalyst dir, a central one per broker consumer. */
export function incidentStoreName(identity: string): string {
  return `notify-incidents-${createHash("sha256").update(identity).digest("hex").slice(0, 12)}.json`;
}

export interface AlertingOptions {
  flags: NotifyFlags;
  feed: AlertFeed;
  /** For deep links. */
  dashboardUrl: string;
  /** Where open incidents are kept (`resolveStateDir`); the caller checks it is outside the catalyst dir. */
  stateDir: string;
  /** Names this monitor's store (`incidentStoreName` of the catalyst dir, or of the broker and durable). */
  identity: string;
  /** With `flags.push`: where the VAPID keys and subscriptions live (`resolveConfigDir`). */
  configDir?: string;
  /** Test-only: accept http push endpoints on loopback (`CATALYST_NOTIFY_PUSH_ALLOW_HTTP_LOOPBACK=1`). */
  allowHttpPushLoopback?: boolean;
  onEvent?: (event: DispatchEvent) => void;
  onProblem?: (problem: string) => void;
  fetch?: FetchLike;
}

export interface Alerting {
  /** Restores the incidents and starts following the feed: call once the monitor has loaded. */
  start(): Promise<void>;
  runtime: NotifyRuntime;
  dispatcher: Dispatcher;
  /** `/healthz`'s `notify` object. */
  health(): NonNullable<HealthResponse["notify"]>;
  /** `/api/alerts?after=`. */
  alerts(after: number): AlertsResponse;
  /** Every alert as it is made. */
  subscribe(listener: (alert: Alert) => void): () => void;
  /** Web Push for the dashboard: null without `--notify-push`. */
  push: PushEndpoints | null;
  stop(): Promise<void>;
}

/**
 * Builds alerting (reading the token files, so a bad one fails here); `start()` once the feed has
 * loaded. Without any channel it still runs (the dashboard's bell and `/api/alerts`), but keeps
 * no incident file.
 */
export async function createAlerting(options: AlertingOptions): Promise<Alerting> {
  const channels = await buildChannels(options.flags, options.fetch);
  let push: PushEndpoints | null = null;
  if (options.flags.push) {
    if (options.configDir === undefined)
      throw new ChannelConfigError("--notify-push", "a config dir", "none");
    const allowHttp = options.allowHttpPushLoopback ?? false;
    const vapid = await loadVapidKeys(options.configDir);
    const subscriptions = await loadPushSubscriptions(options.configDir, allowHttp);
    channels.push(
      createWebPushChannel({ vapid, subscriptions, ...(options.fetch ? { fetch: options.fetch } : {}) }),
    );
    push = createPushEndpoints(vapid, subscriptions, allowHttp);
  }
  // A channel that took an alert (or refused it for good) is done with it in the outbox; one whose
  // full queue deferred it owes it still, and is offered it again when it has room.
  let runtime: NotifyRuntime | null = null;
  const dispatcher = createDispatcher(channels, {
    onEvent: (event) => {
      if (event.type === "deferred") runtime?.deferred(event.key, event.channelId);
      else if (event.type === "room") runtime?.room(event.channelId);
      else if (event.type !== "failed" && event.key !== null) runtime?.delivered(event.key, event.channelId);
      options.onEvent?.(event);
    },
  });
  const notifier = createNotifier({
    holdMs: options.flags.holdMs,
    resolved: options.flags.resolved,
    kinds: options.flags.kinds,
    dashboardUrl: options.dashboardUrl,
  });
  runtime = createNotifyRuntime({
    feed: options.feed,
    notifier,
    deliver: (alert, how) => dispatcher.dispatch(alert, how),
    store: hasNotifyChannels(options.flags)
      ? createIncidentStore(options.stateDir, incidentStoreName(options.identity))
      : null,
    ...(options.onProblem ? { onProblem: options.onProblem } : {}),
  });
  const live = runtime;
  let started = false;
  return {
    async start() {
      if (started) return;
      started = true;
      await live.start();
    },
    runtime: live,
    dispatcher,
    health() {
      const stats = live.stats();
      return {
        channels: dispatcher.health(),
        openIncidents: stats.openIncidents,
        pending: stats.pending,
        alertsSent: stats.alertsSent,
      };
    },
    alerts(after) {
      const recent = live.recent();
      return {
        alerts: recent.filter((a) => a.seq > after),
        lastSeq: recent.at(-1)?.seq ?? after,
        open: live.stats().openIncidents,
      };
    },
    subscribe: (listener) => live.subscribe(listener),
    push,
    async stop() {
      // A short grace for alerts already queued (a shutdown must not hang on a dead receiver);
      // what the channels took meanwhile is written with the last save, the rest stays owed.
      await live.stop(() =>
        Promise.race([dispatcher.idle(), new Promise((r) => setTimeout(r, 500).unref())]),
      );
      dispatcher.stop();
    },
  };
}

/** `notify test`: one test alert through every configured channel, now; which worked. */
export async function sendTestAlert(
  flags: NotifyFlags,
  dashboardUrl: string | null,
  push: { configDir: string; allowHttpPushLoopback?: boolean } | null = null,
): Promise<Array<{ channel: string; ok: boolean; error: string | null }>> {
  const channels: Channel[] = await buildChannels(flags);
  if (flags.push && push !== null) {
    const subscriptions = await loadPushSubscriptions(push.configDir, push.allowHttpPushLoopback ?? false);
    channels.push(createWebPushChannel({ vapid: await loadVapidKeys(push.configDir), subscriptions }));
  }
  const dispatcher = createDispatcher(channels);
  try {
    return await dispatcher.sendNow(createTestAlert(Date.now(), dashboardUrl));
  } finally {
    dispatcher.stop();
  }
}

/** What the dashboard's "Enable alerts" button talks to, as plain functions (the app routes them). */
export interface PushEndpoints {
  /** `GET /api/push/key`: the VAPID public key for `pushManager.subscribe`. */
  key(): { publicKey: string };
  /** `POST /api/push/subscribe` with the subscription JSON: 201, or 400 saying what is wrong. */
  subscribe(body: unknown): Promise<{ status: 201 | 400; body: unknown }>;
  /** `POST /api/push/unsubscribe` with `{endpoint}`. */
  unsubscribe(body: unknown): Promise<{ status: 200 | 400; body: unknown }>;
}

function createPushEndpoints(
  vapid: VapidKeys,
  subscriptions: PushSubscriptions,
  allowHttp: boolean,
): PushEndpoints {
  return {
    key: () => ({ publicKey: vapid.publicKey }),
    async subscribe(body) {
      const parsed = parsePushSubscription(body, allowHttp);
      if (!parsed.ok)
        return { status: 400, body: { error: { code: "bad_subscription", message: parsed.problem } } };
      await subscriptions.add(parsed.subscription);
      return { status: 201, body: { ok: true, subscriptions: subscriptions.list().length } };
    },
    async unsubscribe(body) {
      const endpoint = (body as { endpoint?: unknown } | null)?.endpoint;
      if (typeof endpoint !== "string")
        return { status: 400, body: { error: { code: "bad_subscription", message: "expected {endpoint}" } } };
      await subscriptions.remove(endpoint);
      return { status: 200, body: { ok: true } };
    },
  };
}
