import { randomUUID } from "node:crypto";
import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { IncidentChanges, PersistedIncident } from "@catalyst/notify";
import { readJsonFile, readTextFile, writeJsonFile, writeSynced } from "./state-files.js";

// The open incidents between runs: a whole file (`notify-incidents.json`, version 1) and a journal
// beside it (`.journal`, one JSON line per incident opened, changed or closed since the file was
// written). A change appends only its own incidents (issue 26: rewriting 400 incidents × 20
// members on every move took 22 ms); a save that would make the journal larger than the file
// rewrites the file whole instead and removes the journal, so a save costs what changed, amortised,
// and the journal never holds more than the file's size (or JOURNAL_FLOOR bytes): it is read back
// under the same 4 MiB cap.

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
  load(): Promise<{ incidents: PersistedIncident[]; problem: string | null }>;
  /** Writes the file whole (temp + rename) and removes the journal. */
  save(incidents: readonly PersistedIncident[]): Promise<void>;
  /**
   * Appends what changed, or, once the journal outgrew the file (or after a failed write), writes
   * `all()` whole instead. `all` is called synchronously, before anything is awaited: take the
   * changes and call this in one turn, so the whole state includes them.
   */
  saveChanges(changes: IncidentChanges, all: () => readonly PersistedIncident[]): Promise<void>;
  stats(): IncidentStoreStats;
}

// Each whole file names a fresh journal id and every journal line carries the id of the file it
// was appended to: a crash between writing a new file and removing the old journal leaves lines
// of the older file beside it, which a load then ignores instead of replaying stale states.
type JournalLine = { journal: string } & ({ put: PersistedIncident } | { removed: string });

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

function parseJournalLine(line: string): JournalLine | null {
  try {
    const value = JSON.parse(line) as { journal?: unknown; put?: unknown; removed?: unknown } | null;
    if (value === null || typeof value !== "object" || typeof value.journal !== "string") return null;
    if (isIncident(value.put)) return { journal: value.journal, put: value.put };
    if (typeof value.removed === "string") return { journal: value.journal, removed: value.removed };
    return null;
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

  async function rewrite(incidents: readonly PersistedIncident[]): Promise<void> {
    // Until the journal is gone, a crash leaves it beside the new file: replayed over it, each of
    // its lines is an incident's state no newer than the file's (the caller took the changes and
    // the whole state in one turn), so the last line per incident agrees with the file.
    journalBytes = null;
    const id = randomUUID();
    const bytes = await writeJsonFile(path, { version: 1, journal: id, incidents });
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
      let fileJournal: string | null = null;
      const problems: string[] = [];
      if (read !== null && !read.ok) problems.push(`${path}: ${read.error}`);
      else if (read !== null) {
        const value = read.value as { incidents?: unknown; journal?: unknown } | null;
        const list = value?.incidents;
        if (typeof value?.journal === "string") fileJournal = value.journal;
        if (!Array.isArray(list)) problems.push(`${path}: no incidents list`);
        else {
          incidents = list.filter(isIncident);
          const skipped = list.length - incidents.length;
          if (skipped > 0) problems.push(`${path}: ${skipped} unreadable incidents skipped`);
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
          else if ("put" in entry) byKey.set(entry.put.incident, entry.put);
          else byKey.delete(entry.removed);
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
      return { incidents, problem: problems.length > 0 ? problems.join("; ") : null };
    },
    save: (incidents) => rewrite(incidents),
    async saveChanges(changes, all) {
      const known = fileBytes !== null && journalBytes !== null;
      // Nothing changed and nothing failed before: nothing to write.
      if (known && changes.put.length === 0 && changes.removed.length === 0) return;
      let text = "";
      if (fileBytes !== null && journalBytes !== null) {
        const journal = journalId;
        for (const put of changes.put) text += `${JSON.stringify({ journal, put })}\n`;
        for (const removed of changes.removed) text += `${JSON.stringify({ journal, removed })}\n`;
      }
      const bytes = Buffer.byteLength(text);
      if (
        fileBytes === null ||
        journalBytes === null ||
        journalBytes + bytes > Math.max(fileBytes, JOURNAL_FLOOR)
      ) {
        await rewrite(all());
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
