import { readFileSync, statSync } from "node:fs";
import { mkdir, rename, unlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import type { EventLineProblem } from "@catalyst/schema";
import type { checkLogLine } from "./parse-log-line.js";
import { ESCAPE_U, mayCloseKey, scanTs, TS_QUOTE, tsFirst } from "./scan-ts.js";

/**
 * One block of a log file: whole lines `[start, end)`, and what a reader needs to know without
 * reading it. `minTs`/`maxTs` span the valid lines (`+Inf`/`-Inf` when there are none), so a block
 * is skipped only when every line in it is outside the window.
 */
export interface IndexBlock {
  start: number;
  end: number;
  minTs: number;
  maxTs: number;
  /** Lines that are not valid JSON or fail the schema (blank lines are not counted). */
  invalid: number;
  /** `invalid`, by the reason each line was skipped (FORMATS-TODAY R1.9). */
  reasons?: Partial<Record<EventLineProblem, number>>;
  /** Lines over the line cap; such a line is a block of its own and never read again. */
  oversized: number;
  /** The valid lines' `ts` never decrease down the block. */
  sorted: boolean;
  /**
   * Every line is valid, has a finite `ts` that `scanTs` finds in its bytes, is UTF-8 and ends in a
   * bare `\n`: its bytes can be copied out, and its `ts` read, without parsing.
   */
  pure: boolean;
  /** An unterminated last line that parses (never persisted: the writer may be mid-line). */
  partial?: true;
  /**
   * Built by the byte scan, not by parsing every line: `minTs`/`maxTs` bound the `ts` of its valid
   * lines, `invalid` counts only the lines the scan had to parse, and `pure` is false: its lines
   * are parsed when read (and invalid ones counted then).
   */
  unverified?: true;
}

/** The index of one file, valid while the bytes `[0, indexedEnd)` stay as they were. */
export interface FileIndex {
  file: string;
  dev: number;
  ino: number;
  maxLineBytes: number;
  blockBytes: number;
  /** Bytes covered: always the end of a complete line. */
  indexedEnd: number;
  /** Hash of the first 4 KiB and of the 4 KiB before `indexedEnd`. */
  head: string;
  tail: string;
  blocks: IndexBlock[];
  /**
   * The file's `size:mtimeMs:ctimeMs` when it was indexed (and did not move while it was read). A
   * file whose stat still says exactly this is taken as unchanged without opening it; ctime cannot
   * be set back by a writer, so a rewrite in place changes it.
   */
  statKey?: string;
}

/** What an index file and a manifest entry both write of an index, in this order: all but blocks and stat. */
function identityOf(index: FileIndex): Omit<FileIndex, "blocks" | "statKey"> {
  const { file, dev, ino, maxLineBytes, blockBytes, indexedEnd, head, tail } = index;
  return { file, dev, ino, maxLineBytes, blockBytes, indexedEnd, head, tail };
}

/**
 * What the index needs of an open file: positioned reads. A `FileHandle` is one; an index worker
 * (`index-worker.ts`) reads the main thread's descriptor with `readSync` behind the same shape.
 */
export interface RangeReader {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

/** Progress of a first scan over an unindexed file (or the unindexed end of a growing one). */
export interface IndexProgress {
  file: string;
  /** Bytes of this file indexed so far / to index in this pass. */
  done: number;
  total: number;
}

/** Bytes per block: small enough to over-read little at a window's edge, large enough to copy fast. */
export const DEFAULT_BLOCK_BYTES = 256 * 1024;
// Scanning one chunk is synchronous work: 1 MiB of bytes is a few ms (the few lines that need
// parsing are parsed after it), so a monitor indexing its log at start-up does not hold its event loop.
const READ_CHUNK = 1024 * 1024;
const HASH_SPAN = 4096;
const freeChunks: Buffer[] = [];
const MAX_FREE_CHUNKS = 16;
// v2 (issue 23): bare v3 lines became valid and dual lines with two names invalid (FORMATS-TODAY
// R1.9), so a v1 index counts the wrong lines; blocks also keep the reasons of their invalid lines.
// v3: both that and issue 25's unverified blocks (flag 4) and statKey; a v2 index has no unverified
// flag and no reasons were kept by a v1 one, so neither is read as v3.
// v4: the byte scan trusts another set of lines (no other `ts"` that may close a key, no `\u`,
// instead of six comma and whitespace patterns): a v3 index counted other lines as parsed.
const FORMAT_VERSION = 4;
/** The index cache's subdirectory; its name changes with the index format. */
export const INDEX_SUBDIR = "event-index-v4";

/**
 * The user cache dir for the log index, never inside the catalyst dir: `$CATALYST_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/catalyst`, else `~/.cache/catalyst`.
 */
export function resolveCacheDir(env: Record<string, string | undefined>, home: string = homedir()): string {
  if (env.CATALYST_CACHE_DIR) return env.CATALYST_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "catalyst");
  return join(home, ".cache", "catalyst");
}

/** FNV-1a over bytes, twice with different seeds: a 64-bit fingerprint as hex (not cryptographic). */
function fingerprint(bytes: Uint8Array): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ bytes.length;
  for (let i = 0; i < bytes.length; i++) {
    a = Math.imul(a ^ bytes[i]!, 0x01000193);
    b = Math.imul(b ^ bytes[i]!, 0x5bd1e995);
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}

async function readRange(handle: RangeReader, start: number, end: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(end - start);
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await handle.read(buf, got, buf.length - got, start + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === buf.length ? buf : buf.subarray(0, got);
}

async function fingerprints(handle: RangeReader, end: number): Promise<{ head: string; tail: string }> {
  const head = fingerprint(await readRange(handle, 0, Math.min(HASH_SPAN, end)));
  // A short file: the head already covers the tail, one read is enough.
  const tail = end <= HASH_SPAN ? head : fingerprint(await readRange(handle, end - HASH_SPAN, end));
  return { head, tail };
}

function indexPath(indexDir: string, file: string): string {
  const name = basename(file).replace(/[^\w.-]/g, "_");
  return join(indexDir, INDEX_SUBDIR, `${fingerprint(Buffer.from(file))}-${name}.json`);
}

type StoredBlock = [
  number,
  number,
  number | null,
  number | null,
  number,
  number,
  number,
  Partial<Record<EventLineProblem, number>> | 0,
];

type StoredIndex = Omit<FileIndex, "blocks"> & { v: number; blocks: StoredBlock[] };

async function readStored(indexDir: string, file: string): Promise<StoredIndex | null> {
  try {
    // A small file (a few hundred bytes per 256 KiB block of log), read in one go: the promise
    // readFile takes several thread-pool round trips per file, a good part of a warm query's time
    // to its first line over 76 files; one sync read of it holds the event loop for microseconds.
    return JSON.parse(readFileSync(indexPath(indexDir, file), "utf8"));
  } catch {
    return null;
  }
}

function fromStored(stored: StoredIndex): FileIndex {
  const blocks = stored.blocks.map(
    ([start, end, min, max, invalid, oversized, flags, reasons]): IndexBlock => ({
      start,
      end,
      minTs: min ?? Number.POSITIVE_INFINITY,
      maxTs: max ?? Number.NEGATIVE_INFINITY,
      invalid,
      oversized,
      sorted: (flags & 1) !== 0,
      pure: (flags & 2) !== 0,
      ...(reasons && typeof reasons === "object" ? { reasons } : {}),
      ...((flags & 4) !== 0 ? { unverified: true as const } : {}),
    }),
  );
  const { v: _v, ...rest } = stored;
  return { ...rest, blocks };
}

function matches(
  stored: StoredIndex | null,
  file: string,
  info: { dev: number; ino: number; size: number },
  maxLineBytes: number,
  blockBytes: number,
): stored is StoredIndex {
  return (
    stored?.v === FORMAT_VERSION &&
    stored.file === file &&
    stored.dev === info.dev &&
    stored.ino === info.ino &&
    stored.maxLineBytes === maxLineBytes &&
    stored.blockBytes === blockBytes &&
    Number.isInteger(stored.indexedEnd) &&
    stored.indexedEnd <= info.size &&
    Array.isArray(stored.blocks)
  );
}

/**
 * The stored index of `file` when the file's stat is exactly what it was when indexed (see
 * `FileIndex.statKey`) and the index covers the whole file: no need to open the log file at all.
 */
export async function loadUnchangedIndex(
  indexDir: string,
  file: string,
  info: { dev: number; ino: number; size: number; statKey: string },
  maxLineBytes: number,
  blockBytes: number,
): Promise<FileIndex | null> {
  const stored = await readStored(indexDir, file);
  if (!matches(stored, file, info, maxLineBytes, blockBytes)) return null;
  if (stored.statKey !== info.statKey || stored.indexedEnd !== info.size) return null;
  return fromStored(stored);
}

/**
 * The stored index of `file` if it still describes the file's first bytes: same device and inode,
 * at least as long, same fingerprints at the head and at the indexed end, same line cap. A file
 * that was replaced, truncated or rewritten fails one of these and is indexed again from 0.
 */
export async function loadFileIndex(
  indexDir: string,
  handle: RangeReader,
  file: string,
  info: { dev: number; ino: number; size: number },
  maxLineBytes: number,
  blockBytes: number,
): Promise<FileIndex | null> {
  const stored = await readStored(indexDir, file);
  if (!matches(stored, file, info, maxLineBytes, blockBytes)) return null;
  const { head, tail } = await fingerprints(handle, stored.indexedEnd);
  if (head !== stored.head || tail !== stored.tail) return null;
  return fromStored(stored);
}

/** Write the index atomically (temp file + rename). Throws when the cache dir is not writable. */
export async function saveFileIndex(indexDir: string, index: FileIndex): Promise<void> {
  const path = indexPath(indexDir, index.file);
  await mkdir(join(indexDir, INDEX_SUBDIR), { recursive: true });
  const blocks: StoredBlock[] = index.blocks
    .filter((b) => !b.partial)
    .map((b) => [
      b.start,
      b.end,
      Number.isFinite(b.minTs) ? b.minTs : null,
      Number.isFinite(b.maxTs) ? b.maxTs : null,
      b.invalid,
      b.oversized,
      (b.sorted ? 1 : 0) | (b.pure ? 2 : 0) | (b.unverified ? 4 : 0),
      b.reasons ?? 0,
    ]);
  const { statKey } = index;
  const text = JSON.stringify({
    v: FORMAT_VERSION,
    ...identityOf(index),
    blocks,
    ...(statKey === undefined ? {} : { statKey }),
  });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => {});
    throw error;
  }
}

