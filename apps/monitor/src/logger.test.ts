import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

const at = () => new Date("2026-04-14T19:00:00.000Z");

describe("createLogger", () => {
  it("writes one text line per call with key=value fields, debug only when asked", () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l), now: at });
    log.info("monitoring", { dir: "/tmp/x y", clients: 2 });
    log.debug("hidden");
    expect(lines).toEqual(['2026-04-14T19:00:00.000Z info monitoring dir="/tmp/x y" clients=2\n']);
    const verbose = createLogger({ write: (l) => lines.push(l), now: at, debug: true });
    verbose.debug("shown");
    expect(lines).toHaveLength(2);
  });

  it("writes one JSON object per line in json format", () => {
    const lines: string[] = [];
    createLogger({ format: "json", write: (l) => lines.push(l), now: at }).warn("slow client", {
      clients: 1,
    });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      ts: "2026-04-14T19:00:00.000Z",
      level: "warn",
      msg: "slow client",
      clients: 1,
    });
  });
});
