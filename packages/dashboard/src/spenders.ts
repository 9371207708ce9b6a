// The tickets that cost the most: DOM-free, so Node tests import it without a browser.
import type { Snapshot, WorkerView } from "@catalyst/schema";

function costOf(w: WorkerView): number {
  const usd = w.cost?.costUSD;
  return typeof usd === "number" && Number.isFinite(usd) ? usd : 0;
}

function bySpend(a: WorkerView, b: WorkerView): number {
  return (
    costOf(b) - costOf(a) || a.orchestrator.localeCompare(b.orchestrator) || a.ticket.localeCompare(b.ticket)
  );
}

/** The `n` workers that cost the most, most first (ties by orchestrator, then ticket). */
export function topSpenders(snapshot: Snapshot, n: number): WorkerView[] {
  const top: WorkerView[] = [];
  for (const o of snapshot.orchestrators)
    for (const w of Object.values(o.workers)) {
      if (costOf(w) <= 0) continue;
      top.push(w);
      // Kept short while scanning: a sort of at most 4n, not of the fleet.
      if (top.length > n * 4) {
        top.sort(bySpend);
        top.length = n;
      }
    }
  return top.sort(bySpend).slice(0, n);
}
