import { randomUUID } from "node:crypto";
import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Alert, IncidentChanges, PersistedIncident } from "@catalyst/notify";
import { readJsonFile, readTextFile, writeJsonFile, writeSynced } from "./state-files.js";

// The open incidents between runs: a whole file (`notify-incidents.json`, version 1) and a journal
// beside it (`.journal`, one JSON line per incident opened, changed or closed since the file was
// written). A change appends only its own incidents (issue 26: rewriting 400 incidents × 20
// members on every move took 22 ms); a save that would make the journal larger than the file
// rewrites the file whole instead and removes the journal, so a save costs what changed, amortised,
// and the journal never holds more than the file's size (or JOURNAL_FLOOR bytes): it is read back
// under the same 4 MiB cap.
//
// The file and the journal also hold the outbox: every alert owed to channels, written (and
// fsynced) in the same append as the incident it opened or closed, before anything is sent; then
// which channels took it. A crash anywhere leaves either neither (nothing was sent: the condition
// is seen again after the restart and alerts once) or both (the incident is restored, so it is not
// raised again, and the alert is sent again to the channels that had not taken it, with the same
// delivery key). One append is one JSON line, so a torn append loses all of it or none.

/** An alert owed to channels (see above). */
export interface OutboxEntry {
  /** `alertKeyOf(alert)`: the delivery keys are made from it. */
  id: string;
  alert: Alert;
  /** Ids of the channels that took it (or refused it for good). */
  done: string[];
}

/** What changed in the outbox since the last save. */
export interface OutboxChanges {
  add: OutboxEntry[];
  done: Array<{ id: string; channel: string }>;
  /** Entries every channel is done with. */
  finished: string[];
}

/** What a save writes: the incidents that changed and, optionally, the outbox's changes. */
export interface StoreChanges extends IncidentChanges {
  outbox?: OutboxChanges;
}

/** The whole state, for a rewrite. */
export interface StoreState {
  incidents: readonly PersistedIncident[];
  outbox: readonly OutboxEntry[];
}

/** At most this many outbox entries are read back (the oldest beyond it are dropped, and reported). */
export const OUTBOX_LIMIT = 1000;

/** The journal is folded into the file before it grows past the file's size and this. */
const JOURNAL_FLOOR = 64 * 1024;

/** Counts of what the store wrote (incidents, not bytes), for tests and benches. */
export interface IncidentStoreStats {
  /** Incidents (put or removed) appended to the journal. */
  appended: number;
  /** Incidents written in whole-file rewrites. */
  rewritten: number;
  /** Whole-file rewrites. */
  rewrites: number;
}

/** Where the open incidents are kept between runs. */
export interface IncidentStore {
  readonly path: string;
  /** The journal beside `path`. */
  readonly journalPath: string;
  /**
   * The incidents of the last run (the file, then the journal over it); [] when there is none. A
   * bad file gives [] and a `problem`; an unreadable journal line (a torn last append) is skipped
   * and named in `problem`.
   */
  load(): Promise<{ incidents: PersistedIncident[]; outbox: OutboxEntry[]; problem: string | null }>;
  /** Writes the file whole (temp + rename) and removes the journal. */
  save(incidents: readonly PersistedIncident[], outbox?: readonly OutboxEntry[]): Promise<void>;
  /**
   * Appends what changed, or, once the journal outgrew the file (or after a failed write), writes
   * `all()` whole instead. `all` is called synchronously, before anything is awaited: take the
   * changes and call this in one turn, so the whole state includes them.
   */
  saveChanges(changes: StoreChanges, all: () => StoreState | readonly PersistedIncident[]): Promise<void>;
  stats(): IncidentStoreStats;
}

// Each whole file names a fresh journal id and every journal line carries the id of the file it
// was appended to: a crash between writing a new file and removing the old journal leaves lines
// of the older file beside it, which a load then ignores instead of replaying stale states.
// A save appends one line: `{journal, put?, removed?, send?, done?, finished?}` (arrays). Lines of
// one incident each (`put` an object, `removed` a string), as earlier versions wrote, are read too.
interface JournalLine {
  journal: string;
  put: PersistedIncident[];
  removed: string[];
  send: OutboxEntry[];
  done: Array<{ id: string; channel: string }>;
  finished: string[];
}

