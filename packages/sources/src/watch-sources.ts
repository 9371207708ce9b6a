import { hash } from "node:crypto";
import { channel } from "node:diagnostics_channel";
import { stat } from "node:fs/promises";
import { basename, join } from "node:path";
import {
  type ComponentHealth,
  initialHealth,
  type OrchestratorRef,
  type ParseResult,
  parseGlobalStateSteps,
  parseLocalStateText,
  parseSignalText,
  type SourceChange,
  type WorkerSignal,
} from "@catalyst/schema";
import { discoverOrchestrators, EXECUTION_CORE_DIR, listSubdirs } from "./discover-orchestrators.js";
import { createLimiter, mapLimited, READ_CONCURRENCY } from "./map-limited.js";
import { briefingWaveOf, statBriefings } from "./read-briefings.js";
import { isTicketDirName, phaseOfFileName, toPhaseRead } from "./read-phase-files.js";
import { isSignalFileName, signalKey, unreadableResult } from "./read-signals.js";
import { globalStatePath, localStatePath } from "./read-state.js";
import { createLogTailer, type LogTailer } from "./tail-event-log.js";
import { createNodeFiles, errorCode, nodeFiles, type TextFiles } from "./text-files.js";
import { createFsDirWatcher, type DirWatch, type DirWatcher } from "./watch-dir.js";

/**
 * Per-stage timestamps of the live path, opt-in (issue 26): the monitor subscribes to this channel
 * when `CATALYST_MONITOR_TRACE` names a file. Without a subscriber a stage costs one property read.
 * Stages: `watch` (an fs event named a signal file), `read` (its text read and parsed), `emit`
 * (the batch holding it went to the subscribers), `rescan-slice` / `rescan-slice-end`.
 */
const stages = channel("catalyst:stage");

/**
 * The first scan reads its files synchronously (far cheaper than four thread-pool round trips per
 * file for thousands of small files, issue 26), in slices of at most about this long.
 */
const SYNC_SLICE_MS = 10;
/**
 * SLOW_READS_IN_A_ROW synchronous reads in a row slower than this waited on the disk, not the page
 * cache: the rest of that scan reads async, so a slow disk costs the event loop a few reads, not
 * one per file. One slow read alone is not enough: a GC pause or the scheduler of a loaded box
 * lands in a read now and then, and one such read turned a whole 10,000-file scan async (issue 26:
 * in 3 of 3 runs at load 10, from 500 reads on; the scan then cost twice the CPU).
 */
const SYNC_SLOW_MS = 5;
const SLOW_READS_IN_A_ROW = 3;

/** Orchestrators whose files one discovery reads at a time (each lists its directories first). */
const ORCH_CONCURRENCY = 16;

/**
 * A text at least this long (the global `state.json`, ~4 MB at 10,000 workers) is keyed, checked
 * and decoded with a turn of the event loop between the steps, and its parse runs in steps of
 * about STEP_MS (issue 26: read, keyed and parsed in one block it held the loop ~100 ms).
 */
const LARGE_TEXT = 256 * 1024;
const STEP_MS = 8;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs a parser's steps (a generator that yields between them), giving the event loop a turn
 * whenever STEP_MS has passed since the last one. Returns the steps' result.
 */
async function runSteps<T>(steps: Generator<undefined, T, undefined>): Promise<T> {
  let since = performance.now();
  for (;;) {
    const next = steps.next();
    if (next.done === true) return next.value;
    if (performance.now() - since >= STEP_MS) {
      await turn();
      since = performance.now();
    }
  }
}

/** About how many files one slice of a periodic rescan reads before live changes get their turn. */
const RESCAN_SLICE_FILES = 64;
/** The longest pause between two slices of a rescan (each pause is as long as the slice before). */
const RESCAN_PAUSE_MAX_MS = 100;

/** The signal files a batch carries (for the `catalyst:stage` trace: the watcher's and the relay publisher's). */
export function signalFilesOf(changes: readonly SourceChange[]): string[] {
  const files: string[] = [];
  for (const c of changes) if (c.kind === "signal") files.push(c.file);
  return files;
}

/** Options of {@link createSourceWatcher}. */
export interface SourceWatcherOptions {
  catalystDir: string;
  /** Full rescan period, the correctness backstop behind the directory watches. @default 30_000 */
  rescanIntervalMs?: number;
  /** Where the log tail begins in files that exist at start. @default "end" */
  logFrom?: "end" | "start";
  /**
   * A byte offset to resume an existing log file from instead of `logFrom` (absolute path in),
   * honoured at a line boundary within the file; null: by `logFrom`. A relay publisher's cursor.
   */
  logResumeAt?: (file: string) => number | null;
  /** How often to look for a missing `catalystDir`. @default 1_000 */
  waitIntervalMs?: number;
  /** Signal and state files larger than this are refused and reported as corrupt. @default 4 MiB */
  maxFileBytes?: number;
  /**
   * Called with an fs error the watcher recovered from but the operator should hear about (for
   * example EMFILE: out of file descriptors). The library never logs; the app does.
   */
  onError?: (error: unknown) => void;
  /**
   * Gets the error of a subscriber that threw. Every subscriber is still called and the watcher
   * goes on. @default rethrow the error on a later microtask, where the host's uncaught-error
   * handling sees it
   */
  onListenerError?: (error: unknown) => void;
  /**
   * Signal and state file access. Inject a fake only to stage what cannot be made to happen
   * reliably for real, such as EMFILE. @default `createNodeFiles(maxFileBytes)`
   */
  files?: TextFiles;
  /**
   * A signal or state file that does not parse is read again after this long before the failure is
   * reported: a writer rewriting in place (`jq … > file`) is often caught half-way. @default 30
   */
  reparseDelayMs?: number;
  /**
   * The first scan and live signal reads are synchronous until three reads in a row take longer
   * than this, then async (see SYNC_SLOW_MS). @default 5
   */
  syncReadSlowMs?: number;
}

