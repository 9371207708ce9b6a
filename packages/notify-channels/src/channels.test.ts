import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Alert, createNotifier, createTestAlert } from "@catalyst/notify";
import type { NeedsYouItem, Snapshot } from "@catalyst/schema";
import { type AlertReceiver, startAlertReceiver, waitUntil } from "@catalyst/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  answerPushRequest,
  createDispatcher,
  createExecChannel,
  createIncidentStore,
  createLoggedAlerting,
  createNotifyRuntime,
  createNtfyChannel,
  createWebhookChannel,
  type DispatchEvent,
  deliveryKeyOf,
  type NotifyRuntime,
  notifyFlagsOf,
  notifyTestUsage,
  redactUrl,
  runNotifyTest,
  startAlertingAfter,
} from "./index.js";

// Real receivers: a Hono server on an ephemeral port as the webhook and as ntfy, real child
// processes for exec, real files for the incident store.

let receiver: AlertReceiver;
let dir: string;
beforeEach(async () => {
  receiver = await startAlertReceiver();
  dir = await mkdtemp(join(tmpdir(), "notify-channels-"));
});
afterEach(async () => {
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
});

const alert: Alert = {
  ...createTestAlert(Date.parse("2026-12-07T09:00:00Z"), "http://127.0.0.1:7400/"),
  kind: "failed",
  severity: "critical",
  incident: "failed|orch-a|CTL-1",
  title: "CTL-1 failed · orch-a — café",
  message: "exit 1 <boom> & more",
  orchestrator: "orch-a",
  worker: "CTL-1",
  url: "http://127.0.0.1:7400/?orch=orch-a&worker=CTL-1",
};

describe("webhook", () => {
  it("POSTs the alert as JSON", async () => {
    const channel = createWebhookChannel({ url: `${receiver.url}/hook/secret?token=abc` });
    const d = createDispatcher([channel]);
    expect(d.dispatch(alert, { key: "k1" })).toEqual([channel.id]);
    const [req] = await receiver.waitForCount(1);
    expect(req!.path).toBe("/hook/secret?token=abc");
    expect(req!.headers["content-type"]).toBe("application/json");
    // The same for every attempt of this alert on this channel: a receiver collapses a re-send.
    expect(req!.headers["idempotency-key"]).toBe(`"${deliveryKeyOf("k1", channel.id!)}"`);
    expect(channel.id).not.toContain("secret");
    const body = JSON.parse(req!.body);
    for (const key of [
      "kind",
      "severity",
      "incident",
      "title",
      "message",
      "orchestrator",
      "worker",
      "host",
      "url",
      "at",
    ])
      expect(body).toHaveProperty(key);
    expect(body).toMatchObject({ kind: "failed", incident: "failed|orch-a|CTL-1", worker: "CTL-1" });
    await d.idle();
    expect(d.health()[0]).toMatchObject({ name: `webhook ${receiver.url}/***`, state: "ok", sent: 1 });
    d.stop();
  });

  it("speaks Slack's incoming-webhook shape with --notify-format slack", async () => {
    const d = createDispatcher([createWebhookChannel({ url: receiver.url, format: "slack" })]);
    d.dispatch(alert);
    const [req] = await receiver.waitForCount(1);
    const body = JSON.parse(req!.body);
    expect(body.text).toBe(
      ":rotating_light: *<http://127.0.0.1:7400/?orch=orch-a&worker=CTL-1|CTL-1 failed · orch-a — café>*\nexit 1 &lt;boom&gt; &amp; more",
    );
    expect(body.blocks[0].text).toEqual({ type: "mrkdwn", text: body.text });
    d.stop();
  });

  it("refuses a URL that is not http(s), without echoing it", () => {
    expect(() => createWebhookChannel({ url: "file:///etc/passwd?x=secret" })).toThrow(/--notify-webhook/);
    expect(() => createWebhookChannel({ url: "ftp://u:pw@h/x" })).not.toThrow(/pw/);
  });
});