/**
 * The manifest: every file's index of one catalyst dir in one file
 * (`<cache>/event-index-v4/manifest-<hash of the dir>.bin`), so that a warm query reads one small
 * file instead of one per month file and parses no block as JSON. It is only a copy of the
 * per-file indexes (which stay the truth): an entry is used under exactly the rule of
 * `loadUnchangedIndex` (same device, inode, line cap and block size, the file's stat still
 * `statKey`, the index covering the whole file), anything else falls back to the per-file index.
 *
 * Form: `CIXM`, the format version and the header's length (u32 LE each), the header (JSON: the
 * dir and one entry per file with its identity, stat key, fingerprints, block count and the
 * reasons of blocks that have some), zero padding to 8 bytes, then 7 float64 LE per block
 * (start, end, minTs, maxTs with ±Infinity for none, invalid, oversized, flags).
 */
const MANIFEST_MAGIC = 0x4d584943; // "CIXM" read as u32 LE
const BLOCK_FLOATS = 7;
/** A manifest larger than this is not read (a reader has a size cap): ~2.3 M blocks, ~600 TB of log. */
const MAX_MANIFEST_BYTES = 128 * 1024 * 1024;
/** The block data is the platform's float64 bytes: kept only where those are little-endian. */
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;
/** Temp names of this process's manifest writes (two queries may write at once). */
let manifestWrites = 0;

