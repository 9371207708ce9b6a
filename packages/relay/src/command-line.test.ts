import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { natsConnectOptions } from "./broker.js";
import { parseNatsUrl, redactUrl, relayRoleFlagsOf, resolveNatsConnection } from "./command-line.js";
import { NatsCredentialsError } from "./errors.js";

const URL = "nats://127.0.0.1:4222";
let root = "";

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "relay-cmdline-"));
  await writeFile(join(root, "token"), "t0ken-s3cret\nignored\n");
  await writeFile(join(root, "password"), "pw-s3cret\n");
  await writeFile(join(root, "empty"), "\n");
  await writeFile(join(root, "big.pem"), "x".repeat(2 * 1024 * 1024));
  await writeFile(join(root, "ca.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  await writeFile(join(root, "not.pem"), "hello\n");
  await writeFile(
    join(root, "u.creds"),
    "-----BEGIN NATS USER JWT-----\neyJ0\n------END NATS USER JWT------\n-----BEGIN USER NKEY SEED-----\nSUAM\n------END USER NKEY SEED------\n",
  );
  await mkdir(join(root, "dir"));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** The problem a call throws, asserting it is a NatsCredentialsError without the secrets. */
async function problem(p: Promise<unknown>): Promise<string> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NatsCredentialsError);
  const message = (error as Error).message;
  for (const secret of ["t0ken-s3cret", "pw-s3cret", "envs3cret"]) expect(message).not.toContain(secret);
  return message;
}

describe("redactUrl / parseNatsUrl", () => {
  it("hides user:pass@ and token@, in every entry of a list", () => {
    expect(redactUrl("nats://alice:pw@h:4222")).toBe("nats://***@h:4222");
    expect(redactUrl("tls://tok@h:4222,nats://h2:4222")).toBe("tls://***@h:4222,nats://h2:4222");
    expect(redactUrl("nats://h:4222")).toBe("nats://h:4222");
  });

  it("reads servers, TLS and credentials out of a URL", () => {
    expect(parseNatsUrl("nats://a:1, tls://b:2")).toEqual({
      servers: ["nats://a:1", "tls://b:2"],
      tls: true,
    });
    expect(parseNatsUrl("nats://alice:p%40ss@h:4222")).toMatchObject({
      servers: ["nats://h:4222"],
      user: "alice",
      pass: "p@ss",
    });
    expect(parseNatsUrl("nats://tok@h:4222")).toMatchObject({ token: "tok" });
    for (const bad of ["http://h:1", "h:4222", "nats://", "nats://a:1,", "nats://x@a:1,nats://y@b:1"])
      expect(parseNatsUrl(bad), bad).toBeNull();
  });
});

describe("resolveNatsConnection", () => {
  it("reads a token from a file or NATS_TOKEN, the flag first, and says where it came from", async () => {
    const fromFile = await resolveNatsConnection(
      URL,
      { "nats-token-file": join(root, "token") },
      {
        NATS_TOKEN: "envs3cret",
      },
    );
    expect(fromFile.auth).toEqual({ token: "t0ken-s3cret" });
    expect(fromFile.description).toBe(`token from --nats-token-file ${join(root, "token")}`);
    const fromEnv = await resolveNatsConnection(URL, {}, { NATS_TOKEN: "envs3cret" });
    expect(fromEnv.auth).toEqual({ token: "envs3cret" });
    expect(fromEnv.description).toBe("token from NATS_TOKEN");
    expect(fromEnv.description).not.toContain("envs3cret");
    expect((await resolveNatsConnection(URL, {}, { NATS_TOKEN: "" })).description).toBe("no credentials");
  });

  it("takes a user with a password file or NATS_PASSWORD", async () => {
    const a = await resolveNatsConnection(
      URL,
      { "nats-user": "alice", "nats-password-file": join(root, "password") },
      {},
    );
    expect(a.auth).toEqual({ user: "alice", pass: "pw-s3cret" });
    const b = await resolveNatsConnection(URL, {}, { NATS_USER: "bob", NATS_PASSWORD: "envs3cret" });
    expect(b.auth).toEqual({ user: "bob", pass: "envs3cret" });
    expect(b.description).toBe("user bob, password from NATS_PASSWORD");
    expect(await problem(resolveNatsConnection(URL, { "nats-user": "alice" }, {}))).toMatch(
      /--nats-user needs a password/,
    );
    expect(await problem(resolveNatsConnection(URL, {}, { NATS_USER: "bob" }))).toMatch(
      /NATS_USER needs a password/,
    );
  });

  it("reads a creds file and TLS PEM files into plain data the client gets", async () => {
    const s = await resolveNatsConnection(
      "tls://h:4222",
      { "nats-creds": join(root, "u.creds"), "nats-tls-ca": join(root, "ca.pem") },
      {},
    );
    expect(s.auth.creds?.length).toBeGreaterThan(0);
    expect(s.auth.tls?.ca).toContain("BEGIN CERTIFICATE");
    expect(s.description).toBe(`creds file ${join(root, "u.creds")}, TLS with CA ${join(root, "ca.pem")}`);
    const options = natsConnectOptions(s.auth);
    expect(typeof options.authenticator).toBe("function");
    expect(options.tls).toEqual({ ca: s.auth.tls?.ca });
    // A tls:// URL alone turns TLS on with the system CAs.
    expect((await resolveNatsConnection("tls://h:1", {}, {})).auth.tls).toEqual({});
    expect((await resolveNatsConnection("nats://h:1", {}, {})).auth.tls).toBeUndefined();
  });

  it("names the flag and the file of a credential it cannot use", async () => {
    const t = (f: Record<string, string>) => problem(resolveNatsConnection(URL, f, {}));
    expect(await t({ "nats-token-file": join(root, "missing") })).toBe(
      `--nats-token-file ${join(root, "missing")} cannot be read (ENOENT)`,
    );
    expect(await t({ "nats-token-file": join(root, "empty") })).toMatch(/holds no token on its first line/);
    expect(await t({ "nats-tls-ca": join(root, "big.pem") })).toMatch(
      /is not a regular file of at most 1024 KiB/,
    );
    expect(await t({ "nats-tls-ca": join(root, "dir") })).toMatch(/is not a regular file/);
    expect(await t({ "nats-tls-ca": join(root, "not.pem") })).toMatch(/is not a PEM file/);
    expect(await t({ "nats-creds": join(root, "token") })).toMatch(/is not a NATS creds file/);
    expect(await t({ "nats-tls-cert": join(root, "ca.pem") })).toMatch(
      /--nats-tls-cert needs --nats-tls-key/,
    );
  });

  it("refuses two ways of authenticating at once", async () => {
    const tf = join(root, "token");
    expect(
      await problem(resolveNatsConnection(URL, { "nats-token-file": tf, "nats-user": "a" }, {})),
    ).toMatch(/--nats-token-file and --nats-user are two ways/);
    expect(await problem(resolveNatsConnection("nats://u:p@h:1", { "nats-token-file": tf }, {}))).toMatch(
      /the URL holds credentials/,
    );
    expect(
      await problem(resolveNatsConnection(URL, {}, { NATS_TOKEN: "envs3cret", NATS_USER: "u" })),
    ).toMatch(/NATS_TOKEN and NATS_USER are both set/);
    // The URL's credentials move into the options, out of the server list.
    const s = await resolveNatsConnection("nats://u:envs3cret@h:1", {}, { NATS_TOKEN: "ignored" });
    expect(s).toMatchObject({ servers: ["nats://h:1"], auth: { user: "u", pass: "envs3cret" } });
    expect(s.description).toBe("user u from the URL");
  });
});

