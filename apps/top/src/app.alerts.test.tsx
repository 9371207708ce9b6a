/** @jsxRuntime automatic */
/** @jsxImportSource react */
// catalyst-top's alert bell: remoteSource asks the monitor's /api/alerts (here a scripted monitor
// over a real socket) and the header shows the incidents open and the newest alert's title.
import { type ScriptedSseServer, startScriptedSseServer } from "@catalyst/test-utils";
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

describe("TopApp alert bell", () => {
  it("shows the open incidents and the newest alert from /api/alerts", async () => {
    const asked: string[] = [];
    const server: ScriptedSseServer = await startScriptedSseServer({
      snapshot: snapshotOf([orchestrator("orch-a", [worker("orch-a", "CTL-1", { status: "failed" })])]),
      snapshotId: 1,
      async fallback(_req, res, url) {
        if (url.pathname !== "/api/alerts") return false;
        asked.push(url.search);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ alerts: [{ seq: 1, title: "CTL-1 failed · orch-a" }], lastSeq: 1, open: 1 }),
        );
        return true;
      },
    });
    stops.push(() => server.stop());
    const source = remoteSource({ url: server.url, token: null });
    stops.push(() => source.stop());
    const view = createLiveView(source.store, { intervalMs: 0 });
    await source.start();
    await source.loaded();
    const app = render(<TopApp view={view} source={source} color={false} />);
    Object.defineProperty(app.stdout, "columns", { value: 140, configurable: true });
    app.stdout.emit("resize");
    stops.push(() => {
      app.unmount();
      view.stop();
    });
    await vi.waitFor(() => expect(app.lastFrame() ?? "").toContain("alerts 1 open: CTL-1 failed · orch-a"), {
      timeout: 10_000,
    });
    expect(asked[0]).toBe("?after=0");
  });
});
