// `--at --snapshot` from a fold checkpoint builds a fleet state that lives until the process
// exits, and little else: nearly all it allocates survives. V8 answers that by growing its young
// generation to the largest it allows (2 × 16 MB semi-spaces on 64-bit) and its old generation in
// big steps, headroom that the peak RSS carries on top of the fleet (issue 25: 113–125 MB on 1 GB
// against a < 100 MB goal, ~90 MB with these settings). A long fold from the start of the log is
// the opposite case (most of what it allocates dies young) and runs ~75 % longer with them, so
// the bin sets them only when a checkpoint is there to fold from.

import { setFlagsFromString } from "node:v8";

/**
 * The Node majors these V8 flags were checked on. `setFlagsFromString` prints "unrecognized flag"
 * to stderr for a flag a V8 does not know, so elsewhere the heap is left as V8 sizes it.
 */
const CHECKED_NODE_MAJORS = new Set([20]);

/**
 * From now on keep V8's young generation at its initial size and grow the old one by 20 % steps
 * (both flags are read each time V8 resizes, so setting them after start-up takes effect). Only
 * the bin calls this: it changes the whole process. Returns whether the flags were set.
 */
export function tuneHeapForShortFold(nodeVersion = process.versions.node): boolean {
  if (!CHECKED_NODE_MAJORS.has(Number(nodeVersion.split(".")[0]))) return false;
  setFlagsFromString("--semi-space-growth-factor=1");
  setFlagsFromString("--heap-growing-percent=20");
  return true;
}
