import { channel } from "node:diagnostics_channel";
import { planEarlyHistory } from "@catalyst/fuse";
import type {
  ComponentHealth,
  Delta,
  DeltaFeed,
  FuseInput,
  LivenessResult,
  LivenessTarget,
  LoadingState,
  LogRecord,
  PrRef,
  PrStatus,
  Snapshot,
  SourceChange,
} from "@catalyst/schema";
import { turn } from "./finish-fold.js";

// Structural views of the library objects the monitor wires together; the real `Fuse`,
// `SourceWatcher`, `PrPoller` and `LivenessPoller` fit them (see build-parts.ts).

/**
 * Where the wiring reports what it recovered from (a batch fuse refused, an unreadable log). The
 * library never prints: the app passes its logger, or nothing.
 */
export interface EngineLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Fuse as the monitor drives it. */
export interface FuseLike extends DeltaFeed {
  /**
   * `coalesce` (fuse's `ApplyOptions`): publish each orchestrator the batch touches once; the
   * monitor asks for it while loading. A fuse without the option applies the batch as usual.
   */
  apply(inputs: FuseInput | readonly FuseInput[], now: Date, options?: { coalesce?: boolean }): Delta[];
  /** `snapshot()` one orchestrator a step (fuse's `snapshotSteps`), for answers made in slices. */
  snapshotSteps?(): Generator<undefined, Snapshot, undefined>;
  /** Pids and PRs to poll, with a version that grows when either list changes (fuse keeps them). */
  targets(): {
    version: number;
    liveness: readonly LivenessTarget[];
    prRefs: readonly PrRef[];
  };
}

/**
 * The sources watcher: initial scan and live changes, as batches. A watcher of several hosts (the
 * relay's, see central.ts) also sends `{kind: "hosts"}`, and in its first read the relayed
 * liveness answers with the files they belong to (`{kind: "liveness"}`, after those files). The
 * listener returns a promise that settles once the batch is applied, so a watcher that reads a
 * large start-up backlog can wait for it before reading more.
 */
export interface WatcherLike {
  /** Resolves once the first read of everything is delivered to the listeners. */
  start(): Promise<void>;
  stop(): Promise<void>;
  subscribe(listener: (changes: Array<WatcherInput>) => Promise<void> | void): () => void;
  health(): ComponentHealth;
  /** SIGHUP: re-open held files and rescan (optional for test doubles). */
  reopen?(): void;
  /** Files tracked and directories watched, for the metrics (optional: a central monitor has none). */
  watched?(): { directories: number; files: number };
  /** While `start()` runs: log lines delivered so far and whether they are history (optional). */
  progress?(): { phase: LoadingState["phase"]; records: number };
}

/** The hosts of a monitor of several machines, as fuse takes them. */
export type HostsInput = Extract<FuseInput, { kind: "hosts" }>;

/** A liveness answer, as fuse takes it (a central monitor's first read carries the relayed ones). */
export type LivenessInput = Extract<FuseInput, { kind: "liveness" }>;

/** What a watcher sends. */
export type WatcherInput = SourceChange | HostsInput | LivenessInput;

/** The GitHub PR poller. */
export interface PrPollerLike {
  start(): void;
  stop(): Promise<void>;
  track(refs: readonly PrRef[]): void;
  subscribe(listener: (statuses: PrStatus[]) => void): () => void;
  health(): ComponentHealth;
  /** GitHub's rate-limit figures from the last answer, for the metrics (optional for test doubles). */
  stats?(): { rateLimit: { remaining: number | null } | null };
}

