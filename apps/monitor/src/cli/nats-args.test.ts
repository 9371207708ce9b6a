import { redactUrl } from "@catalyst/relay";
import { DEFAULT_DURABLE, DEFAULT_STALE_AFTER_MS } from "@catalyst/relay/command-line";
import { describe, expect, it } from "vitest";
import { parseCliArgs } from "./parse-args.js";

const parse = (...args: string[]) => parseCliArgs(args, {}, "/home/u");

describe("catalyst-monitor --nats (the central monitor)", () => {
  it("reads the URL, the stale threshold and the durable name, with defaults", () => {
    expect(parse()).toMatchObject({
      nats: null,
      staleAfterMs: DEFAULT_STALE_AFTER_MS,
      durable: DEFAULT_DURABLE,
    });
    expect(
      parse("--nats", "nats://10.0.0.5:4222", "--stale-after", "2m", "--durable", "central-2"),
    ).toMatchObject({ nats: "nats://10.0.0.5:4222", staleAfterMs: 120_000, durable: "central-2" });
    expect(parse("--nats", "tls://u:p@broker:4222").nats).toBe("tls://u:p@broker:4222");
  });

  it("refuses what cannot go with it, never echoing the URL", () => {
    expect(() => parse("--nats", "http://user:s3cret@x")).toThrow(/^--nats must be a NATS URL/);
    expect(() => parse("--nats", "http://user:s3cret@x")).not.toThrow(/s3cret/);
    expect(() => parse("--nats", "nats://h:1", "--dir", "/tmp/c")).toThrow(/do not pass --dir/);
    expect(() => parse("--nats", "nats://h:1", "--demo")).toThrow(/--nats and --demo/);
    expect(() => parse("--nats", "nats://h:1", "--publish", "nats://h:1")).toThrow(/two monitors/);
    expect(() => parse("--stale-after", "30s")).toThrow(/pass --nats with it/);
    expect(() => parse("--durable", "x")).toThrow(/pass --nats with it/);
    expect(() => parse("--nats", "nats://h:1", "--stale-after", "soon")).toThrow(/--stale-after must be/);
    expect(() => parse("--nats", "nats://h:1", "--stale-after", "500ms")).toThrow(/at least 1s/);
    expect(() => parse("--nats", "nats://h:1", "--durable", "a.b")).toThrow(/--durable must be/);
  });

  it("logs the URL without its credentials", () => {
    expect(redactUrl("nats://alice:s3cret@broker:4222")).toBe("nats://***@broker:4222");
    expect(redactUrl("tls://tok3n@broker:4222")).toBe("tls://***@broker:4222");
    expect(redactUrl("nats://127.0.0.1:4222")).toBe("nats://127.0.0.1:4222");
  });
});