function isIncident(value: unknown): value is PersistedIncident {
  const v = value as Partial<PersistedIncident> | null;
  const nullableString = (x: unknown) => x === null || typeof x === "string";
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.incident === "string" &&
    typeof v.kind === "string" &&
    typeof v.title === "string" &&
    typeof v.openedAt === "number" &&
    nullableString(v.orchestrator) &&
    nullableString(v.worker) &&
    nullableString(v.host) &&
    Array.isArray(v.members) &&
    v.members.every((m) => typeof m === "string")
  );
}

function isOutboxEntry(value: unknown): value is OutboxEntry {
  const v = value as Partial<OutboxEntry> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.id === "string" &&
    typeof v.alert === "object" &&
    v.alert !== null &&
    typeof v.alert.incident === "string" &&
    typeof v.alert.title === "string" &&
    Array.isArray(v.done) &&
    v.done.every((c) => typeof c === "string")
  );
}

const isDone = (v: unknown): v is { id: string; channel: string } =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as { id?: unknown }).id === "string" &&
  typeof (v as { channel?: unknown }).channel === "string";

/** A list field of a journal line: absent is empty; any bad item makes the line unreadable. */
function listOf<T>(value: unknown, is: (v: unknown) => v is T): T[] | null {
  if (value === undefined) return [];
  return Array.isArray(value) && value.every(is) ? value : null;
}

function parseJournalLine(line: string): JournalLine | null {
  try {
    const value = JSON.parse(line) as Record<string, unknown> | null;
    if (value === null || typeof value !== "object" || typeof value.journal !== "string") return null;
    // An earlier version's line: one incident.
    if (isIncident(value.put))
      return { journal: value.journal, put: [value.put], removed: [], send: [], done: [], finished: [] };
    if (typeof value.removed === "string")
      return { journal: value.journal, put: [], removed: [value.removed], send: [], done: [], finished: [] };
    const isString = (v: unknown): v is string => typeof v === "string";
    const put = listOf(value.put, isIncident);
    const removed = listOf(value.removed, isString);
    const send = listOf(value.send, isOutboxEntry);
    const done = listOf(value.done, isDone);
    const finished = listOf(value.finished, isString);
    if (put === null || removed === null || send === null || done === null || finished === null) return null;
    return { journal: value.journal, put, removed, send, done, finished };
  } catch {
    return null;
  }
}