/** A file's index in the manifest: its fields but the blocks, which are in the block data. */
interface ManifestEntry extends Omit<FileIndex, "blocks" | "statKey"> {
  statKey: string;
  /** Blocks of this entry; where they start in the block data (set on read). */
  n: number;
  at?: number;
  /** `[block number, reasons]` for the blocks with reasons. */
  reasons?: [number, Partial<Record<EventLineProblem, number>>][];
}

/** A read manifest: its entries by file and the block data they point into. */
export interface IndexManifest {
  entries: Map<string, ManifestEntry>;
  /** Every block's 7 numbers, entry after entry. */
  data: Float64Array;
}

function manifestPath(indexDir: string, catalystDir: string): string {
  return join(indexDir, INDEX_SUBDIR, `manifest-${fingerprint(Buffer.from(catalystDir))}.bin`);
}

/**
 * The manifest of `catalystDir`'s log, or null when there is none or it is not one we wrote
 * (any damage: wrong magic, version or length, a header that does not parse). Synchronous: one
 * small read, at the start of a query.
 */
export function loadIndexManifest(indexDir: string, catalystDir: string): IndexManifest | null {
  if (!LITTLE_ENDIAN) return null;
  try {
    return parseManifest(readFileSync(manifestPath(indexDir, catalystDir)), catalystDir);
  } catch {
    return null;
  }
}

