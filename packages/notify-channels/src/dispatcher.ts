import type { Alert } from "@catalyst/notify";
import type { Channel } from "./channel.js";
import { deliveryKeyOf } from "./delivery-key.js";
import { ChannelError } from "./errors.js";

// One queue per channel, so a slow or dead receiver delays only itself. `dispatch` only enqueues:
// delivery runs on promises and timers, never on the caller's turn of the event loop. A failed
// alert stays at the head of its queue and is retried with backoff until it goes through
// (a channel down then back loses nothing). At a queue's bounds, an alert with an outbox key is
// deferred (not queued: the outbox still owes it, and a `room` event says when to offer it again),
// so nothing saved is lost; only an alert without a key is dropped, oldest first, and counted.

export interface DispatcherOptions {
  /** Alerts waiting per channel. @default 200 */
  maxQueue?: number;
  /** Bytes (JSON) waiting per channel. @default 1 MiB */
  maxQueueBytes?: number;
  /** Sends per minute per channel (token bucket). @default 30 */
  ratePerMinute?: number;
  /** Sends allowed back to back before the rate applies. @default 10 */
  burst?: number;
  /** First retry delay, doubled per failure. @default 1000 */
  retryBaseMs?: number;
  /** @default 60000 */
  retryMaxMs?: number;
  /** One attempt's time limit. @default 10000 */
  timeoutMs?: number;
  /** ms since the epoch. @default Date.now */
  clock?: () => number;
  /** What happened, for the app's log (no secret in it: channels' names and errors are redacted). */
  onEvent?: (event: DispatchEvent) => void;
}

/**
 * `channelId` is the channel's id (`Channel.id`), `key` the alert's key in the outbox (null for an
 * alert dispatched without one): a `sent` or `dropped` ends what that channel owes for it. A
 * `deferred` alert (a keyed one the channel's full queue did not take) is still owed: offer it again
 * to that channel (`only`) after the channel's next `room` event, which comes once its queue is down
 * to half its bounds.
 */
export type DispatchEvent =
  | {
      type: "sent";
      channel: string;
      channelId: string;
      incident: string;
      key: string | null;
      attempts: number;
    }
  | {
      type: "failed";
      channel: string;
      channelId: string;
      incident: string;
      key: string | null;
      error: string;
      retryInMs: number | null;
    }
  | {
      type: "dropped";
      channel: string;
      channelId: string;
      incident: string;
      key: string | null;
      reason: "queue-full" | "refused";
    }
  | {
      type: "deferred";
      channel: string;
      channelId: string;
      incident: string;
      key: string;
    }
  | { type: "room"; channel: string; channelId: string };

/** How `dispatch` queues one alert. */
export interface DispatchOptions {
  /**
   * The alert's key in the outbox (`alertKeyOf`): each channel sends a delivery key made from it
   * and its own id, the same after a restart, so a receiver can collapse a re-send.
   */
  key?: string | null;
  /** Ids of channels that already have it (a re-send after a restart skips them). */
  skip?: readonly string[];
  /** Only these channels (a deferred alert offered again to the channel that has room). */
  only?: readonly string[];
}

/** One channel's state, as `/healthz` shows it under `notify`. */
export interface ChannelHealth {
  name: string;
  kind: Channel["kind"];
  /** `ok` until a send fails; `failing` from then until one goes through. */
  state: "ok" | "failing";
  sent: number;
  failed: number;
  dropped: number;
  /** Keyed alerts the full queue did not take (each still owed, offered again when it has room). */
  deferred: number;
  queued: number;
  lastError: string | null;
  lastErrorAt: string | null;
  lastSentAt: string | null;
}

export interface Dispatcher {
  /** Queues the alert on every channel (but those skipped); returns at once, with the ids of the channels it was queued on. */
  dispatch(alert: Alert, options?: DispatchOptions): string[];
  /** One try per channel, now, bypassing queues and limits (`notify test`). */
  sendNow(alert: Alert): Promise<Array<{ channel: string; ok: boolean; error: string | null }>>;
  health(): ChannelHealth[];
  /** Resolves once every queue is empty (tests, and a short grace on shutdown). */
  idle(): Promise<void>;
  stop(): void;
}

