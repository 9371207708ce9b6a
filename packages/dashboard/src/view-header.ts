// The header: fleet totals, the connection state and the snapshot time.

import type { ConnectionStatus } from "@catalyst/client";
import type { Snapshot } from "@catalyst/schema";
import { el } from "./dom.js";
import { formatClock } from "./format.js";
import { isFinished } from "./status-tone.js";

/** Shows the connection state: a coloured dot, a word, and a retry countdown while reconnecting. */
export function renderConnection(container: HTMLElement, status: ConnectionStatus, now: number): void {
  container.dataset.state = status.state;
  const text = container.querySelector<HTMLElement>("[data-role=text]");
  const retry = container.querySelector<HTMLButtonElement>("[data-role=retry]");
  if (!text || !retry) return;
  retry.hidden = status.state !== "reconnecting";
  switch (status.state) {
    case "connecting":
      text.textContent = status.attempt > 0 ? `connecting… (attempt ${status.attempt})` : "connecting…";
      break;
    case "live":
      text.textContent = status.resumed ? "live (resumed)" : "live";
      break;
    case "reconnecting": {
      const secs = Math.max(0, Math.ceil((status.retryAt - now) / 1000));
      text.textContent = `reconnecting in ${secs}s (${status.reason}, attempt ${status.attempt})`;
      break;
    }
  }
}

/** Fleet totals: orchestrators, workers, active, failed. */
export function renderSummary(container: HTMLElement, snapshot: Snapshot | null): void {
  if (!snapshot) {
    container.replaceChildren();
    return;
  }
  let workers = 0;
  let active = 0;
  let failed = 0;
  for (const orch of snapshot.orchestrators) {
    for (const w of Object.values(orch.workers)) {
      workers += 1;
      if (!isFinished(w.status)) active += 1;
      if (w.status === "failed") failed += 1;
    }
  }
  const stat = (n: number, label: string, cls = "") =>
    el("span", { class: `sum ${cls}` }, el("b", null, String(n)), ` ${label}`);
  container.replaceChildren(
    stat(
      snapshot.orchestrators.length,
      snapshot.orchestrators.length === 1 ? "orchestrator" : "orchestrators",
    ),
    stat(workers, "workers"),
    stat(active, "active", "sum-active"),
    stat(failed, "failed", failed > 0 ? "sum-failed" : ""),
  );
}

/**
 * "data as of HH:MM:SS", like the reference header. The last event id (the resume point) goes in
 * `data-last-id` and the tooltip: the monitor numbers events from its start time, so it is long.
 */
export function renderSnapshotTime(container: HTMLElement, snapshot: Snapshot | null, lastId: number): void {
  const loading = snapshot?.loading;
  if (loading) {
    // The monitor is still reading its sources: the fleet shown is what it has read so far, and
    // a full snapshot replaces this once loading is over.
    const what =
      loading.phase === "history"
        ? `loading event history${loading.records > 0 ? ` (${loading.records.toLocaleString("en")} lines)` : ""}…`
        : "scanning files…";
    container.replaceChildren(
      el("span", { class: "loading-indicator", role: "progressbar", "aria-busy": "true" }, what),
    );
    container.dataset.loading = loading.phase;
  } else {
    container.textContent = snapshot ? `data as of ${formatClock(snapshot.generatedAt)}` : "no data yet";
    delete container.dataset.loading;
  }
  container.title = snapshot ? `${snapshot.generatedAt} · last event id ${lastId}` : "";
  container.dataset.lastId = String(lastId);
}
