import type { Snapshot, WorkerView } from "@catalyst/schema";
import type { Paint, SgrName } from "./colour.js";
import { clean, formatTime } from "./format-pretty.js";

/** The fleet at a time, as a readable table per orchestrator (the `pretty` view of `--snapshot`). */
export function formatSnapshot(snapshot: Snapshot, at: Date, paint: Paint): string {
  const lines: string[] = [paint("bold", `Fleet at ${formatTime(at.getTime(), at.toISOString())}`), ""];
  if (snapshot.orchestrators.length === 0) {
    lines.push("(no orchestrators)");
    return `${lines.join("\n")}\n`;
  }
  for (const orch of snapshot.orchestrators) {
    const p = orch.progress;
    const waves = orch.totalWaves > 0 ? `  wave ${orch.currentWave}/${orch.totalWaves}` : "";
    lines.push(
      `${paint("bold", clean(orch.id))}  ${clean(orch.status ?? "-")}${waves}  ${p.done}/${p.total} done` +
        (p.failed > 0 ? paint("red", `  ${p.failed} failed`) : ""),
    );
    const workers = Object.values(orch.workers).sort((a, b) => a.ticket.localeCompare(b.ticket));
    if (workers.length === 0) {
      lines.push("  (no workers)", "");
      continue;
    }
    const ticketWidth = Math.max(6, ...workers.map((w) => clean(w.ticket).length));
    const statusWidth = Math.max(6, ...workers.map((w) => clean(w.status).length));
    lines.push(
      paint(
        "dim",
        `  ${"TICKET".padEnd(ticketWidth)}  ${"STATUS".padEnd(statusWidth)}  PHASE  ${"PR".padEnd(6)}  UPDATED`,
      ),
    );
    for (const worker of workers) lines.push(formatWorker(worker, ticketWidth, statusWidth, paint));
    lines.push("");
  }
  for (const item of snapshot.needsYou) {
    lines.push(
      paint(
        "yellow",
        `needs you: ${clean(item.orchestrator)}${item.worker ? ` ${clean(item.worker)}` : ""}`,
      ) + ` ${item.reason}: ${clean(item.message)}`,
    );
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

function formatWorker(worker: WorkerView, ticketWidth: number, statusWidth: number, paint: Paint): string {
  const status = clean(worker.status);
  const pr = worker.pr ? `#${worker.pr.number}${worker.pr.state === "merged" ? "✓" : ""}` : "-";
  const updated = worker.updatedAt ? formatTime(Date.parse(worker.updatedAt), worker.updatedAt) : "-";
  return `  ${clean(worker.ticket).padEnd(ticketWidth)}  ${paint(statusTone(status), status.padEnd(statusWidth))}  ${String(worker.phase).padStart(5)}  ${pr.padEnd(6)}  ${updated}`;
}

function statusTone(status: string): SgrName {
  if (status === "failed" || status === "deploy-failed") return "red";
  if (status === "stalled") return "yellow";
  if (status === "done" || status === "merged") return "green";
  if (status === "dispatched") return "dim";
  return "blue";
}
