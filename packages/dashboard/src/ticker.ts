// Live ages: every element made by `ageCell` carries its timestamp, so a one-second tick can
// refresh the text without re-rendering anything.
import { formatAge } from "./format.js";

/** Refreshes the text (and the stale mark) of every `[data-age-since]` element under `root`. */
export function tickAges(root: ParentNode, now: number): void {
  for (const node of root.querySelectorAll<HTMLElement>("[data-age-since]")) {
    const since = Number(node.dataset.ageSince);
    if (!Number.isFinite(since)) continue;
    const text = formatAge(now - since);
    if (node.textContent !== text) node.textContent = text;
    const staleAfter = Number(node.dataset.staleAfter);
    if (Number.isFinite(staleAfter)) node.classList.toggle("stale", now - since > staleAfter);
  }
}

/**
 * Ends row highlights whose time is up. Off-screen cards do not run animations
 * (content-visibility), so a stale `.changed` would replay when the card scrolls into view.
 */
export function expireHighlights(root: ParentNode, now: number, highlightMs: number): void {
  for (const row of root.querySelectorAll<HTMLElement>("tr.changed")) {
    if (now - Number(row.dataset.changedAt) >= highlightMs) row.classList.remove("changed");
  }
}

/** Calls `tick` once a second until the returned function is called. */
export function startTicker(tick: (now: number) => void, everyMs = 1000): () => void {
  const handle = setInterval(() => tick(Date.now()), everyMs);
  return () => clearInterval(handle);
}