interface Queued {
  alert: Alert;
  key: string | null;
  bytes: number;
  attempts: number;
}

interface Lane {
  channel: Channel;
  id: string;
  queue: Queued[];
  bytes: number;
  busy: boolean;
  timer: ReturnType<typeof setTimeout> | null;
  tokens: number;
  tokensAt: number;
  /** An alert was deferred since the last `room` event. */
  owesRoom: boolean;
  health: ChannelHealth;
}

/** Creates the delivery side over a fixed list of channels. */
export function createDispatcher(channels: readonly Channel[], options: DispatcherOptions = {}): Dispatcher {
  const maxQueue = options.maxQueue ?? 200;
  const maxQueueBytes = options.maxQueueBytes ?? 1024 * 1024;
  const ratePerMinute = options.ratePerMinute ?? 30;
  const burst = options.burst ?? 10;
  const retryBaseMs = options.retryBaseMs ?? 1_000;
  const retryMaxMs = options.retryMaxMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const clock = options.clock ?? Date.now;
  const onEvent = options.onEvent ?? (() => {});
  let stopped = false;
  let idleWaiters: Array<() => void> = [];
  const lanes: Lane[] = channels.map((channel) => ({
    channel,
    id: channel.id ?? channel.name,
    queue: [],
    bytes: 0,
    busy: false,
    timer: null,
    tokens: burst,
    tokensAt: clock(),
    owesRoom: false,
    health: {
      name: channel.name,
      kind: channel.kind,
      state: "ok",
      sent: 0,
      failed: 0,
      dropped: 0,
      deferred: 0,
      queued: 0,
      lastError: null,
      lastErrorAt: null,
      lastSentAt: null,
    },
  }));

  function checkIdle(): void {
    if (lanes.every((l) => l.queue.length === 0 && !l.busy)) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  function refill(lane: Lane, now: number): void {
    const perMs = ratePerMinute / 60_000;
    lane.tokens = Math.min(burst, lane.tokens + (now - lane.tokensAt) * perMs);
    lane.tokensAt = now;
  }

  function schedule(lane: Lane, delayMs: number): void {
    if (lane.timer !== null || stopped) return;
    lane.timer = setTimeout(() => {
      lane.timer = null;
      pump(lane);
    }, delayMs);
    lane.timer.unref?.();
  }

  function pump(lane: Lane): void {
    if (stopped || lane.busy || lane.timer !== null) return;
    const head = lane.queue[0];
    if (head === undefined) {
      checkIdle();
      return;
    }
    const now = clock();
    refill(lane, now);
    if (lane.tokens < 1) {
      schedule(lane, Math.ceil((1 - lane.tokens) / (ratePerMinute / 60_000)));
      return;
    }
    lane.tokens -= 1;
    lane.busy = true;
    head.attempts += 1;
    const about = {
      channel: lane.channel.name,
      channelId: lane.id,
      incident: head.alert.incident,
      key: head.key,
    };
    void lane.channel
      .send(
        head.alert,
        AbortSignal.timeout(timeoutMs),
        head.key === null ? undefined : deliveryKeyOf(head.key, lane.id),
      )
      .then(
        () => {
          lane.queue.shift();
          lane.bytes -= head.bytes;
          lane.health.sent += 1;
          lane.health.state = "ok";
          lane.health.lastSentAt = new Date(clock()).toISOString();
          onEvent({ type: "sent", ...about, attempts: head.attempts });
          return 0;
        },
        (error: unknown) => {
          const message =
            error instanceof ChannelError ? error.message : `${lane.channel.name}: ${String(error)}`;
          lane.health.failed += 1;
          lane.health.state = "failing";
          lane.health.lastError = message;
          lane.health.lastErrorAt = new Date(clock()).toISOString();
          if (error instanceof ChannelError && !error.retryable) {
            // The receiver refuses this request (a 4xx): retrying the same bytes cannot help.
            lane.queue.shift();
            lane.bytes -= head.bytes;
            lane.health.dropped += 1;
            onEvent({ type: "failed", ...about, error: message, retryInMs: null });
            onEvent({ type: "dropped", ...about, reason: "refused" });
            return 0;
          }
          const delay = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(20, head.attempts - 1));
          onEvent({ type: "failed", ...about, error: message, retryInMs: delay });
          return delay;
        },
      )
      .then((delay) => {
        lane.busy = false;
        lane.health.queued = lane.queue.length;
        if (lane.owesRoom && lane.queue.length <= maxQueue / 2 && lane.bytes <= maxQueueBytes / 2) {
          lane.owesRoom = false;
          onEvent({ type: "room", channel: lane.channel.name, channelId: lane.id });
        }
        if (delay > 0) schedule(lane, delay);
        else pump(lane);
      });
  }

  return {
    dispatch(alert, options = {}) {
      if (stopped) return [];
      const bytes = JSON.stringify(alert).length;
      const key = options.key ?? null;
      const queued: string[] = [];
      for (const lane of lanes) {
        if (options.skip?.includes(lane.id)) continue;
        if (options.only !== undefined && !options.only.includes(lane.id)) continue;
        const full =
          lane.queue.length > 0 && (lane.queue.length >= maxQueue || lane.bytes + bytes > maxQueueBytes);
        if (full && key !== null) {
          // The outbox holds it: offered again on this lane's next `room`.
          lane.owesRoom = true;
          lane.health.deferred += 1;
          onEvent({
            type: "deferred",
            channel: lane.channel.name,
            channelId: lane.id,
            incident: alert.incident,
            key,
          });
          continue;
        }
        queued.push(lane.id);
        lane.queue.push({ alert, key, bytes, attempts: 0 });
        lane.bytes += bytes;
        // Over a bound (alerts without a key): drop the oldest waiting alert without a key, never
        // the one being sent and never one the outbox owes.
        while (lane.queue.length > 1 && (lane.queue.length > maxQueue || lane.bytes > maxQueueBytes)) {
          const from = lane.busy ? 1 : 0;
          let dropAt = -1;
          for (let i = from; i < lane.queue.length; i += 1) {
            if (lane.queue[i]!.key === null) {
              dropAt = i;
              break;
            }
          }
          if (dropAt < 0) break;
          const [dropped] = lane.queue.splice(dropAt, 1);
          if (dropped === undefined) break;
          lane.bytes -= dropped.bytes;
          lane.health.dropped += 1;
          onEvent({
            type: "dropped",
            channel: lane.channel.name,
            channelId: lane.id,
            incident: dropped.alert.incident,
            key: dropped.key,
            reason: "queue-full",
          });
        }
        lane.health.queued = lane.queue.length;
        pump(lane);
      }
      return queued;
    },
    async sendNow(alert) {
      return Promise.all(
        lanes.map(async (lane) => {
          try {
            await lane.channel.send(alert, AbortSignal.timeout(timeoutMs));
            lane.health.sent += 1;
            lane.health.lastSentAt = new Date(clock()).toISOString();
            return { channel: lane.channel.name, ok: true, error: null };
          } catch (error) {
            const message =
              error instanceof ChannelError ? error.message : `${lane.channel.name}: ${String(error)}`;
            return { channel: lane.channel.name, ok: false, error: message };
          }
        }),
      );
    },
    health: () => lanes.map((l) => ({ ...l.health, queued: l.queue.length })),
    idle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        checkIdle();
      });
    },
    stop() {
      stopped = true;
      for (const lane of lanes) {
        if (lane.timer !== null) clearTimeout(lane.timer);
        lane.timer = null;
      }
    },
  };
}
