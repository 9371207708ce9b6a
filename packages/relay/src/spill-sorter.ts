import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pacer, readWork, SORT_RUN } from "./read-pace.js";

/** One event-log line read back from the stream, with its host and its own `ts` (ms). */
export interface RelayEvent {
  host: string;
  /** Relative to the host's catalyst dir, e.g. `events/2026-04.jsonl`. */
  file: string;
  /** The file's generation on its host (bumped when the file was truncated or replaced). */
  generation: number;
  /** Byte offset of the line in the file. */
  offset: number;
  /** The line's `ts` in ms since the epoch, as written (not when the broker got it). */
  tsMs: number;
  /** The line as written, without its newline. */
  text: string;
}

/** The replay order: the event's `ts`, then host, file, generation and byte offset. */
export function compareRelayEvents(a: RelayEvent, b: RelayEvent): number {
  return (
    a.tsMs - b.tsMs ||
    compareText(a.host, b.host) ||
    compareText(a.file, b.file) ||
    a.generation - b.generation ||
    a.offset - b.offset
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sameLine(a: RelayEvent, b: RelayEvent): boolean {
  return a.offset === b.offset && a.generation === b.generation && a.host === b.host && a.file === b.file;
}

/** What a sort spilled. */
export interface SpillStats {
  runs: number;
  spilledBytes: number;
  /** The same line (host, file, generation, offset) met again: dropped. */
  duplicates: number;
}

export interface SpillSorterOptions {
  /** Bytes of events held in memory before a sorted run is written to disk. */
  budgetBytes: number;
  /** Parent of the temp dir of the runs. @default os.tmpdir() */
  tmpDir?: string;
  /** Runs merged at once (open files); more runs are merged in passes. @default 32 */
  fanIn?: number;
}

export interface SpillSorter {
  /** Hold one event; `extraBytes`: memory held with it elsewhere (its parsed record), for the budget. */
  add(event: RelayEvent, extraBytes?: number): Promise<void>;
  /** Every event added, in order, each line once; removes the temp dir when done or abandoned. */
  drain(): AsyncGenerator<RelayEvent>;
  /** Remove the temp dir (after an error before drain). */
  dispose(): Promise<void>;
  readonly stats: SpillStats;
}

/** Memory an event holds in the buffer (UTF-16 strings plus the object), for the byte budget. */
function sizeOf(e: RelayEvent): number {
  return 2 * (e.text.length + e.host.length + e.file.length) + 96;
}

const READ_CHUNK = 64 * 1024;
const WRITE_CHUNK = 1024 * 1024;

/**
 * An external sort of relay events: held in memory up to `budgetBytes`, then written to a run file
 * in a fresh temp dir; drained by a k-way merge of the runs (in passes of `fanIn` when there are
 * more). Memory stays within the budget plus one read chunk per open run.
 *
 * It never holds the event loop for a whole window: the buffer is sorted a run of `SORT_RUN`
 * events at a time as it fills (read-pace.ts), those sorted runs are merged (by a heap; ties go to
 * the earlier run, so the order is exactly a stable sort of the whole buffer), and writing a run
 * and draining give the event loop a turn every `LINES_PER_TURN` events.
 */
export function createSpillSorter(options: SpillSorterOptions): SpillSorter {
  const fanIn = Math.max(2, options.fanIn ?? 32);
  /** Sorted runs of the buffer, in the order their events were added. */
  let sorted: RelayEvent[][] = [];
  /** The buffer's newest events, not sorted yet (fewer than SORT_RUN). */
  let tail: RelayEvent[] = [];
  let bytes = 0;
  let dir: string | null = null;
  let runs: string[] = [];
  let runCount = 0;
  const stats: SpillStats = { runs: 0, spilledBytes: 0, duplicates: 0 };

  function sortTail(): void {
    if (tail.length === 0) return;
    tail.sort(compareRelayEvents);
    readWork.sorted += tail.length;
    sorted.push(tail);
    tail = [];
  }

  /** The buffer in order (its sorted runs merged), emptied. */
  function takeBuffer(): Iterable<RelayEvent> {
    sortTail();
    const held = sorted;
    sorted = [];
    bytes = 0;
    return held.length === 1 ? held[0]! : mergeSorted(held);
  }

  async function newRunPath(): Promise<string> {
    dir ??= await mkdtemp(join(options.tmpDir ?? tmpdir(), "catalyst-relay-sort-"));
    return join(dir, `run-${runCount++}.jsonl`);
  }

  async function writeRun(events: AsyncIterable<RelayEvent> | Iterable<RelayEvent>): Promise<string> {
    const path = await newRunPath();
    const handle = await open(path, "w", 0o600);
    const pace = pacer();
    try {
      let chunk = "";
      for await (const e of events) {
        chunk += `${JSON.stringify([e.tsMs, e.host, e.file, e.generation, e.offset, e.text])}\n`;
        if (chunk.length >= WRITE_CHUNK) {
          stats.spilledBytes += Buffer.byteLength(chunk);
          await handle.write(chunk);
          chunk = "";
        }
        await pace();
      }
      if (chunk !== "") {
        stats.spilledBytes += Buffer.byteLength(chunk);
        await handle.write(chunk);
      }
    } finally {
      await handle.close();
    }
    stats.runs++;
    return path;
  }

  async function spill(): Promise<void> {
    runs.push(await writeRun(takeBuffer()));
  }

  async function dispose(): Promise<void> {
    sorted = [];
    tail = [];
    bytes = 0;
    runs = [];
    if (dir !== null) {
      const d = dir;
      dir = null;
      await rm(d, { recursive: true, force: true });
    }
  }

  return {
    stats,
    async add(event, extraBytes = 0) {
      tail.push(event);
      bytes += sizeOf(event) + extraBytes;
      if (tail.length >= SORT_RUN) sortTail();
      if (bytes > options.budgetBytes) await spill();
    },
    async *drain() {
      try {
        let source: AsyncIterable<RelayEvent> | Iterable<RelayEvent>;
        if (runs.length === 0) source = takeBuffer();
        else {
          if (tail.length > 0 || sorted.length > 0) await spill();
          // More runs than files open at once: merge them in passes into fewer, longer runs.
          while (runs.length > fanIn) {
            const group = runs.splice(0, fanIn);
            runs.push(await writeRun(mergeRuns(group)));
            await Promise.all(group.map((p) => rm(p, { force: true })));
          }
          source = mergeRuns(runs);
        }
        const pace = pacer();
        let last: RelayEvent | null = null;
        for await (const e of source) {
          // Sorted, so a line published twice (outside JetStream's duplicate window) is adjacent.
          if (last !== null && sameLine(last, e)) {
            stats.duplicates++;
            continue;
          }
          last = e;
          yield e;
          await pace();
        }
      } finally {
        await dispose();
      }
    },
    dispose,
  };
}

/**
 * A k-way merge of sorted in-memory runs given in the order their events were added: equal events
 * come out in that order, so the result is what one stable sort of them all gives.
 */
function* mergeSorted(lists: RelayEvent[][]): Generator<RelayEvent> {
  const heap: { head: RelayEvent; list: number; at: number }[] = [];
  const before = (a: (typeof heap)[number], b: (typeof heap)[number]): boolean => {
    const c = compareRelayEvents(a.head, b.head);
    return c < 0 || (c === 0 && a.list < b.list);
  };
  const down = (start: number): void => {
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < heap.length && before(heap[l]!, heap[min]!)) min = l;
      if (r < heap.length && before(heap[r]!, heap[min]!)) min = r;
      if (min === i) return;
      [heap[min], heap[i]] = [heap[i]!, heap[min]!];
      i = min;
    }
  };
  lists.forEach((list, i) => {
    if (list.length > 0) heap.push({ head: list[0]!, list: i, at: 0 });
  });
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
  while (heap.length > 0) {
    const top = heap[0]!;
    yield top.head;
    const list = lists[top.list]!;
    if (++top.at < list.length) top.head = list[top.at]!;
    else {
      const end = heap.pop()!;
      if (heap.length === 0) return;
      heap[0] = end;
    }
    down(0);
  }
}

