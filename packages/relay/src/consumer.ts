import type { ComponentHealth, LivenessResult, LogRecord, SourceChange } from "@catalyst/schema";
import { type BriefingTextResult, parseLogLine } from "@catalyst/sources";
import { AckPolicy, type ConsumerMessages, DeliverPolicy, type JsMsg } from "@nats-io/jetstream";
import type { KvWatchEntry } from "@nats-io/kv";
import type { QueuedIterator } from "@nats-io/transport-node";
import { type Broker, type BrokerOptions, openBroker, startupRetryPolicy } from "./broker.js";
import { deleteHostKeys, purgeHostHistory } from "./forget-host.js";
import { readWindowInStreamOrder, type WindowReadStats } from "./history-window.js";
import { isConsumerNotFound, retryJetStream } from "./jetstream-calls.js";
import { parseStateKey, type StateKey, stateKeyOf } from "./keys.js";
import { type RelayNames, resolveNames } from "./names.js";
import { type Namespace, namespaceGlobalState } from "./namespace-host.js";
import { pullCountOf } from "./read-pace.js";
import { createTimeIndexWriter, pruneHosts } from "./time-index.js";
import type { LogMessage, StateMessage } from "./wire.js";

/** Options of {@link createRelayConsumer}. */
export interface RelayConsumerOptions extends BrokerOptions, RelayNames {
  /** The durable consumer's name: a restarted consumer with the same name resumes after its last ack. @default "catalyst-central" */
  durable?: string;
  /**
   * Bytes pulled at once: the consumer's buffer bound (and so its count bound). The start-up reads
   * ask it as a count of 4 KiB lines (at least 64; see pullCountOf). @default 4 MiB
   */
  maxBytes?: number;
  /** How host-local ids become fleet-wide ones. @default `${host}/${id}` */
  namespace?: Namespace;
  /**
   * Start-up history: the stream's lines up to the durable's ack floor (what an earlier run of
   * this durable already folded) whose own `ts` is at or after `since` are delivered again, as
   * `replayed` log lines, before anything live. Null: none (only what this durable never acked).
   * @default null
   */
  history?: { since: Date } | null;
  /**
   * Awaited after each history batch is handed over, before the next is read: a caller that
   * applies batches asynchronously returns its promise, so at most one batch waits at a time.
   */
  pace?: () => Promise<void> | void;
  /** A malformed message (not written by a relay publisher) is acked, skipped and reported here. */
  onError?: (error: unknown) => void;
}

/** One host's changes, with orchestrator ids and file paths namespaced by host. */
export interface HostChanges {
  host: string;
  changes: SourceChange[];
  /**
   * The stream sequence of the log line this batch carries (absent for KV changes): a reader that
   * remembers the ones it handled can drop what a restarted consumer delivers again. Not in
   * order across a restart: a line the stopped run pulled but never handled comes an ack wait later.
   */
  seq?: number;
  /**
   * Liveness answers a host relayed (its own pid / job checks), orchestrator ids namespaced. Only
   * answers, never removals: a gone worker goes with its signal file. Live, `changes` is then
   * empty. The first load of the KV hands each host over in one batch with both: its files in
   * `changes` and its answers here, to be applied after them (in the same pass, so a reader can
   * build each worker once, with its answer).
   */
  liveness?: Array<{ orchestrator: string; worker: string; result: LivenessResult }>;
}

/** What start-up is doing: the KV's current values, then the stream up to its sequence at start. */
export interface RelayProgress {
  phase: "connecting" | "state" | "history" | "live";
  /** Log lines delivered so far (history and catch-up). */
  records: number;
  /** The stream's last sequence when start-up began; `start()` resolves once it is delivered. */
  targetSeq: number;
  /** The durable's ack floor at start: lines up to it are history, lines after it are new. */
  ackFloor: number;
}

