// The time scrubber (issue 25): drag over the event log's span or type a time, and the page shows
// the fleet as the log had it then (`GET /api/snapshot?at=`), with a bar that says so and a way
// back to live. `?at=` in the URL shares the moment. The live connection keeps running meanwhile.
import type { Snapshot } from "@catalyst/schema";
import { el, replaceChildren } from "./dom.js";
import { atFromSearch, formatViewed, parseAtInput, withAt } from "./time-travel.js";

/** The scrubber and the moment it shows. */
export interface TimeTravelView {
  /** The time shown (ms), null when live. */
  atMs(): number | null;
  /** The fleet at that time once it has arrived, null when live (or while it is on its way). */
  snapshot(): Snapshot | null;
  /** Keeps the range's right end at now (called by the page's ticker). */
  tick(now: number): void;
}

/** Builds the scrubber in `container`; `onChange` runs when the moment shown changes. */
export function createTimeTravelView(
  container: HTMLElement,
  options: { token: string | null; onChange: () => void },
): TimeTravelView {
  const query = (params: Record<string, string>): string => {
    const q = new URLSearchParams(params);
    if (options.token !== null) q.set("token", options.token);
    return q.toString();
  };
  let atMs: number | null = atFromSearch(location.search);
  let shown: Snapshot | null = null;
  let asked = 0;
  let spanStart: number | null = null;

  const range = el("input", {
    type: "range",
    class: "tt-range",
    "aria-label": "Time in the event log",
    min: 0,
    max: 1,
    step: 60_000,
    disabled: true,
  });
  const typed = el("input", {
    type: "text",
    class: "tt-input",
    "aria-label": "Time to view (UTC)",
    placeholder: "2026-04-14 03:00",
    spellcheck: "false",
  });
  const go = el("button", { type: "button", class: "btn", "data-role": "tt-go" }, "view");
  const message = el("span", { class: "tt-message", "data-role": "tt-message" });
  const back = el("button", { type: "button", class: "btn", "data-role": "tt-live" }, "back to live");
  const bar = el("div", { class: "tt-bar", role: "status", "data-role": "tt-bar", hidden: true });
  container.append(
    el(
      "div",
      { class: "tt-controls" },
      el("span", { class: "tt-label" }, "Time travel"),
      range,
      typed,
      go,
      message,
    ),
    bar,
  );

  const renderBar = (): void => {
    document.body.dataset.viewing = atMs === null ? "" : new Date(atMs).toISOString();
    container.dataset.viewing = atMs === null ? "false" : "true";
    if (atMs === null) {
      bar.hidden = true;
      return;
    }
    bar.hidden = false;
    replaceChildren(
      bar,
      el("b", null, `viewing ${formatViewed(atMs)}`),
      shown === null ? " (loading…)" : " — the fleet as the event log had it then; nothing here is live. ",
      back,
    );
  };

  const show = async (next: number | null): Promise<void> => {
    atMs = next;
    shown = null;
    message.textContent = "";
    history.replaceState(null, "", `${location.pathname}${withAt(location.search, next)}${location.hash}`);
    if (next !== null) {
      typed.value = formatViewed(next).replace(" UTC", "");
      if (spanStart !== null) range.value = String(next);
    }
    renderBar();
    options.onChange();
    if (next === null) return;
    const mine = ++asked;
    try {
      const res = await fetch(`/api/snapshot?${query({ at: new Date(next).toISOString() })}`);
      const body = (await res.json()) as Snapshot | { error?: { message?: string } };
      if (mine !== asked) return; // a later choice replaced this one
      if (!res.ok || !("at" in body)) {
        const reason = "error" in body ? body.error?.message : undefined;
        message.textContent = `cannot show that time: ${reason ?? `the monitor answered ${res.status}`}`;
        atMs = null;
        history.replaceState(
          null,
          "",
          `${location.pathname}${withAt(location.search, null)}${location.hash}`,
        );
      } else shown = body as Snapshot;
    } catch (error) {
      if (mine !== asked) return;
      message.textContent = `cannot show that time: ${String(error)}`;
      atMs = null;
    }
    renderBar();
    options.onChange();
  };

  back.addEventListener("click", () => void show(null));
  // Dragging shows the time under the thumb; letting go (or a key) fetches that moment.
  range.addEventListener("input", () => {
    typed.value = formatViewed(Number(range.value)).replace(" UTC", "");
  });
  range.addEventListener("change", () => void show(Number(range.value)));
  const typedTime = (): void => {
    const ms = parseAtInput(typed.value);
    if (ms === null) message.textContent = "not a time: try 2026-04-14 03:00 (UTC) or an ISO 8601 time";
    else void show(ms);
  };
  go.addEventListener("click", typedTime);
  typed.addEventListener("keydown", (e) => {
    if (e.key === "Enter") typedTime();
  });

  // The log's span: its first line (`/api/log-span`: locally one line read, centrally the stream's
  // time index), to now.
  void (async () => {
    try {
      const res = await fetch(`/api/log-span?${query({})}`);
      if (!res.ok) return;
      const span = (await res.json()) as { first?: string | null };
      const first = Date.parse(span.first ?? "");
      if (!Number.isFinite(first)) return;
      spanStart = first;
      range.min = String(first);
      range.max = String(Date.now());
      range.value = String(atMs ?? Date.now());
      range.disabled = false;
      range.title = `from ${formatViewed(first)} to now`;
    } catch {
      // No span: typing a time still works.
    }
  })();

  renderBar();
  // After the page's set-up has finished (onChange renders it).
  const initial = atMs;
  if (initial !== null) queueMicrotask(() => void show(initial));
  return {
    atMs: () => atMs,
    snapshot: () => shown,
    tick(now) {
      if (spanStart === null) return;
      range.max = String(now);
      if (atMs === null && document.activeElement !== range) range.value = String(now);
    },
  };
}