/** The pid liveness poller. */
export interface LivenessPollerLike {
  start(): void;
  stop(): Promise<void>;
  track(targets: readonly LivenessTarget[]): void;
  subscribe(
    listener: (results: Array<{ orchestrator: string; worker: string; result: LivenessResult }>) => void,
  ): () => void;
  health(): ComponentHealth;
  /** Checks every tracked worker now and returns every answer (a publisher's first full set; optional). */
  checkNow?(): Array<{ orchestrator: string; worker: string; result: LivenessResult }>;
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
  /**
   * Period of fuse's time-based rules (stalls): every worker is re-derived once per period, one
   * sixteenth of the orchestrators at a time (`{kind: "tick", part}`). @default 5_000
   */
  tickMs?: number;
  /**
   * Full snapshot to every SSE client after this long without a delta (a keep-alive clients can
   * see; while deltas flow none is sent). @default 60_000
   */
  snapshotMs?: number;
  /** Called on the snapshot timer when no delta went out during the last period (the SSE hub's broadcast). */
  onSnapshotTimer?: () => void;
  /** Called once start-up loading is over (scan and history in), e.g. to send every client a snapshot. */
  onLoaded?: () => void;
  logger?: EngineLogger;
  /**
   * Start-up history: the log read from `since` on (sources' `readEvents`) and folded into fuse,
   * so statuses and merges only the log knows survive a restart (SEED: workers exit before merge).
   * Null or absent: no history.
   */
  history?: {
    since: Date;
    read: (since: Date) => AsyncIterable<LogRecord>;
    /**
     * Fold the lines fuse can place without the published views with the first read of their
     * orchestrators, so each is published once at start-up (fuse's `planEarlyHistory`; the rest
     * after the scan, as before). False: every line after the scan is published. @default true
     */
    foldEarly?: boolean;
  } | null;
}

/**
 * Per-stage timestamps, opt-in (issue 26; see sources' watcher): `apply` / `apply-end` around each
 * fuse apply, with what was applied and how many inputs.
 */
const stages = channel("catalyst:stage");

// Start-up work is cut into slices so the event loop never waits long (HTTP answers meanwhile):
// inputs are applied CHUNK at a time until SLICE_MS has passed, then the loop gets a turn.
const HISTORY_BATCH = 250;
/**
 * The start-up history read before the first scan is published, to fold most of it with its
 * orchestrators' first read (issue 26: folded after the scan, it re-published every orchestrator
 * the log names, at 10,000 workers the whole fleet once more). A longer history goes in after the
 * scan as before; these bound what is held meanwhile.
 */
const EARLY_MAX_LINES = 32_768;
const EARLY_MAX_CHARS = 8 * 1024 * 1024;
const CHUNK = 50;
/** The history's first lines are read HEAD_RUN lines or HEAD_STEP_MS at a time, with a turn between. */
const HEAD_RUN = 512;
const HEAD_STEP_MS = 8;
const SLICE_MS = 20;
/**
 * A global `state.json` read for the first time names every worker of the fleet: fuse would build
 * them all in one apply (seconds at 10,000 workers, the event loop blocked meanwhile). It goes in
 * as growing prefixes of its orchestrators, each applied on its own (issue 26), and so does the
 * first scan, a slice of orchestrators with their files per apply. A slice holds whole
 * orchestrators until the next would take it past SLICE_WEIGHT units of work: a file read is
 * one, a worker a global state entry lists is one (fuse builds it); at least one orchestrator a
 * slice. Ten orchestrators a slice (before) were 39–105 ms of work each at 10,000 workers of 20
 * workers an orchestrator (their files, global entries and log lines), three are about a third.
 */
const SLICE_WEIGHT = 128;
/** A tick period's parts (see `{kind: "tick", part}`): each apply re-derives 1/TICK_PARTS of the fleet. */
const TICK_PARTS = 16;
/** Re-tracking the pollers builds their whole lists: at most this often. */
const RETRACK_MS = 250;

/** How the start-up history fold ended. */
export interface HistoryResult {
  /** Lines folded in. */
  records: number;
  error: string | null;
  /** Every line of the window was folded (false: stopped early or failed). */
  complete: boolean;
}

/** The wiring, started and stopped by main. */
export interface Monitor {
  /** Subscribes, scans and applies the first read of every file (yielding as it goes). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Resolves when the start-up history is folded in (at once when there is none). `complete` is
   * false when it ended early: stopped (SIGTERM) while folding, or an error part-way.
   */
  historyLoaded(): Promise<HistoryResult>;
  /** What start-up is still doing, or null once the scan and the history are in. */
  loading(): LoadingState | null;
}

type GlobalStateInput = Extract<FuseInput, { kind: "global-state" }>;

/**
 * An input of the start-up queue, or a global-state prefix made when its slice is applied: made
 * all at once, the prefixes of a 500-orchestrator state.json (one per slice) were ~40,000 keys
 * copied in one block (issue 26).
 */
type Slot = FuseInput | (() => FuseInput);

const inputOf = (slot: Slot): FuseInput => (typeof slot === "function" ? slot() : slot);
const isGlobalSlot = (slot: Slot): boolean => typeof slot === "function" || slot.kind === "global-state";

