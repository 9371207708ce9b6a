import { type FSWatcher, watch as fsWatch } from "node:fs";

/** Called with the name of the entry that changed inside the watched directory; null when unknown. */
export type DirChangeHandler = (name: string | null) => void;

/** One watched directory. */
export interface DirWatch {
  close(): void;
}

/**
 * Watches single directories, never recursively: writers replace files by tmp+rename, which a
 * file-level watch misses because the watched inode is gone (FORMATS §1.5).
 */
export interface DirWatcher {
  /** Start watching `dir`; throws when `dir` cannot be watched (for example it is missing). */
  watch(dir: string, onChange: DirChangeHandler, onError: (error: unknown) => void): DirWatch;
  close(): Promise<void>;
}

/** One `fs.watch` per directory (inotify on Linux): events arrive within a millisecond. */
export function createFsDirWatcher(): DirWatcher {
  const open = new Set<FSWatcher>();
  return {
    watch(dir, onChange, onError) {
      const w = fsWatch(dir, { persistent: true }, (_event, name) => {
        onChange(typeof name === "string" ? name : null);
      });
      w.on("error", (error) => {
        open.delete(w);
        w.close();
        onError(error);
      });
      open.add(w);
      return {
        close() {
          open.delete(w);
          w.close();
        },
      };
    },
    async close() {
      for (const w of open) w.close();
      open.clear();
    },
  };
}
