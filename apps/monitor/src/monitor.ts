import type {
  ComponentHealth,
  Delta,
  FuseInput,
  LivenessResult,
  LogRecord,
  PrStatus,
  Snapshot,
  SourceChange,
} from "@catalyst/schema";
import { isTerminalStatus } from "@catalyst/schema";
import type { Logger } from "./logger.js";
import type { DeltaFeed } from "./server/sse-hub.js";

// Structural views of the library objects the monitor wires together; the real `Fuse`,
// `SourceWatcher`, `PrPoller` and `LivenessPoller` fit them (see build-parts.ts).

/** Fuse as the monitor drives it. */
export interface FuseLike extends DeltaFeed {
  apply(inputs: FuseInput | readonly FuseInput[], now: Date): Delta[];
}

/** The sources watcher: initial scan and live changes, as batches. */
export interface WatcherLike {
  start(): Promise<void>;
  stop(): Promise<void>;
  subscribe(listener: (changes: SourceChange[]) => void): () => void;
  health(): ComponentHealth;
  /** SIGHUP: re-open held files and rescan (optional for test doubles). */
  reopen?(): void;
}

/** A worker pid to check. */
export interface LivenessTargetRef {
  orchestrator: string;
  worker: string;
  pid: number | null;
  startedAt: string | null;
}

/** A PR to poll. */
export interface PrRefLike {
  repo: string;
  number: number;
}

/** The GitHub PR poller. */
export interface PrPollerLike {
  start(): void;
  stop(): Promise<void>;
  track(refs: readonly PrRefLike[]): void;
  subscribe(listener: (statuses: PrStatus[]) => void): () => void;
  health(): ComponentHealth;
}

/** The pid liveness poller. */
export interface LivenessPollerLike {
  start(): void;
  stop(): Promise<void>;
  track(targets: readonly LivenessTargetRef[]): void;
  subscribe(
    listener: (results: Array<{ orchestrator: string; worker: string; result: LivenessResult }>) => void,
  ): () => void;
  health(): ComponentHealth;
}

/** The running pieces the monitor wires: sources → fuse ← pollers. */
export interface MonitorParts {
  fuse: FuseLike;
  watcher: WatcherLike;
  prPoller: PrPollerLike;
  liveness: LivenessPollerLike;
  clock: { now(): Date };
}

/** Timers and hooks of the wiring. */
export interface MonitorOptions {
  /** `{kind:"tick"}` for fuse's time-based rules (stalls). @default 5_000 */
  tickMs?: number;
  /** Full snapshot to every SSE client. @default 60_000 */
  snapshotMs?: number;
  /** Called on the snapshot timer (the SSE hub's broadcast). */
  onSnapshotTimer?: () => void;
  logger?: Logger;
  /**
   * Start-up history: the log read from `since` on (sources' `readEvents`) and folded into fuse,
   * so statuses and merges only the log knows survive a restart (SEED: workers exit before merge).
   * Null or absent: no history.
   */
  history?: { since: Date; read: (since: Date) => AsyncIterable<LogRecord> } | null;
}

const HISTORY_BATCH = 2_000;

/** The wiring, started and stopped by main. */
export interface Monitor {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves when the start-up history is folded in (at once when there is none). */
  historyLoaded(): Promise<{ records: number; error: string | null }>;
}

/** Workers worth a pid check: a pid and a status that is not terminal. */
export function deriveLivenessTargets(snapshot: Snapshot): LivenessTargetRef[] {
  const targets: LivenessTargetRef[] = [];
  for (const orch of snapshot.orchestrators) {
    for (const [key, worker] of Object.entries(orch.workers)) {
      if (worker.pid === null || isTerminalStatus(worker.status)) continue;
      targets.push({ orchestrator: orch.id, worker: key, pid: worker.pid, startedAt: worker.startedAt });
    }
  }
  return targets;
}

/** PRs worth polling: on github (a repo), not merged or closed; each once. */
export function derivePrRefs(snapshot: Snapshot): PrRefLike[] {
  const refs = new Map<string, PrRefLike>();
  for (const orch of snapshot.orchestrators) {
    for (const worker of Object.values(orch.workers)) {
      const pr = worker.pr;
      if (pr === null || pr.repo === null || pr.state === "merged" || pr.state === "closed") continue;
      refs.set(`${pr.repo}#${pr.number}`, { repo: pr.repo, number: pr.number });
    }
  }
  return [...refs.values()];
}

