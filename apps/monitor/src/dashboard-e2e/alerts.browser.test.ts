// Alerts in real headless Chromium against the real app (createApp over a socket) with real
// alerting (@catalyst/notify-channels, Web Push on, keys in a temp config dir) over a scripted
// feed: a needs-you row rings the bell, the manifest and the service worker are served under the
// CSP, and the service worker shows a push message delivered through DevTools
// (`ServiceWorker.deliverPushMessage`: a headless browser has no push service of its own).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Alerting, createAlerting, notifyFlagsOf } from "@catalyst/notify-channels";
import { createScriptedFeed, waitUntil } from "@catalyst/test-utils";
import { launchChromium, sharedDashboardBundle } from "@catalyst/test-utils/browser";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../server/test-support.test-helper.js";

let root = "";
let publicDir = "";
let server: TestServer;
let alerting: Alerting;
let browser: Promise<Browser>;
/** A DevTools `BackgroundService.backgroundServiceEventReceived` event's payload (the fields read here). */
interface BackgroundEvent {
  service: string;
  eventName: string;
  instanceId: string;
  eventMetadata: Array<{ key: string; value: string }>;
}
const feed = createScriptedFeed();

beforeAll(async () => {
  browser = launchChromium();
  browser.catch(() => {});
  root = await mkdtemp(join(tmpdir(), "dashboard-alerts-"));
  publicDir = await sharedDashboardBundle();
  alerting = await createAlerting({
    flags: notifyFlagsOf({ "notify-push": true, "notify-hold": "0" }, {}),
    feed,
    dashboardUrl: "http://127.0.0.1/",
    stateDir: join(root, "state"),
    configDir: join(root, "config"),
    identity: "alerts-browser-test",
  });
  await alerting.start();
  server = await startTestServer(feed, {
    deps: {
      publicDir,
      notify: {
        health: () => alerting.health(),
        alerts: (after) => alerting.alerts(after),
        push: () => alerting.push,
      },
    },
  });
}, 120_000);

afterAll(async () => {
  await (await browser?.catch(() => null))?.close();
  await server?.close();
  await alerting?.stop();
  await rm(root, { recursive: true, force: true });
});

describe("dashboard alerts in Chromium", () => {
  it("rings the bell, serves the installable app, and shows a Web Push message from the service worker", async () => {
    const context = await (await browser).newContext();
    await context.grantPermissions(["notifications"], { origin: server.base });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(`${server.base}/`);
    await page.waitForSelector("#alerts .bell");

    feed.publish([
      {
        event: "needs-you",
        data: {
          ts: new Date().toISOString(),
          added: [
            {
              orchestrator: "orch-a",
              worker: "CTL-2",
              reason: "failed",
              message: "tests failed",
              since: null,
            },
          ],
          changed: [],
          removed: [],
        },
      },
    ]);
    await page.waitForSelector("#alerts .bell-count:text-is('1')", { timeout: 20_000 });
    await page.click("#alerts .bell");
    expect(await page.locator("#alerts .alerts-list li").first().textContent()).toContain(
      "CTL-2 failed · orch-a",
    );

    const manifest = await fetch(`${server.base}/manifest.webmanifest`);
    expect(manifest.headers.get("content-type")).toBe("application/manifest+json");
    expect((await fetch(`${server.base}/`)).headers.get("content-security-policy")).toContain(
      "worker-src 'self'",
    );
    expect(
      ((await (await fetch(`${server.base}/api/push/key`)).json()) as { publicKey: string }).publicKey,
    ).toMatch(/^[A-Za-z0-9_-]{80,}$/);

    const cdp = await context.newCDPSession(page);
    const registered = new Promise<string>((resolve) =>
      cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        (e: { registrations: Array<{ registrationId: string; isDeleted: boolean }> }) => {
          const live = e.registrations.find((r) => !r.isDeleted);
          if (live) resolve(live.registrationId);
        },
      ),
    );
    // `navigator.serviceWorker.ready` resolves while the worker is still "activating" (its activate
    // handler clears old caches and claims the page), and a DevTools push sent then was seen to
    // show nothing. DevTools reports each version's status, so the push waits for "activated".
    const activated = new Set<string>();
    let onActivated = (): void => {};
    cdp.on(
      "ServiceWorker.workerVersionUpdated",
      (e: { versions: Array<{ registrationId: string; status: string }> }) => {
        for (const v of e.versions) if (v.status === "activated") activated.add(v.registrationId);
        onActivated();
      },
    );
    await cdp.send("ServiceWorker.enable");
    // Registered as the "Enable alerts" button does (a string: this package's tsconfig has no DOM types).
    await page.evaluate(`(async () => {
      await navigator.serviceWorker.register("/sw.js", { scope: "/" });
      await navigator.serviceWorker.ready;
    })()`);
    const registrationId = await registered;
    await new Promise<void>((resolve) => {
      onActivated = () => {
        if (activated.has(registrationId)) resolve();
      };
      onActivated();
    });
    const payload = {
      title: "CTL-9 needs input · orch-a",
      body: "which API?",
      url: `${server.base}/?orch=orch-a&worker=CTL-9`,
      tag: "t1",
    };
    // The push and its notification are observed through DevTools' background-service events, not
    // by polling `getNotifications()`: Chromium answers that call by dropping from its notification
    // database every entry created before the call that the display service does not list yet, so
    // a poll that lands between the database write and the display loses the notification for good
    // (measured: 2 of 60 pushes with a 100 ms poll, 0 of 40 without polling). Only once the push
    // event has completed (`event.waitUntil` settled) is the list read, once.
    const background: BackgroundEvent[] = [];
    cdp.on(
      "BackgroundService.backgroundServiceEventReceived",
      (e: { backgroundServiceEvent: BackgroundEvent }) => background.push(e.backgroundServiceEvent),
    );
    for (const service of ["pushMessaging", "notifications"] as const) {
      await cdp.send("BackgroundService.startObserving", { service });
      await cdp.send("BackgroundService.setRecording", { shouldRecord: true, service });
    }
    // One push to the activated worker.
    await cdp.send("ServiceWorker.deliverPushMessage", {
      origin: server.base,
      registrationId,
      data: JSON.stringify(payload),
    });
    const completed = await waitUntil(
      "DevTools' 'Push event completed' for the push",
      () => background.find((e) => e.service === "pushMessaging" && e.eventName === "Push event completed"),
      30_000,
    );
    expect(completed.eventMetadata).toContainEqual({ key: "Status", value: "Success" });
    expect(
      background
        .filter((e) => e.service === "notifications" && e.eventName === "Notification displayed")
        .map((e) => e.instanceId),
    ).toEqual(["t1"]);
    const shown = await page.evaluate(`(async () => {
      const reg = await navigator.serviceWorker.ready;
      const list = await reg.getNotifications();
      return list.map((n) => ({ title: n.title, body: n.body, tag: n.tag }));
    })()`);
    expect(shown).toEqual([{ title: payload.title, body: payload.body, tag: "t1" }]);
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);
});