describe("ntfy", () => {
  it("publishes with Title, Priority, Tags, Click and the bearer token", async () => {
    const channel = createNtfyChannel({ url: `${receiver.url}/my-topic`, token: "tk_secret" });
    const d = createDispatcher([channel]);
    d.dispatch(alert, { key: "k1" });
    const [req] = await receiver.waitForCount(1);
    expect(req!.path).toBe("/my-topic");
    // ntfy 2.16+: a message with the same sequence id replaces the notification in place.
    expect(req!.headers["x-sequence-id"]).toBe(deliveryKeyOf("k1", channel.id!));
    expect(req!.body).toBe(alert.message);
    expect(req!.headers.priority).toBe("5");
    expect(req!.headers.tags).toBe("rotating_light,failed");
    expect(req!.headers.click).toBe(alert.url);
    expect(req!.headers.authorization).toBe("Bearer tk_secret");
    // Not Latin-1: sent as an RFC 2047 encoded word, which ntfy decodes.
    const title = req!.headers.title!;
    expect(title).toMatch(/^=\?UTF-8\?B\?/);
    expect(Buffer.from(title.slice(10, -2), "base64").toString("utf8")).toBe(alert.title);
    expect(JSON.stringify(d.health())).not.toContain("my-topic");
    d.stop();
  });
});

