/**
 * Where text goes: `process.stdout` in the CLI, a string collector in tests. When `write`
 * returns false and the sink can say `drain`, the writer waits for it (backpressure).
 */
export interface TextSink {
  /** `callback`, when the sink takes one, runs once the chunk has been written out. */
  write(chunk: string | Uint8Array, callback?: (error?: Error | null) => void): unknown;
  once?(event: "drain", listener: () => void): unknown;
}

/** A sink that collects everything written into `text`, for tests and embedding. */
export function createStringSink(): TextSink & { text: string } {
  const sink = {
    text: "",
    write(chunk: string | Uint8Array, callback?: (error?: Error | null) => void): boolean {
      sink.text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      callback?.();
      return true;
    },
  };
  return sink;
}

const DEFAULT_CHUNK = 64 * 1024;

/** Batches many small writes into few large ones; `flush` respects the sink's backpressure. */
export interface OutputBuffer {
  /** Queue text; returns true when the buffer is full and should be flushed. */
  push(text: string): boolean;
  flush(): Promise<void>;
}

/** Create a buffer in front of a sink. @default chunkChars 65536 */
export function createOutputBuffer(sink: TextSink, chunkChars = DEFAULT_CHUNK): OutputBuffer {
  let pending: string[] = [];
  let size = 0;
  return {
    push(text) {
      pending.push(text);
      size += text.length;
      return size >= chunkChars;
    },
    async flush() {
      if (size === 0 && pending.length === 0) return;
      const text = pending.join("");
      pending = [];
      size = 0;
      if (text === "") return;
      const ok = sink.write(text);
      if (ok === false && typeof sink.once === "function") {
        await new Promise<void>((resolve) => sink.once?.("drain", resolve));
      }
    },
  };
}
