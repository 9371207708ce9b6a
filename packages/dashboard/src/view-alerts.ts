// The alert bell: the monitor's last alerts (`/api/alerts`, asked every 5 s), the incidents open
// as the count, a system notification for each new alert while the page is open (when the user
// allowed them), and the "Enable alerts" button: permission on a tap, then, when the monitor runs
// with --notify-push, a Web Push subscription through the service worker (sw.js).
import type { AlertsResponse } from "@catalyst/schema";
import { el } from "./dom.js";
import { formatClock } from "./format.js";

type AlertRow = AlertsResponse["alerts"][number];

const POLL_MS = 5_000;
const SHOWN = 20;

/** base64url (a VAPID public key) → bytes, for `pushManager.subscribe`. */
export function base64UrlBytes(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(text.length / 4) * 4, "=");
  const raw = atob(b64);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i += 1) out[i] = raw.charCodeAt(i);
  return out;
}

/** Starts the bell in `container` (the `#alerts` element of index.html). */
export function startAlertsView(container: HTMLElement, token: string | null): void {
  const query = (params: Record<string, string>) => {
    const q = new URLSearchParams(params);
    if (token !== null) q.set("token", token);
    const text = q.toString();
    return text === "" ? "" : `?${text}`;
  };
  const bell = el("button", {
    type: "button",
    class: "btn btn-quiet bell",
    "aria-expanded": "false",
    title: "Alerts",
  });
  const count = el("span", { class: "bell-count", "data-role": "count" }, "0");
  bell.append("🔔 ", count);
  const enable = el(
    "button",
    { type: "button", class: "btn btn-quiet", "data-role": "enable", hidden: true },
    "Enable alerts",
  );
  const list = el("div", { class: "alerts-list", role: "region", "aria-label": "Last alerts", hidden: true });
  container.replaceChildren(bell, enable, list);

  let rows: AlertRow[] = [];
  let lastSeq = 0;
  let first = true;
  const render = () => {
    const items = rows.slice(-SHOWN).reverse();
    list.replaceChildren(
      items.length === 0
        ? el("p", { class: "empty" }, "No alerts yet.")
        : el(
            "ul",
            null,
            ...items.map((a) =>
              el(
                "li",
                { class: `alert alert-${a.state === "resolved" ? "resolved" : a.severity}` },
                el("span", { class: "alert-time" }, formatClock(a.at)),
                " ",
                a.url === null ? el("b", null, a.title) : el("a", { href: a.url }, a.title),
                el("div", { class: "alert-message" }, a.message),
              ),
            ),
          ),
    );
  };
  bell.addEventListener("click", () => {
    list.hidden = !list.hidden;
    bell.setAttribute("aria-expanded", String(!list.hidden));
  });

  const canNotify = typeof Notification !== "undefined";
  const showEnable = () => {
    enable.hidden =
      !canNotify ||
      Notification.permission === "denied" ||
      (Notification.permission === "granted" && pushDone);
  };
  let pushDone = false;
  enable.addEventListener("click", async () => {
    if (!canNotify) return;
    const permission = await Notification.requestPermission();
    if (permission === "granted") pushDone = await subscribePush(query);
    showEnable();
  });

  const poll = async () => {
    try {
      const res = await fetch(`/api/alerts${query({ after: String(first ? 0 : lastSeq) })}`);
      if (!res.ok) return;
      const body = (await res.json()) as AlertsResponse;
      // A restarted monitor numbers from 1 again: start over.
      if (body.lastSeq < lastSeq) rows = [];
      const fresh = body.alerts.filter((a) => a.seq > lastSeq || body.lastSeq < lastSeq);
      rows = [...rows, ...fresh].slice(-SHOWN);
      if (!first && canNotify && Notification.permission === "granted")
        // The incident as tag: a Web Push notification of the same alert replaces this one.
        for (const a of fresh)
          new Notification(a.state === "resolved" ? a.title : a.title, { body: a.message, tag: a.incident });
      lastSeq = body.lastSeq;
      first = false;
      count.textContent = String(body.open);
      bell.dataset.open = String(body.open);
      container.dataset.lastSeq = String(lastSeq);
      render();
    } catch {
      // The connection line says when the monitor is away.
    }
  };
  render();
  showEnable();
  void poll();
  setInterval(() => void poll(), POLL_MS);
}

/** Registers sw.js and subscribes it to Web Push when the monitor offers a key; true when done. */
async function subscribePush(query: (p: Record<string, string>) => string): Promise<boolean> {
  if (!("serviceWorker" in navigator) || typeof PushManager === "undefined") return false;
  const keyRes = await fetch(`/api/push/key${query({})}`);
  if (!keyRes.ok) return false; // the monitor runs without --notify-push: page notifications only
  const { publicKey } = (await keyRes.json()) as { publicKey: string };
  const registration = await navigator.serviceWorker.register(`/sw.js${query({})}`, { scope: "/" });
  await navigator.serviceWorker.ready;
  const subscription =
    (await registration.pushManager.getSubscription()) ??
    (await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: base64UrlBytes(publicKey),
    }));
  const res = await fetch(`/api/push/subscribe${query({})}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(subscription.toJSON()),
  });
  return res.ok;
}

/**
 * An alert's deep link is `?orch=<id>&worker=<ticket>`: `orch` is a filter; the worker's row is
 * scrolled into view and marked once it is drawn. True once done (or nothing to do).
 */
export function focusLinkedWorker(search: string): boolean {
  const params = new URLSearchParams(search);
  const worker = params.get("worker");
  if (worker === null || worker === "") return true;
  const orch = params.get("orch");
  const inOrch = orch === null || orch === "" ? "" : `[data-orch="${CSS.escape(orch)}"]`;
  const row = document.querySelector<HTMLElement>(`tr.worker${inOrch}[data-worker="${CSS.escape(worker)}"]`);
  if (row === null) return false;
  row.classList.add("is-linked");
  row.scrollIntoView({ block: "center" });
  return true;
}