describe("exec", () => {
  it("runs the command with the alert JSON on stdin and CATALYST_ALERT_* set", async () => {
    const out = join(dir, "got.json");
    const d = createDispatcher([
      createExecChannel({ command: `cat > ${out}; printf '%s' "$CATALYST_ALERT_TITLE" > ${out}.title` }),
    ]);
    d.dispatch(alert);
    await d.idle();
    expect(JSON.parse(await readFile(out, "utf8"))).toEqual(alert);
    expect(await readFile(`${out}.title`, "utf8")).toBe(alert.title);
    expect(d.health()[0]).toMatchObject({ name: "exec cat", sent: 1, state: "ok" });
    d.stop();
  });

  it("kills a command that runs past its timeout, and what it started", async () => {
    const pidFile = join(dir, "child.pid");
    const channel = createExecChannel({ command: `sleep 60 & echo $! > ${pidFile}; wait`, timeoutMs: 300 });
    await expect(channel.send(alert, new AbortController().signal)).rejects.toThrow(/killed after 300 ms/);
    const pid = Number((await readFile(pidFile, "utf8")).trim());
    await waitUntil("the sleep to be gone", () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
  });

  it("reports a failing command's exit code", async () => {
    const channel = createExecChannel({ command: "exit 3" });
    await expect(channel.send(alert, new AbortController().signal)).rejects.toThrow(/exit code 3/);
  });
});

describe("dispatcher", () => {
  it("retries a channel that is down and delivers once it is back (not lost, shown failing meanwhile)", async () => {
    receiver.respondWith(503);
    const events: string[] = [];
    const d = createDispatcher([createWebhookChannel({ url: `${receiver.url}/x?key=SECRET` })], {
      retryBaseMs: 50,
      retryMaxMs: 200,
      onEvent: (e) => events.push(JSON.stringify(e)),
    });
    d.dispatch(alert);
    await waitUntil("two failed attempts", () => receiver.refused() >= 2);
    expect(d.health()[0]).toMatchObject({
      state: "failing",
      queued: 1,
      lastError: expect.stringContaining("HTTP 503"),
    });
    receiver.respondWith(200);
    await receiver.waitForCount(1);
    await waitUntil("the channel to be ok", () => d.health()[0]!.state === "ok");
    expect(d.health()[0]).toMatchObject({ sent: 1, queued: 0, dropped: 0 });
    expect(events.join("\n")).not.toContain("SECRET");
    d.stop();
  });

  it("keeps retrying after a connection is refused (receiver gone)", async () => {
    const url = receiver.url;
    await receiver.close();
    const d = createDispatcher([createWebhookChannel({ url })], { retryBaseMs: 20, retryMaxMs: 50 });
    d.dispatch(alert);
    await waitUntil("a failure", () => d.health()[0]!.failed >= 2);
    expect(d.health()[0]!.lastError).toMatch(/cannot connect \(ECONNREFUSED\)/);
    d.stop();
    receiver = await startAlertReceiver();
  });

  it("drops a request the receiver refuses (4xx) instead of retrying it forever", async () => {
    receiver.respondWith(400);
    const d = createDispatcher([createWebhookChannel({ url: receiver.url })], { retryBaseMs: 10 });
    d.dispatch(alert);
    await d.idle();
    expect(d.health()[0]).toMatchObject({ failed: 1, dropped: 1, queued: 0 });
    d.stop();
  });

  it("bounds each queue in count and bytes, dropping the oldest and counting it", async () => {
    receiver.respondWith(503);
    const d = createDispatcher([createWebhookChannel({ url: receiver.url })], {
      maxQueue: 3,
      retryBaseMs: 60_000,
    });
    for (let i = 0; i < 10; i += 1) d.dispatch({ ...alert, incident: `i${i}` });
    expect(d.health()[0]).toMatchObject({ queued: 3, dropped: 7 });
    const big = createDispatcher([createWebhookChannel({ url: receiver.url })], {
      maxQueueBytes: 2_000,
      retryBaseMs: 60_000,
    });
    for (let i = 0; i < 10; i += 1) big.dispatch({ ...alert, incident: `i${i}` });
    expect(big.health()[0]!.queued).toBeLessThan(10);
    expect(big.health()[0]!.dropped).toBeGreaterThan(0);
    d.stop();
    big.stop();
  });

  it("defers a keyed alert its full queue cannot take (owed, not dropped) and says when it has room", async () => {
    receiver.respondWith(503);
    const events: DispatchEvent[] = [];
    const d = createDispatcher([createWebhookChannel({ url: receiver.url })], {
      maxQueue: 4,
      retryBaseMs: 20,
      retryMaxMs: 20,
      onEvent: (e) => events.push(e),
    });
    for (let i = 0; i < 10; i += 1) d.dispatch({ ...alert, incident: `i${i}` }, { key: `k${i}` });
    expect(d.health()[0]).toMatchObject({ queued: 4, dropped: 0, deferred: 6 });
    expect(events.filter((e) => e.type === "deferred").map((e) => e.key)).toEqual([
      "k4",
      "k5",
      "k6",
      "k7",
      "k8",
      "k9",
    ]);
    expect(events.some((e) => e.type === "dropped" || e.type === "room")).toBe(false);
    receiver.respondWith(200);
    await waitUntil("room", () => events.some((e) => e.type === "room"));
    // Once, when the queue is down to half its bound.
    const sentBefore = events.findIndex((e) => e.type === "room");
    expect(events.slice(0, sentBefore).filter((e) => e.type === "sent")).toHaveLength(2);
    // `only` offers a deferred alert to the channel that has room.
    expect(d.dispatch({ ...alert, incident: "i4" }, { key: "k4", only: [d.health()[0]!.name] })).toEqual([]);
    await d.idle();
    expect(events.filter((e) => e.type === "room")).toHaveLength(1);
    expect(receiver.received.map((r) => JSON.parse(r.body).incident)).toEqual(["i0", "i1", "i2", "i3"]);
    d.stop();
  });

  it("rate-limits each channel: a burst goes, the rest waits in the queue", async () => {
    const d = createDispatcher([createWebhookChannel({ url: receiver.url })], { ratePerMinute: 1, burst: 2 });
    for (let i = 0; i < 5; i += 1) d.dispatch({ ...alert, incident: `i${i}` });
    await receiver.waitForCount(2);
    await waitUntil("two sent", () => d.health()[0]!.sent === 2);
    expect(d.health()[0]).toMatchObject({ sent: 2, queued: 3, dropped: 0 });
    d.stop();
  });

  it("sendNow says which channels worked", async () => {
    const d = createDispatcher([
      createWebhookChannel({ url: receiver.url }),
      createExecChannel({ command: "exit 1" }),
    ]);
    const results = await d.sendNow(alert);
    expect(results).toEqual([
      { channel: `webhook ${receiver.url}/`, ok: true, error: null },
      { channel: "exec exit", ok: false, error: "exec exit: exit code 1" },
    ]);
    d.stop();
  });
});

describe("redactUrl", () => {
  it("keeps only the scheme and host", () => {
    expect(redactUrl("https://hooks.slack.com/services/T0/B0/XXXX")).toBe("https://hooks.slack.com/***");
    expect(redactUrl("https://user:pw@ntfy.example/topic?auth=tok")).toBe("https://ntfy.example/***");
    expect(redactUrl("http://127.0.0.1:9/")).toBe("http://127.0.0.1:9/");
    expect(redactUrl("not a url secret")).toBe("***");
  });
});

// A feed standing in for fuse: a snapshot and deltas the test publishes.
function createFeed(needsYou: NeedsYouItem[] = []) {
  const listeners = new Set<(d: import("@catalyst/schema").Delta[]) => void>();
  let id = 0;
  const snap: Snapshot = {
    generatedAt: new Date().toISOString(),
    orchestrators: [],
    needsYou,
    sourceErrors: [],
  };
  return {
    snapshot: () => snap,
    subscribe(l: (d: import("@catalyst/schema").Delta[]) => void) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    needs(added: NeedsYouItem[], removed: NeedsYouItem[] = []) {
      id += 1;
      for (const l of listeners)
        l([{ id, event: "needs-you", data: { ts: new Date().toISOString(), added, changed: [], removed } }]);
    },
  };
}

const dead = (w: string): NeedsYouItem => ({
  orchestrator: "orch-a",
  worker: w,
  reason: "dead",
  message: "pid gone",
  since: null,
});

describe("runtime", () => {
  it("makes the seed's snapshot in steps with turns of the event loop between them (issue 26)", async () => {
    // A fleet's snapshot one orchestrator a step (fuse's snapshotSteps); each step here is 10 ms
    // of work, so each is followed by a turn. A delta that comes during the steps is held and
    // applied after the seed. Made whole (before), the snapshot was one block.
    const base = createFeed();
    let ticks = 0;
    let ticking = true;
    const tick = (): void => {
      ticks += 1;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const seen: number[] = [];
    const feed = {
      ...base,
      snapshot: () => {
        throw new Error("the runtime should take the snapshot in steps");
      },
      *snapshotSteps(): Generator<undefined, Snapshot, undefined> {
        for (let i = 0; i < 3; i++) {
          seen.push(ticks);
          const until = performance.now() + 10;
          while (performance.now() < until) {}
          if (i === 1) base.needs([dead("W-late")]);
          yield;
        }
        return { ...base.snapshot(), needsYou: [dead("W-seed")] };
      },
    };
    const runtime = createNotifyRuntime({
      feed,
      notifier: createNotifier({ holdMs: 60_000 }),
      deliver: () => {},
    });
    await runtime.start();
    ticking = false;
    expect(seen).toHaveLength(3);
    expect(seen[1]!).toBeGreaterThan(seen[0]!);
    expect(seen[2]!).toBeGreaterThan(seen[1]!);
    // Both rows are open incidents: the seeded one and the one held during the steps.
    expect(runtime.stats().pending).toBe(2);
    await runtime.stop();
  });

  it("sends one message for 50 workers dying together, after the hold-down, driven by its own timer", async () => {
    const feed = createFeed();
    const d = createDispatcher([createWebhookChannel({ url: receiver.url })]);
    const runtime = createNotifyRuntime({
      feed,
      notifier: createNotifier({ holdMs: 200 }),
      deliver: (a) => d.dispatch(a),
    });
    await runtime.start();
    const rows = Array.from({ length: 50 }, (_, i) => dead(`W${i}`));
    for (let i = 0; i < 50; i += 10) feed.needs(rows.slice(i, i + 10));
    const [req] = await receiver.waitForCount(1);
    expect(JSON.parse(req!.body)).toMatchObject({ count: 50, title: "50 workers of orch-a died" });
    await waitUntil("nothing pending", () => runtime.stats().pending === 0);
    await d.idle();
    expect(receiver.received).toHaveLength(1);
    expect(runtime.recent()).toHaveLength(1);
    await runtime.stop();
    d.stop();
  });

  it("ticks again soon, not at once, while hold-downs are still due after a bounded tick", async () => {
    // One dead worker in each of 25 orchestrators (25 incidents); a tick handles 10 due
    // hold-downs, so the runtime's own timer must come back until every one is handled, leaving
    // the event loop a gap first (a watcher's read takes several turns; back-to-back ticks put one
    // in front of each). A timer never fires early, so the gap's lower bound is not a race.
    const ticks: number[] = [];
    const gaps: number[] = [];
    let lastEnd: number | null = null;
    const onStage = (m: unknown) => {
      const message = m as { stage?: string; n?: number; ms?: number };
      if (message.stage !== "alerts") return;
      const end = performance.now();
      if (lastEnd !== null) gaps.push(end - (message.ms ?? 0) - lastEnd);
      lastEnd = end;
      ticks.push(message.n ?? -1);
    };
    subscribe("catalyst:stage", onStage);
    const feed = createFeed();
    const alerts: string[] = [];
    const runtime = createNotifyRuntime({
      feed,
      notifier: createNotifier({ holdMs: 100, duePerTick: 10 }),
      deliver: (a) => {
        alerts.push(a.title);
      },
    });
    await runtime.start();
    feed.needs(Array.from({ length: 25 }, (_, i) => ({ ...dead("W1"), orchestrator: `orch-${i}` })));
    await waitUntil("25 alerts", () => alerts.length === 25);
    await waitUntil("nothing pending", () => runtime.stats().pending === 0);
    await runtime.stop();
    unsubscribe("catalyst:stage", onStage);
    expect(new Set(alerts).size).toBe(25);
    expect(ticks).toEqual([10, 10, 5]);
    // 5 ms between catch-up ticks (timers may fire up to 1 ms early against performance.now()).
    expect(gaps).toHaveLength(2);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(3.5);
  });

  it("seeds in parts and applies a delta that came meanwhile after the seed, in order", async () => {
    // 2,500 dead workers at start, one per orchestrator: the seed takes parts of 250. The
    // last one's row is removed while the seed is under way: applied at once, the removal would
    // find nothing and the seed would then raise it from the older snapshot (a false alert).
    const rows = Array.from({ length: 2500 }, (_, i) => ({ ...dead("W1"), orchestrator: `orch-${i}` }));
    const feed = createFeed(rows);
    const alerts: string[] = [];
    const seedParts: number[] = [];
    const onStage = (m: unknown) => {
      if ((m as { stage?: string }).stage === "alerts-seed") seedParts.push(1);
    };
    subscribe("catalyst:stage", onStage);
    const runtime = createNotifyRuntime({
      feed,
      notifier: createNotifier({ holdMs: 100 }),
      deliver: (a) => {
        alerts.push(a.incident);
      },
    });
    const started = runtime.start();
    feed.needs([], [rows[2499]!]);
    await started;
    unsubscribe("catalyst:stage", onStage);
    await waitUntil("2,499 alerts", () => alerts.length === 2499);
    await waitUntil("nothing pending", () => runtime.stats().pending === 0);
    await runtime.stop();
    expect(alerts).not.toContain("dead|orch-2499|W1");
    expect(runtime.stats()).toMatchObject({ suppressed: 1, openIncidents: 2499 });
    // Ten parts of 250 rows, the tick, and the end.
    expect(seedParts).toHaveLength(12);
  });

  it("persists the open incident (0600, outside the catalyst dir) and does not repeat it after a restart", async () => {
    const stateDir = join(dir, "state");
    const store = createIncidentStore(stateDir);
    const feed = createFeed();
    let runtime: NotifyRuntime | null = null;
    const d = createDispatcher([createWebhookChannel({ url: receiver.url })], {
      onEvent: (e) => {
        if (e.type === "sent" && e.key !== null) runtime?.delivered(e.key, e.channelId);
      },
    });
    const first = createNotifyRuntime({
      feed,
      notifier: createNotifier({ holdMs: 100 }),
      deliver: (a, how) => d.dispatch(a, how),
      store,
    });
    runtime = first;
    await first.start();
    feed.needs([dead("W1")]);
    await receiver.waitForCount(1);
    await first.stop(() => d.idle());
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
    expect((await store.load()).incidents).toMatchObject([
      { incident: "dead|orch-a|W1", members: ["dead|orch-a|W1"] },
    ]);

    // Restarted: the fleet still shows the dead worker.
    const again = createFeed([dead("W1")]);
    const second = createNotifyRuntime({
      feed: again,
      notifier: createNotifier({ holdMs: 100 }),
      deliver: (a, how) => d.dispatch(a, how),
      store,
    });
    runtime = second;
    await second.start();
    expect(second.stats()).toMatchObject({ pending: 0, openIncidents: 1, alertsSent: 0 });
    await second.stop();
    await d.idle();
    expect(receiver.received).toHaveLength(1);
    d.stop();
  });

  it("writes an alert to the outbox before it is sent, and a restart sends what is still owed once, with its key", async () => {
    const store = createIncidentStore(join(dir, "state"));
    const sent: Array<{ incident: string; key: string | undefined; skip: readonly string[] }> = [];
    let onDisk = 0;
    const run = (feed: ReturnType<typeof createFeed>) =>
      createNotifyRuntime({
        feed,
        notifier: createNotifier({ holdMs: 100 }),
        deliver: (a, how) => {
          // Synchronously, as the dispatcher would start sending: the alert must be on disk.
          const text = `${readFileSync(store.path, "utf8")}${existsSync(store.journalPath) ? readFileSync(store.journalPath, "utf8") : ""}`;
          if (how?.key !== undefined && how.key !== null && new RegExp(`"id": ?"${how.key}"`).test(text))
            onDisk += 1;
          sent.push({ incident: a.incident, key: how?.key ?? undefined, skip: how?.skip ?? [] });
          return ["ch-a", "ch-b"].filter((c) => !how?.skip?.includes(c));
        },
        store,
      });

    const feed = createFeed();
    const first = run(feed);
    await first.start();
    feed.needs([dead("W1")]);
    await waitUntil("the alert to be sent", () => sent.length === 1);
    expect(onDisk).toBe(1);
    const key = sent[0]!.key!;
    expect(key).toMatch(/^[A-Za-z0-9_-]{22}$/);
    // One channel took it; the crash comes before the other answered.
    first.delivered(key, "ch-a");
    await first.stop();

    // Restarted (the worker still dead): the incident is restored, nothing new alerts, and the
    // alert goes again only to the channel that had not taken it, with the same key.
    const second = run(createFeed([dead("W1")]));
    await second.start();
    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual({ incident: "dead|orch-a|W1", key, skip: ["ch-a"] });
    expect(second.stats()).toMatchObject({ pending: 0, openIncidents: 1, alertsSent: 0 });
    second.delivered(key, "ch-b");
    await second.stop();

    // Every channel has it now: a third start sends nothing.
    const third = run(createFeed([dead("W1")]));
    await third.start();
    await third.stop();
    expect(sent).toHaveLength(2);
    expect((await store.load()).outbox).toEqual([]);
  });

  it("never loses an alert to a full channel queue: each is offered again when there is room, or after a restart", async () => {
    // 12 alerts (one per orchestrator) at a channel that is down, whose queue holds 3: 9 are
    // deferred, still owed in the outbox. Stopped while the channel is still down, restarted with
    // it back: every alert arrives, each once, none dropped.
    receiver.respondWith(503);
    const store = createIncidentStore(join(dir, "state"));
    const rows = Array.from({ length: 12 }, (_, i) => ({ ...dead("W1"), orchestrator: `orch-${i}` }));
    const events: DispatchEvent[] = [];
    const run = (feed: ReturnType<typeof createFeed>) => {
      let runtime: NotifyRuntime | null = null;
      const d = createDispatcher([createWebhookChannel({ url: receiver.url })], {
        maxQueue: 3,
        retryBaseMs: 20,
        retryMaxMs: 40,
        ratePerMinute: 60_000,
        burst: 100,
        onEvent: (e) => {
          events.push(e);
          if (e.type === "deferred") runtime?.deferred(e.key, e.channelId);
          else if (e.type === "room") runtime?.room(e.channelId);
          else if (e.type !== "failed" && e.key !== null) runtime?.delivered(e.key, e.channelId);
        },
      });
      runtime = createNotifyRuntime({
        feed,
        notifier: createNotifier({ holdMs: 50 }),
        deliver: (a, how) => d.dispatch(a, how),
        store,
      });
      return { runtime, d };
    };
    const feed = createFeed();
    const first = run(feed);
    await first.runtime.start();
    feed.needs(rows);
    await waitUntil("12 alerts made", () => first.runtime.recent().length === 12);
    await waitUntil("9 deferred", () => events.filter((e) => e.type === "deferred").length === 9);
    await first.runtime.stop();
    first.d.stop();
    expect((await store.load()).outbox).toHaveLength(12);

    receiver.respondWith(200);
    const second = run(createFeed(rows));
    await second.runtime.start();
    await waitUntil("every alert", () => receiver.received.length >= 12);
    await second.d.idle();
    await second.runtime.stop();
    second.d.stop();
    const incidents = receiver.received.map((r) => JSON.parse(r.body).incident as string);
    expect(incidents.sort()).toEqual(rows.map((r) => `dead|${r.orchestrator}|W1`).sort());
    expect(new Set(receiver.received.map((r) => r.headers["idempotency-key"])).size).toBe(12);
    expect(events.some((e) => e.type === "dropped")).toBe(false);
    expect(events.filter((e) => e.type === "room").length).toBeGreaterThan(0);
    expect((await store.load()).outbox).toEqual([]);
  });

  it("starts empty from an unreadable store and says so", async () => {
    const store = createIncidentStore(dir);
    await writeFile(store.path, "{torn");
    const problems: string[] = [];
    const runtime = createNotifyRuntime({
      feed: createFeed(),
      notifier: createNotifier(),
      deliver: () => {},
      store,
      onProblem: (p) => problems.push(p),
    });
    await runtime.start();
    expect(problems).toEqual([`${store.path}: not valid JSON`]);
    await runtime.stop();
  });
});

describe("createLoggedAlerting", () => {
  const env = () => ({ XDG_STATE_HOME: join(dir, "state"), XDG_CONFIG_HOME: join(dir, "config") });
  it("reports deliveries to the bin's log and starts only once the history is in", async () => {
    const lines: string[] = [];
    const log = {
      info: (m: string) => lines.push(`info ${m}`),
      warn: (m: string) => lines.push(`warn ${m}`),
      error: (m: string) => lines.push(`error ${m}`),
    };
    const feed = createFeed();
    const alerting = await createLoggedAlerting({
      flags: notifyFlagsOf({ "notify-webhook": [receiver.url], "notify-hold": "100ms" }, {}),
      env: env(),
      home: dir,
      feed,
      dashboardUrl: "http://127.0.0.1:7400/",
      checkDir: () => {},
      identity: "/tmp/catalyst",
      log,
    });
    expect(lines).toEqual(["info alerts enabled"]);
    let loaded = (): void => {};
    startAlertingAfter(alerting, new Promise<void>((r) => (loaded = r)), log);
    loaded();
    await waitUntil("alerting started", async () => {
      feed.needs([dead("W1")]);
      return lines.includes("info alert delivered");
    });
    expect(lines).toContain("info alert");
    await alerting.stop();
  });

  it("refuses a state dir the bin must not write into", async () => {
    const options = {
      flags: notifyFlagsOf({ "notify-webhook": [receiver.url] }, {}),
      env: env(),
      home: dir,
      feed: createFeed(),
      dashboardUrl: "http://127.0.0.1:7400/",
      checkDir: (what: string, path: string) => {
        if (what === "state") throw new Error(`refused ${path}`);
      },
      identity: "/tmp/catalyst",
      log: { info: () => {}, warn: () => {}, error: () => {} },
    };
    await expect(createLoggedAlerting(options)).rejects.toThrow(
      `refused ${join(dir, "state", "catalyst-monitor")}`,
    );
  });
});

describe("bin support", () => {
  it("answers the push routes: off, too large, bad JSON, the endpoint's answer", async () => {
    expect(await answerPushRequest(null, { action: "key" })).toEqual({
      status: 404,
      body: {
        error: { code: "push_off", message: "Web Push is off (start the monitor with --notify-push)" },
      },
    });
    const seen: unknown[] = [];
    const push = {
      key: () => ({ publicKey: "k" }),
      subscribe: async (body: unknown) => {
        seen.push(body);
        return { status: 201 as const, body: { ok: true } };
      },
      unsubscribe: async () => ({ status: 200 as const, body: {} }),
    };
    expect(await answerPushRequest(push, { action: "key" })).toEqual({
      status: 200,
      body: { publicKey: "k" },
    });
    const text = async () => '{"endpoint":"x"}';
    expect((await answerPushRequest(push, { action: "subscribe", text })).status).toBe(413);
    expect((await answerPushRequest(push, { action: "subscribe", contentLength: "9000", text })).status).toBe(
      413,
    );
    const bad = await answerPushRequest(push, {
      action: "subscribe",
      contentLength: "3",
      text: async () => "{x",
    });
    expect(bad.status).toBe(400);
    expect(await answerPushRequest(push, { action: "subscribe", contentLength: "16", text })).toEqual({
      status: 201,
      body: { ok: true },
    });
    expect(seen).toEqual([{ endpoint: "x" }]);
  });

  it("reports a test alert as lines and an exit code, or null without a channel", async () => {
    const where = { env: { XDG_CONFIG_HOME: join(dir, "config") }, home: dir };
    expect(await runNotifyTest(notifyFlagsOf({}, {}), "http://127.0.0.1:7400/", where)).toBeNull();
    const report = await runNotifyTest(
      notifyFlagsOf({ "notify-webhook": [receiver.url] }, {}),
      "http://127.0.0.1:7400/",
      where,
    );
    expect(report?.code).toBe(0);
    expect(report?.lines.at(-1)).toBe("test alert sent through 1 channel(s)\n");
    expect(report?.lines[0]).toMatch(/^ok {6}/);
    expect(notifyTestUsage("catalyst-monitor notify test")).toContain(
      "Usage: catalyst-monitor notify test [--notify-*",
    );
  });
});
