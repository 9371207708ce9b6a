import type { HostView } from "@catalyst/schema/constants";
import { describe, expect, it } from "vitest";
import {
  describeSkippedLines,
  describeStaleHost,
  fleetHosts,
  formatSilence,
  heartbeatAgeMs,
  hostOf,
  staleHostNames,
} from "./hosts.js";

const NOW = Date.parse("2026-04-14T19:10:00Z");
const host = (name: string, lastHeartbeat: string | null, stale: boolean): HostView => ({
  name,
  lastHeartbeat,
  stale,
});

describe("hosts", () => {
  it("says nothing about hosts on a single-host snapshot", () => {
    expect(fleetHosts({})).toBeNull();
    expect(fleetHosts(null)).toBeNull();
    expect(staleHostNames({}).size).toBe(0);
    expect(hostOf({})).toBeNull();
  });

  it("lists the stale hosts and the host of an orchestrator", () => {
    const hosts = [host("a", "2026-04-14T19:09:58Z", false), host("b", "2026-04-14T19:08:00Z", true)];
    expect(fleetHosts({ hosts })).toBe(hosts);
    expect([...staleHostNames({ hosts })]).toEqual(["b"]);
    expect(hostOf({ host: "b" })).toBe("b");
  });

  it("words a stale host's silence from its last heartbeat", () => {
    expect(describeStaleHost(host("a", "2026-04-14T19:09:58Z", false), NOW)).toBeNull();
    expect(describeStaleHost(host("b", "2026-04-14T19:08:00Z", true), NOW)).toBe(
      "stale — no heartbeat for 2 min",
    );
    expect(describeStaleHost(host("c", null, true), NOW)).toBe("stale — no heartbeat yet");
    expect(heartbeatAgeMs(host("d", "not a time", true), NOW)).toBeNull();
    // A heartbeat stamped ahead of this clock is not a negative silence.
    expect(heartbeatAgeMs(host("e", "2026-04-14T19:11:00Z", false), NOW)).toBe(0);
    expect([45_000, 119_999, 7_200_000, 200_000_000].map(formatSilence)).toEqual([
      "45 s",
      "1 min",
      "2 h",
      "2 d",
    ]);
  });

  it("words a host's skipped lines, and says nothing for none or an older monitor", () => {
    expect(describeSkippedLines({ skipped: { lines: 3, files: 2 } })).toBe("3 lines skipped");
    expect(describeSkippedLines({ skipped: { lines: 1, files: 1 } })).toBe("1 line skipped");
    expect(describeSkippedLines({ skipped: { lines: 0, files: 0 } })).toBeNull();
    expect(describeSkippedLines({})).toBeNull();
  });
});