/** The workers a global state entry lists (each is one unit of SLICE_WEIGHT). */
function listedWorkers(entry: unknown): number {
  const workers = (entry as { workers?: unknown } | null)?.workers;
  if (workers === null || typeof workers !== "object") return 0;
  let n = 0;
  for (const _ in workers) n += 1;
  return n;
}

/**
 * Cuts a list of weighted items into runs of at most SLICE_WEIGHT (a heavier item alone): the
 * end index of each run.
 */
function sliceEnds(weights: readonly number[]): number[] {
  const ends: number[] = [];
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (sum > 0 && sum + w > SLICE_WEIGHT) {
      ends.push(i);
      sum = 0;
    }
    sum += w;
  }
  if (weights.length > 0) ends.push(weights.length);
  return ends;
}

/**
 * A first global-state read as growing prefixes of its orchestrators: each step adds a slice of
 * them (SLICE_WEIGHT: each orchestrator weighs its listed workers plus `extra(id)`, its files);
 * the earlier ones are the same objects, so fuse's diff passes over them, and the last step is
 * the read itself. Only a file not seen before: a later read is diffed against the last one,
 * which a prefix would shrink. Returns each step with the ids it adds.
 */
function globalPrefixes(
  input: GlobalStateInput,
  extra: (id: string) => number = () => 1,
): Array<{ input: Slot; ids: string[] }> {
  const result = input.result;
  const entries = Object.entries(result.ok ? result.value.orchestrators : {});
  const ends = sliceEnds(entries.map(([id, entry]) => listedWorkers(entry) + extra(id)));
  if (!result.ok || ends.length <= 1) return [{ input, ids: entries.map(([id]) => id) }];
  const value = result.value;
  const out: Array<{ input: Slot; ids: string[] }> = [];
  let start = 0;
  for (const end of ends) {
    const ids = entries.slice(start, end).map(([id]) => id);
    start = end;
    if (end === entries.length) out.push({ input, ids });
    else
      out.push({
        input: (): FuseInput => ({
          ...input,
          result: {
            ...result,
            value: { ...value, orchestrators: Object.fromEntries(entries.slice(0, end)) },
          },
        }),
        ids,
      });
  }
  return out;
}

function sliceFirstGlobalState(input: FuseInput, seen: Set<string>): Slot[] {
  if (input.kind !== "global-state" || seen.has(input.file)) return [input];
  seen.add(input.file);
  return globalPrefixes(input).map((step) => step.input);
}

/**
 * The inputs of a first read of files, which the start-up may reorder (see planFirstRead); a
 * relayed liveness answer stays after the files of its orchestrator that came before it.
 */
const FIRST_READ_KINDS: ReadonlySet<FuseInput["kind"]> = new Set<FuseInput["kind"]>([
  "orchestrator-added",
  "signal",
  "phase-signal",
  "local-state",
  "briefing",
  "global-state",
  "liveness",
]);

function orchestratorOf(input: FuseInput): string | null {
  if (input.kind === "orchestrator-added") return input.orchestrator.id;
  return "orchestrator" in input && typeof input.orchestrator === "string" ? input.orchestrator : null;
}

/**
 * The watcher's first scan as slices that each hold every read of a few orchestrators (SLICE_WEIGHT):
 * their added, local state and signal files together with the global-state prefix that lists
 * them, so a coalesced apply builds each worker once, with all its sources (issue 26: the scan
 * sends the global state last, and at 10,000 workers each one was built from its signal file and
 * again when the global state came in). The batch holds one read per file, so their order does not
 * change the state they make. A central monitor's first read also holds each worker's relayed
 * liveness answer (one per worker, after its orchestrator's files): it goes into its
 * orchestrator's slice, still after those files, so the worker is built once, with its answer
 * (issue 28). Null when the batch holds anything else (a later read, a log line, a removal): it
 * then goes in as it came.
 */
export function planFirstRead(inputs: readonly FuseInput[], seenGlobal: Set<string>): FuseInput[][] | null {
  return planFirstReadSlices(inputs, seenGlobal)?.slices.map((slice) => slice.map(inputOf)) ?? null;
}