/** A k-way merge of sorted run files, one read chunk per file in memory. */
async function* mergeRuns(paths: string[]): AsyncGenerator<RelayEvent> {
  const readers = paths.map((p) => new RunReader(p));
  try {
    const heap: { head: RelayEvent; reader: RunReader }[] = [];
    for (const reader of readers) {
      const head = await reader.next();
      if (head !== null) heapPush(heap, { head, reader });
    }
    while (heap.length > 0) {
      const top = heap[0]!;
      yield top.head;
      const next = await top.reader.next();
      if (next === null) heapPop(heap);
      else {
        top.head = next;
        siftDown(heap, 0);
      }
    }
  } finally {
    await Promise.all(readers.map((r) => r.close()));
  }
}

type Entry = { head: RelayEvent };

function heapPush<T extends Entry>(heap: T[], item: T): void {
  heap.push(item);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (compareRelayEvents(heap[parent]!.head, heap[i]!.head) <= 0) break;
    [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
    i = parent;
  }
}

function heapPop<T extends Entry>(heap: T[]): void {
  const last = heap.pop()!;
  if (heap.length === 0) return;
  heap[0] = last;
  siftDown(heap, 0);
}

function siftDown<T extends Entry>(heap: T[], start: number): void {
  let i = start;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let min = i;
    if (l < heap.length && compareRelayEvents(heap[l]!.head, heap[min]!.head) < 0) min = l;
    if (r < heap.length && compareRelayEvents(heap[r]!.head, heap[min]!.head) < 0) min = r;
    if (min === i) return;
    [heap[min], heap[i]] = [heap[i]!, heap[min]!];
    i = min;
  }
}

