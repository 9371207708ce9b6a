import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestAlert } from "@catalyst/notify";
import { type AlertReceiver, createTestPushKeys, startAlertReceiver } from "@catalyst/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  alertKeyOf,
  checkPushEndpoint,
  createDispatcher,
  createWebPushChannel,
  deliveryKeyOf,
  loadPushSubscriptions,
  loadVapidKeys,
  parsePushSubscription,
} from "./index.js";

// A local Hono server stands in for the push service; it decrypts what it receives with the
// test subscription's keys (RFC 8291, test-utils' createTestPushKeys), so the test reads exactly
// what a browser's service worker would get.

let pushService: AlertReceiver;
let dir: string;
beforeEach(async () => {
  pushService = await startAlertReceiver();
  dir = await mkdtemp(join(tmpdir(), "webpush-"));
});
afterEach(async () => {
  await pushService.close();
  await rm(dir, { recursive: true, force: true });
});

const alert = {
  ...createTestAlert(Date.parse("2026-12-07T09:00:00Z"), "http://127.0.0.1:7400/"),
  title: "CTL-1 failed · orch-a",
  message: "exit 1",
  incident: "failed|orch-a|CTL-1",
  severity: "critical" as const,
};

describe("Web Push", () => {
  it("makes VAPID keys once (0600) and keeps them", async () => {
    const first = await loadVapidKeys(dir);
    expect((await stat(join(dir, "push-vapid.json"))).mode & 0o777).toBe(0o600);
    expect(await loadVapidKeys(dir)).toEqual(first);
    expect(Buffer.from(first.publicKey, "base64url")).toHaveLength(65);
  });

  it("delivers an encrypted payload the subscription's keys decrypt, with VAPID and urgency", async () => {
    const keys = createTestPushKeys();
    const subscriptions = await loadPushSubscriptions(dir, true);
    const parsed = parsePushSubscription(
      { endpoint: `${pushService.url}/push/abc`, keys: { p256dh: keys.p256dh, auth: keys.auth } },
      true,
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    await subscriptions.add(parsed.subscription);
    const vapid = await loadVapidKeys(dir);
    const d = createDispatcher([createWebPushChannel({ vapid, subscriptions })]);
    d.dispatch(alert, { key: alertKeyOf(alert) });
    const [req] = await pushService.waitForCount(1);
    expect(req!.headers["content-encoding"]).toBe("aes128gcm");
    // A re-send after a crash replaces this message at the push service while it is undelivered.
    expect(req!.headers.topic).toBe(deliveryKeyOf(alertKeyOf(alert), "webpush"));
    expect(req!.headers.urgency).toBe("high");
    expect(req!.headers.authorization).toMatch(new RegExp(`^vapid t=.+, k=${vapid.publicKey}$`));
    expect(JSON.parse(keys.decrypt(req!.bytes))).toEqual({
      title: alert.title,
      body: "exit 1",
      url: alert.url,
      tag: alert.incident,
      severity: "critical",
      state: "firing",
    });
    await d.idle();
    expect(d.health()[0]).toMatchObject({ name: "webpush", sent: 1, state: "ok" });
    d.stop();
    // Kept for the next run.
    expect((await loadPushSubscriptions(dir, true)).list()).toHaveLength(1);
  });

  it("removes a subscription the push service says is gone (410)", async () => {
    const keys = createTestPushKeys();
    const subscriptions = await loadPushSubscriptions(dir, true);
    await subscriptions.add({
      endpoint: `${pushService.url}/gone`,
      keys: { p256dh: keys.p256dh, auth: keys.auth },
    });
    pushService.respondWith(410);
    const channel = createWebPushChannel({ vapid: await loadVapidKeys(dir), subscriptions });
    await channel.send(alert, new AbortController().signal);
    expect(subscriptions.list()).toEqual([]);
    expect((await loadPushSubscriptions(dir, true)).list()).toEqual([]);
  });

  it("accepts only https endpoints, and http on loopback only when explicitly allowed", () => {
    expect(checkPushEndpoint("https://fcm.googleapis.com/fcm/send/x")).toBeNull();
    expect(checkPushEndpoint("http://127.0.0.1:9/push")).toBe("push endpoints must be https");
    expect(checkPushEndpoint("http://127.0.0.1:9/push", true)).toBeNull();
    expect(checkPushEndpoint("http://example.com/push", true)).toBe("push endpoints must be https");
    expect(checkPushEndpoint("https://u:p@push.example/x")).toBe("the endpoint must not carry credentials");
    const keys = createTestPushKeys();
    expect(
      parsePushSubscription({
        endpoint: "https://push.example/x",
        keys: { p256dh: "AAAA", auth: keys.auth },
      }),
    ).toMatchObject({
      ok: false,
    });
  });
});