/** {@link planFirstRead} with the orchestrators each slice reads. */
function planFirstReadSlices(
  inputs: readonly FuseInput[],
  seenGlobal: Set<string>,
): { slices: Slot[][]; ids: string[][] } | null {
  const byOrchestrator = new Map<string, FuseInput[]>();
  const globals: GlobalStateInput[] = [];
  for (const input of inputs) {
    if (!FIRST_READ_KINDS.has(input.kind)) return null;
    if (input.kind === "global-state") {
      if (seenGlobal.has(input.file) || globals.some((g) => g.file === input.file)) return null;
      globals.push(input);
      continue;
    }
    const id = orchestratorOf(input);
    if (id === null) return null;
    const list = byOrchestrator.get(id);
    if (list) list.push(input);
    else byOrchestrator.set(id, [input]);
  }
  const slices: Slot[][] = [];
  const sliceIds: string[][] = [];
  const take = (ids: readonly string[], into: Slot[]): void => {
    for (const id of ids) {
      const reads = byOrchestrator.get(id);
      if (reads === undefined) continue;
      byOrchestrator.delete(id);
      for (const read of reads) into.push(read);
    }
  };
  const reads = (id: string): number => byOrchestrator.get(id)?.length ?? 0;
  for (const global of globals) {
    seenGlobal.add(global.file);
    for (const step of globalPrefixes(global, reads)) {
      const slice: Slot[] = [step.input];
      take(step.ids, slice);
      slices.push(slice);
      sliceIds.push(step.ids);
    }
  }
  // Orchestrators no global state lists, by the weight of their files.
  const rest = [...byOrchestrator.keys()];
  let at = 0;
  for (const end of sliceEnds(rest.map(reads))) {
    const slice: Slot[] = [];
    const ids = rest.slice(at, end);
    at = end;
    take(ids, slice);
    slices.push(slice);
    sliceIds.push(ids);
  }
  return { slices, ids: sliceIds };
}

/** The start-up history read before the scan is published (see EARLY_MAX_LINES). */
interface HistoryHead {
  lines: LogRecord[];
  /** Every line of the window is in `lines`. */
  done: boolean;
  /** The rest of the window (when not done). */
  rest: AsyncIterator<LogRecord>;
  error: unknown;
  /** Per line: folded with its orchestrator's first read (then not again after the scan). */
  early: boolean[] | null;
}

/** Batches of CHUNK inputs, a global state alone (it names many workers). */
function chunksOf(inputs: readonly Slot[]): Slot[][] {
  if (inputs.length <= CHUNK && !inputs.some(isGlobalSlot)) return [inputs.slice()];
  const out: Slot[][] = [];
  let at = 0;
  while (at < inputs.length) {
    let end = at + 1;
    if (!isGlobalSlot(inputs[at]!))
      while (end < inputs.length && end - at < CHUNK && !isGlobalSlot(inputs[end]!)) end++;
    out.push(inputs.slice(at, end));
    at = end;
  }
  return out;
}

function emptyIterator(): AsyncIterator<LogRecord> {
  return { next: async () => ({ done: true, value: undefined }) };
}

/** A queued batch: its slices, applied in order from `at`. */
interface Job {
  chunks: Slot[][];
  what: string;
  at: number;
  coalesce: boolean;
}

/**
 * Puts each early history line (fuse's `planEarlyHistory`) into the slice of the first read that
 * holds its orchestrator's files, as one replayed `log-lines` input per slice (fuse folds it
 * with the slice's reads and publishes once); lines of orchestrators the scan did not find go in
 * slices of their own after the scan's, whole orchestrators of HISTORY_BATCH lines or so each.
 * Marks the lines folded so.
 */
function attachEarlyHistory(job: Job, sliceIds: readonly string[][], head: HistoryHead): void {
  const plan = planEarlyHistory(head.lines.map((line) => line.event));
  const byOrchestrator = new Map<string, LogRecord[]>();
  plan.forEach((orchestrator, i) => {
    if (orchestrator === null) return;
    const list = byOrchestrator.get(orchestrator);
    if (list) list.push(head.lines[i]!);
    else byOrchestrator.set(orchestrator, [head.lines[i]!]);
  });
  head.early = plan.map((orchestrator) => orchestrator !== null);
  sliceIds.forEach((ids, k) => {
    const records: LogRecord[] = [];
    for (const id of ids) {
      const lines = byOrchestrator.get(id);
      if (lines === undefined) continue;
      byOrchestrator.delete(id);
      for (const line of lines) records.push(line);
    }
    if (records.length > 0) job.chunks[k]!.push({ kind: "log-lines", records, replayed: true });
  });
  let records: LogRecord[] = [];
  for (const lines of byOrchestrator.values()) {
    for (const line of lines) records.push(line);
    if (records.length >= HISTORY_BATCH) {
      job.chunks.push([{ kind: "log-lines", records, replayed: true }]);
      records = [];
    }
  }
  if (records.length > 0) job.chunks.push([{ kind: "log-lines", records, replayed: true }]);
}