export interface RelayConsumer {
  /**
   * Connects, delivers the KV's current values, then the stream's history and every line up to the
   * stream's last sequence at start, and resolves; live changes follow.
   */
  start(): Promise<void>;
  stop(): Promise<void>;
  subscribe(listener: (batch: HostChanges) => void): () => void;
  /** Hosts seen, with when (consumer clock, ms) each last sent anything. */
  hosts(): Map<string, number>;
  /** Each publishing host's last heartbeat, as the broker stamped it (ms since the epoch). */
  heartbeats(): Map<string, number>;
  /**
   * Per host, the lines its publisher could not take, from its skipped-line markers (one per log
   * file, with the count this run): `{ lines, files }`, as `hosts list` shows them. Hosts without
   * a marker are absent.
   */
  skipped(): Map<string, { lines: number; files: number }>;
  /**
   * Hosts whose last heartbeat is older than `thresholdMs` (broker's stamp against `now`, so the
   * two clocks should agree within the threshold): silent or gone, not their workers dead.
   */
  staleHosts(thresholdMs: number, now?: number): string[];
  progress(): RelayProgress;
  /**
   * Deletes every KV key of a host gone for good (`hosts forget`, `--forget-after`): every
   * consumer of the bucket (this one too) drops its state and the host. Then purges its lines and
   * time index from the broker. Resolves to the keys deleted.
   */
  forgetHost(host: string): Promise<number>;
  /**
   * Prunes the time index of hosts whose publisher is gone (a running publisher prunes its own):
   * each host's weeks of hour keys whose lines the stream no longer holds, the same rule as the
   * publisher's. Resolves to the weeks dropped in all. A host whose prune fails (a publisher that
   * came back wins the race for the head) is tried again at once, up to 3 times, and a host that
   * still fails does not stop the others: then it rejects with an `IndexPruneError` naming those
   * hosts and the weeks pruned for the rest. A late line a publisher writes into a week being
   * pruned keeps its index entry (each key is purged only up to the revision read).
   */
  pruneIndex(hosts: readonly string[]): Promise<number>;
  /**
   * A relayed briefing's text (what `/api/briefing` serves centrally), by the orchestrator path
   * as this consumer namespaces it and the wave (null: `DASHBOARD.md`): read from the KV when asked,
   * never held in memory. Cut at 256 KiB by the publisher.
   */
  readBriefing(orchestratorPath: string, wave: number | null): Promise<BriefingTextResult>;
  /** The broker connection: connected or not, the last error. */
  health(): ComponentHealth & { connected: boolean };
  stats(): {
    /** Skipped-line markers the hosts relayed (lines a host could not take). */
    hostSkipped: number;
    lines: number;
    historyLines: number;
    redeliveriesDropped: number;
    stateUpdates: number;
    /** KV values the start-up's load read (one per key: the bucket's last value of each). */
    stateLoaded: number;
    malformed: number;
    /**
     * What start-up read of the stream: `messages` (the history window's ranges through the time
     * index, then the lines this durable never acked), `ranges`, `indexed` (false: no index on
     * the broker, the history was read whole).
     */
    startup: { messages: number; ranges: number; indexed: boolean };
  };
}

/** KV values pulled at once while loading the current values. */
const STATE_PULL = 10_000;

/** What the consumer reads of a KV value: a watch entry, or a message of the bucket's stream. */
type StateEntry = Pick<KvWatchEntry, "key" | "operation" | "created"> & { json<T>(): T };
/** History lines handed to listeners at once: a bound in count and in bytes of line text. */
const HISTORY_BATCH_LINES = 500;
const HISTORY_BATCH_BYTES = 1024 * 1024;
/**
 * Sequences folded above the contiguous floor (a redelivery can come out of order after a broker
 * restart): past this many, the floor jumps to the lowest of them (a sequence below it that never
 * came is one the stream no longer has).
 */
const MAX_FOLDED_ABOVE_FLOOR = 100_000;

/**
 * Read every host back from JetStream: the KV bucket is watched (its current values first, then
 * every change) and the stream is consumed by a durable pull consumer with explicit acks. Each
 * message becomes the `SourceChange` the host's own watcher saw, with ids namespaced by host so
 * two hosts' orchestrator `o1` stay two orchestrators.
 *
 * Restart without loss or duplicates: a new process has folded nothing, so at start, with L the
 * stream's last sequence: lines up to the durable's ack floor S (folded by an earlier run) whose
 * own `ts` is in the history window are delivered as `replayed` history, in stream order, read
 * through the publishers' time index (the window's ranges, never the whole stream); then lines in
 * (S, L] in order as new. The durable then delivers what follows; anything at
 * or below a sequence already delivered is acked and dropped, so each message reaches the
 * listeners once per run. A message is acked after the listeners returned.
 */