/**
 * Wires the parts: watcher batches and poller answers go into fuse; after each apply the pid
 * and PR targets are re-derived from the snapshot; a tick drives stall rules; a timer refreshes
 * every client's snapshot. Errors in one batch are logged and do not stop the stream.
 */
export function createMonitor(parts: MonitorParts, options: MonitorOptions = {}): Monitor {
  const { fuse, watcher, prPoller, liveness, clock } = parts;
  const unsubscribes: Array<() => void> = [];
  const timers: Array<ReturnType<typeof setInterval>> = [];
  let lastTargetsKey = "";
  let lastRefsKey = "";
  let stopped = false;
  // While history loads, live log lines are remembered by file and offset so a line both tailed
  // live and read as history is folded once.
  let liveLogKeys: Set<string> | null = null;
  let historyDone: Promise<{ records: number; error: string | null }> = Promise.resolve({
    records: 0,
    error: null,
  });

  const retrack = (): void => {
    const snapshot = fuse.snapshot();
    const targets = deriveLivenessTargets(snapshot);
    const targetsKey = JSON.stringify(targets);
    if (targetsKey !== lastTargetsKey) {
      lastTargetsKey = targetsKey;
      liveness.track(targets);
    }
    const refs = derivePrRefs(snapshot);
    const refsKey = JSON.stringify(refs);
    if (refsKey !== lastRefsKey) {
      lastRefsKey = refsKey;
      prPoller.track(refs);
    }
  };

  const apply = (inputs: readonly FuseInput[], what: string): void => {
    if (stopped || inputs.length === 0) return;
    try {
      fuse.apply(inputs, clock.now());
      retrack();
    } catch (error) {
      options.logger?.error(`could not apply ${what}`, { error: String(error) });
    }
  };

  // Runs after the first snapshot is live, so a large log never delays start-up.
  const loadHistory = async (history: NonNullable<MonitorOptions["history"]>) => {
    let records = 0;
    let batch: LogRecord[] = [];
    const flush = (): void => {
      if (batch.length === 0) return;
      apply([{ kind: "log-lines", records: batch, replayed: true }], "log history");
      batch = [];
    };
    try {
      for await (const record of history.read(history.since)) {
        if (stopped) break;
        if (liveLogKeys?.has(`${record.file}:${record.offset}`)) continue;
        batch.push(record);
        records += 1;
        if (batch.length >= HISTORY_BATCH) flush();
      }
      flush();
      return { records, error: null };
    } catch (error) {
      flush();
      options.logger?.warn("could not read the event log history", { error: String(error) });
      return { records, error: String(error) };
    } finally {
      liveLogKeys = null;
    }
  };

  return {
    async start() {
      const history = options.history ?? null;
      if (history) liveLogKeys = new Set();
      unsubscribes.push(
        watcher.subscribe((changes) => {
          if (liveLogKeys) {
            for (const change of changes) {
              if (change.kind === "log-lines")
                for (const r of change.records) liveLogKeys.add(`${r.file}:${r.offset}`);
              else if (change.kind === "log-reset") liveLogKeys.clear();
            }
          }
          apply(changes, "source changes");
        }),
      );
      unsubscribes.push(
        prPoller.subscribe((statuses) =>
          apply(
            statuses.map((status) => ({ kind: "pr-status", status })),
            "PR statuses",
          ),
        ),
      );
      unsubscribes.push(
        liveness.subscribe((results) =>
          apply(
            results.map((r) => ({
              kind: "liveness",
              orchestrator: r.orchestrator,
              worker: r.worker,
              result: r.result,
            })),
            "liveness results",
          ),
        ),
      );
      await watcher.start();
      retrack();
      prPoller.start();
      liveness.start();
      const tick = setInterval(() => apply([{ kind: "tick" }], "tick"), options.tickMs ?? 5_000);
      const refresh = setInterval(() => options.onSnapshotTimer?.(), options.snapshotMs ?? 60_000);
      tick.unref?.();
      refresh.unref?.();
      timers.push(tick, refresh);
      if (history) historyDone = loadHistory(history);
    },
    historyLoaded: () => historyDone,
    async stop() {
      stopped = true;
      for (const timer of timers.splice(0)) clearInterval(timer);
      for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
      await Promise.allSettled([watcher.stop(), prPoller.stop(), liveness.stop()]);
    },
  };
}