/** The live view of a Catalyst dir; see {@link createSourceWatcher}. */
export interface SourceWatcher {
  start(): Promise<void>;
  stop(): Promise<void>;
  subscribe(listener: (changes: SourceChange[]) => void): () => void;
  health(): ComponentHealth;
  /**
   * What it holds: directories with a live watch, and files it tracks (signal files, local and
   * global state, briefings). O(orchestrators), for the monitor's metrics.
   */
  watched(): { directories: number; files: number };
  /**
   * Re-create every watch, close and re-open the log files, and rescan (what a daemon does on
   * SIGHUP); only differences come out, subscribers stay.
   */
  reopen(): void;
}

type Task =
  | { kind: "rescan" }
  | { kind: "discover" }
  | { kind: "global" }
  | { kind: "local"; id: string }
  | { kind: "signals"; id: string }
  | { kind: "briefings"; id: string }
  | { kind: "signal"; id: string; file: string }
  | { kind: "tickets"; id: string }
  | { kind: "ticket"; id: string; ticket: string }
  | { kind: "phase"; id: string; ticket: string; file: string };

function taskKey(t: Task): string {
  switch (t.kind) {
    case "rescan":
    case "discover":
    case "global":
      return t.kind;
    case "local":
    case "signals":
    case "briefings":
      return `${t.kind}\0${t.id}`;
    case "signal":
      return `signal\0${t.id}\0${t.file}`;
    case "tickets":
      return `tickets\0${t.id}`;
    case "ticket":
      return `ticket\0${t.id}\0${t.ticket}`;
    case "phase":
      return `phase\0${t.id}\0${t.file}`;
  }
}

interface Tracked {
  ref: OrchestratorRef;
  /** Last text read per signal file path, as its {@link contentKey}; only a different text is emitted again. */
  signals: Map<string, string>;
  /**
   * Per signal file, the serial of the newest read whose change went out: a change from an older
   * read still waiting in a rescan's round is dropped rather than sent after a newer one.
   */
  emitted: Map<string, number>;
  /** Per signal file, a change read but not emitted yet (it waits in a round), for a live read to send. */
  unsent: Map<string, SourceChange>;
  /** The local state.json's last text, as its {@link contentKey}. */
  local: string | null;
  /** Briefing file path → `size:mtime` last emitted. */
  briefings: Map<string, string>;
  orchWatch: DirWatch | null;
  workersWatch: DirWatch | null;
  /** Ticket directories under `workers/` (per-phase files, FORMATS-TODAY §2.3, §3): one watch each. */
  tickets: Map<string, TrackedTicket>;
}

interface TrackedTicket {
  watch: DirWatch | null;
  /** Last text read per phase file path, as its {@link contentKey}; only a different text is emitted again. */
  files: Map<string, string>;
}

/**
 * What the watcher keeps of a file's text to tell a changed read from the same one: its length and
 * SHA-1, never "" (which marks an unreadable file). Keeping every text itself held the whole fleet's
 * files in memory (issue 26: ~14 MB at 10,000 workers, a 3.9 MB global state.json among them).
 */
export function contentKey(text: string): string {
  return `${text.length}:${hash("sha1", text, "base64")}`;
}

/**
 * Create the one watcher of a Catalyst dir. start() scans everything and emits it as one batch, then
 * emits live changes: signal, local and global state re-reads (only when the text changed), their
 * removals, orchestrators appearing and disappearing, and the log tail's `log-lines`, `log-reset`
 * and `log-skipped`. Each directory is watched on its own (never a file, never recursively), each
 * event re-reads at once (no debounce; a read in flight is followed by another), and a full rescan
 * runs every `rescanIntervalMs` and at once after a watch error. A missing `catalystDir` is waited for.
 */
