/** @jsxRuntime automatic */
/** @jsxImportSource react */
// catalyst-top on a monitor that fuses several machines, over a real socket: remoteSource follows
// a scripted SSE server (test-utils) sending a two-host snapshot and `hosts` frames, and the
// component is drawn by ink-testing-library: the HOST column, the hosts line, `h` cycling the
// host filter, a stale host's workers as "stale host" (never DEAD), and a single-host fleet as
// it always was.
import type { HostView, Snapshot } from "@catalyst/schema/constants";
import {
  hostsUpdate,
  multiHostSnapshot,
  type ScriptedSseServer,
  startScriptedSseServer,
} from "@catalyst/test-utils";
import { render } from "ink-testing-library";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TopApp } from "./app.js";
import { orchestrator, snapshotOf, worker } from "./fixtures.test-helper.js";
import { remoteSource } from "./fleet-source.js";
import { createLiveView } from "./live-view.js";

const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function follow(snapshot: Snapshot, columns = 120) {
  const server: ScriptedSseServer = await startScriptedSseServer({ snapshot, snapshotId: 3 });
  stops.push(() => server.stop());
  const source = remoteSource({ url: server.url, token: null });
  stops.push(() => source.stop());
  const view = createLiveView(source.store, { intervalMs: 0 });
  await source.start();
  await source.loaded();
  const app = render(<TopApp view={view} source={source} color={false} />);
  // ink-testing-library's stdout is 100 columns; the app reads the width from it.
  Object.defineProperty(app.stdout, "columns", { value: columns, configurable: true });
  app.stdout.emit("resize");
  stops.push(() => {
    app.unmount();
    view.stop();
  });
  return { server, app };
}

const frame = (app: ReturnType<typeof render>) => app.lastFrame() ?? "";
const waitFrame = (app: ReturnType<typeof render>, re: RegExp) =>
  vi.waitFor(() => expect(frame(app)).toMatch(re), { timeout: 10_000 });
const rowOf = (app: ReturnType<typeof render>, ticket: string) =>
  frame(app)
    .split("\n")
    .find((l) => new RegExp(`^[ >!]${ticket}\\b`).test(l)) ?? "";

describe("TopApp with several hosts (scripted monitor over a real socket)", () => {
  it("shows HOST, the hosts line, and a stale host's workers as 'stale host' until it is back", async () => {
    const { server, app } = await follow(multiHostSnapshot());
    await waitFrame(app, /hosts: alpha · beta/);
    expect(frame(app)).toMatch(/TICKET \/ TITLE.*HOST/);
    expect(rowOf(app, "WEB-2")).toMatch(/beta .*DEAD/);
    expect(frame(app)).toContain("· 1 dead");
    expect(frame(app)).toContain("h host");

    const hosts: HostView[] = [
      { name: "alpha", lastHeartbeat: new Date().toISOString(), stale: false },
      { name: "beta", lastHeartbeat: new Date(Date.now() - 125_000).toISOString(), stale: true },
    ];
    server.push(hostsUpdate(4, hosts));
    await waitFrame(app, /beta STALE \(no heartbeat for 2 min\)/);
    expect(rowOf(app, "WEB-2")).toContain("stale host");
    expect(rowOf(app, "WEB-2")).not.toContain("DEAD");
    expect(rowOf(app, "WEB-2")).toContain("shipping");
    expect(rowOf(app, "CTL-1")).not.toContain("stale host");
    expect(frame(app)).not.toContain("dead");
    expect(frame(app)).toContain("2 on stale hosts");
    expect(frame(app)).toMatch(/beta\/orch-web .*· stale host/);
    expect(frame(app)).toContain("hosts: stale beta");

    server.push(
      hostsUpdate(
        5,
        hosts.map((h) => ({ ...h, stale: false })),
      ),
    );
    await waitFrame(app, /hosts: every host reporting/);
    expect(frame(app)).not.toContain("STALE");
    expect(rowOf(app, "WEB-2")).toContain("DEAD");
  });

  it("shows each host's skipped lines from the snapshot and from hosts frames, and drops them when gone", async () => {
    const snap = multiHostSnapshot();
    snap.hosts = snap.hosts!.map((h) => (h.name === "beta" ? { ...h, skipped: { lines: 12, files: 2 } } : h));
    const { server, app } = await follow(snap);
    await waitFrame(app, /hosts: alpha · beta \(12 lines skipped\)/);

    // A hosts frame: alpha's publisher skipped a line, beta went stale (still 12 skipped).
    const hosts: HostView[] = [
      {
        name: "alpha",
        lastHeartbeat: new Date().toISOString(),
        stale: false,
        skipped: { lines: 1, files: 1 },
      },
      {
        name: "beta",
        lastHeartbeat: new Date(Date.now() - 125_000).toISOString(),
        stale: true,
        skipped: { lines: 12, files: 2 },
      },
    ];
    server.push(hostsUpdate(4, hosts));
    await waitFrame(
      app,
      /hosts: alpha \(1 line skipped\) · beta STALE \(no heartbeat for 2 min\) \(12 lines skipped\)/,
    );

    // Back, and a restarted publisher: no skipped counts, so no chips.
    server.push(
      hostsUpdate(
        5,
        hosts.map(({ skipped: _, ...h }) => ({ ...h, stale: false })),
      ),
    );
    await waitFrame(app, /hosts: every host reporting/);
    await waitFrame(app, /hosts: alpha · beta(?! \()/);
    expect(frame(app)).not.toContain("skipped");
  });

  it("cycles the host filter with h (all → alpha → beta → all) and documents the key in help", async () => {
    const { app } = await follow(multiHostSnapshot());
    await waitFrame(app, /rows 1-4 of 4/);
    app.stdin.write("h");
    await waitFrame(app, /rows 1-2 of 2 · host alpha/);
    expect(frame(app)).not.toMatch(/^[ >!]WEB-/m);
    app.stdin.write("h");
    await waitFrame(app, /rows 1-2 of 2 · host beta/);
    expect(frame(app)).not.toMatch(/^[ >!]CTL-/m);
    app.stdin.write("h");
    await waitFrame(app, /rows 1-4 of 4 · events:/);
    app.stdin.write("?");
    await waitFrame(app, /h next host \(all → each host → all\)/);
  });

  it("adds nothing on a single-host monitor: no HOST column, no hosts line, h does nothing", async () => {
    const single = snapshotOf([
      orchestrator("orch-a", [worker("orch-a", "A-1", { status: "implementing", alive: false })]),
    ]);
    const { app } = await follow(single);
    await waitFrame(app, /rows 1-1 of 1/);
    expect(frame(app)).not.toContain("HOST");
    expect(frame(app)).not.toContain("hosts:");
    expect(frame(app)).not.toContain("h host");
    expect(rowOf(app, "A-1")).toContain("DEAD");
    app.stdin.write("h");
    app.stdin.write("?");
    await waitFrame(app, /Keys/);
    expect(frame(app)).not.toContain("next host");
  });
});
