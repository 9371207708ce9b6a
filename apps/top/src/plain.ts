// `--once` and a stdout that is not a terminal: one plain table, for scripts and `watch`.
import type { Snapshot } from "@catalyst/schema/constants";
import {
  countFleet,
  countsLine,
  formatHeaderRow,
  formatWorkerRow,
  hostColumnWidth,
  hostParts,
  hostsLine,
  NO_VIEW_FILTER,
  orchestratorLine,
  workerRows,
} from "./view-model.js";

/** The whole fleet as plain text lines (no colour, no cursor codes), `columns` wide. */
export function plainTable(snapshot: Snapshot, columns = 100, nowMs = Date.now()): string {
  const lines: string[] = [];
  if (snapshot.at !== undefined)
    lines.push(`viewing ${snapshot.at} (the past, from the event log; not live)`);
  lines.push(countsLine(countFleet(snapshot)));
  const hosts = hostParts(snapshot, nowMs);
  if (hosts !== null) lines.push(hostsLine(hosts));
  if (snapshot.loading)
    lines.push(`(still loading: ${snapshot.loading.phase}, ${snapshot.loading.records} log lines)`);
  lines.push("");
  if (snapshot.needsYou.length === 0) lines.push("needs you: nothing");
  else {
    lines.push(`NEEDS YOU (${snapshot.needsYou.length})`);
    for (const n of snapshot.needsYou)
      lines.push(`  ${n.reason} ${n.worker ?? (n.orchestrator || "fleet")} ${n.message}`);
  }
  lines.push("");
  for (const o of snapshot.orchestrators) lines.push(`${o.id} ${o.status ?? "-"} · ${orchestratorLine(o)}`);
  lines.push("");
  const hostWidth = hostColumnWidth(snapshot);
  lines.push(formatHeaderRow(columns, hostWidth).trimEnd());
  for (const row of workerRows(snapshot, NO_VIEW_FILTER))
    lines.push(formatWorkerRow(row, columns, nowMs, false, hostWidth).trimEnd());
  return `${lines.join("\n")}\n`;
}