export function createSourceWatcher(options: SourceWatcherOptions): SourceWatcher {
  const dir = options.catalystDir;
  const rescanIntervalMs = options.rescanIntervalMs ?? 30_000;
  const waitIntervalMs = options.waitIntervalMs ?? 1_000;
  const reparseDelayMs = options.reparseDelayMs ?? 30;
  const syncReadSlowMs = options.syncReadSlowMs ?? SYNC_SLOW_MS;
  const files: TextFiles =
    options.files ?? (options.maxFileBytes === undefined ? nodeFiles : createNodeFiles(options.maxFileBytes));
  // Every read of this watcher shares one gate: however many orchestrators are read at once, at
  // most READ_CONCURRENCY descriptors are open for signal and state files.
  const gate = createLimiter(READ_CONCURRENCY);
  const listeners = new Set<(changes: SourceChange[]) => void>();
  const onListenerError =
    options.onListenerError ??
    ((error: unknown) =>
      queueMicrotask(() => {
        throw error;
      }));
  const orchs = new Map<string, Tracked>();
  const structural = new Map<string, DirWatch>();
  /** The global state.json's last text, as its {@link contentKey}. */
  let globalText: string | null = null;
  let watcher: DirWatcher | null = null;
  let tailer: LogTailer | null = null;
  let unsubscribeTailer: (() => void) | null = null;
  let running = false;
  let present = false;
  let rescanTimer: NodeJS.Timeout | null = null;
  let waitTimer: NodeJS.Timeout | null = null;
  const pending = new Map<string, Task>();
  let draining: Promise<void> | null = null;
  /** The rescan in progress: orchestrators to re-read (null: structure first) and how far it got. */
  let rescan: { ids: string[] | null; at: number } | null = null;
  /** Another rescan was asked for while one ran: start again once it is done. */
  let rescanAgain = false;
  /** While the initial scan runs, events queue up but wait, so the scan goes out first as one batch. */
  let initializing = false;
  /** When the current slice of the first scan's synchronous reads began, and the turn that ends it. */
  let syncSliceAt = 0;
  let syncBreak: Promise<void> | null = null;
  /** Slow synchronous reads in a row (see SYNC_SLOW_MS). */
  let slowSyncReads = 0;
  /**
   * False once SLOW_READS_IN_A_ROW synchronous reads in a row were slow (the first scan's, then
   * the live reads'): every read after that is async, until the watch begins again.
   */
  let syncReads = true;
  /** Set by a watch error: the next rescan re-creates every watch. */
  let rewatch = false;
  const health: ComponentHealth = initialHealth();
  /**
   * Reads of a signal file, one at a time per file (the next waits for the one before), so what a
   * file's last read saw is always its newest text; each read that produced a change numbers it.
   */
  const signalReads = new Map<string, Promise<void>>();
  const serialOf = new WeakMap<SourceChange, number>();
  let serial = 0;
  /** Live signal files being read now, those that changed again meanwhile, and the reads' promises. */
  const liveBusy = new Set<string>();
  const liveAgain = new Set<string>();
  const liveReads = new Set<Promise<void>>();
  /** Live reads finished and not emitted yet, and the turn that emits them (see flushLive). */
  let liveDone: Array<{ t: Tracked; changes: SourceChange[] }> = [];
  let liveFlush: NodeJS.Immediate | null = null;

  function emit(changes: SourceChange[]): void {
    for (const l of [...listeners]) {
      try {
        l(changes);
      } catch (error) {
        // A failing subscriber must not stop the others or the watcher.
        onListenerError(error);
      }
    }
  }

  function noteError(error: unknown): void {
    health.lastErrorAt = new Date().toISOString();
    health.lastError = error instanceof Error ? error.message : String(error);
    try {
      options.onError?.(error);
    } catch {
      // the app's reporter must not break the watcher
    }
  }

  function enqueue(task: Task): void {
    if (!running || !present) return;
    pending.set(taskKey(task), task);
    if (!draining && !initializing) draining = drain().finally(() => (draining = null));
  }

  function onWatchError(error: unknown): void {
    noteError(error);
    rewatch = true;
    enqueue({ kind: "rescan" });
  }

  // A live change is read in the round after it arrives, never behind a whole rescan: a rescan
  // (every file again, half a second at 2,000 workers) goes in slices of about RESCAN_SLICE_FILES
  // files, one slice per round beside the live tasks (issue 26: writes waited for it, every 30 s).
  async function drain(): Promise<void> {
    while (running && (pending.size > 0 || rescan !== null)) {
      const round = [...pending.values()];
      pending.clear();
      if (stages.hasSubscribers) stages.publish({ stage: "round", n: round.length, rescan: rescan !== null });
      const out: SourceChange[] = [];
      if (round.some((t) => t.kind === "rescan")) {
        if (rescan === null) rescan = { ids: null, at: 0 };
        else rescanAgain = true;
      }
      const startedAt = performance.now();
      try {
        if (round.some((t) => t.kind === "discover")) await runDiscover(out);
        await Promise.all([...round.map((t) => runTask(t, out)), rescan !== null ? rescanSlice(out) : null]);
      } catch (error) {
        noteError(error);
      }
      emitFresh(out);
      // A rescan with nothing else to do pauses as long as its slice took (at most
      // RESCAN_PAUSE_MAX_MS), so it takes at most about half of the process: back to back, its
      // reads and their callbacks kept the event loop from the live changes' fs events on a busy
      // machine (issue 26, P7 at 8,000 workers: the 30 s rescan held writes up to a second).
      if (rescan !== null && pending.size === 0 && running) {
        const pause = Math.min(RESCAN_PAUSE_MAX_MS, performance.now() - startedAt);
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  /**
   * Emits a batch without the signal changes a newer read of the same file has already sent (a
   * rescan's read that finished before a live one but waited in its round for the others).
   */
  function emitFresh(out: SourceChange[]): void {
    const fresh = out.filter((c) => {
      if (c.kind !== "signal" && c.kind !== "signal-removed") return true;
      const n = serialOf.get(c);
      const t = orchs.get(c.orchestrator);
      if (n === undefined || t === undefined) return true;
      // Sent already (by a live read), or older than what was.
      if (n <= (t.emitted.get(c.file) ?? 0)) return false;
      t.emitted.set(c.file, n);
      if (t.unsent.get(c.file) === c) t.unsent.delete(c.file);
      return true;
    });
    if (fresh.length === 0) return;
    if (stages.hasSubscribers) stages.publish({ stage: "emit", n: fresh.length, keys: signalFilesOf(fresh) });
    emit(fresh);
  }

  /**
   * A live change of one signal file: read at once and emitted on its own, never behind a round of
   * other reads or a rescan's slice (issue 26: the write → frame tail). While the file is being
   * read, further events only mark it for one more read after.
   */
  function readLive(id: string, file: string): void {
    if (!running || !present) return;
    if (initializing) {
      enqueue({ kind: "signal", id, file });
      return;
    }
    if (liveBusy.has(file)) {
      liveAgain.add(file);
      return;
    }
    const t = orchs.get(id);
    if (!t) return;
    liveBusy.add(file);
    const out: SourceChange[] = [];
    // Read at once, synchronously, when no other read of the file is under way and synchronous
    // reads have been fast (see noteSyncRead): an async read is four steps through the thread
    // pool (open, stat, read, close), each waiting for a turn of the event loop, and on a busy
    // machine those waits were most of a write's way to the frame (issue 28, P11: p99 260 ms).
    // A text that does not parse is read again later, asynchronously, as before.
    if (syncReads && files.readSync !== undefined && !signalReads.has(file)) {
      let read = false;
      try {
        read = readSignalSync(t, file, out);
      } catch (error) {
        noteError(error);
        read = true;
      }
      if (read) {
        liveRead(t, id, file, out);
        return;
      }
    }
    const done: Promise<void> = readSignal(t, file, out, true)
      .catch((error: unknown) => noteError(error))
      .then(() => {
        liveReads.delete(done);
        liveRead(t, id, file, out);
      });
    liveReads.add(done);
  }

  /** A live read of `file` is done: its changes go out with the others of this turn (flushLive). */
  function liveRead(t: Tracked, id: string, file: string, out: SourceChange[]): void {
    // The text was already read by a round (a rescan slice) whose change has not gone out
    // yet: this read found it unchanged, so it sends that change now.
    const unsent = t.unsent.get(file);
    if (out.length === 0 && unsent !== undefined) out.push(unsent);
    liveBusy.delete(file);
    if (out.length > 0) {
      liveDone.push({ t, changes: out });
      liveFlush ??= setImmediate(flushLive);
    }
    if (liveAgain.delete(file)) readLive(id, file);
  }

  /**
   * The live reads that finished in one turn of the event loop go out as one batch: on a busy
   * machine many finish together, and one batch is one fuse apply and one write per SSE client
   * instead of one each (a 1,000-client fan-out fell behind without it). Idle, a read is alone.
   */
  function flushLive(): void {
    liveFlush = null;
    const done = liveDone;
    liveDone = [];
    if (!running) return;
    const out: SourceChange[] = [];
    // An orchestrator removed meanwhile takes its workers with it.
    for (const d of done) if (orchs.get(d.t.ref.id) === d.t) out.push(...d.changes);
    emitFresh(out);
  }

  /** One slice of the rescan in progress: first the structure and the global state, then a few orchestrators. */
  async function rescanSlice(out: SourceChange[]): Promise<void> {
    const cursor = rescan;
    if (cursor === null) return;
    if (cursor.ids === null) {
      await rescanStructure(out);
      cursor.ids = [...orchs.keys()];
      return;
    }
    const slice: Tracked[] = [];
    let files = 0;
    while (cursor.at < cursor.ids.length && files < RESCAN_SLICE_FILES) {
      const t = orchs.get(cursor.ids[cursor.at++]!);
      if (!t) continue;
      slice.push(t);
      files += 2 + t.signals.size + t.tickets.size;
    }
    if (stages.hasSubscribers) stages.publish({ stage: "rescan-slice", n: files });
    await Promise.all(slice.map((t) => rescanOrchestrator(t, out)));
    if (stages.hasSubscribers) stages.publish({ stage: "rescan-slice-end", n: files });
    if (cursor.at < cursor.ids.length || rescan !== cursor) return;
    health.lastSuccessAt = new Date().toISOString();
    health.nextRunAt = new Date(Date.now() + rescanIntervalMs).toISOString();
    rescan = rescanAgain ? { ids: null, at: 0 } : null;
    rescanAgain = false;
  }

  async function runTask(task: Task, out: SourceChange[]): Promise<void> {
    switch (task.kind) {
      case "global":
        return readGlobal(out);
      case "local": {
        const t = orchs.get(task.id);
        if (t) await readLocal(t, out);
        return;
      }
      case "signals": {
        const t = orchs.get(task.id);
        if (t) await readAllSignals(t, out);
        return;
      }
      case "signal": {
        const t = orchs.get(task.id);
        if (t) await readSignal(t, task.file, out);
        return;
      }
      case "briefings": {
        const t = orchs.get(task.id);
        if (t) await readBriefingMeta(t, out);
        return;
      }
      case "tickets": {
        const t = orchs.get(task.id);
        if (t) await readAllTickets(t, out);
        return;
      }
      case "ticket": {
        const t = orchs.get(task.id);
        if (t) await readTicket(t, task.ticket, out);
        return;
      }
      case "phase": {
        const t = orchs.get(task.id);
        const tt = t?.tickets.get(task.ticket);
        if (t && tt) await readPhase(t, task.ticket, tt, task.file, out);
        return;
      }
      default:
        return;
    }
  }

  /**
   * The file's text; null when it is gone; `{ error }` when it cannot be read; `"busy"` when the
   * process is out of descriptors (EMFILE, ENFILE): that is no fault of the file, so nothing is
   * marked, the error goes to the health and `onError`, and the next rescan reads it again.
   */
  async function readText(
    file: string,
    urgent = false,
  ): Promise<{ text: string } | { error: unknown } | null | "busy"> {
    try {
      // The first scan reads synchronously, in slices (see syncTurn); after it only live signal
      // reads are synchronous (readLive), everything else async.
      if (initializing && syncReads && files.readSync !== undefined) {
        // Thousands of reads wait for the same turn: each looks again when it resumes.
        for (let turn = syncTurn(); turn !== null; turn = syncTurn()) await turn;
        const started = performance.now();
        try {
          return { text: files.readSync(file) };
        } finally {
          // A read that waited on the disk (a cold cache on a busy one, a network mount) would
          // hold the event loop: the rest of the scan reads async, as every later read does.
          noteSyncRead(performance.now() - started);
        }
      }
      return { text: await gate(() => files.read(file), urgent) };
    } catch (error) {
      return readFailure(error);
    }
  }

  /** What readText answers for a read that threw. */
  function readFailure(error: unknown): { error: unknown } | null | "busy" {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "EISDIR" || code === "ENOTDIR") return null;
    if (code === "EMFILE" || code === "ENFILE") {
      noteError(error);
      return "busy";
    }
    return { error };
  }

  /**
   * Read a file and parse it; when the text does not parse, wait `reparseDelayMs` and read once more,
   * so a file caught mid-rewrite is seen whole. The second read's text and result are the ones used.
   * A text whose {@link contentKey} is `known` (the last one emitted) is not parsed again:
   * `"unchanged"`; otherwise the answer carries the key of the text it parsed.
   */
  async function readParsed<R extends { ok: boolean }>(
    file: string,
    parse: (text: string) => R | Promise<R>,
    known: string | null | undefined,
    urgent = false,
  ): Promise<{ key: string; result: R } | { error: unknown } | null | "busy" | "unchanged"> {
    const got = await readText(file, urgent);
    if (got === null || got === "busy" || "error" in got) return got;
    // A large text: the read, its key and its parse each get a turn of their own.
    const large = got.text.length >= LARGE_TEXT;
    if (large) await turn();
    const key = contentKey(got.text);
    if (key === known) return "unchanged";
    if (large) await turn();
    const result = await parse(got.text);
    if (result.ok || reparseDelayMs <= 0) return { key, result };
    await new Promise((resolve) => setTimeout(resolve, reparseDelayMs));
    if (!running) return { key, result };
    const again = await readText(file, urgent);
    if (again === null || again === "busy" || "error" in again) return again;
    return {
      key: contentKey(again.text),
      result: again.text === got.text ? result : await parse(again.text),
    };
  }

  /** Counts slow synchronous reads in a row; the SLOW_READS_IN_A_ROW-th turns the rest async. */
  function noteSyncRead(ms: number): void {
    if (ms <= syncReadSlowMs) slowSyncReads = 0;
    else if (++slowSyncReads >= SLOW_READS_IN_A_ROW) syncReads = false;
  }

  /**
   * Null while the current slice of synchronous reads is under SYNC_SLICE_MS old; else the turn of
   * the event loop that starts the next slice (one for every read waiting), so the first scan's
   * synchronous reads never hold the loop for long: HTTP answers and SIGTERM get their turn.
   */
  function syncTurn(): Promise<void> | null {
    if (syncBreak === null && performance.now() - syncSliceAt < SYNC_SLICE_MS) return null;
    syncBreak ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        syncBreak = null;
        syncSliceAt = performance.now();
        resolve();
      }),
    );
    return syncBreak;
  }

  async function readBriefingMeta(t: Tracked, out: SourceChange[]): Promise<void> {
    const found = await statBriefings(t.ref);
    const seen = new Set<string>();
    for (const b of found) {
      seen.add(b.file);
      const stamp = `${b.bytes}:${b.modifiedAt}`;
      if (t.briefings.get(b.file) === stamp) continue;
      t.briefings.set(b.file, stamp);
      out.push({ kind: "briefing", ...b });
    }
    for (const file of [...t.briefings.keys()]) {
      if (seen.has(file)) continue;
      t.briefings.delete(file);
      out.push({
        kind: "briefing-removed",
        orchestrator: t.ref.id,
        file,
        wave: briefingWaveOf(basename(file)) ?? null,
      });
    }
  }

  async function readGlobal(out: SourceChange[]): Promise<void> {
    const file = globalStatePath(dir);
    const got = await readParsed(file, (text) => runSteps(parseGlobalStateSteps(text, file)), globalText);
    if (got === "busy" || got === "unchanged") return;
    if (got === null) {
      if (globalText !== null) out.push({ kind: "global-state-removed", file });
      globalText = null;
      return;
    }
    if ("error" in got) {
      globalText = "";
      out.push({ kind: "global-state", file, result: unreadableResult(file, got.error) });
      return;
    }
    if (got.key === globalText) return;
    globalText = got.key;
    out.push({ kind: "global-state", file, result: got.result });
  }

  async function readLocal(t: Tracked, out: SourceChange[]): Promise<void> {
    const file = localStatePath(t.ref);
    const got = await readParsed(file, (text) => parseLocalStateText(text, file), t.local);
    if (got === "busy" || got === "unchanged") return;
    if (got === null) {
      if (t.local !== null) out.push({ kind: "local-state-removed", orchestrator: t.ref.id, file });
      t.local = null;
      return;
    }
    if ("error" in got) {
      t.local = "";
      out.push({
        kind: "local-state",
        orchestrator: t.ref.id,
        file,
        result: unreadableResult(file, got.error),
      });
      return;
    }
    if (got.key === t.local) return;
    t.local = got.key;
    out.push({ kind: "local-state", orchestrator: t.ref.id, file, result: got.result });
  }

  /** Reads one signal file after any read of it under way (see `signalReads`). */
  function readSignal(t: Tracked, file: string, out: SourceChange[], urgent = false): Promise<void> {
    const before = signalReads.get(file);
    // The initial scan reads each file once and nothing else reads meanwhile: no bookkeeping.
    if (initializing && before === undefined) return readSignalNow(t, file, out, urgent);
    const run =
      before === undefined
        ? readSignalNow(t, file, out, urgent)
        : before.then(() => readSignalNow(t, file, out, urgent));
    const settled = run.catch(() => {});
    signalReads.set(file, settled);
    void settled.then(() => {
      if (signalReads.get(file) === settled) signalReads.delete(file);
    });
    return run;
  }

  async function readSignalNow(
    t: Tracked,
    file: string,
    out: SourceChange[],
    urgent: boolean,
  ): Promise<void> {
    const got = await readParsed(file, (text) => parseSignalText(text, file), t.signals.get(file), urgent);
    settleSignal(t, file, got, out);
  }

  /**
   * The first scan's read of one signal file with no promise, no closure and no buffer of its
   * own (issue 26: 10,000 of them, and the garbage of each turned into GC pauses in the scan's
   * slices); the same answer as readSignalNow. False, having done nothing, when the text does not
   * parse: that read waits and reads again (readSignalNow).
   */
  function readSignalSync(t: Tracked, file: string, out: SourceChange[]): boolean {
    const started = performance.now();
    let text: string;
    try {
      text = files.readSync!(file);
    } catch (error) {
      settleSignal(t, file, readFailure(error), out);
      return true;
    } finally {
      noteSyncRead(performance.now() - started);
    }
    const key = contentKey(text);
    if (key === t.signals.get(file)) {
      settleSignal(t, file, "unchanged", out);
      return true;
    }
    const result = parseSignalText(text, file);
    if (!result.ok && reparseDelayMs > 0) return false;
    settleSignal(t, file, { key, result }, out);
    return true;
  }

  function settleSignal(
    t: Tracked,
    file: string,
    got:
      | { key: string; result: ParseResult<WorkerSignal> }
      | { error: unknown }
      | null
      | "busy"
      | "unchanged",
    out: SourceChange[],
  ): void {
    if (stages.hasSubscribers) stages.publish({ stage: "read", key: file });
    if (got === "busy" || got === "unchanged") return;
    if (got === null) {
      if (t.signals.delete(file)) {
        pushSignal(t, file, out, {
          kind: "signal-removed",
          orchestrator: t.ref.id,
          key: signalKey(file),
          file,
        });
      }
      return;
    }
    if ("error" in got) {
      t.signals.set(file, "");
      pushSignal(t, file, out, {
        kind: "signal",
        orchestrator: t.ref.id,
        key: signalKey(file),
        file,
        result: unreadableResult(file, got.error),
      });
      return;
    }
    if (t.signals.get(file) === got.key) return;
    t.signals.set(file, got.key);
    pushSignal(t, file, out, {
      kind: "signal",
      orchestrator: t.ref.id,
      key: signalKey(file),
      file,
      result: got.result,
    });
  }

  function pushSignal(t: Tracked, file: string, out: SourceChange[], change: SourceChange): void {
    serial += 1;
    serialOf.set(change, serial);
    if (!initializing) t.unsent.set(file, change);
    out.push(change);
  }

  async function readAllSignals(t: Tracked, out: SourceChange[]): Promise<void> {
    const workers = join(t.ref.path, "workers");
    let names: string[];
    try {
      names = (await files.list(workers)).filter(isSignalFileName).sort();
    } catch {
      names = [];
    }
    // Files listed now plus files known before: the latter come out as removals when gone.
    const paths = [...new Set([...names.map((n) => join(workers, n)), ...t.signals.keys()])];
    let done = 0;
    if (initializing && files.readSync !== undefined) {
      // The first scan reads synchronously (see readText): file after file, in its slices.
      const mine: SourceChange[] = [];
      while (done < paths.length && syncReads && initializing) {
        for (let turn = syncTurn(); turn !== null; turn = syncTurn()) await turn;
        if (!syncReads || !initializing) break;
        const file = paths[done]!;
        if (!readSignalSync(t, file, mine)) await readSignal(t, file, mine);
        done += 1;
      }
      for (const c of mine) out.push(c);
      if (done === paths.length) return;
    }
    const rest = done === 0 ? paths : paths.slice(done);
    const perFile: SourceChange[][] = await mapLimited(rest, READ_CONCURRENCY, async (f) => {
      const one: SourceChange[] = [];
      await readSignal(t, f, one);
      return one;
    });
    for (const c of perFile) out.push(...c);
  }

  async function readPhase(
    t: Tracked,
    ticket: string,
    tt: TrackedTicket,
    file: string,
    out: SourceChange[],
  ): Promise<void> {
    const phase = phaseOfFileName(basename(file));
    if (phase === null) return;
    const orchestrator = t.ref.id;
    const got = await readParsed(
      file,
      (text) => toPhaseRead(orchestrator, ticket, phase, file, text).result,
      tt.files.get(file),
    );
    if (got === "busy" || got === "unchanged") return;
    if (got === null) {
      if (tt.files.delete(file))
        out.push({ kind: "phase-signal-removed", orchestrator, ticket, phase, file });
      return;
    }
    if ("error" in got) {
      tt.files.set(file, "");
      out.push({
        kind: "phase-signal",
        orchestrator,
        ticket,
        phase,
        file,
        result: unreadableResult(file, got.error),
      });
      return;
    }
    if (tt.files.get(file) === got.key) return;
    tt.files.set(file, got.key);
    out.push({ kind: "phase-signal", orchestrator, ticket, phase, file, result: got.result });
  }

  function dropTicket(t: Tracked, ticket: string, out: SourceChange[]): void {
    const tt = t.tickets.get(ticket);
    if (!tt) return;
    tt.watch?.close();
    for (const file of tt.files.keys()) {
      const phase = phaseOfFileName(basename(file));
      if (phase !== null)
        out.push({ kind: "phase-signal-removed", orchestrator: t.ref.id, ticket, phase, file });
    }
    t.tickets.delete(ticket);
  }

  /**
   * Read one ticket directory: only its own phase files (a change under one ticket never reads
   * another). The directory is watched first, then listed, so a file written in between is seen.
   */
  async function readTicket(t: Tracked, ticket: string, out: SourceChange[]): Promise<void> {
    const tdir = join(t.ref.path, "workers", ticket);
    let tt = t.tickets.get(ticket);
    if (!tt) {
      tt = { watch: null, files: new Map() };
      t.tickets.set(ticket, tt);
    }
    if (!tt.watch) {
      const id = t.ref.id;
      tt.watch = tryWatch(tdir, (name) => {
        if (name === null) enqueue({ kind: "ticket", id, ticket });
        else if (phaseOfFileName(name) !== null)
          enqueue({ kind: "phase", id, ticket, file: join(tdir, name) });
      });
    }
    let names: string[];
    try {
      names = await files.list(tdir);
    } catch {
      dropTicket(t, ticket, out);
      return;
    }
    const paths = new Set([
      ...names.filter((n) => phaseOfFileName(n) !== null).map((n) => join(tdir, n)),
      ...tt.files.keys(),
    ]);
    const current = tt;
    const perFile = await mapLimited([...paths].sort(), READ_CONCURRENCY, async (f) => {
      const one: SourceChange[] = [];
      await readPhase(t, ticket, current, f, one);
      return one;
    });
    for (const c of perFile) out.push(...c);
  }

  async function readAllTickets(t: Tracked, out: SourceChange[]): Promise<void> {
    let names: string[];
    try {
      names = (await files.list(join(t.ref.path, "workers"))).filter(isTicketDirName);
    } catch {
      names = [];
    }
    const listed = new Set(names);
    for (const ticket of [...t.tickets.keys()]) if (!listed.has(ticket)) dropTicket(t, ticket, out);
    const perTicket = await mapLimited(names.sort(), 4, async (ticket) => {
      const one: SourceChange[] = [];
      await readTicket(t, ticket, one);
      return one;
    });
    for (const c of perTicket) out.push(...c);
  }

  function tryWatch(path: string, onChange: (name: string | null) => void): DirWatch | null {
    if (!watcher) return null;
    try {
      return watcher.watch(path, onChange, onWatchError);
    } catch {
      return null; // missing: the parent's watch or the rescan will see it appear
    }
  }

  function watchWorkers(t: Tracked): void {
    const id = t.ref.id;
    const workers = join(t.ref.path, "workers");
    t.workersWatch?.close();
    t.workersWatch = tryWatch(workers, (name) => {
      // `<T>.json.tmp` is ignored; the rename that follows names `<T>.json` (FORMATS §5.6).
      if (name === null) {
        enqueue({ kind: "signals", id });
        enqueue({ kind: "tickets", id });
      } else if (isSignalFileName(name)) {
        const file = join(workers, name);
        if (stages.hasSubscribers) stages.publish({ stage: "watch", key: file });
        readLive(id, file);
      } else if (isTicketDirName(name)) enqueue({ kind: "ticket", id, ticket: name });
    });
  }

  function watchOrch(t: Tracked): void {
    const id = t.ref.id;
    t.orchWatch?.close();
    t.orchWatch = tryWatch(t.ref.path, (name) => {
      if (name === "state.json") enqueue({ kind: "local", id });
      else if (name !== null && briefingWaveOf(name) !== undefined) enqueue({ kind: "briefings", id });
      else if (name === "workers" || name === null) {
        // workers/ was removed or re-created: its old watch is dead.
        if (orchs.get(id) === t) watchWorkers(t);
        enqueue({ kind: "discover" });
        enqueue({ kind: "signals", id });
        enqueue({ kind: "tickets", id });
        if (name === null) enqueue({ kind: "briefings", id });
      }
    });
    watchWorkers(t);
  }

  function closeTicketWatches(t: Tracked): void {
    for (const tt of t.tickets.values()) {
      tt.watch?.close();
      tt.watch = null;
    }
  }

  function closeOrch(t: Tracked): void {
    closeTicketWatches(t);
    t.orchWatch?.close();
    t.workersWatch?.close();
    t.orchWatch = null;
    t.workersWatch = null;
  }

  /**
   * Watch the directories where orchestrators can appear: the root, `runs/`, `wt/`, and every
   * depth-1 directory under them that is not itself a tracked orchestrator (`wt/<workspace>/`, or a
   * `runs/<id>/` whose `workers/` is not there yet, or was just removed).
   */
  async function watchStructure(): Promise<void> {
    if (!(await exists(dir))) {
      // The catalyst dir itself was deleted: its watches are dead. Wait for it to come back, then
      // re-create every watch and rescan (issue 9 fault: dir deleted and re-created).
      for (const w of structural.values()) w.close();
      structural.clear();
      awaitReturn();
      return;
    }
    const wanted = new Set<string>([dir, join(dir, "runs"), join(dir, "wt")]);
    const orchPaths = new Set([...orchs.values()].map((t) => t.ref.path));
    // execution-core/ before its workers/ exists (FORMATS-TODAY §3.1).
    const core = join(dir, EXECUTION_CORE_DIR);
    if (!orchPaths.has(core) && (await exists(core))) wanted.add(core);
    for (const base of ["runs", "wt"]) {
      for (const name of await listSubdirs(join(dir, base))) {
        const p = join(dir, base, name);
        if (!orchPaths.has(p)) wanted.add(p);
      }
    }
    for (const [p, w] of structural) {
      if (!wanted.has(p)) {
        w.close();
        structural.delete(p);
      }
    }
    let added = false;
    for (const p of wanted) {
      if (structural.has(p)) continue;
      const w = tryWatch(
        p,
        p === dir
          ? (name) => {
              if (name === "state.json") enqueue({ kind: "global" });
              // The dir's own name comes with its deletion (inotify IN_DELETE_SELF).
              else if (
                name === "runs" ||
                name === "wt" ||
                name === EXECUTION_CORE_DIR ||
                name === null ||
                name === basename(dir)
              )
                enqueue({ kind: "discover" });
            }
          : () => enqueue({ kind: "discover" }),
      );
      if (w) {
        structural.set(p, w);
        added = true;
      }
    }
    // Watch, then look again: whatever appeared before a new watch existed is found by this discover.
    if (added) enqueue({ kind: "discover" });
  }

  /** Tracks the orchestrators that appeared and reads them whole; returns the ones it read. */
  async function runDiscover(out: SourceChange[]): Promise<Tracked[]> {
    const found = await discoverOrchestrators(dir);
    const byId = new Map(found.map((r) => [r.id, r]));
    for (const [id, t] of orchs) {
      const now = byId.get(id);
      if (!now || now.path !== t.ref.path) {
        closeOrch(t);
        orchs.delete(id);
        out.push({ kind: "orchestrator-removed", id });
      }
    }
    const added: Tracked[] = [];
    let since = performance.now();
    for (const ref of found) {
      if (orchs.has(ref.id)) continue;
      // Hundreds of orchestrators found at once (the first scan): their watches are set up in
      // steps of STEP_MS with a turn between (issue 26: 500 in one block held the loop ~40 ms).
      if (performance.now() - since >= STEP_MS) {
        await turn();
        since = performance.now();
      }
      const t: Tracked = {
        ref,
        signals: new Map(),
        emitted: new Map(),
        unsent: new Map(),
        local: null,
        briefings: new Map(),
        orchWatch: null,
        workersWatch: null,
        tickets: new Map(),
      };
      orchs.set(ref.id, t);
      // Watch first, then read: a file written in between is caught by one or the other.
      watchOrch(t);
      out.push({ kind: "orchestrator-added", orchestrator: ref });
      added.push(t);
    }
    await watchStructure();
    // ORCH_CONCURRENCY orchestrators read at a time: started all at once, 500 orchestrators' four
    // reads each were 2,000 directory listings whose answers came back in bursts of back-to-back
    // callbacks (issue 26: up to ~90 ms without a timer's turn at 10,000 workers).
    await mapLimited(added, ORCH_CONCURRENCY, (t) =>
      Promise.all([
        readLocal(t, out),
        readAllSignals(t, out),
        readAllTickets(t, out),
        readBriefingMeta(t, out),
      ]),
    );
    return added;
  }

  /** The first part of a rescan: re-create the watches after a watch error, discover, the global state. */
  async function rescanStructure(out: SourceChange[]): Promise<Tracked[]> {
    if (rewatch) {
      rewatch = false;
      for (const t of orchs.values()) {
        closeTicketWatches(t);
        watchOrch(t);
      }
      for (const w of structural.values()) w.close();
      structural.clear();
    }
    const added = await runDiscover(out);
    await readGlobal(out);
    return added;
  }

  async function rescanOrchestrator(t: Tracked, out: SourceChange[]): Promise<void> {
    await readLocal(t, out);
    await readAllSignals(t, out);
    await readAllTickets(t, out);
    await readBriefingMeta(t, out);
  }

  /**
   * The whole rescan at once (the initial scan, which goes out as one batch). Only differences come
   * out. An orchestrator the discover just found was read whole by it: it is not read a second time
   * (at start-up that is every one; reading each file twice doubled the scan, issue 26).
   */
  async function runRescan(out: SourceChange[]): Promise<void> {
    const fresh = new Set(await rescanStructure(out));
    for (const t of orchs.values()) if (!fresh.has(t)) await rescanOrchestrator(t, out);
    health.lastSuccessAt = new Date().toISOString();
    health.nextRunAt = new Date(Date.now() + rescanIntervalMs).toISOString();
  }

  async function exists(path: string): Promise<boolean> {
    try {
      return (await stat(path)).isDirectory();
    } catch {
      return false;
    }
  }

  /** Poll for the deleted catalyst dir; when it is back, re-watch everything and rescan. */
  function awaitReturn(): void {
    if (waitTimer !== null || !running) return;
    health.reason = `waiting for ${dir} to appear again`;
    const poll = async () => {
      waitTimer = null;
      if (!running) return;
      if (await exists(dir)) {
        health.reason = null;
        rewatch = true;
        enqueue({ kind: "rescan" });
      } else waitTimer = setTimeout(poll, waitIntervalMs);
    };
    waitTimer = setTimeout(poll, waitIntervalMs);
  }

  async function begin(): Promise<void> {
    present = true;
    health.reason = null;
    watcher = createFsDirWatcher();
    initializing = true;
    syncReads = true;
    slowSyncReads = 0;
    syncSliceAt = performance.now();
    const initial: SourceChange[] = [];
    try {
      await runRescan(initial);
    } catch (error) {
      noteError(error);
    }
    initializing = false;
    emit(initial);
    if (pending.size > 0 && !draining) draining = drain().finally(() => (draining = null));
    rescanTimer = setInterval(() => enqueue({ kind: "rescan" }), rescanIntervalMs);
    tailer = createLogTailer({
      catalystDir: dir,
      from: options.logFrom ?? "end",
      ...(options.logResumeAt === undefined ? {} : { resumeAt: options.logResumeAt }),
      onError: (error) => noteError(error),
    });
    unsubscribeTailer = tailer.subscribe(emit);
    await tailer.start();
  }

  return {
    async start() {
      if (running) return;
      running = true;
      if (await exists(dir)) {
        await begin();
        return;
      }
      health.reason = `waiting for ${dir} to appear`;
      const poll = async () => {
        waitTimer = null;
        if (!running) return;
        try {
          if (await exists(dir)) await begin();
          else waitTimer = setTimeout(poll, waitIntervalMs);
        } catch (error) {
          noteError(error);
        }
      };
      waitTimer = setTimeout(poll, waitIntervalMs);
    },
    async stop() {
      if (!running) return;
      running = false;
      if (waitTimer) clearTimeout(waitTimer);
      if (rescanTimer) clearInterval(rescanTimer);
      waitTimer = null;
      rescanTimer = null;
      await draining;
      await Promise.all([...liveReads]);
      if (liveFlush !== null) clearImmediate(liveFlush);
      liveFlush = null;
      liveDone = [];
      pending.clear();
      rescan = null;
      rescanAgain = false;
      // The tailer's last pass still reaches subscribers; unsubscribe after it.
      await tailer?.stop();
      unsubscribeTailer?.();
      tailer = null;
      for (const t of orchs.values()) closeOrch(t);
      orchs.clear();
      globalText = null;
      for (const w of structural.values()) w.close();
      structural.clear();
      await watcher?.close();
      watcher = null;
      present = false;
      health.nextRunAt = null;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    health: () => ({ ...health }),
    watched() {
      let directories = structural.size;
      let files = globalText === null ? 0 : 1;
      for (const t of orchs.values()) {
        if (t.orchWatch !== null) directories += 1;
        if (t.workersWatch !== null) directories += 1;
        files += t.signals.size + t.briefings.size + (t.local === null ? 0 : 1);
      }
      return { directories, files };
    },
    reopen() {
      if (!running || !present) return;
      rewatch = true;
      enqueue({ kind: "rescan" });
      tailer?.reopen();
    },
  };
}
