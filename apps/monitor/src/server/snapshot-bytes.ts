import type { Snapshot } from "@catalyst/schema";

/** How `/api/snapshot` keeps its bytes; see {@link createSnapshotBytes}. */
export interface SnapshotBytesOptions {
  /** Serialise a snapshot (the SSE hub's serializer, which caches each orchestrator's JSON). */
  serialize: (snapshot: Snapshot) => string;
  /** While loading, the bytes are kept at least this long. @default 1_000 */
  loadingRefreshMs?: number;
  /**
   * While loading, the bytes are also kept this many times as long as building them took, so
   * answering pollers costs at most about 1/costFactor of the process however large the fleet
   * (at 10,000 workers one build is a few hundred ms, and a 1 s refresh spent a sixth of a start-up
   * on them, issue 26). @default 10
   */
  costFactor?: number;
  now?: () => number;
}

/**
 * The encoded JSON of the current snapshot, built once per snapshot object (many pollers share the
 * bytes). While the monitor loads, the fleet changes with nearly every slice it applies, so the
 * bytes last built are served until they are `loadingRefreshMs` old and `costFactor` times as old
 * as building them took; once loaded every change is served at once.
 */
export function createSnapshotBytes(options: SnapshotBytesOptions) {
  const refreshMs = options.loadingRefreshMs ?? 1_000;
  const costFactor = options.costFactor ?? 10;
  const now = options.now ?? (() => performance.now());
  const encoder = new TextEncoder();
  let built: { snapshot: Snapshot; bytes: Uint8Array<ArrayBuffer>; at: number; costMs: number } | null = null;
  let builds = 0;
  return {
    /** The bytes to answer with; `snapshot` is called only when they may be rebuilt. */
    get(snapshot: () => Snapshot, loading: boolean): Uint8Array<ArrayBuffer> {
      const started = now();
      if (loading && built !== null && started - built.at < Math.max(refreshMs, costFactor * built.costMs))
        return built.bytes;
      const current = snapshot();
      if (built?.snapshot === current) return built.bytes;
      const bytes = encoder.encode(options.serialize(current));
      builds += 1;
      const at = now();
      built = { snapshot: current, bytes, at, costMs: at - started };
      return bytes;
    },
    /** Encodings so far (for tests: work, not time). */
    builds: () => builds,
  };
}
