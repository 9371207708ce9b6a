import type { OrchestratorView } from "@catalyst/schema";

/**
 * The JSON of an orchestrator view, kept per view object: fuse hands out the same
 * OrchestratorView while an orchestrator is unchanged, so after one change only that orchestrator
 * is stringified again.
 */
export function createOrchestratorJsonCache(): (view: OrchestratorView) => string {
  const cache = new WeakMap<OrchestratorView, string>();
  return (view) => {
    let text = cache.get(view);
    if (text === undefined) {
      text = JSON.stringify(view);
      cache.set(view, text);
    }
    return text;
  };
}

/** The fields whose arrays {@link snapshotJsonPieces} hands out an item at a time (both grow with the fleet). */
const PIECEWISE = new Set(["orchestrators", "needsYou"]);

/**
 * The JSON of a snapshot (or of any object with an `orchestrators` array, e.g. a time-travel
 * answer with `at`) in pieces: one piece per orchestrator and per needs-you row, one per other
 * field. Joined, the pieces equal `JSON.stringify(value)`; each is made only when asked for, so a
 * caller can give its event loop a turn between them. `orchestratorJson` may serve each
 * orchestrator's text from a cache ({@link createOrchestratorJsonCache}).
 */
export function* snapshotJsonPieces(
  value: { orchestrators: readonly unknown[] },
  orchestratorJson?: (view: OrchestratorView) => string,
): Generator<string, void, undefined> {
  let first = true;
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
    const name = `${first ? "{" : ","}${JSON.stringify(key)}:`;
    first = false;
    if (!PIECEWISE.has(key) || !Array.isArray(v)) {
      yield `${name}${JSON.stringify(v)}`;
      continue;
    }
    if (v.length === 0) {
      yield `${name}[]`;
      continue;
    }
    const itemJson = key === "orchestrators" && orchestratorJson ? orchestratorJson : JSON.stringify;
    for (const [i, item] of v.entries()) {
      const text =
        item === undefined || typeof item === "function" || typeof item === "symbol"
          ? "null"
          : itemJson(item);
      yield `${i === 0 ? `${name}[` : ","}${text}${i === v.length - 1 ? "]" : ""}`;
    }
  }
  yield first ? "{}" : "}";
}

/** How {@link snapshotJsonStream} shares the event loop. */
export interface JsonStreamOptions {
  /** Bytes of JSON text gathered into one chunk at most (default 64 KiB). */
  chunkChars?: number;
  /** The event loop gets a turn between chunks once this many ms passed since the last (default 5; 0: every chunk). */
  sliceMs?: number;
  /** Called at each turn given back (tests count them). */
  onSlice?: () => void;
}

/**
 * A web stream of the JSON of `value` (see {@link snapshotJsonPieces}), UTF-8, made a chunk at a
 * time as the reader asks, with turns of the event loop in between: a large answer (a time-travel
 * snapshot at 10,000 workers is ~7 MB) never holds the loop for its whole stringify.
 */
export function snapshotJsonStream(
  value: { orchestrators: readonly unknown[] },
  options: JsonStreamOptions = {},
): ReadableStream<Uint8Array> {
  const pieces = snapshotJsonPieces(value);
  const encoder = new TextEncoder();
  const chunkChars = options.chunkChars ?? 64 * 1024;
  const sliceMs = options.sliceMs ?? 5;
  let turn = performance.now();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (performance.now() - turn >= sliceMs) {
        options.onSlice?.();
        await new Promise((resolve) => setImmediate(resolve));
        turn = performance.now();
      }
      let text = "";
      for (;;) {
        const piece = pieces.next();
        if (piece.done) {
          if (text !== "") controller.enqueue(encoder.encode(text));
          controller.close();
          return;
        }
        text += piece.value;
        if (text.length >= chunkChars) break;
      }
      controller.enqueue(encoder.encode(text));
    },
  });
}