function parseManifest(data: Buffer, catalystDir: string): IndexManifest | null {
  try {
    if (data.length < 12 || data.length > MAX_MANIFEST_BYTES) return null;
    if (data.readUInt32LE(0) !== MANIFEST_MAGIC || data.readUInt32LE(4) !== FORMAT_VERSION) return null;
    const headerEnd = 12 + data.readUInt32LE(8);
    if (headerEnd > data.length) return null;
    const header = JSON.parse(data.toString("utf8", 12, headerEnd)) as { dir?: unknown; entries?: unknown };
    if (header.dir !== catalystDir || !Array.isArray(header.entries)) return null;
    const dataStart = (headerEnd + 7) & ~7;
    const entries = new Map<string, ManifestEntry>();
    let at = 0;
    for (const entry of header.entries as ManifestEntry[]) {
      if (typeof entry?.file !== "string" || !Number.isInteger(entry.n) || entry.n < 0) return null;
      entry.at = at;
      at += entry.n;
      entries.set(entry.file, entry);
    }
    if (data.length !== dataStart + at * BLOCK_FLOATS * 8) return null;
    // One copy into an aligned array: typed-array loads, not a Buffer method call per number.
    const floats = new Float64Array(at * BLOCK_FLOATS);
    new Uint8Array(floats.buffer).set(data.subarray(dataStart));
    return { entries, data: floats };
  } catch {
    return null;
  }
}

/**
 * The index of `file` from the manifest, under the rule of `loadUnchangedIndex`: null unless the
 * file is exactly as it was when indexed (same stat key) and the index covers all of it.
 */
