// The bin's ES module body (dist/bin.js): every command. The installed bin starts in fast-bin.ts
// (dist/bin.cjs), which runs a plain jsonl query itself and imports this for anything else. The
// only place, with fast-bin.ts, that exits. main resolves with the exit code.
import { exitWhenFlushed, guardStdio } from "./bin-io.js";
import { main } from "./main.js";

guardStdio();
const code = await main(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  // Loaded only for --at --snapshot from a checkpoint (see short-fold-heap.ts).
  tuneHeapForShortFold: async () => {
    const { tuneHeapForShortFold } = await import("./short-fold-heap.js");
    tuneHeapForShortFold();
  },
});
exitWhenFlushed(code);
