/// <reference path="./bottleneck-light.d.ts" />
import type { ComponentHealth, PrRef, PrStatus } from "@catalyst/schema";
import { Octokit as OctokitCore } from "@octokit/core";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
// The light build is the one the throttling plugin itself loads; the default entry would ship a
// second, full copy of Bottleneck (with its Redis clustering) beside it.
import Bottleneck from "bottleneck/light.js";
import { type Clock, systemClock } from "./clock.js";
import { GithubGraphqlError } from "./errors.js";
import { createHealthState, describeError, notifyListeners, rethrowLater } from "./health-state.js";
import { buildPrQuery, pickPrNodes, readPrNode, unknownPrStatus } from "./pr-query.js";
import { prKey } from "./pr-ref.js";
import { createTimedFetch } from "./timed-fetch.js";

/** Options of `createPrPoller`. */
export interface PrPollerOptions {
  /** From `resolveGithubToken`; null disables the poller (its health says why). */
  token: string | null;
  /**
   * Gets the error of a subscriber that threw. Every subscriber is still called and the poller
   * goes on. @default rethrow the error on a later microtask, where the host's uncaught-error
   * handling sees it
   */
  onListenerError?: (error: unknown) => void;
  /** @default "https://api.github.com" */
  baseUrl?: string;
  clock?: Clock;
  /** @default 30_000 */
  intervalMs?: number;
  /** One HTTP attempt is aborted (and retried) after this long. @default 15_000 */
  requestTimeoutMs?: number;
  /** PRs per GraphQL query. @default 100 */
  batchSize?: number;
  /** Retries of a failed attempt (5xx, network, timeout), by Octokit's retry plugin. @default 3 */
  retries?: number;
  /**
   * Milliseconds per second of `retry-after`/backoff inside Octokit's retry and throttling plugins
   * (their `retryAfterBaseValue`). Tests shrink it; it does not change when rate-limited polls resume.
   * @default 1_000
   */
  backoffUnitMs?: number;
  /** A rate-limit wait up to this many seconds is waited out inside the poll, once. @default 5 */
  maxInlineWaitSec?: number;
  /** Cap on the delay between polls after repeated failures. @default 900_000 */
  maxBackoffMs?: number;
  /**
   * Minimum gap between two GraphQL requests of this poller. Octokit's throttling plugin spaces
   * GraphQL calls like writes (one at a time, 1 s apart); tests shrink the gap.
   * @default 1_000
   */
  minQueryGapMs?: number;
  /** @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
}

/** Counters for tests, benchmarks and diagnostics. */
export interface PrPollerStats {
  /** HTTP attempts made, retries included. */
  requests: number;
  /** Polls that sent at least one request. */
  polls: number;
  /** GraphQL rate-limit points spent, summed from GitHub's own `rateLimit.cost` answers. */
  points: number;
  /** PRs currently polled (tracked and not yet merged or closed). */
  polled: number;
  /** GitHub's own numbers from the last answer (`rateLimit { cost remaining resetAt }`). */
  rateLimit: { cost: number | null; remaining: number | null; resetAt: string | null } | null;
}

/** Polls GitHub for the status of tracked PRs and reports the ones that changed. */
export interface PrPoller {
  /** Polls at once, then every `intervalMs` (later after failures, or when rate limited). */
  start(): void;
  /** Stops the timer and aborts a poll in flight. */
  stop(): Promise<void>;
  /** Replaces the set of PRs to poll. Merged and closed PRs are answered from memory, not polled. */
  track(refs: readonly PrRef[]): void;
  /** Polls now (or joins the poll in flight) and returns the status of every tracked PR known so far. */
  pollNow(): Promise<PrStatus[]>;
  subscribe(listener: (statuses: PrStatus[]) => void): () => void;
  health(): ComponentHealth;
  stats(): PrPollerStats;
}

const NO_TOKEN =
  "no GitHub token (set GITHUB_TOKEN or GH_TOKEN, or run `gh auth login`); PR status polling is disabled";
const BAD_TOKEN =
  "GitHub rejected the token (HTTP 401); PR status polling is disabled until restart with a valid token";

/** Only `request` is used: the core client plus the retry and throttling plugins, no REST surface. */
const Octokit = OctokitCore.plugin(retry, throttling);

const silentLog = { debug() {}, info() {}, warn() {}, error() {} };
let pollerCount = 0;

function sameStatus(a: PrStatus, b: PrStatus): boolean {
  return (
    a.state === b.state &&
    a.ciStatus === b.ciStatus &&
    a.mergedAt === b.mergedAt &&
    a.reviewDecision === b.reviewDecision &&
    a.isDraft === b.isDraft &&
    a.mergeable === b.mergeable &&
    a.url === b.url &&
    a.title === b.title &&
    a.stale === b.stale
  );
}

/** Seconds to wait according to `retry-after`, or `x-ratelimit-reset` when the quota is spent. */
function waitFromHeaders(headers: Record<string, unknown> | undefined, nowMs: number): number | null {
  if (!headers) return null;
  const retryAfter = Number(headers["retry-after"]);
  if (Number.isFinite(retryAfter) && retryAfter >= 0) return retryAfter;
  if (String(headers["x-ratelimit-remaining"]) === "0") {
    const reset = Number(headers["x-ratelimit-reset"]);
    if (Number.isFinite(reset)) return Math.max(0, Math.ceil(reset - nowMs / 1000)) + 1;
  }
  return null;
}

interface FailureShape {
  status?: number;
  response?: { headers?: Record<string, unknown> };
}

/**
 * Creates the GitHub PR poller (seed: every 30 s → `pr-update`). One GraphQL query with aliases
 * answers up to `batchSize` PRs; see README for why this beats REST with ETags at 200 PRs.
 * Never throws: a missing or rejected token disables it, and faults show in `health()`.
 */
export function createPrPoller(options: PrPollerOptions): PrPoller {
  const clock = options.clock ?? systemClock;
  const intervalMs = options.intervalMs ?? 30_000;
  const batchSize = Math.max(1, options.batchSize ?? 100);
  const maxBackoffMs = options.maxBackoffMs ?? 900_000;
  const maxInlineWaitSec = options.maxInlineWaitSec ?? 5;
  const token = options.token?.trim() || null;
  const health = createHealthState();
  const tracked = new Map<string, PrRef>();
  const statuses = new Map<string, PrStatus>();
  const finished = new Set<string>();
  const listeners = new Set<(statuses: PrStatus[]) => void>();
  const counters = { requests: 0, polls: 0, points: 0 };
  let rateLimit: PrPollerStats["rateLimit"] = null;
  let stopController = new AbortController();
  let inflight: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let running = false;
  let failures = 0;
  let blockedUntilMs = 0;
  // Set by the throttling plugin's handlers when they decline to wait: how long GitHub asked for.
  let pendingWaitSec: number | null = null;

  if (!token) {
    health.enabled = false;
    health.reason = NO_TOKEN;
  }

  const redact = (text: string) => (token ? text.split(token).join("[redacted]") : text);
  const onListenerError = options.onListenerError ?? rethrowLater;
  const recordError = (error: unknown) => {
    health.lastErrorAt = clock.now().toISOString();
    health.lastError = redact(describeError(error));
  };

  const onLimit = (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => {
    if (retryCount === 0 && retryAfter <= maxInlineWaitSec) return true;
    pendingWaitSec = retryAfter;
    return false;
  };

  const baseUrl = (options.baseUrl ?? "https://api.github.com").replace(/\/+$/, "");
  // GitHub Enterprise Server serves REST under /api/v3 and GraphQL at /api/graphql.
  const graphqlUrl = /\/api\/v3$/.test(baseUrl)
    ? baseUrl.replace(/\/api\/v3$/, "/api/graphql")
    : `${baseUrl}/graphql`;
  const octokit = token
    ? new Octokit({
        auth: token,
        baseUrl,
        log: silentLog,
        request: {
          fetch: createTimedFetch({
            timeoutMs: options.requestTimeoutMs ?? 15_000,
            stopSignal: () => stopController.signal,
            onAttempt: () => {
              counters.requests += 1;
            },
            ...(options.fetch ? { fetch: options.fetch } : {}),
          }),
        },
        retry: { retries: options.retries ?? 3, retryAfterBaseValue: options.backoffUnitMs ?? 1_000 },
        throttle: {
          // A distinct id gives this poller its own Bottleneck limiters (they are keyed by id).
          id: `catalyst-pr-poller-${++pollerCount}`,
          retryAfterBaseValue: options.backoffUnitMs ?? 1_000,
          write: new Bottleneck.Group({ maxConcurrent: 1, minTime: options.minQueryGapMs ?? 1_000 }),
          onRateLimit: onLimit,
          onSecondaryRateLimit: onLimit,
        },
      })
    : null;

  const trackedStatuses = (): PrStatus[] => {
    const out: PrStatus[] = [];
    for (const key of tracked.keys()) {
      const status = statuses.get(key);
      if (status) out.push(status);
    }
    return out;
  };

  const store = (status: PrStatus, changed: PrStatus[]) => {
    const key = prKey(status);
    const before = statuses.get(key);
    statuses.set(key, status);
    if (!before || !sameStatus(before, status)) changed.push(status);
  };

  const markStale = (refs: readonly PrRef[], changed: PrStatus[]) => {
    for (const ref of refs) {
      const before = statuses.get(prKey(ref));
      if (before && !before.stale) store({ ...before, stale: true }, changed);
    }
  };

  const queryBatch = async (refs: readonly PrRef[], changed: PrStatus[]): Promise<void> => {
    if (!octokit) return;
    const plan = buildPrQuery(refs);
    const response = await octokit.request({ method: "POST", url: graphqlUrl, query: plan.query });
    const body = (response.data ?? {}) as {
      data?: Record<string, unknown> | null;
      errors?: Array<{ message?: string; type?: string }>;
    };
    if (!body.data) {
      const errors = body.errors ?? [];
      throw new GithubGraphqlError(
        errors.map((e) => String(e.message ?? "")),
        errors.map((e) => String(e.type ?? "")),
      );
    }
    const limit = body.data.rateLimit as
      | { cost?: unknown; remaining?: unknown; resetAt?: unknown }
      | undefined;
    rateLimit = {
      cost: typeof limit?.cost === "number" ? limit.cost : null,
      remaining:
        typeof limit?.remaining === "number"
          ? limit.remaining
          : Number.isFinite(Number(response.headers["x-ratelimit-remaining"]))
            ? Number(response.headers["x-ratelimit-remaining"])
            : null,
      resetAt: typeof limit?.resetAt === "string" ? limit.resetAt : null,
    };
    if (rateLimit.cost !== null) counters.points += rateLimit.cost;
    const checkedAt = clock.now().toISOString();
    // Partial answers are normal: a PR that is gone or invisible comes back null with a NOT_FOUND
    // error beside the data of the others.
    for (const { ref, node } of pickPrNodes(plan, body.data)) {
      const status = node ? readPrNode(ref, node, checkedAt) : unknownPrStatus(ref, checkedAt);
      if (status.state === "merged" || status.state === "closed") finished.add(prKey(ref));
      store(status, changed);
    }
  };

  const handleFailure = (error: unknown) => {
    recordError(error);
    const failure = (error ?? {}) as FailureShape;
    if (failure.status === 401) {
      health.enabled = false;
      health.reason = BAD_TOKEN;
      return;
    }
    const nowMs = clock.now().getTime();
    // The throttling plugin reports the wait it declined; a 429 it did not recognise still carries headers.
    const waitSec = pendingWaitSec ?? waitFromHeaders(failure.response?.headers, nowMs);
    if (waitSec !== null) {
      blockedUntilMs = nowMs + waitSec * 1000;
      health.reason = `rate limited by GitHub until ${new Date(blockedUntilMs).toISOString()}; showing last known PR data`;
      return;
    }
    failures += 1;
    health.reason = `${failures} failed poll(s) in a row; showing last known PR data`;
  };

  const poll = async (): Promise<void> => {
    if (!octokit || !health.enabled) return;
    if (clock.now().getTime() < blockedUntilMs) return;
    const due = [...tracked.entries()].filter(([key]) => !finished.has(key)).map(([, ref]) => ref);
    if (due.length === 0) return;
    counters.polls += 1;
    pendingWaitSec = null;
    const changed: PrStatus[] = [];
    let failed = false;
    for (let i = 0; i < due.length; i += batchSize) {
      const batch = due.slice(i, i + batchSize);
      if (failed) {
        markStale(batch, changed);
        continue;
      }
      try {
        await queryBatch(batch, changed);
      } catch (error) {
        // Stopped mid-poll: nothing failed, so nothing turns stale.
        if (stopController.signal.aborted) return;
        failed = true;
        markStale(batch, changed);
        handleFailure(error);
      }
    }
    if (!failed) {
      failures = 0;
      health.reason = null;
      health.lastSuccessAt = clock.now().toISOString();
    }
    if (changed.length > 0) notifyListeners(listeners, changed, onListenerError);
  };

  const pollShared = (): Promise<void> => {
    if (!inflight) {
      inflight = poll()
        .catch(recordError)
        .finally(() => {
          inflight = null;
        });
    }
    return inflight;
  };

  const nextDelayMs = (): number | null => {
    if (!health.enabled) return null;
    const nowMs = clock.now().getTime();
    if (blockedUntilMs > nowMs) return blockedUntilMs - nowMs;
    if (failures > 0) return Math.min(maxBackoffMs, intervalMs * 2 ** (failures - 1));
    return intervalMs;
  };

  const schedule = () => {
    const delay = nextDelayMs();
    if (!running || delay === null) {
      health.nextRunAt = null;
      return;
    }
    health.nextRunAt = new Date(clock.now().getTime() + delay).toISOString();
    timer = setTimeout(tick, delay);
    timer.unref?.();
  };
  const tick = () => {
    timer = null;
    void pollShared().then(schedule);
  };

  return {
    start() {
      if (running || !octokit || !health.enabled) return;
      running = true;
      if (stopController.signal.aborted) stopController = new AbortController();
      tick();
    },
    async stop() {
      running = false;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      health.nextRunAt = null;
      stopController.abort();
      await inflight;
      stopController = new AbortController();
    },
    track(refs) {
      tracked.clear();
      for (const ref of refs) tracked.set(prKey(ref), { repo: ref.repo, number: ref.number });
      // Forget PRs nobody tracks any more, so memory follows the fleet.
      for (const key of [...statuses.keys()]) if (!tracked.has(key)) statuses.delete(key);
      for (const key of [...finished]) if (!tracked.has(key)) finished.delete(key);
      // Started before the first scan delivered any PR: poll now rather than a full interval later.
      if (running && counters.polls === 0 && inflight === null && timer !== null && tracked.size > 0) {
        clearTimeout(timer);
        tick();
      }
    },
    async pollNow() {
      await pollShared();
      return trackedStatuses();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    health() {
      return { ...health };
    },
    stats() {
      const polled = [...tracked.keys()].filter((key) => !finished.has(key)).length;
      return { ...counters, polled, rateLimit: rateLimit ? { ...rateLimit } : null };
    },
  };
}
