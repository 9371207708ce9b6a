// Browser entry of the dashboard (bundled to dist/public/app.js by this package's tsup.config.ts):
// wires the SSE connection to the store and the store to the views.
import { type ConnectionStatus, createMonitorConnection, staleHostNames } from "@catalyst/client";
import { requireElement } from "./dom.js";
import { type Filters, formatFilters, NO_FILTERS, parseFilters } from "./filters.js";
import { createStore } from "./store.js";
import { expireHighlights, startTicker, tickAges } from "./ticker.js";
import { focusLinkedWorker, startAlertsView } from "./view-alerts.js";
import { createBriefingDrawer } from "./view-briefing.js";
import { createEventsView } from "./view-events.js";
import { createFilterBar } from "./view-filter-bar.js";
import { countVisible, createFleetView } from "./view-fleet.js";
import { renderConnection, renderSnapshotTime, renderSummary } from "./view-header.js";
import { createHostsView, tickHostBadges } from "./view-hosts.js";
import { renderNeedsYou } from "./view-needs-you.js";
import { renderSpend, renderTopSpenders } from "./view-spend.js";
import { createTimeTravelView } from "./view-time-travel.js";
import { tickTimelines } from "./view-timeline.js";
import { HIGHLIGHT_MS } from "./view-worker-row.js";