/**
 * Wires the parts: watcher batches and poller answers go into fuse, in order, through one queue
 * that applies large batches (the first scan, the history) in slices and yields between them;
 * the pollers re-track when fuse's target lists change; a tick drives stall rules; a timer
 * refreshes every client's snapshot. Errors in one batch are logged and do not stop the stream.
 */
export function createMonitor(parts: MonitorParts, options: MonitorOptions = {}): Monitor {
  const { fuse, watcher, prPoller, liveness, clock } = parts;
  const unsubscribes: Array<() => void> = [];
  const timers: Array<ReturnType<typeof setInterval>> = [];
  let lastTargetsVersion = -1;
  let lastRetrackAt = Number.NEGATIVE_INFINITY;
  let retrackTimer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  let loading: LoadingState | null = null;
  // While history loads, live log lines are remembered by file and offset so a line both tailed
  // live and read as history is folded once.
  let liveLogKeys: Set<string> | null = null;
  let historyDone: Promise<HistoryResult> = Promise.resolve({ records: 0, error: null, complete: true });

  const retrackNow = (): void => {
    retrackTimer = null;
    lastRetrackAt = performance.now();
    const targets = fuse.targets();
    if (targets.version === lastTargetsVersion) return;
    lastTargetsVersion = targets.version;
    liveness.track(targets.liveness);
    prPoller.track(targets.prRefs);
  };
  // Cheap when nothing changed (one version check); the lists are rebuilt at most every RETRACK_MS.
  const retrack = (): void => {
    if (stopped || retrackTimer !== null) return;
    if (fuse.targets().version === lastTargetsVersion) return;
    const wait = lastRetrackAt + RETRACK_MS - performance.now();
    if (wait <= 0) retrackNow();
    else {
      retrackTimer = setTimeout(retrackNow, wait);
      retrackTimer.unref?.();
    }
  };

  const applyNow = (slots: readonly Slot[], what: string, coalesce: boolean): void => {
    const inputs = slots.some((slot) => typeof slot === "function")
      ? slots.map(inputOf)
      : (slots as FuseInput[]);
    const traced = stages.hasSubscribers;
    if (traced) stages.publish({ stage: "apply", what, n: inputs.length });
    try {
      if (coalesce) fuse.apply(inputs, clock.now(), { coalesce: true });
      else fuse.apply(inputs, clock.now());
    } catch (error) {
      options.logger?.error(`could not apply ${what}`, { error: String(error) });
    }
    if (traced) stages.publish({ stage: "apply-end", what, n: inputs.length });
  };

  // One queue keeps every input in arrival order; a small batch with nothing ahead of it is
  // applied at once, anything else is pumped in slices. While loading, each slice is applied
  // coalesced: an orchestrator is rebuilt once per slice, not once per file (issue 26).
  const queue: Job[] = [];
  // The first read, held back until the history that goes in with it is read (see start()).
  let earlyWanted = false;
  let early: { job: Job; ids: string[][] } | null = null;
  let gate: Promise<void> | null = null;
  let openGate: () => void = () => {};
  // `running` (not the promise) says whether a pump is active: a pump whose work fits in one
  // slice finishes before `pump()` even returns its promise.
  let running = false;
  let pumping: Promise<void> = Promise.resolve();
  const pump = async (): Promise<void> => {
    running = true;
    try {
      while (queue.length > 0 && !stopped) {
        const held = (): boolean => gate !== null && queue[0] === early?.job;
        if (held()) await gate;
        if (stopped) break;
        const sliceStart = performance.now();
        while (queue.length > 0 && performance.now() - sliceStart < SLICE_MS && !held()) {
          const job = queue[0]!;
          applyNow(job.chunks[job.at]!, job.what, job.coalesce);
          job.at += 1;
          if (job.at >= job.chunks.length) queue.shift();
        }
        retrack();
        if (queue.length > 0) await turn();
      }
    } finally {
      queue.length = 0;
      running = false;
    }
  };
  const seenGlobal = new Set<string>();
  const apply = (given: readonly FuseInput[], what: string, firstRead = false): Promise<void> => {
    if (stopped || given.length === 0) return running ? pumping : Promise.resolve();
    const coalesce = loading !== null;
    const plan = firstRead ? planFirstReadSlices(given, seenGlobal) : null;
    const planned = plan?.slices ?? null;
    if (
      planned === null &&
      !running &&
      given.length <= CHUNK &&
      !given.some((i) => i.kind === "global-state")
    ) {
      applyNow(given, what, coalesce);
      retrack();
      return Promise.resolve();
    }
    const chunks =
      planned ??
      chunksOf(
        given.some((i) => i.kind === "global-state")
          ? given.flatMap((i) => sliceFirstGlobalState(i, seenGlobal))
          : given,
      );
    if (chunks.length === 0) return running ? pumping : Promise.resolve();
    const job: Job = { chunks, what, at: 0, coalesce };
    queue.push(job);
    if (plan !== null && earlyWanted && early === null) {
      early = { job, ids: plan.ids };
      gate = new Promise((resolve) => {
        openGate = resolve;
      });
    }
    if (!running) pumping = pump();
    return pumping;
  };

  // Runs after the first snapshot is live, so a large log never delays start-up.
  // Folded in batches with a turn of the event loop after each, so /healthz, SSE and SIGTERM
  // are served while a large log loads.
  // The history's first lines, read after the watcher's log tail began (so no line falls between
  // the two) and before the first read is published; stops at EARLY_MAX_LINES / EARLY_MAX_CHARS.
  const readHistoryHead = async (history: NonNullable<MonitorOptions["history"]>): Promise<HistoryHead> => {
    const lines: LogRecord[] = [];
    let chars = 0;
    let rest: AsyncIterator<LogRecord> | null = null;
    try {
      rest = history.read(history.since)[Symbol.asyncIterator]();
      let since = performance.now();
      let run = 0;
      while (!stopped && lines.length < EARLY_MAX_LINES && chars < EARLY_MAX_CHARS) {
        // A reader whose blocks are already read hands its lines out without a turn of the event
        // loop: HEAD_RUN lines or HEAD_STEP_MS at most, then a turn (issue 26: 10,000 lines
        // were one block of ~60 ms).
        if (++run > HEAD_RUN || performance.now() - since >= HEAD_STEP_MS) {
          await turn();
          if (stopped) break;
          since = performance.now();
          run = 1;
        }
        const next = await rest.next();
        if (next.done) return { lines, done: true, rest, error: null, early: null };
        const record = next.value;
        if (liveLogKeys?.has(`${record.file}:${record.offset}`)) continue;
        lines.push(record);
        chars += record.text.length;
      }
      return { lines, done: false, rest, error: null, early: null };
    } catch (error) {
      return { lines, done: true, rest: rest ?? emptyIterator(), error: error ?? "error", early: null };
    }
  };

  const loadHistory = async (
    history: NonNullable<MonitorOptions["history"]>,
    head: HistoryHead | null,
  ): Promise<HistoryResult> => {
    let records = 0;
    let batch: LogRecord[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const records = batch;
      batch = [];
      await apply([{ kind: "log-lines", records, replayed: true }], "log history");
      await turn();
    };
    try {
      if (head !== null) {
        // Lines folded with the first read are skipped; the others go in the batches they always
        // went in (every HISTORY_BATCH lines of the window), so a line that resolves through the
        // published views sees them as it did.
        for (let i = 0; i < head.lines.length && !stopped; i++) {
          if (head.early?.[i] !== true) batch.push(head.lines[i]!);
          records += 1;
          if (records % HISTORY_BATCH === 0) {
            if (loading) loading = { ...loading, records };
            await flush();
          }
        }
        if (head.error !== null) throw head.error;
        if (head.done || stopped) {
          if (!head.done) await head.rest.return?.();
          await flush();
          return { records, error: null, complete: !stopped };
        }
      }
      const source: AsyncIterable<LogRecord> =
        head === null ? history.read(history.since) : { [Symbol.asyncIterator]: () => head.rest };
      for await (const record of source) {
        if (stopped) break;
        if (liveLogKeys?.has(`${record.file}:${record.offset}`)) continue;
        batch.push(record);
        records += 1;
        if (records % HISTORY_BATCH === 0) {
          if (loading) loading = { ...loading, records };
          await flush();
        }
      }
      await flush();
      // Stopped (SIGTERM) part-way: the loop left early, which is not "folded".
      return { records, error: null, complete: !stopped };
    } catch (error) {
      await flush();
      options.logger?.warn("could not read the event log history", { error: String(error) });
      return { records, error: String(error), complete: false };
    } finally {
      liveLogKeys = null;
      loading = null;
      retrack();
      if (!stopped) options.onLoaded?.();
    }
  };

  return {
    async start() {
      const history = options.history ?? null;
      if (history) liveLogKeys = new Set();
      loading = { phase: "scanning", records: 0, startedAt: clock.now().toISOString() };
      let initial: Promise<void> = Promise.resolve();
      unsubscribes.push(
        watcher.subscribe((changes) => {
          if (liveLogKeys) {
            for (const change of changes) {
              if (change.kind === "log-lines")
                for (const r of change.records) liveLogKeys.add(`${r.file}:${r.offset}`);
              else if (change.kind === "log-reset") liveLogKeys.clear();
            }
          }
          const scanning = loading?.phase === "scanning";
          const applied = apply(changes, "source changes", scanning);
          if (scanning) initial = applied;
          return applied;
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
      // The first read waits (unpublished) until the history's first lines are read: those that
      // fuse can place without the published views go in with their orchestrators' files, so
      // each orchestrator is published once, not once for the scan and again for its log lines.
      // Read after the watcher's log tail began: a line written meanwhile is tailed, not lost.
      earlyWanted = history !== null && history.foldEarly !== false;
      let head: HistoryHead | null = null;
      try {
        await watcher.start();
        earlyWanted = false;
        if (history !== null && early !== null && !stopped) {
          head = await readHistoryHead(history);
          if (head.done && head.error === null && !stopped) {
            attachEarlyHistory(early.job, early.ids, head);
            // Planning a large history is work of its own: the first slice gets a turn of its own.
            await turn();
          }
          loading = { ...loading, records: head.lines.length };
        }
      } finally {
        earlyWanted = false;
        openGate();
        gate = null;
      }
      await initial;
      retrackNow();
      prPoller.start();
      liveness.start();
      // The time rules re-derive every worker: at 8,000 workers one whole tick held the event loop
      // for tens of ms every 5 s, and each write arriving meanwhile waited (issue 26). One part of
      // the orchestrators at a time, TICK_PARTS parts per period: each still once per `tickMs`.
      const tickMs = options.tickMs ?? 5_000;
      let tickPart = 0;
      const tick = setInterval(
        () => {
          apply([{ kind: "tick", part: [tickPart, TICK_PARTS] }], "tick");
          tickPart = (tickPart + 1) % TICK_PARTS;
        },
        Math.max(1, Math.floor(tickMs / TICK_PARTS)),
      );
      // The refresh is a whole snapshot (megabytes at 10,000 workers): only after a period in which
      // no delta went out, so a client's stream is never silent for long. While deltas flow they
      // keep the stream alive, and a refresh in the middle of writes multiplied the bytes each
      // write cost by the fleet's size (issue 26: 6.9 KB per write at 8,000 workers).
      let lastIdAtRefresh = fuse.lastId();
      const refresh = setInterval(() => {
        const id = fuse.lastId();
        const quiet = id === lastIdAtRefresh;
        lastIdAtRefresh = id;
        if (quiet) options.onSnapshotTimer?.();
      }, options.snapshotMs ?? 60_000);
      tick.unref?.();
      refresh.unref?.();
      timers.push(tick, refresh);
      if (history) {
        loading = { ...loading, phase: "history" };
        historyDone = loadHistory(history, head);
      } else {
        loading = null;
        options.onLoaded?.();
      }
    },
    historyLoaded: () => historyDone,
    loading: () => {
      // A watcher that reads its own backlog at start (the relay's) says how far it got.
      if (loading?.phase === "scanning" && watcher.progress) return { ...loading, ...watcher.progress() };
      return loading;
    },
    async stop() {
      stopped = true;
      openGate();
      if (retrackTimer !== null) clearTimeout(retrackTimer);
      for (const timer of timers.splice(0)) clearInterval(timer);
      for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
      await Promise.allSettled([watcher.stop(), prPoller.stop(), liveness.stop()]);
    },
  };
}
