// The filter bar: one select per URL filter, built once and updated in place so an open select is
// not rebuilt under the user's pointer.
import type { Snapshot } from "@catalyst/schema";
import { el } from "./dom.js";
import { FILTER_NAMES, type FilterName, type Filters, NO_FILTERS, STATUS_GROUPS } from "./filters.js";
import { compareNatural, ticketProject } from "./format.js";

export interface FilterBar {
  update(snapshot: Snapshot | null, filters: Filters, counts: { shown: number; total: number }): void;
}

const LABELS: Record<FilterName, string> = {
  orch: "Orchestrator",
  status: "Status",
  project: "Project",
  host: "Host",
};

function optionsFor(name: FilterName, snapshot: Snapshot | null): string[] {
  const orchs = snapshot?.orchestrators ?? [];
  const values = new Set<string>();
  if (name === "orch") for (const o of orchs) values.add(o.id);
  if (name === "host") for (const h of snapshot?.hosts ?? []) values.add(h.name);
  if (name === "status")
    for (const o of orchs) for (const w of Object.values(o.workers)) values.add(w.status);
  if (name === "project") {
    for (const o of orchs) {
      if (o.projectKey) values.add(o.projectKey.toUpperCase());
      for (const w of Object.values(o.workers)) {
        const key = ticketProject(w.ticket);
        if (key) values.add(key);
      }
    }
  }
  const sorted = [...values].sort(compareNatural);
  return name === "status" ? [...STATUS_GROUPS, ...sorted] : sorted;
}

/** Builds the bar inside `container`; `onChange` gets the new filters. */
export function createFilterBar(container: HTMLElement, onChange: (filters: Filters) => void): FilterBar {
  let current: Filters = { ...NO_FILTERS };
  const selects = new Map<FilterName, HTMLSelectElement>();
  const optionKeys = new Map<FilterName, string>();
  const count = el("span", { class: "filter-count" });
  const clear = el("button", { type: "button", class: "btn btn-quiet", id: "clear-filters" }, "clear");
  // `current` moves at once, so a second input before the next render builds on the first.
  const emit = (next: Filters) => {
    current = next;
    onChange(next);
  };
  clear.addEventListener("click", () => emit({ ...NO_FILTERS }));

  const labels = new Map<FilterName, HTMLElement>();
  const fields = FILTER_NAMES.map((name) => {
    const select = el("select", { id: `filter-${name}`, "data-filter": name });
    select.addEventListener("change", () => {
      const value = select.value;
      emit({ ...current, [name]: value ? value.split(",") : [] });
    });
    selects.set(name, select);
    const label = el(
      "label",
      { class: "filter", for: `filter-${name}` },
      el("span", { class: "filter-label" }, LABELS[name]),
      select,
    );
    labels.set(name, label);
    return label;
  });
  container.replaceChildren(el("span", { class: "filter-title" }, "Filter"), ...fields, clear, count);

  return {
    update(snapshot, filters, counts) {
      current = filters;
      for (const name of FILTER_NAMES) {
        const select = selects.get(name)!;
        const selected = filters[name].join(",");
        // The host filter exists only on a multi-host monitor (or when the URL sets one).
        if (name === "host") labels.get(name)!.hidden = !snapshot?.hosts && selected === "";
        const values = optionsFor(name, snapshot);
        // A value from the URL that is not (yet) in the data still shows as selected.
        if (selected && !values.includes(selected)) values.push(selected);
        const key = values.join("\u0000");
        if (optionKeys.get(name) !== key) {
          optionKeys.set(name, key);
          select.replaceChildren(
            el("option", { value: "" }, "all"),
            ...values.map((v) => el("option", { value: v }, v)),
          );
        }
        select.value = selected;
        select.classList.toggle("active", selected !== "");
      }
      const filtering = FILTER_NAMES.some((n) => filters[n].length > 0);
      clear.hidden = !filtering;
      count.textContent = filtering
        ? `showing ${counts.shown} of ${counts.total} workers`
        : `${counts.total} workers`;
    },
  };
}
