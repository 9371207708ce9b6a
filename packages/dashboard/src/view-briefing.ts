// The briefing drawer: DASHBOARD.md and the wave briefings of one orchestrator, fetched on demand
// from /api/briefing and rendered as sanitised markdown (render-markdown.ts).
import type { BriefingMeta, BriefingResponse } from "@catalyst/schema";
import { el, replaceChildren } from "./dom.js";
import { renderMarkdown } from "./render-markdown.js";

/** What the drawer shows: an orchestrator's briefings, one of them open. */
export interface BriefingTarget {
  orchestrator: string;
  briefings: readonly BriefingMeta[];
  wave: number | null;
}

export interface BriefingDrawer {
  open(target: BriefingTarget): void;
  close(): void;
}

export function briefingLabel(b: Pick<BriefingMeta, "wave">): string {
  return b.wave === null ? "DASHBOARD.md" : `Wave ${b.wave} briefing`;
}

/** Creates the drawer inside `container` (an empty `<aside>`); `token` is passed on like the page's. */
export function createBriefingDrawer(container: HTMLElement, token: string | null): BriefingDrawer {
  let request = 0;
  let lastFocus: Element | null = null;

  const close = () => {
    request += 1;
    container.hidden = true;
    container.replaceChildren();
    document.body.classList.remove("drawer-open");
    if (lastFocus instanceof HTMLElement) lastFocus.focus();
  };
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !container.hidden) close();
  });

  const open = (target: BriefingTarget) => {
    const mine = ++request;
    if (container.hidden) lastFocus = document.activeElement;
    container.hidden = false;
    document.body.classList.add("drawer-open");
    const closeButton = el(
      "button",
      { type: "button", class: "btn btn-quiet", "data-role": "close" },
      "close",
    );
    closeButton.addEventListener("click", close);
    const tabs = target.briefings.map((b) => {
      const tab = el(
        "button",
        {
          type: "button",
          class: `tab${b.wave === target.wave ? " tab-on" : ""}`,
          "aria-pressed": b.wave === target.wave ? "true" : "false",
        },
        briefingLabel(b),
      );
      tab.addEventListener("click", () => open({ ...target, wave: b.wave }));
      return tab;
    });
    const body = el("div", { class: "drawer-body markdown", "data-role": "briefing-body" }, "loading…");
    replaceChildren(
      container,
      el(
        "header",
        { class: "drawer-head" },
        el("h2", { title: target.orchestrator }, target.orchestrator),
        closeButton,
      ),
      el("nav", { class: "drawer-tabs", "aria-label": "Briefings" }, ...tabs),
      body,
    );
    closeButton.focus();
    const query = new URLSearchParams({ orchestrator: target.orchestrator });
    if (target.wave !== null) query.set("wave", String(target.wave));
    if (token) query.set("token", token);
    fetch(`/api/briefing?${query}`)
      .then(async (res) => {
        if (!res.ok) throw new Error(`the monitor answered ${res.status}`);
        return (await res.json()) as BriefingResponse;
      })
      .then((got) => {
        if (mine !== request) return;
        body.replaceChildren(renderMarkdown(got.markdown));
        if (got.truncated)
          body.append(el("p", { class: "muted" }, "(cut: the file is longer than the monitor reads)"));
        body.dataset.loaded = "true";
      })
      .catch((error: unknown) => {
        if (mine !== request) return;
        body.replaceChildren(
          el(
            "p",
            { class: "text-failed" },
            `Could not load the briefing: ${error instanceof Error ? error.message : String(error)}`,
          ),
        );
      });
  };

  container.hidden = true;
  return { open, close };
}
