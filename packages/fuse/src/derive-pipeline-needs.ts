import type { NeedsYouItem, WorkerView } from "@catalyst/schema";
import { msOf } from "./time.js";

// "Needs you" rows of an execution-core ticket (issue 23): needs-input, needs-human, a failed or
// stalled phase, a blocked job, a dead job of a running phase, and a self-wait (`awaiting-work`)
// past its bound. The generic "no update since" rule does not apply: a ticket between phases is
// waiting for the scheduler, not stalled. Messages hold no durations, so rows change only when
// the ticket's situation does.

/** The rows of one execution-core worker view at `nowMs`; empty for any other view. */
export function derivePipelineNeeds(w: WorkerView, nowMs: number): NeedsYouItem[] {
  const p = w.pipeline;
  if (!p) return [];
  const items: NeedsYouItem[] = [];
  const row = (reason: NeedsYouItem["reason"], message: string, since: string | null) =>
    items.push({ orchestrator: w.orchestrator, worker: w.ticket, reason, message, since });
  const where = `${p.phase} (${p.column})`;
  const why = w.error ? `: ${w.error}` : "";
  if (p.phaseStatus === "failed") row("failed", `Phase ${where} failed${why}`, w.updatedAt);
  else if (p.phaseStatus === "stalled") row("stalled", `Phase ${where} stalled${why}`, w.updatedAt);
  else if (p.phaseStatus === "needs-input")
    row("attention", `needs-input: phase ${where} waits for your answer`, p.attentionSince ?? w.updatedAt);
  else if (p.attention === "needs-human") row("attention", `needs-human: ${where}${why}`, p.attentionSince);
  if (p.job === "waiting-on-you")
    row("attention", `waiting on you: job ${p.jobId ?? "?"} is blocked on a prompt`, p.attentionSince);
  if (p.job === "dead") row("dead", `Job ${p.jobId ?? "?"} of phase ${p.phase} is gone`, w.updatedAt);
  if (p.phaseStatus === "awaiting-work" && p.yieldDeadline !== null && nowMs > msOf(p.yieldDeadline)) {
    row("stalled", `awaiting-work past its bound in phase ${p.phase}`, p.yieldDeadline);
  }
  if (w.corrupt) row("corrupt", w.corrupt.reason, w.corrupt.since);
  return items;
}
