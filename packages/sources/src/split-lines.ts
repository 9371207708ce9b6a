/** A complete line (without `\n` or a trailing `\r`) or a line that was over the cap and dropped. */
export type SplitItem =
  | { kind: "line"; offset: number; text: string }
  | { kind: "oversized"; offset: number; bytes: number };

/** Cuts a byte stream into lines, carrying a partial line between chunks. */
export interface LineSplitter {
  /** Feed the next chunk; the chunk may be reused by the caller afterwards. */
  push(chunk: Buffer): SplitItem[];
  /** The byte offset of the next byte expected. */
  position(): number;
  /** Bytes held in the carried partial line (including discarded bytes of an oversized one). */
  pendingBytes(): number;
  /** The carried partial line as text, or null when it is empty or oversized; clears it. */
  takePartial(): { offset: number; text: string } | null;
}

/**
 * Create a splitter whose first byte sits at `startOffset`. A line longer than `maxLineBytes` is
 * never buffered whole: its bytes are dropped as they arrive and it comes out as `oversized`.
 */
export function createLineSplitter(startOffset: number, maxLineBytes: number): LineSplitter {
  let pos = startOffset;
  let parts: Buffer[] = [];
  let partLen = 0;
  let partStart = startOffset;
  let discarding = false;

  function clearPartial(): void {
    parts = [];
    partLen = 0;
    discarding = false;
  }

  return {
    push(chunk) {
      const out: SplitItem[] = [];
      let i = 0;
      while (i < chunk.length) {
        const nl = chunk.indexOf(10, i);
        if (nl === -1) {
          const len = chunk.length - i;
          if (partLen === 0 && !discarding) partStart = pos + i;
          if (!discarding && partLen + len > maxLineBytes) {
            discarding = true;
            parts = [];
          }
          // Copy: the caller may reuse its read buffer.
          if (!discarding) parts.push(Buffer.from(chunk.subarray(i)));
          partLen += len;
          break;
        }
        const hasPartial = partLen > 0 || discarding;
        const lineStart = hasPartial ? partStart : pos + i;
        const total = partLen + (nl - i);
        if (discarding || total > maxLineBytes) {
          out.push({ kind: "oversized", offset: lineStart, bytes: total });
        } else {
          let text =
            parts.length > 0
              ? Buffer.concat([...parts, chunk.subarray(i, nl)]).toString("utf8")
              : chunk.toString("utf8", i, nl);
          if (text.endsWith("\r")) text = text.slice(0, -1);
          out.push({ kind: "line", offset: lineStart, text });
        }
        clearPartial();
        i = nl + 1;
      }
      pos += chunk.length;
      return out;
    },
    position: () => pos,
    pendingBytes: () => partLen,
    takePartial() {
      const wasDiscarding = discarding;
      const text = parts.length > 0 ? Buffer.concat(parts).toString("utf8") : "";
      const offset = partStart;
      clearPartial();
      if (wasDiscarding || text === "") return null;
      return { offset, text };
    },
  };
}
