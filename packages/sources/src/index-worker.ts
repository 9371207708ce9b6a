// The body of an index worker thread (see `index-pool.ts`). It indexes one file at a time by the
// main thread's open descriptor (threads of one process share descriptors, so the worker opens
// nothing and cannot read another inode than the one the main thread checked), with blocking
// reads: this thread does nothing else. It imports only the byte scan; the line parser (and zod)
// is loaded the first time a line needs parsing.
import { readSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import type { IndexJobMessage, IndexWorkerReply } from "./index-pool.js";
import { extendFileIndex, type RangeReader } from "./log-index.js";
import type { checkLogLine } from "./parse-log-line.js";

let checker: Promise<typeof checkLogLine> | null = null;
const loadChecker = (): Promise<typeof checkLogLine> => {
  checker ??= import("./parse-log-line.js").then((m) => m.checkLogLine);
  return checker;
};

const port = parentPort;
if (port !== null) {
  port.on("message", async (job: IndexJobMessage) => {
    const reply = (message: IndexWorkerReply): void => port.postMessage(message);
    try {
      const reader: RangeReader = {
        read: async (buffer, offset, length, position) => ({
          bytesRead: readSync(job.fd, buffer, offset, length, position),
        }),
      };
      const result = await extendFileIndex(
        reader,
        job.file,
        job.info,
        job.prev,
        job.maxLineBytes,
        job.blockBytes,
        loadChecker,
        job.progress
          ? (p) => reply({ id: job.id, type: "progress", done: p.done, total: p.total })
          : undefined,
      );
      reply({ id: job.id, type: "done", result });
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      reply({
        id: job.id,
        type: "error",
        message: error instanceof Error ? error.message : String(error),
        ...(typeof code === "string" ? { code } : {}),
      });
    }
  });
}
