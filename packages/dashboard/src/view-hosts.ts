// The hosts strip of a monitor that fuses several machines (`catalyst-monitor --nats`): each host
// with its last heartbeat, and a "stale" badge for a host that went silent (its workers keep their
// last known state; they are not dead), and how many log lines its publisher skipped. Clicking a host filters the page to it. On a single-host
// monitor the snapshot has no hosts and the strip stays hidden, so the page is as it always was.
import { describeSkippedLines, describeStaleHost, formatSilence, heartbeatAgeMs } from "@catalyst/client";
import type { HostView, Snapshot } from "@catalyst/schema";
import { el, replaceChildren } from "./dom.js";
import type { Filters } from "./filters.js";
import { parseTime } from "./format.js";
import { ageCell } from "./view-cells.js";

function renderHost(host: HostView, selected: boolean, now: number, onPick: (name: string) => void) {
  const pick = el(
    "button",
    {
      type: "button",
      class: "host-pick",
      "aria-pressed": selected ? "true" : "false",
      title: selected ? `show every host` : `show only ${host.name}`,
    },
    host.name,
  );
  pick.addEventListener("click", () => onPick(host.name));
  const stale = describeStaleHost(host, now);
  const since = parseTime(host.lastHeartbeat);
  const badge =
    stale === null
      ? null
      : el(
          "span",
          {
            class: "chip tone-stalled host-stale-badge",
            title: `no heartbeat since ${host.lastHeartbeat ?? "the monitor started"}: its workers show their last known state`,
            // The ticker rewords the badge every second (tickHostBadges).
            "data-stale-since": since ?? undefined,
          },
          stale,
        );
  return el(
    "li",
    {
      class: `host${host.stale ? " is-stale" : ""}`,
      "data-host": host.name,
      "data-stale": String(host.stale),
    },
    pick,
    badge ??
      el(
        "span",
        { class: "host-beat" },
        heartbeatAgeMs(host, now) === null
          ? "no heartbeat yet"
          : el("span", null, "heartbeat ", ageCell(host.lastHeartbeat, now, false), " ago"),
      ),
    host.skipped && host.skipped.lines > 0
      ? el(
          "span",
          {
            class: "chip tone-stalled host-skipped",
            title: `log lines this host's publisher could not take, in ${host.skipped.files} file${host.skipped.files === 1 ? "" : "s"} (catalyst-monitor hosts list)`,
          },
          describeSkippedLines(host),
        )
      : null,
  );
}

/** Rewords every stale badge under `root` from its heartbeat time (called once a second). */
export function tickHostBadges(root: ParentNode, now: number): void {
  for (const node of root.querySelectorAll<HTMLElement>("[data-stale-since]")) {
    const since = Number(node.dataset.staleSince);
    if (!Number.isFinite(since)) continue;
    const text = `stale — no heartbeat for ${formatSilence(now - since)}`;
    if (node.textContent !== text) node.textContent = text;
  }
}

/** The hosts strip: rebuilt only when the host list or the host filter changed. */
export interface HostsView {
  render(snapshot: Snapshot | null, filters: Filters, now: number): void;
}

/** Creates the strip in `container`; `onPick` gets the host name clicked. */
export function createHostsView(container: HTMLElement, onPick: (name: string) => void): HostsView {
  let shownHosts: readonly HostView[] | null = null;
  let shownPicked = "";
  return {
    render(snapshot, filters, now) {
      const hosts = snapshot?.hosts ?? null;
      const picked = filters.host.join(",").toLowerCase();
      // applyDelta keeps the same host array until a `hosts` frame replaces it; ages tick alone.
      if (hosts === shownHosts && picked === shownPicked) return;
      shownHosts = hosts;
      shownPicked = picked;
      renderHosts(container, snapshot, filters, now, onPick);
    },
  };
}

/** Renders the strip; hidden when the snapshot has no hosts. */
export function renderHosts(
  container: HTMLElement,
  snapshot: Snapshot | null,
  filters: Filters,
  now: number,
  onPick: (name: string) => void,
): void {
  const hosts = snapshot?.hosts;
  if (!hosts) {
    container.hidden = true;
    container.replaceChildren();
    return;
  }
  container.hidden = false;
  const stale = hosts.filter((h) => h.stale).length;
  container.dataset.stale = String(stale);
  const picked = new Set(filters.host.map((h) => h.toLowerCase()));
  replaceChildren(
    container,
    el(
      "h2",
      { class: "panel-title" },
      "Hosts",
      el("span", { class: "count" }, String(hosts.length)),
      stale > 0 ? el("span", { class: "count count-warn" }, `${stale} stale`) : null,
    ),
    hosts.length === 0
      ? el("p", { class: "muted" }, "No host has published yet.")
      : el(
          "ul",
          { class: "host-list" },
          ...hosts.map((h) => renderHost(h, picked.has(h.name.toLowerCase()), now, onPick)),
        ),
  );
}
