/** A binary min-heap of deadlines; entries carry a token so a superseded one can be skipped lazily. */
export interface DeadlineHeap<T> {
  push(at: number, item: T, token: number): void;
  /** The earliest entry, without removing it. */
  peek(): { at: number; item: T; token: number } | undefined;
  pop(): { at: number; item: T; token: number } | undefined;
  size(): number;
}

/** Creates an empty heap: push and pop are O(log n). */
export function createDeadlineHeap<T>(): DeadlineHeap<T> {
  const heap: Array<{ at: number; item: T; token: number }> = [];
  const swap = (i: number, j: number) => {
    const t = heap[i]!;
    heap[i] = heap[j]!;
    heap[j] = t;
  };
  return {
    push(at, item, token) {
      heap.push({ at, item, token });
      let i = heap.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (heap[parent]!.at <= heap[i]!.at) break;
        swap(i, parent);
        i = parent;
      }
    },
    peek: () => heap[0],
    pop() {
      const top = heap[0];
      const last = heap.pop();
      if (heap.length > 0 && last !== undefined) {
        heap[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && heap[l]!.at < heap[m]!.at) m = l;
          if (r < heap.length && heap[r]!.at < heap[m]!.at) m = r;
          if (m === i) break;
          swap(i, m);
          i = m;
        }
      }
      return top;
    },
    size: () => heap.length,
  };
}
