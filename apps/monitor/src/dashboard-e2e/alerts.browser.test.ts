// Alerts in real headless Chromium against the real app (createApp over a socket) with real
// alerting (@catalyst/notify-channels, Web Push on, keys in a temp config dir) over a scripted
// feed: a needs-you row rings the bell, the manifest and the service worker are served under the
// CSP, and the service worker shows a push message delivered through DevTools
// (`ServiceWorker.deliverPushMessage`: a headless browser has no push service of its own).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Alerting, createAlerting, notifyFlagsOf } from "@catalyst/notify-channels";
import { createScriptedFeed } from "@catalyst/test-utils";
import { launchChromium, sharedDashboardBundle } from "@catalyst/test-utils/browser";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../server/test-support.test-helper.js";

let root = "";
let publicDir = "";
let server: TestServer;
let alerting: Alerting;
let browser: Promise<Browser>;
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
    // A push to an activated worker; the notification is waited for 10 s. Even then a DevTools
    // delivery was seen to show nothing (once in a clean-clone CI run, cause not found), so the
    // push is sent again, up to 3 times in all: the same tag replaces a notification, so the test
    // still asks for exactly one.
    let shown: unknown = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      await cdp.send("ServiceWorker.deliverPushMessage", {
        origin: server.base,
        registrationId,
        data: JSON.stringify(payload),
      });
      shown = await page.evaluate(`(async () => {
        const reg = await navigator.serviceWorker.ready;
        const deadline = Date.now() + 10000;
        while (Date.now() < deadline) {
          const list = await reg.getNotifications();
          if (list.length > 0) return list.map((n) => ({ title: n.title, body: n.body, tag: n.tag }));
          await new Promise((r) => setTimeout(r, 100));
        }
        return [];
      })()`);
      if (Array.isArray(shown) && shown.length > 0) break;
    }
    expect(shown).toEqual([{ title: payload.title, body: payload.body, tag: "t1" }]);
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);
});
