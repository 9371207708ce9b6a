import { channel } from "node:diagnostics_channel";
import { stat } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import type { LivenessResult, SourceChange } from "@catalyst/schema";
import {
  createSourceWatcher,
  readBriefingText,
  type SourceWatcher,
  type SourceWatcherOptions,
  signalFilesOf,
} from "@catalyst/sources";
import { type Broker, type BrokerOptions, openBroker, startupRetryPolicy } from "./broker.js";
import { type Cursors, cursorPath, loadCursors, saveCursors } from "./cursor.js";
import { escapeToken, eventSubjectOf, messageIdOf, parseStateKey, stateKeyOf } from "./keys.js";
import { listKeys } from "./kv-keys.js";
import { type RelayNames, resolveNames } from "./names.js";
import { createTimeIndexWriter, type IndexedLine, type TimeIndexWriter } from "./time-index.js";
import {
  type LogMessage,
  MAX_RELAYED_BRIEFING_BYTES,
  MAX_RELAYED_DETAIL_CHARS,
  type StateMessage,
} from "./wire.js";

/** Options of {@link createRelayPublisher}. */
export interface RelayPublisherOptions extends BrokerOptions, RelayNames {
  catalystDir: string;
  /** This machine's name in every key, subject and message. */
  hostName: string;
  /** Where the per-file cursors live (never the catalyst dir), e.g. `resolveCacheDir(process.env)`. */
  stateDir: string;
  /** Log lines published at once before their acks are awaited. @default 256 */
  maxInFlight?: number;
  /** Changes waiting to be published, bounded in count and bytes; past either the queue is dropped and the dir re-read from the cursors. @default 50_000 / 64 MiB */
  maxQueuedChanges?: number;
  maxQueuedBytes?: number;
  /** First retry delay after the broker failed a publish; doubles up to 5 s. @default 250 */
  retryMs?: number;
  /** Passed to the sources watcher (not `catalystDir` / `logFrom` / `logResumeAt`). */
  watcher?: Omit<SourceWatcherOptions, "catalystDir" | "logFrom" | "logResumeAt">;
  /** How often the host's heartbeat key is written, so a central view can tell a silent host from a gone one. @default 5_000 */
  heartbeatMs?: number;
  /** Hears errors the publisher recovered from (a failed publish it will retry). The library never logs. */
  onError?: (error: unknown) => void;
}

/** One worker's liveness answer on its own host (the pid liveness poller's report). */
export interface RelayLivenessReport {
  orchestrator: string;
  worker: string;
  result: LivenessResult;
}

/** What the publisher has done so far. */
export interface RelayPublisherStats {
  linesPublished: number;
  duplicatesDropped: number;
  statePuts: number;
  stateDeletes: number;
  retries: number;
  resyncs: number;
  queuedChanges: number;
  /** Liveness answers written to the KV (one per changed answer). */
  livenessPuts: number;
  /** Log lines the watcher delivered that a cursor already covered (re-read, not published). */
  linesBelowCursor: number;
}

export interface RelayPublisher {
  start(): Promise<void>;
  /** Stops watching, publishes what was already queued if the broker answers, saves the cursors, closes. */
  stop(): Promise<void>;
  stats(): RelayPublisherStats;
  /** Resolves when everything seen so far is acknowledged by JetStream. */
  idle(): Promise<void>;
  /**
   * This host's pid / job checks (the liveness poller's reports, changed answers or all of them):
   * each worker's answer is written to its KV key when it differs from the one last written, so
   * the cost follows the change. Answers wait in a map of one per worker (never dropped with an
   * overflowing queue).
   */
  publishLiveness(reports: readonly RelayLivenessReport[]): void;
}

type Job =
  | { kind: "changes"; changes: SourceChange[]; bytes: number }
  | { kind: "sweep" }
  | { kind: "heartbeat" }
  | { kind: "liveness" };

/**
 * Per-stage timestamps of a signal's way out, opt-in (issue 28, as the sources watcher's): the
 * monitor subscribes to this channel when `CATALYST_MONITOR_TRACE` names a file, the P11 bench's
 * simulated hosts when asked to trace. Stages, each with the signal file's path: `relay-queue` (the
 * watcher's batch holding it was queued), `relay-put` (its KV put was sent), `relay-acked` (the
 * broker acknowledged it). Without a subscriber a stage costs one property read.
 */
