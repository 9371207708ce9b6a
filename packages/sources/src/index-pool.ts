import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import type { Worker } from "node:worker_threads";
import type { ExtendResult, FileIndex } from "./log-index.js";

/** One file for an index worker: the main thread's open descriptor and what it checked. */
export interface IndexJobMessage {
  id: number;
  fd: number;
  file: string;
  info: { dev: number; ino: number; size: number };
  prev: FileIndex | null;
  maxLineBytes: number;
  blockBytes: number;
  progress: boolean;
}

/** What a worker sends back for a job. */
export type IndexWorkerReply =
  | { id: number; type: "progress"; done: number; total: number }
  | { id: number; type: "done"; result: ExtendResult }
  | { id: number; type: "error"; message: string; code?: string };

/** The pool cannot take the job (no worker could start, or one died): index it on this thread. */
export class IndexPoolUnavailable extends Error {}

/** An error of the file, raised in a worker: carries its `code` like an fs error would. */
class WorkerFileError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.code = code;
  }
}

/**
 * @default index workers: the cores there are, at most 4 (one file at a time each), once built
 * or bundled. From source (tests, `tsx`) none unless asked for: each worker would compile its
 * TypeScript through tsx first (a second or more on a busy box), slower than indexing here.
 */
export function defaultIndexWorkers(): number {
  if (import.meta.url.endsWith(".ts")) return 0;
  return Math.max(0, Math.min(4, availableParallelism()));
}

/**
 * Where the worker's body is: beside this module, as `.js` once built or bundled (the apps' tsup
 * configs emit `index-worker.js` next to their chunks), or as `.ts` from source (tests, `tsx`):
 * then a small bootstrap registers tsx's loader in the worker first (a worker's `--import` does
 * not apply its hooks to the worker's own entry on Node 20). Null when neither can work.
 */
async function workerEntry(): Promise<{ entry: URL | string; eval?: true; execArgv?: string[] } | null> {
  const here = import.meta.url;
  if (!here.startsWith("file:")) return null;
  if (!here.endsWith(".ts")) return { entry: new URL("./index-worker.js", here) };
  try {
    const { createRequire } = await import("node:module");
    const tsxDir = createRequire(here)
      .resolve("tsx/package.json")
      .replace(/package\.json$/, "");
    const api = pathToFileURL(`${tsxDir}dist/esm/api/index.mjs`).href;
    const body = new URL("./index-worker.ts", here).href;
    return {
      entry: `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(body)}); }).catch((e) => { process.exitCode = 70; throw e; });`,
      eval: true,
      execArgv: ["--conditions=@catalyst/source"],
    };
  } catch {
    return null;
  }
}

// node:worker_threads (and the internals it pulls in) is loaded with the first worker: a query over
// an indexed log starts no worker and should not pay for loading it.
let workerModule: Promise<typeof import("node:worker_threads")> | null = null;

interface Slot {
  worker: Worker;
  job: {
    id: number;
    resolve: (r: ExtendResult) => void;
    reject: (e: Error) => void;
    onProgress?: (done: number, total: number) => void;
  } | null;
}

/**
 * At most `size` worker threads that index files, started only when a job comes and none is idle;
 * jobs beyond them wait in arrival order. A worker that fails to start or dies fails its job with
 * `IndexPoolUnavailable` and the pool takes no more jobs: the caller indexes on its own thread, so
 * a missing worker file (an unusual bundle) costs speed, never a result.
 */
export class IndexPool {
  readonly #size: number;
  readonly #slots: Slot[] = [];
  readonly #queue: { message: IndexJobMessage; slotJob: NonNullable<Slot["job"]> }[] = [];
  #nextId = 1;
  #broken = false;
  #closed = false;
  /** Workers being started (the module is loaded on first use). */
  #starting = 0;
  /** Workers started so far (never more than the size). */
  started = 0;

  constructor(size: number) {
    this.#size = Math.max(0, Math.floor(size));
  }

  get available(): boolean {
    return !this.#broken && !this.#closed && this.#size > 0;
  }

  run(
    job: Omit<IndexJobMessage, "id" | "progress">,
    onProgress?: (done: number, total: number) => void,
  ): Promise<ExtendResult> {
    if (!this.available) return Promise.reject(new IndexPoolUnavailable("no index workers"));
    return new Promise<ExtendResult>((resolve, reject) => {
      const id = this.#nextId++;
      const message: IndexJobMessage = { ...job, id, progress: onProgress !== undefined };
      this.#queue.push({ message, slotJob: { id, resolve, reject, ...(onProgress ? { onProgress } : {}) } });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.available) {
      const slot = this.#slots.find((s) => s.job === null);
      if (slot === undefined) {
        if (this.#slots.length + this.#starting < this.#size) {
          this.#starting++;
          void this.#spawn().finally(() => {
            this.#starting--;
            this.#pump();
          });
        }
        return;
      }
      const next = this.#queue.shift()!;
      slot.job = next.slotJob;
      slot.worker.ref();
      slot.worker.postMessage(next.message);
    }
  }

  async #spawn(): Promise<void> {
    const entry = await workerEntry();
    if (entry === null) {
      this.#fail("index worker entry not found");
      return;
    }
    let worker: Worker;
    try {
      workerModule ??= import("node:worker_threads");
      const { Worker } = await workerModule;
      if (!this.available) return;
      worker = new Worker(entry.entry, {
        ...(entry.eval ? { eval: true } : {}),
        ...(entry.execArgv ? { execArgv: entry.execArgv } : {}),
        // One file at a time: 1 MiB chunks and a few lines to parse; a runaway is a dead worker,
        // and its job is indexed on the main thread.
        resourceLimits: { maxOldGenerationSizeMb: 128 },
        stdout: false,
        stderr: false,
      });
    } catch (error) {
      this.#fail(error instanceof Error ? error.message : String(error));
      return;
    }
    this.started++;
    const slot: Slot = { worker, job: null };
    this.#slots.push(slot);
    worker.unref();
    worker.on("message", (reply: IndexWorkerReply) => {
      const job = slot.job;
      if (job === null || job.id !== reply.id) return;
      if (reply.type === "progress") {
        job.onProgress?.(reply.done, reply.total);
        return;
      }
      slot.job = null;
      worker.unref();
      if (reply.type === "done") job.resolve(reply.result);
      else job.reject(new WorkerFileError(reply.message, reply.code));
      this.#pump();
    });
    const died = (why: string): void => {
      const job = slot.job;
      slot.job = null;
      this.#slots.splice(this.#slots.indexOf(slot), 1);
      this.#fail(why);
      job?.reject(new IndexPoolUnavailable(why));
    };
    worker.on("error", (error) => died(error.message));
    worker.on("exit", (code) => {
      if (this.#slots.includes(slot)) died(`index worker exited (${code})`);
    });
  }

  /** No more jobs: those waiting go back to the caller (to index on its own thread). */
  #fail(why: string): void {
    this.#broken = true;
    for (const waiting of this.#queue.splice(0)) waiting.slotJob.reject(new IndexPoolUnavailable(why));
  }

  /**
   * Stop every worker and wait until they are gone: a job's descriptor must stay open until its
   * worker can no longer read it, so callers close their handles only after this (or the reply).
   */
  async close(): Promise<void> {
    this.#closed = true;
    const slots = this.#slots.splice(0);
    await Promise.allSettled(slots.map((s) => s.worker.terminate()));
    for (const s of slots) s.job?.reject(new IndexPoolUnavailable("index pool closed"));
    for (const waiting of this.#queue.splice(0))
      waiting.slotJob.reject(new IndexPoolUnavailable("index pool closed"));
  }
}