/** Reads a run file line by line in chunks (a JSON array per line; JSON never holds a raw newline). */
class RunReader {
  #path: string;
  #handle: Awaited<ReturnType<typeof open>> | null = null;
  #pending: Buffer = Buffer.alloc(0);
  #lines: Buffer[] = [];
  #eof = false;

  constructor(path: string) {
    this.#path = path;
  }

  async next(): Promise<RelayEvent | null> {
    while (this.#lines.length === 0) {
      if (this.#eof) return null;
      await this.#fill();
    }
    const line = this.#lines.shift()!;
    const [tsMs, host, file, generation, offset, text] = JSON.parse(line.toString("utf8")) as [
      number,
      string,
      string,
      number,
      number,
      string,
    ];
    return { tsMs, host, file, generation, offset, text };
  }

  async #fill(): Promise<void> {
    this.#handle ??= await open(this.#path, "r");
    const chunk = Buffer.allocUnsafe(READ_CHUNK);
    const { bytesRead } = await this.#handle.read(chunk, 0, READ_CHUNK, null);
    if (bytesRead === 0) {
      this.#eof = true;
      if (this.#pending.length > 0) this.#lines.push(this.#pending);
      this.#pending = Buffer.alloc(0);
      return;
    }
    let data =
      this.#pending.length > 0
        ? Buffer.concat([this.#pending, chunk.subarray(0, bytesRead)])
        : chunk.subarray(0, bytesRead);
    let nl = data.indexOf(10);
    while (nl !== -1) {
      this.#lines.push(data.subarray(0, nl));
      data = data.subarray(nl + 1);
      nl = data.indexOf(10);
    }
    // Copy the partial tail so the chunk's memory is not kept alive by a small view.
    this.#pending = Buffer.from(data);
  }

  async close(): Promise<void> {
    await this.#handle?.close();
    this.#handle = null;
  }
}