function startDashboard(): void {
  const page = {
    connection: requireElement("connection"),
    summary: requireElement("fleet-summary"),
    spend: requireElement("fleet-spend"),
    topSpenders: requireElement("top-spenders"),
    snapshotTime: requireElement("snapshot-time"),
    needsYou: requireElement("needs-you"),
    hosts: requireElement("hosts"),
    filterBar: requireElement("filter-bar"),
    fleet: requireElement("fleet"),
    events: requireElement("events"),
    drawer: requireElement("briefing-drawer"),
    timeTravel: requireElement("time-travel"),
  };
  const store = createStore();
  let filters: Filters = parseFilters(location.search);
  let showLog = false;
  // Orchestrators shown as a timeline; kept in the URL hash so a reload keeps the choice.
  const timelines = new Set<string>(
    new URLSearchParams(location.hash.slice(1)).getAll("timeline").filter((id) => id !== ""),
  );
  const setTimeline = (id: string, on: boolean) => {
    if (on) timelines.add(id);
    else timelines.delete(id);
    const hash = new URLSearchParams();
    for (const t of timelines) hash.append("timeline", t);
    const text = hash.toString();
    history.replaceState(null, "", `${location.pathname}${location.search}${text ? `#${text}` : ""}`);
    scheduleRender();
  };
  let status: ConnectionStatus = { state: "connecting", attempt: 0 };
  let wasLive = false;

  const setFilters = (next: Filters) => {
    filters = next;
    history.replaceState(
      null,
      "",
      `${location.pathname}${formatFilters(filters, location.search)}${location.hash}`,
    );
    scheduleRender();
  };
  const filterBar = createFilterBar(page.filterBar, setFilters);
  // A click on a host shows only that host; a second click shows every host again.
  const hostsView = createHostsView(page.hosts, (name) => {
    const on = filters.host.length === 1 && filters.host[0]!.toLowerCase() === name.toLowerCase();
    setFilters({ ...filters, host: on ? [] : [name] });
  });
  const fleetView = createFleetView(page.fleet);
  const eventsView = createEventsView(page.events, (show) => {
    showLog = show;
    scheduleRender();
  });
  const renderStats = { renders: 0, totalMs: 0, maxMs: 0 };
  const drawer = createBriefingDrawer(page.drawer, new URLSearchParams(location.search).get("token"));
  // `?at=`: the fleet at a past time instead of the live one (the connection keeps running).
  const travel = createTimeTravelView(page.timeTravel, {
    token: new URLSearchParams(location.search).get("token"),
    onChange: () => scheduleRender(),
  });
  const noHighlights = new Map<string, number>();

  // An alert's deep link names a worker: show its row once (view-alerts.ts).
  let linkedDone = false;
  const render = () => {
    const started = performance.now();
    const state = store.getState();
    // Viewing a past time: that moment's fleet, with its ages and timeline edge as of then.
    const past = travel.atMs();
    const snapshot = past === null ? state.snapshot : travel.snapshot();
    const now = past ?? Date.now();
    renderSummary(page.summary, snapshot);
    renderSpend(page.spend, state.snapshot, store.spent, Date.now());
    renderSnapshotTime(page.snapshotTime, snapshot, state.lastId);
    renderNeedsYou(page.needsYou, snapshot, filters, now);
    hostsView.render(snapshot, filters, now);
    renderTopSpenders(page.topSpenders, snapshot);
    filterBar.update(snapshot, filters, countVisible(snapshot, filters));
    fleetView.render({
      snapshot,
      filters,
      changedAt: past === null ? state.changedAt : noHighlights,
      now,
      // Only a multi-host monitor's snapshot has hosts: then the table gains its Host column.
      staleHosts: snapshot?.hosts ? staleHostNames(snapshot) : null,
      onClearFilters: () => setFilters({ ...NO_FILTERS }),
      timelines,
      onView: setTimeline,
      onBriefing: (target) => drawer.open(target),
    });
    eventsView.render({
      feed: state.feed,
      filters,
      showLog,
      orchestrators: state.snapshot?.orchestrators ?? [],
    });
    // A background tab shows how many things need the operator.
    const needs = snapshot ? snapshot.needsYou.length + snapshot.sourceErrors.length : 0;
    document.title = needs > 0 ? `(${needs}) Catalyst fleet monitor` : "Catalyst fleet monitor";
    document.body.dataset.ready = state.snapshot ? "true" : "false";
    if (!linkedDone && state.snapshot) linkedDone = focusLinkedWorker(location.search);
    // Render cost, read by the render bench (and handy in devtools).
    const ms = performance.now() - started;
    renderStats.renders += 1;
    renderStats.totalMs += ms;
    renderStats.maxMs = Math.max(renderStats.maxMs, ms);
    document.body.dataset.renderStats = JSON.stringify(renderStats);
  };

  // Bursts of deltas (a wave of signal writes) become one render per animation frame.
  let pending = false;
  function scheduleRender() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      render();
    });
  }
  store.subscribe(scheduleRender);

  const token = new URLSearchParams(location.search).get("token");
  const connection = createMonitorConnection({
    baseUrl: location.origin,
    token,
    lastId: () => store.getState().lastId,
    onFrame: (delta) => store.applyFrame(delta),
    onBadFrame: () => store.rejectFrame(),
    onOpen: (resumed) => {
      if (!resumed) store.expectResync();
    },
    onStatus: (next) => {
      if (next.state === "reconnecting" && status.state === "live") {
        store.note({
          kind: "sync",
          tone: "failed",
          orchestrator: null,
          worker: null,
          text: `disconnected: ${next.reason}`,
        });
      }
      if (next.state === "live" && wasLive) {
        const text = next.resumed ? "reconnected, resumed without a gap" : "reconnected, fresh snapshot";
        store.note({ kind: "sync", tone: "implement", orchestrator: null, worker: null, text });
      }
      if (next.state === "live") wasLive = true;
      status = next;
      renderConnection(page.connection, status, Date.now());
    },
  });
  page.connection.querySelector("[data-role=retry]")?.addEventListener("click", () => connection.retryNow());

  startTicker((now) => {
    travel.tick(now);
    // A past moment stands still: its ages and "now" edge are as of then.
    const shownNow = travel.atMs() ?? now;
    tickTimelines(document, shownNow);
    tickAges(document, shownNow);
    tickHostBadges(document, now);
    expireHighlights(document, now, HIGHLIGHT_MS);
    if (status.state === "reconnecting") renderConnection(page.connection, status, now);
    // Drop highlights that have run their course so later renders do not restart them.
    for (const [key, at] of store.getState().changedAt)
      if (now - at > HIGHLIGHT_MS) store.getState().changedAt.delete(key);
  });
  render();
  connection.start();
  startAlertsView(requireElement("alerts"), token);
}

// index.html adds this script from a small loader, so it may run before the body is parsed.
if (document.readyState === "loading")
  document.addEventListener("DOMContentLoaded", startDashboard, { once: true });
else startDashboard();