const stages = channel("catalyst:stage");

/** What makes one liveness answer differ from another (never `checkedAt`, which moves every check). */
const answerOf = (r: LivenessResult): string =>
  JSON.stringify([r.pid, r.alive, r.reason, r.jobId ?? null, r.jobState ?? null]);

function sizeOf(changes: SourceChange[]): number {
  let n = 0;
  for (const c of changes) {
    if (c.kind === "log-lines") for (const r of c.records) n += r.text.length + 64;
    else n += 512;
  }
  return n;
}

/**
 * Publish one catalyst dir to JetStream: each worker signal, orchestrator, local and global state
 * into the KV bucket (last value per key, see `stateKeyOf`), each event-log line into the stream
 * under `<prefix>.<host>.<orch>` with a message id from host + file + generation + byte offset.
 * A per-file cursor, saved after JetStream acknowledged the lines, says where to resume; lines
 * re-read after a crash are dropped by JetStream's de-duplication window.
 */
export function createRelayPublisher(options: RelayPublisherOptions): RelayPublisher {
  const names = resolveNames(options);
  const host = options.hostName;
  const dir = options.catalystDir;
  const maxInFlight = options.maxInFlight ?? 256;
  const maxQueuedChanges = options.maxQueuedChanges ?? 50_000;
  const maxQueuedBytes = options.maxQueuedBytes ?? 64 * 1024 * 1024;
  const baseRetry = options.retryMs ?? 250;
  const path = cursorPath(options.stateDir, host, dir);
  const stats: RelayPublisherStats = {
    linesPublished: 0,
    duplicatesDropped: 0,
    statePuts: 0,
    stateDeletes: 0,
    retries: 0,
    resyncs: 0,
    queuedChanges: 0,
    livenessPuts: 0,
    linesBelowCursor: 0,
  };
  let broker: Broker | null = null;
  /** The stream's time index of this host (time-index.ts), told each acknowledged chunk. */
  let timeIndex: TimeIndexWriter | null = null;
  let watcher: SourceWatcher | null = null;
  let unsubscribe: (() => void) | null = null;
  let cursors: Cursors = {};
  const queue: Job[] = [];
  let queuedBytes = 0;
  let overflowed = false;
  let running = false;
  let pump: Promise<void> | null = null;
  let idleWaiters: (() => void)[] = [];
  /** Keys of this host on the broker at start; the ones the first scan does not write are deleted. */
  let staleKeys: Set<string> | null = null;
  /** Wakes every retry waiting out its delay (stop, or nothing left to wait for). */
  const wakers = new Set<() => void>();
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  let heartbeat: NodeJS.Timeout | null = null;
  // --- Liveness (issue 28) ---
  /** Liveness key → the answer last written under it. */
  const liveSent = new Map<string, string>();
  /** Liveness key → the newest answer not yet written (one per worker: a bound by the fleet). */
  const livePending = new Map<string, RelayLivenessReport>();
  /** `<orch>\0<ticket>` of every signal / phase file written since start: workers the sweep keeps the liveness of. */
  const workersWritten = new Set<string>();
  /** Skipped lines per log file (relative path) in this run, for the file's marker. */
  const skipCounts = new Map<string, number>();

  const rel = (file: string) => relative(dir, file) || file;

  function enqueue(changes: SourceChange[]): void {
    if (overflowed) return;
    if (stages.hasSubscribers)
      stages.publish({ stage: "relay-queue", n: changes.length, keys: signalFilesOf(changes) });
    const bytes = sizeOf(changes);
    if (stats.queuedChanges + changes.length > maxQueuedChanges || queuedBytes + bytes > maxQueuedBytes) {
      // Bounded: drop the queue and re-read the dir from the cursors once what is in flight is done.
      overflowed = true;
      queue.length = 0;
      stats.queuedChanges = 0;
      queuedBytes = 0;
      kick();
      return;
    }
    queue.push({ kind: "changes", changes, bytes });
    stats.queuedChanges += changes.length;
    queuedBytes += bytes;
    kick();
  }

  function kick(): void {
    // A pump waiting for its writes in flight takes the new job at once.
    wakeDrain?.();
    if (pump || !running) return;
    pump = drain().finally(() => {
      pump = null;
      // A job queued (or an idle() begun) after the loop's last look but before this callback
      // would wait for the next heartbeat otherwise.
      if (queue.length > 0 || overflowed) kick();
      else resolveIdle();
    });
  }

  /** The keys under a pattern, listed with a bound ({@link listKeys}): never a wait for ever. */
  function listStateKeys(b: Broker, filter: string): Promise<string[]> {
    return listKeys(b, names.bucket, filter, { servers: options.servers, stopped: () => broker !== b });
  }

  async function retrying<T>(op: () => Promise<T>): Promise<T> {
    let delay = baseRetry;
    for (;;) {
      try {
        return await op();
      } catch (error) {
        if (!broker) throw error;
        stats.retries++;
        options.onError?.(error);
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(t);
            wakers.delete(wake);
            resolve();
          };
          const t = setTimeout(wake, delay);
          wakers.add(wake);
        });
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  /**
   * Per orchestrator id, the keys this run wrote under it and has not deleted: its removal deletes
   * them whatever a key listing returns (a listing served by a cluster node still catching up after
   * a node loss can miss a key just written, which then stayed behind: the `=local` of an
   * orchestrator whose files were gone).
   */
  const writtenUnder = new Map<string, Set<string>>();

  function orchestratorOfKey(key: string): string | null {
    const parsed = parseStateKey(key);
    return parsed !== null && "orchestrator" in parsed ? parsed.orchestrator : null;
  }

  async function putState(key: string, value: StateMessage): Promise<void> {
    const b = broker!;
    staleKeys?.delete(key);
    const orch = value.kind === "orchestrator" ? value.orchestrator.id : orchestratorOfKey(key);
    if (orch !== null) {
      const set = writtenUnder.get(orch) ?? new Set<string>();
      set.add(key);
      writtenUnder.set(orch, set);
    }
    // Remembered only while a sweep is pending (it keeps these workers' liveness keys).
    if (staleKeys !== null && value.kind === "signal")
      workersWritten.add(`${value.orchestrator}\0${value.key}`);
    if (staleKeys !== null && value.kind === "phase")
      workersWritten.add(`${value.orchestrator}\0${value.ticket}`);
    await retrying(() => b.kv.put(key, JSON.stringify(value)));
    stats.statePuts++;
  }

  async function deleteState(key: string): Promise<void> {
    const b = broker!;
    staleKeys?.delete(key);
    const orch = orchestratorOfKey(key);
    const set = orch === null ? undefined : writtenUnder.get(orch);
    if (set?.delete(key) && set.size === 0) writtenUnder.delete(orch!);
    await retrying(() => b.kv.delete(key));
    stats.stateDeletes++;
  }

  /**
   * The watcher reports a removed orchestrator dir once, not each file that went with it (the
   * files are gone by the time it looks): its signal and local-state keys are deleted with it.
   */
  async function removeOrchestrator(id: string): Promise<void> {
    const b = broker!;
    const own = stateKeyOf({ kind: "orchestrator", host, orchestrator: id });
    const keys = await retrying(() => listStateKeys(b, `${escapeToken(host)}.${escapeToken(id)}.>`));
    // What this run wrote under it too, and its state key always (a listing can miss a key).
    const all = new Set([...keys, ...(writtenUnder.get(id) ?? []), own]);
    all.add(stateKeyOf({ kind: "local-state", host, orchestrator: id }));
    await deleteState(own);
    for (const k of all) if (k !== own) await deleteState(k);
    writtenUnder.delete(id);
    const prefix = `${escapeToken(host)}.${escapeToken(id)}.`;
    for (const k of [...liveSent.keys()]) if (k.startsWith(prefix)) liveSent.delete(k);
  }

  /** A worker's file is gone: its liveness key goes with it. */
  async function forgetLiveness(orchestrator: string, worker: string): Promise<void> {
    const key = stateKeyOf({ kind: "liveness", host, orchestrator, worker });
    livePending.delete(key);
    liveSent.delete(key);
    // Also when this run never wrote it: an earlier run's key, kept by the start-up sweep.
    await deleteState(key);
  }

  /** Writes the answers waiting in `livePending` that differ from what the KV holds. */
  async function flushLiveness(): Promise<void> {
    const window: Promise<void>[] = [];
    for (const [key, report] of [...livePending]) {
      if (livePending.get(key) !== report) continue; // replaced meanwhile: the newer one comes next
      livePending.delete(key);
      const answer = answerOf(report.result);
      if (liveSent.get(key) === answer) continue;
      // Distinct keys: up to maxInFlight writes awaited together.
      window.push(
        putState(key, { host, kind: "liveness", ...report }).then(() => {
          liveSent.set(key, answer);
          stats.livenessPuts++;
        }),
      );
      if (window.length >= maxInFlight) await Promise.all(window.splice(0));
    }
    await Promise.all(window);
  }

  async function publishLines(change: Extract<SourceChange, { kind: "log-lines" }>): Promise<void> {
    const b = broker!;
    const pending: { subject: string; data: string; id: string; file: string; end: number; tsMs: number }[] =
      [];
    for (const r of change.records) {
      const file = rel(r.file);
      const cur = cursors[file] ?? { generation: 0, offset: 0 };
      if (r.offset < cur.offset) {
        stats.linesBelowCursor++; // acknowledged before a restart
        continue;
      }
      const msg: LogMessage = { host, file, generation: cur.generation, offset: r.offset, text: r.text };
      pending.push({
        subject: eventSubjectOf(names.subjectPrefix, host, r.event.orchestrator),
        data: JSON.stringify(msg),
        id: messageIdOf(host, file, cur.generation, r.offset),
        file,
        end: r.offset + Buffer.byteLength(r.text) + 1,
        tsMs: r.event.tsMs,
      });
    }
    for (let i = 0; i < pending.length; i += maxInFlight) {
      const chunk = pending.slice(i, i + maxInFlight);
      const acks = await retrying(() =>
        Promise.all(chunk.map((p) => b.js.publish(p.subject, p.data, { msgID: p.id }))),
      );
      // The time index learns each line's sequence before the cursor moves past it.
      const indexed: IndexedLine[] = acks.map((ack, j) => ({ seq: ack.seq, tsMs: chunk[j]!.tsMs }));
      const index = timeIndex;
      if (index) await retrying(() => index.note(indexed));
      for (const [j, ack] of acks.entries()) {
        if (ack.duplicate) stats.duplicatesDropped++;
        else stats.linesPublished++;
        const p = chunk[j]!;
        const cur = cursors[p.file] ?? { generation: 0, offset: 0 };
        if (p.end > cur.offset) cursors[p.file] = { generation: cur.generation, offset: p.end };
      }
      await saveCursors(path, cursors);
    }
  }

  async function apply(c: SourceChange): Promise<void> {
    switch (c.kind) {
      case "orchestrator-added":
        return putState(stateKeyOf({ kind: "orchestrator", host, orchestrator: c.orchestrator.id }), {
          host,
          kind: "orchestrator",
          orchestrator: { ...c.orchestrator, path: rel(c.orchestrator.path) },
        });
      case "orchestrator-removed":
        return removeOrchestrator(c.id);
      case "signal": {
        const traced = stages.hasSubscribers;
        if (traced) stages.publish({ stage: "relay-put", key: c.file });
        await putState(stateKeyOf({ kind: "signal", host, orchestrator: c.orchestrator, key: c.key }), {
          host,
          kind: "signal",
          orchestrator: c.orchestrator,
          key: c.key,
          file: rel(c.file),
          result: c.result,
        });
        if (traced) stages.publish({ stage: "relay-acked", key: c.file });
        return;
      }
      case "signal-removed":
        await deleteState(stateKeyOf({ kind: "signal", host, orchestrator: c.orchestrator, key: c.key }));
        return forgetLiveness(c.orchestrator, c.key);
      // Per-phase files (execution-core, orchestrate overlays) go like signal files, one key each.
      case "phase-signal":
        return putState(
          stateKeyOf({ kind: "phase", host, orchestrator: c.orchestrator, ticket: c.ticket, phase: c.phase }),
          {
            host,
            kind: "phase",
            orchestrator: c.orchestrator,
            ticket: c.ticket,
            phase: c.phase,
            file: rel(c.file),
            result: c.result,
          },
        );
      case "phase-signal-removed":
        return deleteState(
          stateKeyOf({ kind: "phase", host, orchestrator: c.orchestrator, ticket: c.ticket, phase: c.phase }),
        );
      case "local-state":
        return putState(stateKeyOf({ kind: "local-state", host, orchestrator: c.orchestrator }), {
          host,
          kind: "local-state",
          orchestrator: c.orchestrator,
          file: rel(c.file),
          result: c.result,
        });
      case "local-state-removed":
        return deleteState(stateKeyOf({ kind: "local-state", host, orchestrator: c.orchestrator }));
      case "global-state":
        return putState(stateKeyOf({ kind: "global-state", host }), {
          host,
          kind: "global-state",
          file: rel(c.file),
          result: c.result,
        });
      case "global-state-removed":
        return deleteState(stateKeyOf({ kind: "global-state", host }));
      case "log-lines":
        return publishLines(c);
      case "log-reset": {
        const file = rel(c.file);
        const cur = cursors[file] ?? { generation: 0, offset: 0 };
        cursors[file] = { generation: cur.generation + 1, offset: 0 };
        await saveCursors(path, cursors);
        // The file starts over: its skipped-line marker goes (as a local monitor drops it).
        skipCounts.delete(file);
        await deleteState(stateKeyOf({ kind: "skipped", host, file }));
        return;
      }
      // Briefings and skipped-line markers (issue 28).
      case "briefing": {
        const got = await readBriefingText(dirname(c.file), c.wave, MAX_RELAYED_BRIEFING_BYTES);
        return putState(stateKeyOf({ kind: "briefing", host, orchestrator: c.orchestrator, wave: c.wave }), {
          host,
          kind: "briefing",
          orchestrator: c.orchestrator,
          file: rel(c.file),
          wave: c.wave,
          bytes: c.bytes,
          modifiedAt: c.modifiedAt,
          text: got.ok ? got.text : null,
          truncated: got.ok ? got.truncated : false,
        });
      }
      case "briefing-removed":
        return deleteState(
          stateKeyOf({ kind: "briefing", host, orchestrator: c.orchestrator, wave: c.wave }),
        );
      case "log-skipped": {
        const file = rel(c.file);
        const count = (skipCounts.get(file) ?? 0) + 1;
        skipCounts.set(file, count);
        return putState(stateKeyOf({ kind: "skipped", host, file }), {
          host,
          kind: "skipped",
          file,
          offset: c.offset,
          reason: c.reason,
          detail: c.detail.slice(0, MAX_RELAYED_DETAIL_CHARS),
          count,
        });
      }
      default:
        return;
    }
  }

  /**
   * The KV keys a change writes when it is a plain put or delete (null: anything else, which runs
   * alone, in order: log lines, resets, a removed orchestrator's key listing).
   */
  function plainKeys(c: SourceChange): string[] | null {
    switch (c.kind) {
      case "orchestrator-added":
        return [stateKeyOf({ kind: "orchestrator", host, orchestrator: c.orchestrator.id })];
      case "signal":
        return [stateKeyOf({ kind: "signal", host, orchestrator: c.orchestrator, key: c.key })];
      case "signal-removed":
        return [
          stateKeyOf({ kind: "signal", host, orchestrator: c.orchestrator, key: c.key }),
          stateKeyOf({ kind: "liveness", host, orchestrator: c.orchestrator, worker: c.key }),
        ];
      case "phase-signal":
      case "phase-signal-removed":
        return [
          stateKeyOf({ kind: "phase", host, orchestrator: c.orchestrator, ticket: c.ticket, phase: c.phase }),
        ];
      case "local-state":
      case "local-state-removed":
        return [stateKeyOf({ kind: "local-state", host, orchestrator: c.orchestrator })];
      case "global-state":
      case "global-state-removed":
        return [stateKeyOf({ kind: "global-state", host })];
      case "briefing":
      case "briefing-removed":
        return [stateKeyOf({ kind: "briefing", host, orchestrator: c.orchestrator, wave: c.wave })];
      default:
        return null;
    }
  }

  /**
   * Plain KV writes of the watcher's batches still waiting for their acks, by key, carried from one
   * batch to the next: a signal written while the put before it waits for its ack goes out at once
   * instead of a round trip later (issue 28: at 50 writes/s into one host on a loaded box the wait
   * behind the previous ack was up to ~100 ms of the host's part). At most `maxInFlight`.
   */
  const inFlight = new Map<string, Promise<void>>();
  const inFlightAll = new Set<Promise<void>>();
  /** The first failure of a write in flight, thrown where the pump next waits for them. */
  let inFlightError: { error: unknown } | null = null;
  /** Wakes a pump waiting for its writes in flight (a job was queued). */
  let wakeDrain: (() => void) | null = null;

  function rethrowInFlight(): void {
    const failed = inFlightError;
    inFlightError = null;
    if (failed) throw failed.error;
  }

  /** Waits for every write in flight. */
  async function settleAll(): Promise<void> {
    while (inFlightAll.size > 0) await Promise.allSettled([...inFlightAll]);
    rethrowInFlight();
  }

  /**
   * Applies a batch in order, its plain KV writes of distinct keys sent without waiting for each
   * other's acks (up to `maxInFlight` at once, with those of the batches before: a first scan of
   * thousands of workers is not thousands of round trips in a row); a second write of a key waits
   * for the first, and anything that is not a plain write waits for everything in flight.
   */
  async function applyAll(changes: readonly SourceChange[]): Promise<void> {
    for (const c of changes) {
      const ks = plainKeys(c);
      if (ks === null) {
        await settleAll();
        await apply(c);
        continue;
      }
      const before = ks.flatMap((k) => inFlight.get(k) ?? []);
      if (before.length > 0) await Promise.allSettled(before);
      while (inFlightAll.size >= maxInFlight) await Promise.race(inFlightAll);
      rethrowInFlight();
      const write: Promise<void> = apply(c)
        .catch((error: unknown) => {
          inFlightError ??= { error };
        })
        .finally(() => {
          inFlightAll.delete(write);
          for (const k of ks) if (inFlight.get(k) === write) inFlight.delete(k);
        });
      inFlightAll.add(write);
      for (const k of ks) inFlight.set(k, write);
    }
  }

  /** Waits until the writes in flight are acknowledged or a job is queued, whichever is first. */
  async function awaitInFlightOrJob(): Promise<void> {
    await new Promise<void>((resolve) => {
      wakeDrain = resolve;
      void Promise.allSettled([...inFlightAll]).then(() => resolve());
    });
    wakeDrain = null;
    rethrowInFlight();
  }

  async function drain(): Promise<void> {
    while (running) {
      const job = queue.shift();
      if (!job) {
        if (inFlightAll.size > 0) {
          await awaitInFlightOrJob();
          continue;
        }
        if (overflowed) {
          await resync();
          continue;
        }
        break;
      }
      // Only the watcher's batches go out beside writes in flight; every other job after them.
      if (job.kind !== "changes") await settleAll();
      if (job.kind === "heartbeat") {
        const key = stateKeyOf({ kind: "heartbeat", host });
        await putState(key, {
          host,
          kind: "heartbeat",
          at: new Date().toISOString(),
          intervalMs: heartbeatMs,
        });
        continue;
      }
      if (job.kind === "liveness") {
        await flushLiveness();
        continue;
      }
      if (job.kind === "sweep") {
        const stale = staleKeys ?? new Set<string>();
        staleKeys = null;
        for (const key of stale) {
          // A liveness key written by an earlier run stays while its worker's file does: the
          // poller's next answer replaces it (no flicker to unknown centrally on a restart).
          const parsed = parseStateKey(key);
          if (parsed?.kind === "liveness" && workersWritten.has(`${parsed.orchestrator}\0${parsed.worker}`))
            continue;
          // A resumed file is not read again before its cursor: its marker stays while the file does.
          if (
            parsed?.kind === "skipped" &&
            (await stat(join(dir, parsed.file)).then(
              () => true,
              () => false,
            ))
          )
            continue;
          await deleteState(key);
        }
        workersWritten.clear();
        continue;
      }
      stats.queuedChanges -= job.changes.length;
      queuedBytes -= job.bytes;
      await applyAll(job.changes);
    }
    // Never done with writes in flight (stop() and idle() wait for the pump).
    await settleAll();
    // Caught up: the time index's head gets the last mark it was left without.
    const index = timeIndex;
    if (running && index && queue.length === 0) {
      await retrying(() => index.flush()).catch(() => {});
      // And drops the weeks the stream no longer holds (at most once a minute; not fatal).
      await index.prune().catch((error: unknown) => options.onError?.(error));
      // Changes queued meanwhile: this pump is still the running one, so it goes on.
      if (running && (queue.length > 0 || overflowed)) return drain();
    }
    if (queue.length === 0 && !overflowed) resolveIdle();
  }

  function resolveIdle(): void {
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Lines kept by the cursors must still be in the files; a file now shorter was truncated while we were away. */
  async function checkCursors(): Promise<void> {
    for (const [file, cur] of Object.entries(cursors)) {
      const size = await stat(join(dir, file)).then(
        (s) => s.size,
        () => -1,
      );
      if (size >= 0 && size < cur.offset) cursors[file] = { generation: cur.generation + 1, offset: 0 };
    }
  }

  async function startWatcher(): Promise<void> {
    // Each log file resumes at its cursor (a line boundary) rather than being re-read from 0; a
    // file the cursors do not know, or one no longer matching them, is read from its start.
    watcher = createSourceWatcher({
      ...options.watcher,
      catalystDir: dir,
      logFrom: "start",
      logResumeAt: (file) => cursors[rel(file)]?.offset ?? null,
    });
    unsubscribe = watcher.subscribe(enqueue);
    await watcher.start();
  }

  async function resync(): Promise<void> {
    stats.resyncs++;
    unsubscribe?.();
    await watcher?.stop();
    overflowed = false;
    // The dropped queue may have held removals: as at start, the keys the new scan does not write
    // are deleted after it (the heartbeat's excepted: it is not a file).
    const b = broker!;
    staleKeys = new Set(await retrying(() => listStateKeys(b, `${escapeToken(host)}.>`)));
    staleKeys.delete(stateKeyOf({ kind: "heartbeat", host }));
    workersWritten.clear();
    await startWatcher();
    queue.push({ kind: "sweep" });
    if (livePending.size > 0) queue.push({ kind: "liveness" });
  }

  return {
    async start() {
      if (running) return;
      cursors = await loadCursors(path);
      await checkCursors();
      broker = await openBroker(options, names);
      timeIndex = createTimeIndexWriter(broker, names, host, {
        servers: options.servers,
        retry: startupRetryPolicy(options),
      });
      // Not fatal (a cluster still electing the new bucket's leader): the first chunk opens it again.
      await timeIndex.open().catch((error: unknown) => options.onError?.(error));
      running = true;
      try {
        // Bounded: a broker that stops answering fails the start with one line, never holds it.
        staleKeys = new Set(await listStateKeys(broker, `${escapeToken(host)}.>`));
      } catch (error) {
        running = false;
        const b = broker;
        broker = null;
        await b.nc.close().catch(() => {});
        throw error;
      }
      await startWatcher();
      queue.push({ kind: "heartbeat" }, { kind: "sweep" });
      kick();
      heartbeat = setInterval(() => {
        // One heartbeat waits at most: a broker that is down does not pile them up.
        if (!queue.some((j) => j.kind === "heartbeat")) queue.push({ kind: "heartbeat" });
        kick();
      }, heartbeatMs);
      heartbeat.unref();
    },
    async stop() {
      if (!running) return;
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
      unsubscribe?.();
      unsubscribe = null;
      await watcher?.stop();
      watcher = null;
      running = false;
      for (const w of [...wakers]) w();
      await pump?.catch(() => {});
      await saveCursors(path, cursors).catch(() => {});
      const b = broker;
      broker = null;
      await b?.nc.close().catch(() => {});
      for (const w of idleWaiters) w();
      idleWaiters = [];
    },
    stats: () => ({ ...stats }),
    publishLiveness(reports) {
      for (const report of reports) {
        const key = stateKeyOf({
          kind: "liveness",
          host,
          orchestrator: report.orchestrator,
          worker: report.worker,
        });
        if (!livePending.has(key) && liveSent.get(key) === answerOf(report.result)) continue;
        livePending.set(key, {
          orchestrator: report.orchestrator,
          worker: report.worker,
          result: report.result,
        });
      }
      if (livePending.size === 0 || queue.some((j) => j.kind === "liveness")) return;
      queue.push({ kind: "liveness" });
      kick();
    },
    idle() {
      if (!running || (queue.length === 0 && !pump && !overflowed)) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