export function manifestIndex(
  manifest: IndexManifest,
  file: string,
  info: { dev: number; ino: number; size: number; statKey: string },
  maxLineBytes: number,
  blockBytes: number,
): FileIndex | null {
  const e = manifest.entries.get(file);
  if (
    e === undefined ||
    e.dev !== info.dev ||
    e.ino !== info.ino ||
    e.maxLineBytes !== maxLineBytes ||
    e.blockBytes !== blockBytes ||
    e.statKey !== info.statKey ||
    e.indexedEnd !== info.size
  )
    return null;
  const { data } = manifest;
  const at = e.at ?? 0;
  const reasonsOf = e.reasons;
  // The block objects are made on first use of `blocks`: a query whose window misses the file
  // looks only at its span (manifestSpan), without making thousands of objects it does not need.
  const makeBlocks = (): IndexBlock[] => {
    const blocks: IndexBlock[] = new Array(e.n);
    let p = at * BLOCK_FLOATS;
    for (let i = 0; i < e.n; i++, p += BLOCK_FLOATS) {
      const flags = data[p + 6]!;
      const block: IndexBlock = {
        start: data[p]!,
        end: data[p + 1]!,
        minTs: data[p + 2]!,
        maxTs: data[p + 3]!,
        invalid: data[p + 4]!,
        oversized: data[p + 5]!,
        sorted: (flags & 1) !== 0,
        pure: (flags & 2) !== 0,
      };
      if ((flags & 4) !== 0) block.unverified = true;
      blocks[i] = block;
    }
    for (const [i, reasons] of reasonsOf ?? []) {
      const block = blocks[i];
      if (block !== undefined && reasons && typeof reasons === "object") block.reasons = { ...reasons };
    }
    return blocks;
  };
  const { file: f, dev, ino, indexedEnd, head, tail, statKey } = e;
  const index = { file: f, dev, ino, maxLineBytes, blockBytes, indexedEnd, head, tail, statKey } as FileIndex;
  let made: IndexBlock[] | undefined;
  Object.defineProperty(index, "blocks", {
    enumerable: true,
    configurable: true,
    // Once made, the objects are the truth (a read may verify a block and change them).
    get: () => {
      if (made === undefined) {
        made = makeBlocks();
        fromManifest.delete(index);
      }
      return made;
    },
    set: (blocks: IndexBlock[]) => {
      made = blocks;
      fromManifest.delete(index);
    },
  });
  fromManifest.set(index, { data, at, n: e.n });
  return index;
}

/** The block data behind the indexes manifestIndex made, until their block objects are made. */
const fromManifest = new WeakMap<FileIndex, { data: Float64Array; at: number; n: number }>();

/** How many blocks an index has, without making the block objects of one from the manifest. */
export function blockCount(index: FileIndex): number {
  return fromManifest.get(index)?.n ?? index.blocks.length;
}

/**
 * The smallest `minTs` and largest `maxTs` of an index's blocks from the manifest, and whether
 * one of them has no valid line (such a block's bad lines count whatever the window), read from
 * the block data; undefined for any other index (use its `blocks`).
 */
export function manifestSpan(index: FileIndex): { minTs: number; maxTs: number; empty: boolean } | undefined {
  const entry = fromManifest.get(index);
  if (entry === undefined) return undefined;
  const { data, at, n } = entry;
  let minTs = Number.POSITIVE_INFINITY;
  let maxTs = Number.NEGATIVE_INFINITY;
  let empty = false;
  for (let i = 0, p = at * BLOCK_FLOATS; i < n; i++, p += BLOCK_FLOATS) {
    const lo = data[p + 2]!;
    const hi = data[p + 3]!;
    if (!Number.isFinite(lo)) empty = true;
    if (lo < minTs) minTs = lo;
    if (hi > maxTs) maxTs = hi;
  }
  return { minTs, maxTs, empty };
}

/**
 * Write the manifest of `catalystDir` from the indexes a query holds (those stamped with the stat
 * they describe), atomically (temp file + rename): concurrent writers leave one whole manifest,
 * and every entry is checked against its file's stat when read. Throws when the cache dir is not
 * writable.
 *
 * `listed` names every file the query considered (indexed or not). The entries of the manifest
 * on disk for files outside it are kept while their file's stat still matches: a query that
 * leaves some files out (no `includeLegacy`) does not drop what a query that read them wrote, so
 * the two kinds of query do not take turns rewriting it. Entries are in path order, and a
 * manifest that would come out byte for byte as it is on disk is not written again (a file that
 * cannot be indexed, e.g. mode 000, leaves the manifest alone run after run).
 */
