// Small cells shared by the views: status chips and live ages.
import { el } from "./dom.js";
import { formatAgeSince, parseTime } from "./format.js";

/** A worker counts as stale when its last update is older than this (the reference UI: 10 min). */
export const STALE_AFTER_MS = 10 * 60_000;

/** A coloured chip; `tone` is one of status-tone.ts's tones. */
export function chip(text: string, tone: string, title?: string): HTMLElement {
  return el("span", { class: `chip tone-${tone}`, title }, text);
}

/** An element whose text the age ticker refreshes every second (see ticker.ts). */
export function ageCell(iso: string | null, now: number, staleWhenOld: boolean): HTMLElement {
  const at = parseTime(iso);
  const node = el("span", { class: "age", title: iso ?? "no timestamp" }, formatAgeSince(iso, now));
  if (at !== null) {
    node.dataset.ageSince = String(at);
    if (staleWhenOld) {
      node.dataset.staleAfter = String(STALE_AFTER_MS);
      node.title = `${iso} (stale after ${STALE_AFTER_MS / 60_000} min without an update)`;
    }
    if (staleWhenOld && now - at > STALE_AFTER_MS) node.classList.add("stale");
  }
  return node;
}