export function createRelayConsumer(options: RelayConsumerOptions): RelayConsumer {
  const names = resolveNames(options);
  const ns: Namespace = options.namespace ?? ((h: string, id: string) => `${h}/${id}`);
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  const sinceMs = options.history ? options.history.since.getTime() : null;
  const listeners = new Set<(batch: HostChanges) => void>();
  const lastSeen = new Map<string, number>();
  /** Hosts whose heartbeat key was deleted (forgotten): not listed again until they beat again. */
  const forgotten = new Set<string>();
  /** Per host, per log file (its marker key's file token): the lines skipped there. */
  const skippedLines = new Map<string, Map<string, number>>();
  const beats = new Map<string, number>();
  const stats = {
    hostSkipped: 0,
    lines: 0,
    historyLines: 0,
    redeliveriesDropped: 0,
    stateUpdates: 0,
    stateLoaded: 0,
    malformed: 0,
  };
  /** Namespaced orchestrator path → its host and host-local id (for `readBriefing`); one per orchestrator. */
  const orchestratorPaths = new Map<string, { host: string; orchestrator: string }>();
  const progress: RelayProgress = { phase: "connecting", records: 0, targetSeq: 0, ackFloor: 0 };
  const health = {
    enabled: true,
    reason: null as string | null,
    lastSuccessAt: null as string | null,
    lastErrorAt: null as string | null,
    lastError: null as string | null,
    nextRunAt: null,
    connected: false,
  };
  let broker: Broker | null = null;
  let watch: QueuedIterator<KvWatchEntry> | null = null;
  let stateLoad: ConsumerMessages | null = null;
  let messages: ConsumerMessages | null = null;
  let history: ConsumerMessages | null = null;
  let loops: Promise<void>[] = [];
  // Every sequence <= floor was delivered (or is before the run's start); `above` holds the ones
  // delivered beyond it.
  let floor = 0;
  const above = new Set<number>();
  /** What start-up read of the stream: the history window through the index, then the unacked lines. */
  const startup: WindowReadStats = { messages: 0, ranges: 0, indexed: false };

  function emit(host: string, changes: SourceChange[], seq?: number): void {
    if (!forgotten.has(host)) lastSeen.set(host, Date.now());
    const batch: HostChanges = seq === undefined ? { host, changes } : { host, changes, seq };
    for (const l of [...listeners]) {
      try {
        l(batch);
      } catch (error) {
        options.onError?.(error);
      }
    }
  }

  const file = (host: string, f: string) => ns(host, f);

  function noteError(error: unknown): void {
    health.lastErrorAt = new Date().toISOString();
    health.lastError = error instanceof Error ? error.message : String(error);
    options.onError?.(error);
  }

  /**
   * While the KV's current values load, each host's changes and liveness answers are held (in the
   * order read) and handed over once every value is in: one batch per host with its files and its
   * answers (a fleet of 50,000 workers is 25 batches, not 100,000 listener calls). The KV gives
   * values in the order they were last written, so a host's answers mostly come after all its
   * files (its poller writes them once the files are out), and an answer may come before its
   * worker's file; fuse applies an answer to the worker its file describes, so the answers go
   * after the files. Handed over in batches as they came, each worker was built from its file and
   * again from its answer (P11). Null once they are in.
   */
  let initial: Map<
    string,
    { changes: SourceChange[]; liveness: NonNullable<HostChanges["liveness"]> }
  > | null = null;

  function deliver(batch: HostChanges): void {
    if (initial !== null) {
      let held = initial.get(batch.host);
      if (held === undefined) {
        held = { changes: [], liveness: [] };
        initial.set(batch.host, held);
      }
      for (const change of batch.changes) held.changes.push(change);
      if (batch.liveness) for (const answer of batch.liveness) held.liveness.push(answer);
      return;
    }
    for (const l of [...listeners]) {
      try {
        l(batch);
      } catch (error) {
        options.onError?.(error);
      }
    }
  }

  /** Hands over what the initial load holds: per host, its files and then its answers, in one batch. */
  function flushInitial(): void {
    const held = initial;
    initial = null;
    for (const [host, { changes, liveness }] of held ?? [])
      deliver(liveness.length === 0 ? { host, changes } : { host, changes, liveness });
  }

  function fromState(entry: StateEntry): void {
    const key = parseStateKey(entry.key);
    if (key?.kind === "liveness") {
      fromLiveness(entry, key.host);
      return;
    }
    const change = stateChange(entry, key);
    if (!change) return;
    if (!forgotten.has(change.host)) lastSeen.set(change.host, Date.now());
    deliver({ host: change.host, changes: [change.change] });
  }

  /** A host's liveness answer for one worker (a removal carries nothing: the worker goes with its file). */
  function fromLiveness(entry: StateEntry, h: string): void {
    if (entry.operation !== "PUT") return;
    let m: StateMessage;
    try {
      m = entry.json<StateMessage>();
    } catch (error) {
      stats.malformed++;
      options.onError?.(error);
      return;
    }
    const r = m.kind === "liveness" ? (m.result as Partial<LivenessResult> | null) : null;
    if (
      m.kind !== "liveness" ||
      typeof m.orchestrator !== "string" ||
      typeof m.worker !== "string" ||
      !r ||
      (r.alive !== null && typeof r.alive !== "boolean") ||
      typeof r.reason !== "string" ||
      typeof r.checkedAt !== "string"
    ) {
      stats.malformed++;
      return;
    }
    stats.stateUpdates++;
    if (!forgotten.has(h)) lastSeen.set(h, Date.now());
    deliver({
      host: h,
      changes: [],
      liveness: [{ orchestrator: ns(h, m.orchestrator), worker: m.worker, result: m.result }],
    });
  }

  /** The change a KV entry stands for, with its host (`key`: its key, parsed). */
  function stateChange(
    entry: StateEntry,
    key: StateKey | null,
  ): { host: string; change: SourceChange } | null {
    if (!key) {
      stats.malformed++;
      return null;
    }
    const h = key.host;
    if (key.kind === "liveness") return null; // see fromLiveness
    if (key.kind === "heartbeat") {
      if (entry.operation === "PUT") {
        forgotten.delete(h);
        beats.set(h, Math.max(beats.get(h) ?? 0, entry.created.getTime()));
      } else {
        // Forgotten (its keys deleted, the heartbeat last): gone from the host list.
        forgotten.add(h);
        beats.delete(h);
        lastSeen.delete(h);
        skippedLines.delete(h);
      }
      return null;
    }
    stats.stateUpdates++;
    if (entry.operation !== "PUT") {
      switch (key.kind) {
        case "orchestrator":
          for (const [p, o] of orchestratorPaths)
            if (o.host === h && o.orchestrator === key.orchestrator) orchestratorPaths.delete(p);
          return { host: h, change: { kind: "orchestrator-removed", id: ns(h, key.orchestrator) } };
        case "signal":
          return {
            host: h,
            change: {
              kind: "signal-removed",
              orchestrator: ns(h, key.orchestrator),
              key: key.key,
              file: file(h, `${key.orchestrator}/workers/${key.key}.json`),
            },
          };
        case "phase":
          return {
            host: h,
            change: {
              kind: "phase-signal-removed",
              orchestrator: ns(h, key.orchestrator),
              ticket: key.ticket,
              phase: key.phase,
              file: file(h, `${key.orchestrator}/workers/${key.ticket}/phase-${key.phase}.json`),
            },
          };
        case "local-state":
          return {
            host: h,
            change: {
              kind: "local-state-removed",
              orchestrator: ns(h, key.orchestrator),
              file: file(h, key.orchestrator),
            },
          };
        case "global-state":
          return { host: h, change: { kind: "global-state-removed", file: file(h, "state.json") } };
        case "briefing": {
          const name = key.wave === null ? "DASHBOARD.md" : `wave-${key.wave}-briefing.md`;
          return {
            host: h,
            change: {
              kind: "briefing-removed",
              orchestrator: ns(h, key.orchestrator),
              file: file(h, `${key.orchestrator}/${name}`),
              wave: key.wave,
            },
          };
        }
        case "skipped": {
          const files = skippedLines.get(h);
          files?.delete(key.file);
          if (files?.size === 0) skippedLines.delete(h);
          // The host's file started over (or went): its marker goes, as a local monitor's does.
          return { host: h, change: { kind: "log-reset", file: file(h, key.file), reason: "truncated" } };
        }
      }
    }
    let m: StateMessage;
    try {
      m = entry.json<StateMessage>();
    } catch (error) {
      stats.malformed++;
      options.onError?.(error);
      return null;
    }
    switch (m.kind) {
      case "orchestrator":
        orchestratorPaths.set(file(h, m.orchestrator.path), { host: h, orchestrator: m.orchestrator.id });
        return {
          host: h,
          change: {
            kind: "orchestrator-added",
            orchestrator: {
              ...m.orchestrator,
              id: ns(h, m.orchestrator.id),
              path: file(h, m.orchestrator.path),
              host: h,
            },
          },
        };
      case "signal":
        return {
          host: h,
          change: {
            kind: "signal",
            orchestrator: ns(h, m.orchestrator),
            key: m.key,
            file: file(h, m.file),
            result: m.result,
          },
        };
      case "phase":
        return {
          host: h,
          change: {
            kind: "phase-signal",
            orchestrator: ns(h, m.orchestrator),
            ticket: m.ticket,
            phase: m.phase,
            file: file(h, m.file),
            result: m.result,
          },
        };
      case "local-state":
        return {
          host: h,
          change: {
            kind: "local-state",
            orchestrator: ns(h, m.orchestrator),
            file: file(h, m.file),
            result: m.result,
          },
        };
      case "global-state": {
        // The same file name as a removal of this key gives, so the removal finds the record.
        const f = file(h, "state.json");
        return {
          host: h,
          change: { kind: "global-state", file: f, result: namespaceGlobalState(m.result, h, ns, f) },
        };
      }
      case "briefing":
        return {
          host: h,
          change: {
            kind: "briefing",
            orchestrator: ns(h, m.orchestrator),
            file: file(h, m.file),
            wave: m.wave,
            bytes: m.bytes,
            modifiedAt: m.modifiedAt,
          },
        };
      case "skipped": {
        stats.hostSkipped++;
        const count =
          typeof m.count === "number" && Number.isSafeInteger(m.count) && m.count > 0 ? m.count : 1;
        const files = skippedLines.get(h) ?? new Map<string, number>();
        files.set(key.kind === "skipped" ? key.file : m.file, count);
        skippedLines.set(h, files);
        return {
          host: h,
          change: {
            kind: "log-skipped",
            file: file(h, m.file),
            offset: m.offset,
            reason: m.reason,
            // The host's count since its publisher started, as `hosts list` shows it.
            detail: `on host ${h}: ${m.detail}${typeof m.count === "number" && m.count > 1 ? ` (${m.count} lines skipped in this file)` : ""}`,
          },
        };
      }
      default:
        stats.malformed++;
        return null;
    }
  }

  /** A stream message as a relay log message, or null (counted, reported) when it is not one. */
  function decode(m: JsMsg): LogMessage | null {
    try {
      const data = m.json<LogMessage>();
      if (typeof data.host !== "string" || typeof data.text !== "string" || typeof data.file !== "string")
        throw new Error("not a relay log message");
      return data;
    } catch (error) {
      stats.malformed++;
      options.onError?.(error);
      return null;
    }
  }

  /** The line as the host's reader gave it, its orchestrator namespaced; a string when it is invalid. */
  function toRecord(data: LogMessage): LogRecord | string {
    const f = file(data.host, data.file);
    const parsed = parseLogLine(data.text, f, data.offset);
    if (!parsed.ok) return parsed.detail;
    const ev = parsed.record.event;
    return ev.orchestrator === null
      ? parsed.record
      : { ...parsed.record, event: { ...ev, orchestrator: ns(data.host, ev.orchestrator) } };
  }

  function fromLog(data: LogMessage, seq?: number): void {
    const record = toRecord(data);
    if (typeof record === "string") {
      emit(
        data.host,
        [
          {
            kind: "log-skipped",
            file: file(data.host, data.file),
            offset: data.offset,
            reason: "invalid",
            detail: record,
          },
        ],
        seq,
      );
      return;
    }
    stats.lines++;
    emit(data.host, [{ kind: "log-lines", records: [record] }], seq);
  }

  /** True the first time a sequence is seen in this run; moves the floor over what is contiguous. */
  function firstTime(seq: number): boolean {
    if (seq <= floor || above.has(seq)) return false;
    above.add(seq);
    while (above.delete(floor + 1)) floor += 1;
    if (above.size > MAX_FOLDED_ABOVE_FLOOR) {
      let lowest = Number.POSITIVE_INFINITY;
      for (const s of above) if (s < lowest) lowest = s;
      floor = lowest - 1;
      while (above.delete(floor + 1)) floor += 1;
    }
    return true;
  }

  /**
   * Start-up, never the whole stream: the history window (lines up to `ackFloor`, what earlier
   * runs of this durable folded, whose own ts is at or after `since`) read through the time index
   * in stream order, replayed; then the lines this durable never acked, (ackFloor, target], in
   * order as new. Lines before the window are not read (the local monitor folds no more at start).
   */
  async function catchUp(b: Broker, first: number, target: number, ackFloor: number): Promise<void> {
    if (target === 0) return;
    let batch = new Map<string, LogRecord[]>();
    let batchLines = 0;
    let batchBytes = 0;
    const flush = async (): Promise<void> => {
      if (batchLines === 0) return;
      const full = batch;
      batch = new Map();
      batchLines = 0;
      batchBytes = 0;
      for (const [host, records] of full) emit(host, [{ kind: "log-lines", records, replayed: true }]);
      await options.pace?.();
    };
    const historyTo = Math.min(ackFloor, target);
    if (sinceMs !== null && historyTo >= first) {
      const window = readWindowInStreamOrder(
        b.nc,
        b.js,
        b.jsm,
        {
          names,
          servers: options.servers,
          sinceMs,
          first,
          last: historyTo,
          maxBytes,
          stopped: () => broker !== b,
        },
        startup,
      );
      for await (const m of window) {
        const data = decode(m);
        if (!data) continue;
        const record = toRecord(data);
        // Clocks lie: the window is the line's own ts, never the broker's stamp.
        if (typeof record === "string" || record.event.tsMs < sinceMs) continue;
        const list = batch.get(data.host);
        if (list) list.push(record);
        else batch.set(data.host, [record]);
        batchLines += 1;
        batchBytes += data.text.length;
        stats.historyLines++;
        progress.records++;
        if (batchLines >= HISTORY_BATCH_LINES || batchBytes >= HISTORY_BATCH_BYTES) await flush();
      }
      await flush();
    }
    // Nothing at or below the ack floor is delivered by the durable again.
    if (ackFloor > floor) {
      floor = ackFloor;
      for (const seq of above) if (seq <= floor) above.delete(seq);
      while (above.delete(floor + 1)) floor += 1;
    }
    if (broker !== b || target <= ackFloor) return;
    const ordered = await b.js.consumers.get(names.stream, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: Math.max(first, ackFloor + 1),
    });
    // By count (pullCountOf): a pull bounded only in bytes stalls on a line larger than it.
    const iter = await ordered.consume({ max_messages: pullCountOf(maxBytes) });
    history = iter;
    try {
      for await (const m of iter) {
        if (broker !== b) break; // stopped (e.g. from a listener) while catching up
        const seq = m.seq;
        startup.messages++;
        if (seq <= target && firstTime(seq)) {
          const data = decode(m);
          if (data) {
            fromLog(data, seq);
            progress.records++;
          }
        }
        if (seq >= target || m.info.pending === 0) break;
      }
    } finally {
      history = null;
      await iter.close().catch(() => {});
    }
  }

  /**
   * Every key's current value, read from the bucket's stream (last per subject) with an ordered
   * consumer, in pulls of STATE_PULL messages; resolves to how many were read. Each message is
   * handled in the consumer's callback as it is parsed (an async iterator's promise per message
   * was a third of the load's CPU at 100,000 keys); the event loop gets a turn between the socket's
   * reads. It ends at the first value stored at or after `last` (the bucket's last sequence when it
   * was looked at: every key's value up to there came before it, in stream order), or when the
   * broker says none is pending. Not on the pending count alone: on a bucket being written
   * (heartbeats, pid answers) the count the broker sends with each message stayed above 0 for tens
   * of seconds (P11, 20,000 workers: a 34 s wait with every value in).
   */
  async function loadState(
    b: Broker,
    bucketStream: string,
    last: number,
    onEntry: (entry: StateEntry, seq: number) => void,
  ): Promise<number> {
    const prefix = `$KV.${names.bucket}.`;
    const ordered = await b.js.consumers.get(bucketStream, { deliver_policy: DeliverPolicy.LastPerSubject });
    let n = 0;
    let ended = false;
    let end: (error?: unknown) => void = () => {};
    const finished = new Promise<void>((resolve, reject) => {
      end = (error?: unknown) => {
        if (ended) return;
        ended = true;
        if (error === undefined) resolve();
        else reject(error);
      };
    });
    // A count bound: pulls bounded only in bytes stalled on a last-per-subject consumer (nats.js 3.4).
    const iter = await ordered.consume({
      max_messages: STATE_PULL,
      callback: (m) => {
        if (ended) return;
        if (!broker || broker !== b) {
          end();
          return;
        }
        n++;
        const op = m.headers?.get("KV-Operation");
        try {
          onEntry(
            {
              key: m.subject.startsWith(prefix) ? m.subject.slice(prefix.length) : m.subject,
              operation: op === "DEL" || op === "PURGE" ? op : "PUT",
              get created() {
                return m.time;
              },
              json: <T>() => m.json<T>(),
            },
            m.seq,
          );
        } catch (error) {
          end(error);
          return;
        }
        if (m.seq >= last || m.info.pending === 0) end();
      },
    });
    stateLoad = iter;
    // Closed from elsewhere (stop()) or by the client (an error): the load ends there.
    void iter.closed().then(
      (error) => end(error === undefined || error === null ? undefined : error),
      (error: unknown) => end(error),
    );
    try {
      await finished;
    } finally {
      stateLoad = null;
      await iter.close().catch(() => {});
    }
    return n;
  }

  async function watchConnection(b: Broker): Promise<void> {
    for await (const s of b.nc.status()) {
      if (s.type === "disconnect") {
        health.connected = false;
        health.lastErrorAt = new Date().toISOString();
        health.lastError = "disconnected from the NATS broker; reconnecting";
      } else if (s.type === "reconnect") {
        health.connected = true;
        health.lastSuccessAt = new Date().toISOString();
      }
    }
  }

  return {
    async start() {
      if (broker) return;
      broker = await openBroker(options, names);
      const b = broker;
      health.connected = true;
      health.lastSuccessAt = new Date().toISOString();
      loops.push(watchConnection(b).catch(() => {}));
      const durable = options.durable ?? "catalyst-central";
      // A loaded broker may answer late: each start-up request is asked again (bounded) before
      // start() gives up with a one-line error naming it.
      const policy = { ...startupRetryPolicy(options), stopped: () => broker !== b };
      const ask = <T>(what: string, run: () => Promise<T>): Promise<T> =>
        retryJetStream(what, options.servers, run, policy);
      const streamInfo = await ask(`the info of stream ${names.stream}`, () =>
        b.jsm.streams.info(names.stream),
      );
      const target = streamInfo.state.messages === 0 ? 0 : streamInfo.state.last_seq;
      // Sequences before the stream's first message are gone (limits, purges): never waited for.
      floor = Math.max(0, streamInfo.state.first_seq - 1);
      above.clear();
      let ackFloor: number;
      // Only a durable that is not there is made anew (a request that timed out is asked again).
      const existing = await ask(`the info of durable consumer ${durable}`, () =>
        b.jsm.consumers.info(names.stream, durable).catch((error: unknown) => {
          if (isConsumerNotFound(error)) return null;
          throw error;
        }),
      );
      if (existing !== null) {
        // A durable created at sequence N has acked nothing before N, but folded nothing either.
        ackFloor = Math.max(existing.ack_floor.stream_seq, (existing.config.opt_start_seq ?? 1) - 1);
      } else {
        // A new durable: everything already in the stream is history, what follows is new.
        const config = {
          durable_name: durable,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: streamInfo.state.last_seq + 1,
        };
        await ask(`the creation of durable consumer ${durable}`, () =>
          b.jsm.consumers.add(names.stream, config),
        );
        ackFloor = streamInfo.state.last_seq;
      }
      progress.targetSeq = target;
      progress.ackFloor = ackFloor;

      // The KV's current values first: read from the bucket's stream, the last value of each key
      // (an ordered pull, faster than a watch's initial values), then a watch from the next
      // revision for what changes after.
      progress.phase = "state";
      const bucketStream = `KV_${names.bucket}`;
      const kvInfo = await ask(`the info of KV bucket ${names.bucket}`, () =>
        b.jsm.streams.info(bucketStream),
      );
      const kvLast = kvInfo.state.last_seq;
      /** Keys the load gave a value written after kvLast: the watch delivers those again, not to go back. */
      const loadedAfter = new Map<string, number>();
      if (kvInfo.state.messages > 0) {
        initial = new Map();
        try {
          const n = await loadState(b, bucketStream, kvLast, (entry, seq) => {
            if (seq > kvLast) loadedAfter.set(entry.key, seq);
            fromState(entry);
          });
          stats.stateLoaded = n;
        } finally {
          if (initial !== null) flushInitial();
        }
      }
      // A stop() while start-up waited (a listener may call it): nothing more to set up.
      if (broker !== b) return;
      watch = await ask(`a watch of KV bucket ${names.bucket}`, () =>
        b.kv.watch({ key: ">", resumeFromRevision: kvLast + 1 }),
      );
      const w = watch;
      loops.push(
        (async () => {
          for await (const e of w) {
            if (loadedAfter.size > 0) {
              const loaded = loadedAfter.get(e.key);
              // Older than (or the very) value the load gave: already applied.
              if (loaded !== undefined && e.revision <= loaded) continue;
              if (loaded !== undefined) loadedAfter.delete(e.key);
            }
            fromState(e);
          }
        })().catch(noteError),
      );
      // A stop() while start-up waited (a listener may call it): nothing more to set up.
      if (broker !== b) return;

      progress.phase = "history";
      await catchUp(b, streamInfo.state.first_seq, target, ackFloor);
      if (broker !== b) return;
      // The durable delivers what follows; the floor makes sure nothing up to L comes twice.
      if (floor < target) {
        // A sequence up to L the catch-up did not see is no longer in the stream.
        floor = target;
        for (const seq of above) if (seq <= floor) above.delete(seq);
        while (above.delete(floor + 1)) floor += 1;
      }
      const consumer = await ask(`durable consumer ${durable}`, () =>
        b.js.consumers.get(names.stream, durable),
      );
      // By count (pullCountOf), as the start-up reads: a pull bounded only in bytes stalls on a
      // line larger than what nats.js thinks is left of it. Pulls expire after 5 s (30 s by
      // default): a pull waiting at a cluster node that died is only noticed when its heartbeats
      // stop, and until then nothing arrives.
      messages = await consumer.consume({ max_messages: pullCountOf(maxBytes), expires: 5_000 });
      const ms = messages;
      loops.push(
        (async () => {
          for await (const m of ms) {
            if (!firstTime(m.seq)) {
              stats.redeliveriesDropped++;
              m.ack();
              continue;
            }
            const data = decode(m);
            if (data) fromLog(data, m.seq);
            m.ack();
          }
        })().catch(noteError),
      );
      progress.phase = "live";
    },
    async stop() {
      const b = broker;
      if (!b) return;
      broker = null;
      watch?.stop();
      await stateLoad?.close().catch(() => {});
      await history?.close().catch(() => {});
      await messages?.close();
      await b.nc.drain().catch(() => {});
      health.connected = false;
      await Promise.all(loops);
      loops = [];
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    hosts: () => new Map(lastSeen),
    heartbeats: () => new Map(beats),
    skipped() {
      const out = new Map<string, { lines: number; files: number }>();
      for (const [h, files] of skippedLines) {
        let lines = 0;
        for (const n of files.values()) lines += n;
        out.set(h, { lines, files: files.size });
      }
      return out;
    },
    staleHosts(thresholdMs, now = Date.now()) {
      return [...beats]
        .filter(([, at]) => now - at > thresholdMs)
        .map(([h]) => h)
        .sort();
    },
    progress: () => ({ ...progress }),
    async readBriefing(orchestratorPath, wave) {
      const name = wave === null ? "DASHBOARD.md" : `wave-${wave}-briefing.md`;
      const where = orchestratorPaths.get(orchestratorPath);
      const b = broker;
      const shown = `${orchestratorPath}/${name}`;
      if (!where || !b) return { ok: false, reason: "missing", file: shown };
      try {
        const e = await b.kv.get(
          stateKeyOf({ kind: "briefing", host: where.host, orchestrator: where.orchestrator, wave }),
        );
        if (e?.operation !== "PUT") return { ok: false, reason: "missing", file: shown };
        const m = e.json<StateMessage>();
        if (m.kind !== "briefing" || m.text === null) return { ok: false, reason: "unreadable", file: shown };
        return { ok: true, text: m.text, file: shown, truncated: m.truncated };
      } catch {
        return { ok: false, reason: "unreadable", file: shown };
      }
    },
    async pruneIndex(hosts) {
      const b = broker;
      if (!b) throw new Error("the relay consumer is not started");
      return pruneHosts(hosts, (host) => createTimeIndexWriter(b, names, host, { servers: options.servers }));
    },
    async forgetHost(host) {
      const b = broker;
      if (!b) throw new Error("the relay consumer is not started");
      const keys = await deleteHostKeys(b, names, host, options.servers);
      await purgeHostHistory(b, names, host); // its lines and index too: gone for good
      return keys;
    },
    health: () => ({ ...health }),
    stats: () => ({ ...stats, startup: { ...startup } }),
  };
}