export async function saveIndexManifest(
  indexDir: string,
  catalystDir: string,
  indexes: readonly (FileIndex | null)[],
  listed: readonly string[] = [],
): Promise<void> {
  if (!LITTLE_ENDIAN) return;
  const path = manifestPath(indexDir, catalystDir);
  let current: Buffer | null = null;
  try {
    current = readFileSync(path);
  } catch {
    // none yet, or unreadable: written below
  }
  const parts: { entry: ManifestEntry; floats: Float64Array }[] = [];
  const ours = new Set<string>(listed);
  for (const index of indexes) {
    if (index === null || index.statKey === undefined) continue;
    ours.add(index.file);
    const blocks = index.blocks.filter((b) => !b.partial);
    const reasons: [number, Partial<Record<EventLineProblem, number>>][] = [];
    const floats = new Float64Array(blocks.length * BLOCK_FLOATS);
    blocks.forEach((b, i) => {
      if (b.reasons) reasons.push([i, b.reasons]);
      const p = i * BLOCK_FLOATS;
      floats[p] = b.start;
      floats[p + 1] = b.end;
      floats[p + 2] = b.minTs;
      floats[p + 3] = b.maxTs;
      floats[p + 4] = b.invalid;
      floats[p + 5] = b.oversized;
      floats[p + 6] = (b.sorted ? 1 : 0) | (b.pure ? 2 : 0) | (b.unverified ? 4 : 0);
    });
    parts.push({
      entry: {
        ...identityOf(index),
        statKey: index.statKey,
        n: blocks.length,
        ...(reasons.length > 0 ? { reasons } : {}),
      },
      floats,
    });
  }
  const previous = current === null ? null : parseManifest(current, catalystDir);
  for (const [file, entry] of previous?.entries ?? []) {
    if (ours.has(file) || !stillAsIndexed(entry)) continue;
    const { at = 0, ...rest } = entry;
    const from = at * BLOCK_FLOATS;
    parts.push({ entry: rest, floats: previous!.data.subarray(from, from + entry.n * BLOCK_FLOATS) });
  }
  parts.sort((a, b) => (a.entry.file < b.entry.file ? -1 : a.entry.file > b.entry.file ? 1 : 0));
  const header = Buffer.from(
    JSON.stringify({ dir: catalystDir, entries: parts.map((p) => p.entry) }),
    "utf8",
  );
  const dataStart = (12 + header.length + 7) & ~7;
  const count = parts.reduce((n, p) => n + p.floats.length, 0);
  const out = Buffer.alloc(dataStart + count * 8);
  out.writeUInt32LE(MANIFEST_MAGIC, 0);
  out.writeUInt32LE(FORMAT_VERSION, 4);
  out.writeUInt32LE(header.length, 8);
  header.copy(out, 12);
  let p = dataStart;
  for (const { floats } of parts) {
    out.set(new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength), p);
    p += floats.byteLength;
  }
  if (current?.equals(out)) return;
  await mkdir(join(indexDir, INDEX_SUBDIR), { recursive: true });
  const tmp = `${path}.${process.pid}.${++manifestWrites}.tmp`;
  try {
    await writeFile(tmp, out);
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => {});
    throw error;
  }
}

/** A manifest entry of a file another query read: kept only while the file is as it was indexed. */
function stillAsIndexed(entry: ManifestEntry): boolean {
  try {
    const st = statSync(entry.file);
    return (
      st.isFile() &&
      st.dev === entry.dev &&
      st.ino === entry.ino &&
      `${st.size}:${st.mtimeMs}:${st.ctimeMs}` === entry.statKey &&
      entry.indexedEnd === st.size
    );
  } catch {
    return false;
  }
}

/** Count one invalid line of `block` under its reason. */
export function countReason(block: IndexBlock, reason: EventLineProblem): void {
  block.invalid++;
  block.reasons ??= {};
  block.reasons[reason] = (block.reasons[reason] ?? 0) + 1;
}

function emptyBlock(start: number): IndexBlock {
  return {
    start,
    end: start,
    minTs: Number.POSITIVE_INFINITY,
    maxTs: Number.NEGATIVE_INFINITY,
    invalid: 0,
    oversized: 0,
    sorted: true,
    pure: true,
  };
}

/** What `extendFileIndex` found: the index, a complete unterminated last line, the bytes read. */
export interface ExtendResult {
  index: FileIndex;
  partial: IndexBlock | null;
  bytesRead: number;
}