/** The store in `<stateDir>/<name>` (default `notify-incidents.json`); one per monitor (`--nats` uses its own name). */
export function createIncidentStore(stateDir: string, name = "notify-incidents.json"): IncidentStore {
  const path = join(stateDir, name);
  const journalPath = `${path}.journal`;
  const counts: IncidentStoreStats = { appended: 0, rewritten: 0, rewrites: 0 };
  // Sizes as this process knows them; null until a load or a write told (then: rewrite first).
  let fileBytes: number | null = null;
  let journalBytes: number | null = null;
  // The journal id of the whole file on disk (see JournalLine).
  let journalId = "";

  async function rewrite(
    incidents: readonly PersistedIncident[],
    outbox: readonly OutboxEntry[],
  ): Promise<void> {
    // Until the journal is gone, a crash leaves it beside the new file: replayed over it, each of
    // its lines is an incident's state no newer than the file's (the caller took the changes and
    // the whole state in one turn), so the last line per incident agrees with the file.
    journalBytes = null;
    const id = randomUUID();
    const bytes = await writeJsonFile(path, { version: 1, journal: id, incidents, outbox });
    journalId = id;
    await rm(journalPath, { force: true });
    fileBytes = bytes;
    journalBytes = 0;
    counts.rewritten += incidents.length;
    counts.rewrites += 1;
  }

  return {
    path,
    journalPath,
    async load() {
      const read = await readJsonFile(path);
      let incidents: PersistedIncident[] = [];
      let outbox = new Map<string, OutboxEntry>();
      let fileJournal: string | null = null;
      const problems: string[] = [];
      if (read !== null && !read.ok) problems.push(`${path}: ${read.error}`);
      else if (read !== null) {
        const value = read.value as { incidents?: unknown; journal?: unknown; outbox?: unknown } | null;
        const list = value?.incidents;
        if (typeof value?.journal === "string") fileJournal = value.journal;
        if (!Array.isArray(list)) problems.push(`${path}: no incidents list`);
        else {
          incidents = list.filter(isIncident);
          const skipped = list.length - incidents.length;
          if (skipped > 0) problems.push(`${path}: ${skipped} unreadable incidents skipped`);
        }
        if (Array.isArray(value?.outbox)) {
          const entries = value.outbox.filter(isOutboxEntry);
          outbox = new Map(entries.map((e) => [e.id, e]));
          const skipped = value.outbox.length - entries.length;
          if (skipped > 0) problems.push(`${path}: ${skipped} unreadable outbox entries skipped`);
        }
      }
      const journal = await readTextFile(journalPath);
      if (journal !== null && !journal.ok) problems.push(`${journalPath}: ${journal.error}`);
      else if (journal !== null && journal.text !== "") {
        const byKey = new Map(incidents.map((inc) => [inc.incident, inc]));
        let skipped = 0;
        for (const line of journal.text.split("\n")) {
          if (line === "") continue;
          const entry = parseJournalLine(line);
          if (entry === null) skipped += 1;
          else if (entry.journal !== fileJournal) continue;
          else {
            for (const put of entry.put) byKey.set(put.incident, put);
            for (const removed of entry.removed) byKey.delete(removed);
            for (const send of entry.send) outbox.set(send.id, { ...send, done: [...send.done] });
            for (const { id, channel } of entry.done) outbox.get(id)?.done.push(channel);
            for (const id of entry.finished) outbox.delete(id);
          }
        }
        incidents = [...byKey.values()];
        if (skipped > 0) problems.push(`${journalPath}: ${skipped} unreadable lines skipped`);
      }
      // Nothing known about the files' sizes after a problem: the next save rewrites them.
      if (problems.length === 0 && fileJournal !== null) {
        journalId = fileJournal;
        // A file without a journal id (none yet, or one an older version wrote) is rewritten first.
        fileBytes = await stat(path).then(
          (s) => s.size,
          () => null,
        );
        journalBytes = journal === null || !journal.ok ? 0 : Buffer.byteLength(journal.text);
      }
      let entries = [...outbox.values()];
      if (entries.length > OUTBOX_LIMIT) {
        problems.push(`${path}: ${entries.length - OUTBOX_LIMIT} oldest outbox entries dropped`);
        entries = entries.slice(-OUTBOX_LIMIT);
      }
      return { incidents, outbox: entries, problem: problems.length > 0 ? problems.join("; ") : null };
    },
    save: (incidents, outbox = []) => rewrite(incidents, outbox),
    async saveChanges(changes, all) {
      const known = fileBytes !== null && journalBytes !== null;
      const outbox = changes.outbox ?? { add: [], done: [], finished: [] };
      const count =
        changes.put.length +
        changes.removed.length +
        outbox.add.length +
        outbox.done.length +
        outbox.finished.length;
      // Nothing changed and nothing failed before: nothing to write.
      if (known && count === 0) return;
      let text = "";
      if (fileBytes !== null && journalBytes !== null) {
        // One line for the whole save: a torn append loses all of it, never half (see above).
        const line: Record<string, unknown> = { journal: journalId };
        if (changes.put.length > 0) line.put = changes.put;
        if (changes.removed.length > 0) line.removed = changes.removed;
        if (outbox.add.length > 0) line.send = outbox.add;
        if (outbox.done.length > 0) line.done = outbox.done;
        if (outbox.finished.length > 0) line.finished = outbox.finished;
        text = `${JSON.stringify(line)}\n`;
      }
      const bytes = Buffer.byteLength(text);
      if (
        fileBytes === null ||
        journalBytes === null ||
        journalBytes + bytes > Math.max(fileBytes, JOURNAL_FLOOR)
      ) {
        const state = all();
        if (Array.isArray(state)) await rewrite(state as readonly PersistedIncident[], []);
        else {
          const whole = state as StoreState;
          await rewrite(whole.incidents, whole.outbox);
        }
        return;
      }
      const before = journalBytes;
      // A failed or torn append may leave part of a line: the next save rewrites everything.
      journalBytes = null;
      await writeSynced(journalPath, "a", text);
      journalBytes = before + bytes;
      counts.appended += changes.put.length + changes.removed.length;
    },
    stats: () => ({ ...counts }),
  };
}