describe("relayRoleFlagsOf", () => {
  const none = { dirGiven: false, demo: false };
  it("defaults to no role, the default consumer and stale time", () => {
    const role = relayRoleFlagsOf({}, none);
    expect(role).toMatchObject({
      publish: null,
      nats: null,
      staleAfterMs: 30_000,
      forgetAfterMs: 7 * 24 * 60 * 60 * 1000,
      durable: "catalyst-central",
    });
    expect(role.hostName.length).toBeGreaterThan(0);
  });
  it("reads the central monitor's flags", () => {
    expect(relayRoleFlagsOf({ nats: URL, "stale-after": "2m", durable: "c-1" }, none)).toMatchObject({
      nats: URL,
      staleAfterMs: 120_000,
      durable: "c-1",
    });
  });
  it("reads --forget-after: a duration longer than --stale-after, or 0 for never", () => {
    expect(relayRoleFlagsOf({ nats: URL, "forget-after": "2d" }, none).forgetAfterMs).toBe(2 * 86_400_000);
    expect(relayRoleFlagsOf({ nats: URL, "forget-after": "0" }, none).forgetAfterMs).toBeNull();
  });
  it.each([
    [{ "forget-after": "7d" }, none, "--forget-after applies to the central monitor; pass --nats with it"],
    [
      { nats: URL, "forget-after": "soon" },
      none,
      '--forget-after must be 0 (never) or a duration of at least 1m such as 7d, 12h, got "soon"',
    ],
    [
      { nats: URL, "stale-after": "10m", "forget-after": "5m" },
      none,
      "--forget-after (5m) must be longer than --stale-after: a host is stale before it is forgotten",
    ],
    [{ "host-name": "a" }, none, "--host-name names this machine on the broker; pass --publish with it"],
    [
      { nats: URL },
      { dirGiven: true, demo: false },
      "--nats reads every host from the broker; do not pass --dir with it",
    ],
    [
      { nats: URL },
      { dirGiven: false, demo: true },
      "--nats and --demo cannot be combined (the demo is one local fleet)",
    ],
    [
      { nats: URL, publish: URL },
      none,
      "--nats reads from the broker and --publish writes to it; run them as two monitors",
    ],
    [{ durable: "x" }, none, "--durable names the central monitor's consumer; pass --nats with it"],
    [
      { nats: URL, "stale-after": "500ms" },
      none,
      '--stale-after must be a duration of at least 1s such as 30s, 2m, got "500ms"',
    ],
    [{ nats: URL, durable: "a.b" }, none, '--durable must be 1 to 64 letters, digits, - or _, got "a.b"'],
  ])("refuses %j", (values, context, message) => {
    expect(() => relayRoleFlagsOf(values, context)).toThrow(message);
  });
});
