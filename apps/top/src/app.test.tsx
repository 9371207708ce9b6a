/** @jsxRuntime automatic */
/** @jsxImportSource react */
import { createFleetStore } from "@catalyst/client";
import type { Delta } from "@catalyst/schema/constants";
import { render } from "ink-testing-library";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TopApp } from "./app.js";
import { bigFleet, orchestrator, snapshotOf, worker } from "./fixtures.test-helper.js";
import type { EventLineView, SourceState } from "./fleet-source.js";
import { createLiveView } from "./live-view.js";

const fleet = snapshotOf([
  orchestrator("orch-a", [
    worker("orch-a", "A-1", { status: "done", phase: 6 }),
    worker("orch-a", "A-2", { status: "failed", phase: 3, error: "tests failed" }),
    worker("orch-a", "A-3", { status: "researching", phase: 1, title: "Dark mode" }),
  ]),
  orchestrator("orch-b", [worker("orch-b", "B-1", { status: "validating", phase: 4 })]),
]);

function setup(snapshot = fleet, state: SourceState = { state: "live", resumed: false }) {
  const store = createFleetStore();
  store.apply({ id: 1, event: "snapshot", data: snapshot } as Delta);
  const view = createLiveView(store, { intervalMs: 0 });
  const asked: string[] = [];
  const source = {
    label: "http://127.0.0.1:7400",
    state: () => state,
    onState: () => () => {},
    recentEvents: async (o: string, w: string): Promise<EventLineView[]> => {
      asked.push(`${o}/${w}`);
      return [{ ts: "2026-04-14T19:00:01Z", event: "worker-failed", detail: '{"reason":"tests"}' }];
    },
  };
  const app = render(
    <TopApp view={view} source={source} color={false} now={() => Date.parse("2026-04-14T19:00:30Z")} />,
  );
  stops.push(() => {
    app.unmount();
    view.stop();
  });
  return { app, store, view, asked };
}

const stops: Array<() => void> = [];
afterEach(() => {
  for (const s of stops.splice(0)) s();
});

const frame = (app: ReturnType<typeof render>) => app.lastFrame() ?? "";
const waitFrame = (app: ReturnType<typeof render>, re: RegExp) =>
  vi.waitFor(() => expect(frame(app)).toMatch(re), { timeout: 5000 });

describe("TopApp", () => {
  it("shows counts, needs-you first, orchestrators with progress and wave, and the table", () => {
    const { app } = setup();
    const f = frame(app);
    expect(f).toContain("live");
    expect(f).toContain("2 orch · 4 workers · 2 active · 1 done · 1 failed · 1 need you");
    expect(f).toContain("NEEDS YOU (1)");
    expect(f).toMatch(/orch-a active · 1\/3 done, 1 failed, 1 active, wave 1\/2/);
    const lines = f.split("\n");
    expect(lines.findIndex((l) => l.startsWith("  failed A-2"))).toBe(lines.indexOf("NEEDS YOU (1)") + 1);
    const first = lines.findIndex((l) => /^>A-2/.test(l));
    const later = lines.findIndex((l) => /^ A-1/.test(l));
    expect(first).toBeGreaterThan(lines.findIndex((l) => l.includes("TICKET")));
    expect(first).toBeLessThan(later);
  });

  it("redraws when a delta is applied", async () => {
    const { app, store } = setup();
    const w = { ...worker("orch-b", "B-1", { status: "shipping", phase: 5 }) };
    store.apply({
      id: 2,
      event: "worker-update",
      data: {
        orchestrator: "orch-b",
        worker: "B-1",
        status: "shipping",
        phase: 5,
        ts: "2026-04-14T19:00:05Z",
        workerState: w,
      },
    } as Delta);
    await waitFrame(app, /B-1.*shipping/);
    expect(frame(app)).toContain("B-1 → shipping");
  });

  it("moves with j/k and arrows, opens a worker's detail with its events, and goes back", async () => {
    const { app, asked } = setup();
    app.stdin.write("j");
    await waitFrame(app, /^>B-1/m);
    app.stdin.write("\x1b[B");
    await waitFrame(app, /^>A-3/m);
    app.stdin.write("k");
    await waitFrame(app, /^>B-1/m);
    app.stdin.write("k");
    await waitFrame(app, /^>A-2/m);
    app.stdin.write("\r");
    await waitFrame(app, /worker-failed/);
    expect(frame(app)).toContain("error: tests failed");
    expect(asked).toEqual(["orch-a/A-2"]);
    app.stdin.write("\x1b");
    await waitFrame(app, /TICKET/);
  });

  it("opens the row the cursor moved to when Enter comes in the same read as the move", async () => {
    const { app, asked } = setup();
    app.stdin.write("j\r");
    await waitFrame(app, /worker-failed/);
    expect(asked).toEqual(["orch-b/B-1"]);
  });

  it("filters with /, f and o", async () => {
    const { app } = setup();
    app.stdin.write("/");
    await waitFrame(app, /Enter keep/);
    for (const ch of "dark") app.stdin.write(ch);
    await waitFrame(app, /rows 1-1 of 1 · filter "dark"/);
    app.stdin.write("\r");
    app.stdin.write("\x1b");
    await waitFrame(app, /rows 1-4 of 4/);
    app.stdin.write("f");
    await waitFrame(app, /rows 1-1 of 1 · failed \/ needs-you only/);
    app.stdin.write("f");
    await waitFrame(app, /rows 1-4 of 4/);
    app.stdin.write("o");
    await waitFrame(app, /Pick an orchestrator/);
    app.stdin.write("j");
    app.stdin.write("j");
    await waitFrame(app, /> orch-b/);
    app.stdin.write("\r");
    await waitFrame(app, /rows 1-1 of 1 · orch orch-b/);
    expect(frame(app)).not.toMatch(/^[ >!]A-/m);
  });

  it("takes keys that arrive in one read (fast typing, a paste) one at a time", async () => {
    const { app } = setup();
    app.stdin.write("jj");
    await waitFrame(app, /^>A-3/m);
    app.stdin.write("/dark\r");
    await waitFrame(app, /rows 1-1 of 1 · filter "dark" · events:/);
    expect(frame(app)).toContain("↑↓ move");
    expect(frame(app)).not.toContain("\r");
  });

  it("shows help on ? and the reconnecting state", async () => {
    const { app } = setup(fleet, { state: "reconnecting", attempt: 2, reason: "stream closed", retryAt: 0 });
    expect(frame(app)).toContain("reconnecting (stream closed)");
    app.stdin.write("?");
    await waitFrame(app, /f failed \/ needs-you only/);
  });

  it("windows 2,000 workers into the screen and keeps the selection in view", async () => {
    const { app } = setup(bigFleet(2000));
    expect(frame(app)).toMatch(/rows 1-\d+ of 2000/);
    // 24 rows: the frame stays within the terminal however big the fleet.
    expect(frame(app).split("\n").length).toBeLessThanOrEqual(24);
    app.stdin.write("G");
    await waitFrame(app, /rows \d+-2000 of 2000/);
  });

  it("prints no colour codes with color off", () => {
    const { app } = setup();
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for SGR colour codes
    expect(frame(app)).not.toMatch(/\x1b\[3\dm/);
  });
});
