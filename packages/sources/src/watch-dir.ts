import { type FSWatcher, watch as fsWatch } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { watch as chokidarWatch } from "chokidar";

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

/** Which directory-watch implementation a watcher uses. */
export type WatchBackend = "fs" | "chokidar";

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

/**
 * One chokidar instance at depth 0 for all directories. Kept so the benchmark can compare it with
 * plain `fs.watch` in the same run (BENCHMARKS.md).
 */
export function createChokidarDirWatcher(): DirWatcher {
  const handlers = new Map<string, { onChange: DirChangeHandler; onError: (error: unknown) => void }>();
  const watcher = chokidarWatch([], { depth: 0, ignoreInitial: true, atomic: false, persistent: true });
  watcher.on("all", (_event, path) => {
    const abs = resolve(path);
    handlers.get(dirname(abs))?.onChange(basename(abs));
  });
  watcher.on("error", (error) => {
    for (const h of handlers.values()) h.onError(error);
  });
  return {
    watch(dir, onChange, onError) {
      const abs = resolve(dir);
      handlers.set(abs, { onChange, onError });
      watcher.add(abs);
      return {
        close() {
          handlers.delete(abs);
          watcher.unwatch(abs);
        },
      };
    },
    close: () => watcher.close(),
  };
}

/** A directory watcher for the given backend. */
export function createDirWatcher(backend: WatchBackend): DirWatcher {
  return backend === "chokidar" ? createChokidarDirWatcher() : createFsDirWatcher();
}
