import type { FileHandle } from "node:fs/promises";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

// Issue 25: thousands of month files must not mean thousands of open descriptors. The real
// `open` of node:fs/promises, wrapped to count the handles alive at once (not a mock of the
// file system: every open and read is the real one).
const handles = vi.hoisted(() => ({ live: 0, peak: 0 }));
vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs/promises")>();
  const open = async (...args: Parameters<typeof real.open>): Promise<FileHandle> => {
    const handle = await real.open(...args);
    handles.live++;
    handles.peak = Math.max(handles.peak, handles.live);
    const close = handle.close.bind(handle);
    let closed = false;
    handle.close = async () => {
      if (!closed) handles.live--;
      closed = true;
      return close();
    };
    return handle;
  };
  return { ...real, open, default: { ...real, open } };
});

const { readEvents, readEventBytes } = await import("./index.js");

const FILES = 1_200;
let dir = "";
let cache = "";
const lines: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sources-fds-"));
  cache = await mkdtemp(join(tmpdir(), "sources-fds-cache-"));
  await mkdir(join(dir, "events"));
  const writes: Promise<void>[] = [];
  for (let n = 0; n < FILES; n++) {
    const name = `${1200 + Math.floor(n / 12)}-${String((n % 12) + 1).padStart(2, "0")}`;
    const line = `{"ts":"${name}-05T10:00:00Z","orchestrator":"o","worker":"W-${n}","event":"archive"}`;
    lines.push(line);
    writes.push(writeFile(join(dir, "events", `${name}.jsonl`), `${line}\n`));
  }
  await Promise.all(writes);
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(cache, { recursive: true, force: true });
});

describe("descriptors held by the exact readers", () => {
  it("never holds more than maxOpenFiles log files open, indexing or reading, and reads every line", async () => {
    for (const run of ["first (indexing)", "warm"]) {
      handles.peak = 0;
      const parts: Buffer[] = [];
      for await (const chunk of readEventBytes(dir, {
        since: new Date("1000-01-01T00:00:00Z"),
        indexDir: cache,
      }))
        parts.push(Buffer.from(chunk));
      expect(Buffer.concat(parts).toString("utf8"), run).toBe(`${lines.join("\n")}\n`);
      expect(handles.peak, run).toBeGreaterThan(0);
      expect(handles.peak, run).toBeLessThanOrEqual(16);
      expect(handles.live, run).toBe(0);
    }
  }, 60_000);

  it("a limit-10 page of an indexed log reads a few blocks, not the whole log", async () => {
    const since = new Date("1000-01-01T00:00:00Z");
    // Index once; the pages after that reuse it.
    for await (const _ of readEvents(dir, { since, indexDir: cache })) {
    }
    const page = readEvents(dir, { since, indexDir: cache });
    const got: string[] = [];
    for await (const record of page) {
      got.push(record.text);
      if (got.length > 10) break; // the API reads one more line than it shows, for `next`
    }
    expect(got).toEqual(lines.slice(0, 11));
    expect(page.stats.bytesIndexed).toBe(0);
    // Each file is one block of one line: a page reads the blocks it shows plus a bounded
    // read-ahead (32 blocks), never the 1,200 files.
    const perLine = Buffer.byteLength(lines[0]!) + 1;
    expect(page.stats.bytesRead).toBeLessThanOrEqual((11 + 32 + 1) * (perLine + 8));
  }, 60_000);
});
