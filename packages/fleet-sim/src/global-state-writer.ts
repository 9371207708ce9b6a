import { mkdir, readFile, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { appendEventLine, buildEventLine, createLineShaper, type LineShapes } from "./append-event.js";
import { StateLockTimeoutError } from "./errors.js";
import { formatIsoSeconds } from "./iso-seconds.js";
import { writeJsonAtomic } from "./write-json-file.js";

/** A JSON object as read back from disk: the writer edits it like a jq filter would. */
export type JsonObject = Record<string, unknown>;

/** An in-place edit of one entry; `now` is the seconds-precision stamp of this write. */
export type EntryEdit = (entry: JsonObject, now: string) => void;

/** Options for {@link createGlobalStateWriter}. */
export interface GlobalStateWriterOptions {
  catalystDir: string;
  /** @default () => new Date() */
  now?: () => Date;
  /** How long to wait for the lock directory before giving up. @default 10_000 (as the script) */
  lockTimeoutMs?: number;
  /** Pause between lock attempts. The script sleeps 1 s; the demo has no rival writer. @default 25 */
  lockRetryMs?: number;
  /** Which event-line shapes it writes. @default "v1" */
  lineShapes?: LineShapes;
}

/** The `catalyst-state.sh` commands the demo needs, with the same writes and event lines (FORMATS §6). */
export interface GlobalStateWriter {
  readonly file: string;
  /** `init`: create the state file when it is missing. */
  init(): Promise<void>;
  /** `register <id> <json>`: full replace, then `updatedAt`/`lastHeartbeat`; logs `orchestrator-started`. */
  register(id: string, entry: JsonObject): Promise<void>;
  /** `update <id> <filter>`: edit the orchestrator entry, then stamp its `updatedAt`. */
  update(id: string, edit: EntryEdit): Promise<void>;
  /** `worker <id> <ticket> <filter>`: edit one worker entry; stamps the worker's and orchestrator's `updatedAt`. */
  worker(id: string, ticket: string, edit: EntryEdit): Promise<void>;
  /** `heartbeat <id>`. */
  heartbeat(id: string): Promise<void>;
  /** `attention <id> <type> <ticket> <msg>`: prepends an item; logs `attention-raised`. */
  attention(id: string, type: string, ticket: string, message: string): Promise<void>;
  /** `resolve-attention <id> <ticket>`: drops that ticket's items; logs `attention-resolved`. */
  resolveAttention(id: string, ticket: string): Promise<void>;
  /** `archive <id>`: history file, entry removed, logs `archive`. Returns the history path, or null if unknown. */
  archive(id: string): Promise<string | null>;
}

const INITIAL_STATE = { version: "1.0.0", lastUpdated: "", orchestrators: {} };

function objectAt(parent: JsonObject, key: string): JsonObject {
  const value = parent[key];
  if (value !== null && typeof value === "object" && !Array.isArray(value)) return value as JsonObject;
  // jq's `|=` on a missing key starts from null and builds an object: partial entries are real (§3.4).
  const created: JsonObject = {};
  parent[key] = created;
  return created;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Create a writer for `$CATALYST_DIR/state.json` that takes the mkdir lock and writes through tmp+rename. */
export function createGlobalStateWriter(options: GlobalStateWriterOptions): GlobalStateWriter {
  const { catalystDir } = options;
  const now = options.now ?? (() => new Date());
  const lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
  const lockRetryMs = options.lockRetryMs ?? 25;
  const shaper = createLineShaper(options.lineShapes ?? "v1");
  const file = join(catalystDir, "state.json");
  const lockDir = `${file}.lock`;

  let ensured = false;
  async function ensureDirs(): Promise<void> {
    if (ensured) return;
    for (const sub of ["events", "history", "runs"]) await mkdir(join(catalystDir, sub), { recursive: true });
    ensured = true;
  }

  async function readState(): Promise<JsonObject> {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return structuredClone(INITIAL_STATE);
      throw error;
    }
    return JSON.parse(text) as JsonObject;
  }

  async function acquireLock(): Promise<void> {
    const started = Date.now();
    for (;;) {
      try {
        await mkdir(lockDir);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const waited = Date.now() - started;
      if (waited >= lockTimeoutMs) throw new StateLockTimeoutError(lockDir, waited);
      await sleep(lockRetryMs);
    }
  }

  /** `state_write`: lock, read, edit, stamp `lastUpdated`, tmp+mv, unlock (FORMATS §1.5). */
  async function stateWrite(
    at: Date,
    edit: (state: JsonObject, stamp: string) => void | Promise<void>,
  ): Promise<void> {
    await ensureDirs();
    await acquireLock();
    try {
      const state = await readState();
      const stamp = formatIsoSeconds(at);
      await edit(state, stamp);
      state.lastUpdated = stamp;
      await writeJsonAtomic(file, state);
    } finally {
      // A vanished lock (the dir was removed under us) is already released.
      await rmdir(lockDir).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      });
    }
  }

  function orchestratorsOf(state: JsonObject): JsonObject {
    return objectAt(state, "orchestrators");
  }

  return {
    file,
    async init() {
      await ensureDirs();
      try {
        await readFile(file, "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        // The script writes the initial file without tmp+mv; the demo keeps every write atomic.
        await writeJsonAtomic(file, { ...INITIAL_STATE, lastUpdated: formatIsoSeconds(now()) });
      }
    },
    async register(id, entry) {
      const at = now();
      await stateWrite(at, (state, stamp) => {
        orchestratorsOf(state)[id] = { ...structuredClone(entry), updatedAt: stamp, lastHeartbeat: stamp };
      });
      const workers = entry.workers && typeof entry.workers === "object" ? Object.keys(entry.workers) : [];
      await appendEventLine(
        catalystDir,
        at,
        buildEventLine(at, id, null, "orchestrator-started", { tickets: workers.sort() }),
        shaper,
      );
    },
    async update(id, edit) {
      await stateWrite(now(), (state, stamp) => {
        const entry = objectAt(orchestratorsOf(state), id);
        edit(entry, stamp);
        entry.updatedAt = stamp;
      });
    },
    async worker(id, ticket, edit) {
      await stateWrite(now(), (state, stamp) => {
        const entry = objectAt(orchestratorsOf(state), id);
        const worker = objectAt(objectAt(entry, "workers"), ticket);
        edit(worker, stamp);
        worker.updatedAt = stamp;
        entry.updatedAt = stamp;
      });
    },
    async heartbeat(id) {
      await stateWrite(now(), (state, stamp) => {
        const entry = objectAt(orchestratorsOf(state), id);
        entry.lastHeartbeat = stamp;
        entry.updatedAt = stamp;
      });
    },
    async attention(id, type, ticket, message) {
      const at = now();
      await stateWrite(at, (state, stamp) => {
        const entry = objectAt(orchestratorsOf(state), id);
        const items = Array.isArray(entry.attention) ? entry.attention : [];
        entry.attention = [{ type, ticketId: ticket, message, since: stamp }, ...items];
        const worker = objectAt(objectAt(entry, "workers"), ticket);
        worker.needsAttention = true;
        worker.attentionReason = message;
        entry.updatedAt = stamp;
      });
      await appendEventLine(
        catalystDir,
        at,
        buildEventLine(at, id, ticket, "attention-raised", { attentionType: type, reason: message }),
        shaper,
      );
    },
    async resolveAttention(id, ticket) {
      const at = now();
      await stateWrite(at, (state, stamp) => {
        const entry = objectAt(orchestratorsOf(state), id);
        const items = Array.isArray(entry.attention) ? entry.attention : [];
        entry.attention = items.filter((item) => (item as JsonObject | null)?.ticketId !== ticket);
        const worker = objectAt(objectAt(entry, "workers"), ticket);
        worker.needsAttention = false;
        worker.attentionReason = null;
        entry.updatedAt = stamp;
      });
      await appendEventLine(
        catalystDir,
        at,
        buildEventLine(at, id, ticket, "attention-resolved", null),
        shaper,
      );
    },
    async archive(id) {
      const at = now();
      let historyFile: string | null = null;
      await stateWrite(at, async (state) => {
        const orchestrators = orchestratorsOf(state);
        const entry = orchestrators[id] as JsonObject | undefined;
        const startedAt = typeof entry?.startedAt === "string" ? entry.startedAt : "";
        // The script refuses to archive an entry without startedAt (FORMATS §6).
        if (!entry || startedAt === "") return;
        // History file name rule: `<id>--<startedAt with ':' -> '-'>.json` (FORMATS §1.4).
        historyFile = join(catalystDir, "history", `${id}--${startedAt.replaceAll(":", "-")}.json`);
        await writeJsonAtomic(historyFile, entry);
        delete orchestrators[id];
      });
      if (historyFile === null) return null;
      await appendEventLine(catalystDir, at, buildEventLine(at, id, null, "archive", null), shaper);
      return historyFile;
    },
  };
}