/**
 * Index `file` from `prev.indexedEnd` (or 0) to its last complete line, reading it once in chunks.
 * The `ts` of a line is read from its bytes (`scanTs`: no JSON.parse, no string) when the line
 * starts with `{"ts":"<UTC time>"` and holds no other `ts"` that may close a key and no `\u`
 * escape (either could make the parsed `ts` differ from the first one written: see
 * `scanFirstTs`); any other line is parsed (the slow path,
 * which loads the line parser only when first needed). Blocks built this way are *unverified*:
 * their min/max bound the `ts` of every line that turns out valid (an invalid line only widens
 * them), and their lines are parsed when read. An unterminated last line that parses comes back
 * as a `partial` block, not counted in `indexedEnd`.
 */
export async function extendFileIndex(
  handle: RangeReader,
  file: string,
  info: { dev: number; ino: number; size: number },
  prev: FileIndex | null,
  maxLineBytes: number,
  blockBytes: number,
  loadParser: () => Promise<typeof checkLogLine>,
  onProgress?: (progress: IndexProgress) => void,
): Promise<ExtendResult> {
  const from = prev?.indexedEnd ?? 0;
  const blocks = prev ? prev.blocks.filter((b) => !b.partial) : [];
  let cur = emptyBlock(from);
  let lastTs = Number.NEGATIVE_INFINITY;
  let carry: Buffer[] = [];
  let carryLen = 0;
  let carryStart = from;
  let discarding = false;
  let lineEnd = from;
  // Lines the byte scan cannot vouch for, parsed once the chunk has been scanned.
  let slow: { bytes: Buffer; start: number; end: number; block: IndexBlock; lastTs: number }[] = [];
  let parser: typeof checkLogLine | null = null;

  const close = (): void => {
    if (cur.end > cur.start) blocks.push(cur);
    cur = emptyBlock(cur.end);
    lastTs = Number.NEGATIVE_INFINITY;
  };
  // A parsed line: its ts, NaN when blank, null when invalid (counted in `block`, with its reason).
  const parse = (bytes: Buffer, block: IndexBlock): number | null => {
    let text = bytes.toString("utf8");
    if (text.endsWith("\r")) text = text.slice(0, -1);
    const res = parser!(text, file);
    if (!res.ok) {
      if (res.blank) return Number.NaN;
      countReason(block, res.reason);
      return null;
    }
    return res.tsMs;
  };
  const note = (block: IndexBlock, ts: number): void => {
    if (ts < block.minTs) block.minTs = ts;
    if (ts > block.maxTs) block.maxTs = ts;
  };
  // The next `ts"` and `\u` in the chunk (-2: not looked for yet; -1: none left in it), found
  // once per occurrence, not per line: each line costs one search for the next line's `ts"`.
  let chunk: Buffer = Buffer.alloc(0);
  let chunkLen = 0;
  let nextKey = -2;
  let nextEsc = -2;
  // Whether `[s, e)` (starting `{"ts"`) holds another `ts"` that may close a key, or a `\u`: the
  // same rule as `scanFirstTs`, which a read uses to know which lines this scan vouched for.
  const otherTs = (s: number, e: number): boolean => {
    if (nextEsc !== -1 && nextEsc < s) {
      nextEsc = chunk.indexOf(ESCAPE_U, s);
      if (nextEsc >= chunkLen) nextEsc = -1;
    }
    if (nextEsc !== -1 && nextEsc < e) return true;
    let from = s + 3;
    for (;;) {
      if (nextKey !== -1 && nextKey < from) {
        nextKey = chunk.indexOf(TS_QUOTE, from);
        if (nextKey >= chunkLen) nextKey = -1;
      }
      if (nextKey === -1 || nextKey >= e) return false;
      if (mayCloseKey(chunk, nextKey, e)) return true;
      from = nextKey + 1;
    }
  };
  const lineAt = (s: number, e: number, start: number, end: number): void => {
    if (cur.end === cur.start) cur.start = start;
    cur.unverified = true;
    cur.pure = false;
    let ts = scanTs(chunk, s, e);
    // A `ts` read at the line's end (bare v3) is the last top-level key: no later one can override it.
    if (!Number.isNaN(ts) && tsFirst(chunk, s) && otherTs(s, e)) ts = Number.NaN;
    if (!Number.isNaN(ts)) {
      note(cur, ts);
      if (ts < lastTs) cur.sorted = false;
      lastTs = ts;
    } else {
      slow.push({ bytes: Buffer.from(chunk.subarray(s, e)), start, end, block: cur, lastTs });
      // Order within the block is settled when the slow line is parsed; be safe meanwhile.
      cur.sorted = false;
    }
    cur.end = end;
    if (cur.end - cur.start >= blockBytes) close();
  };
  const oversized = (start: number, end: number): void => {
    close();
    blocks.push({ ...emptyBlock(start), end, oversized: 1, pure: false });
    cur = emptyBlock(end);
  };
  const settleSlow = async (): Promise<void> => {
    if (slow.length === 0) return;
    parser ??= await loadParser();
    for (const l of slow) {
      const ts = parse(l.bytes, l.block);
      if (ts !== null && Number.isFinite(ts)) note(l.block, ts);
    }
    slow = [];
  };

  const total = info.size - from;
  // Chunk buffers are reused across files: 76 files indexed 16 at a time must not leave 76 MiB of
  // dead buffers for the garbage collector to find late.
  const buf = freeChunks.pop() ?? Buffer.allocUnsafeSlow(READ_CHUNK);
  let pos = from;
  let bytesRead = 0;
  try {
    while (pos < info.size) {
      const { bytesRead: n } = await handle.read(buf, 0, Math.min(READ_CHUNK, info.size - pos), pos);
      if (n === 0) break;
      bytesRead += n;
      chunk = buf;
      chunkLen = n;
      nextKey = -2;
      nextEsc = -2;
      let i = 0;
      while (i < n) {
        const nl = buf.indexOf(10, i);
        if (nl === -1 || nl >= n) {
          const len = n - i;
          if (carryLen === 0 && !discarding) carryStart = pos + i;
          if (!discarding && carryLen + len > maxLineBytes) {
            discarding = true;
            carry = [];
          }
          if (!discarding) carry.push(Buffer.from(buf.subarray(i, n)));
          carryLen += len;
          break;
        }
        const start = carryLen > 0 || discarding ? carryStart : pos + i;
        const size = carryLen + (nl - i);
        const end = pos + nl + 1;
        if (discarding || size > maxLineBytes) oversized(start, end);
        else if (carry.length > 0) {
          // A line across chunks: scan a copy of it on its own.
          const whole = Buffer.concat([...carry, buf.subarray(i, nl)]);
          const saved = { chunk, chunkLen, nextKey, nextEsc };
          chunk = whole;
          chunkLen = whole.length;
          nextKey = -2;
          nextEsc = -2;
          lineAt(0, whole.length, start, end);
          ({ chunk, chunkLen, nextKey, nextEsc } = saved);
        } else lineAt(i, nl, start, end);
        carry = [];
        carryLen = 0;
        discarding = false;
        lineEnd = end;
        i = nl + 1;
      }
      pos += n;
      await settleSlow();
      onProgress?.({ file, done: pos - from, total });
    }
  } finally {
    if (freeChunks.length < MAX_FREE_CHUNKS) freeChunks.push(buf);
  }
  close();

  let partial: IndexBlock | null = null;
  if (carryLen > 0 && !discarding) {
    // A torn line never parses; a complete one without its newline yet is kept, unpersisted.
    parser ??= await loadParser();
    // Not counted if it does not parse (a torn line): a scratch block takes its count.
    const ts = parse(Buffer.concat(carry), emptyBlock(carryStart));
    if (ts !== null && Number.isFinite(ts)) {
      partial = { ...emptyBlock(carryStart), end: pos, minTs: ts, maxTs: ts, pure: false, partial: true };
    }
  }
  const { head, tail } = await fingerprints(handle, lineEnd);
  return {
    index: {
      file,
      dev: info.dev,
      ino: info.ino,
      maxLineBytes,
      blockBytes,
      indexedEnd: lineEnd,
      head,
      tail,
      blocks,
    },
    partial,
    bytesRead,
  };
}
