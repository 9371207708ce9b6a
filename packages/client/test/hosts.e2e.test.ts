// The client against a scripted monitor over real sockets: a multi-host snapshot, then `hosts`
// frames turning a host stale and back, as a monitor that fuses several machines sends them.
import type { HostView } from "@catalyst/schema/constants";
import {
  hostsUpdate,
  multiHostSnapshot,
  type ScriptedSseServer,
  startScriptedSseServer,
} from "@catalyst/test-utils";
import { EventSource } from "eventsource";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type EventSourceConstructor, followFleet, staleHostNames } from "../src/index.js";

let server: ScriptedSseServer | null = null;
const stops: Array<() => void> = [];

afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  await server?.stop();
  server = null;
});

function follow(url: string) {
  const follower = followFleet({
    baseUrl: url,
    EventSource: EventSource as unknown as EventSourceConstructor,
  });
  stops.push(() => follower.stop());
  const seen: Array<{ event: string; stale: string[] }> = [];
  follower.store.subscribe((snapshot, delta) =>
    seen.push({ event: delta.event, stale: [...staleHostNames(snapshot)] }),
  );
  follower.start();
  return { follower, seen };
}

describe("@catalyst/client and the hosts of a multi-host monitor", () => {
  it("keeps the host list from the snapshot and from every hosts frame, and tells subscribers", async () => {
    server = await startScriptedSseServer({ snapshot: multiHostSnapshot(), snapshotId: 5 });
    const { follower, seen } = follow(server.url);
    await vi.waitFor(() => expect(follower.store.hosts()?.map((h) => h.name)).toEqual(["alpha", "beta"]), {
      timeout: 20_000,
    });
    expect(follower.store.hosts()?.every((h) => !h.stale)).toBe(true);

    const silentSince = new Date(Date.now() - 120_000).toISOString();
    const staleBeta: HostView[] = [
      { ...follower.store.hosts()![0]! },
      { name: "beta", lastHeartbeat: silentSince, stale: true },
    ];
    server.push(hostsUpdate(6, staleBeta));
    await vi.waitFor(() => expect(follower.store.hosts()?.[1]).toEqual(staleBeta[1]), { timeout: 20_000 });
    expect(seen.at(-1)).toEqual({ event: "hosts", stale: ["beta"] });
    expect(follower.store.lastId()).toBe(6);
    // The stale host's workers keep their last state.
    const web = follower.store.snapshot()?.orchestrators.find((o) => o.host === "beta");
    expect(web?.workers["WEB-1"]?.status).toBe("validating");
    expect(web?.id).toBe("beta/orch-web");

    const back: HostView[] = staleBeta.map((h) => ({
      ...h,
      lastHeartbeat: new Date().toISOString(),
      stale: false,
    }));
    server.push(hostsUpdate(7, back));
    await vi.waitFor(() => expect(seen.at(-1)).toEqual({ event: "hosts", stale: [] }), { timeout: 20_000 });
    expect(follower.store.hosts()).toEqual(back);
  });

  it("has no hosts on a single-host monitor", async () => {
    const { hosts: _hosts, ...single } = multiHostSnapshot();
    server = await startScriptedSseServer({ snapshot: single, snapshotId: 1 });
    const { follower } = follow(server.url);
    await vi.waitFor(() => expect(follower.store.snapshot()).not.toBeNull(), { timeout: 20_000 });
    expect(follower.store.hosts()).toBeNull();
  });
});
