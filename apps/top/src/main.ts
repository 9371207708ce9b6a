// catalyst-top's body: parse, then one table or the live view; resolves with the exit code. Only
// bin.ts exits; importing this module runs nothing.
import { stat } from "node:fs/promises";
import { homedir } from "node:os";
import { resolveGithubToken } from "@catalyst/engine";
import type { Snapshot } from "@catalyst/schema/constants";
import {
  readPackageVersion,
  readTokenFlag,
  reportCliError,
  resolveJobsDir,
  UsageError,
} from "@catalyst/sources/command-line";
import { render } from "ink";
import { createElement } from "react";
import { TopApp } from "./app.js";
import { HELP_TEXT, parseTopArgs, type TopOptions } from "./cli.js";
import { embeddedSource, type FleetSource, remoteSource } from "./fleet-source.js";
import { type HistoryTarget, historicalSnapshot, historicalSource } from "./history.js";
import { createLiveView } from "./live-view.js";
import { plainTable } from "./plain.js";

export interface TopIo {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WriteStream;
  stderr: (text: string) => void;
  stdin: NodeJS.ReadStream;
}

/** The package version (package.json is one level above both src/ and dist/). */
export const readVersion = (): string => readPackageVersion(new URL("../package.json", import.meta.url));

/** The prefix of every error line (`catalyst-top: <message>`). */
export const BIN = "catalyst-top";

/** Fetches one snapshot for --once: `/api/snapshot` from a monitor, or the engine's after loading. */
async function onceSnapshot(
  options: TopOptions,
  token: string | null,
  env: NodeJS.ProcessEnv,
): Promise<Snapshot> {
  const past = historyTarget(options, token);
  if (past !== null) return historicalSnapshot(past, env);
  if (options.mode === "url") {
    const base = options.url.replace(/\/+$/, "");
    const q = token === null ? "" : `?${new URLSearchParams({ token })}`;
    let res: Response;
    try {
      res = await fetch(`${base}/api/snapshot${q}`);
    } catch (error) {
      throw new Error(
        `cannot reach the monitor at ${base} (${(error as { cause?: { code?: string } }).cause?.code ?? String(error)})`,
      );
    }
    if (res.status === 401 || res.status === 403)
      throw new Error(`the monitor at ${base} refused the request (${res.status}): check --token`);
    if (!res.ok) throw new Error(`the monitor at ${base} answered ${res.status}`);
    return (await res.json()) as Snapshot;
  }
  const source = await embedded(options, env);
  try {
    await source.start();
    await source.loaded();
    return source.store.snapshot() as Snapshot;
  } finally {
    await source.stop();
  }
}

/** `--at`: where the past fleet comes from (null when live). */
function historyTarget(options: TopOptions, token: string | null): HistoryTarget | null {
  if (options.at === null || options.mode === "demo") return null;
  return { mode: options.mode, url: options.url, dir: options.dir, token, at: options.at };
}

/** The in-process source; on a real dir, PR polling uses the token the monitor would (the demo's PRs are made up). */
async function embedded(options: TopOptions, env: NodeJS.ProcessEnv): Promise<FleetSource> {
  const demo = options.mode === "demo";
  const github = demo ? null : await resolveGithubToken(env);
  return embeddedSource({
    catalystDir: options.dir,
    demo,
    githubToken: github?.token ?? null,
    // execution-core liveness: $CATALYST_REVIVE_JOBS_DIR, else ~/.claude/jobs (the demo has its own).
    jobsDir: demo ? null : resolveJobsDir(undefined, env, homedir()),
  });
}

// The alternate screen keeps the shell's scrollback as it was: on exit the terminal shows what it
// showed before catalyst-top started.
const ENTER_ALT = "\x1b[?1049h\x1b[H";
const LEAVE_ALT = "\x1b[?25h\x1b[?1049l";

/**
 * The bin's body; resolves with the exit code: 0 done, 1 the fleet could not be reached or read,
 * 2 usage error (`catalyst-top: <message>` on stderr).
 */
export async function main(argv: readonly string[], io: TopIo): Promise<number> {
  let options: TopOptions;
  let token: string | null;
  try {
    options = parseTopArgs(argv, io.env);
    if (options.help) {
      io.stdout.write(HELP_TEXT);
      return 0;
    }
    if (options.version) {
      io.stdout.write(`${readVersion()}\n`);
      return 0;
    }
    token = options.tokenFile === null ? options.token : await readTokenFlag(options.tokenFile);
    if (options.mode === "dir" && options.dir !== null) {
      const st = await stat(options.dir).catch(() => null);
      if (st === null || !st.isDirectory()) throw new UsageError(`--dir ${options.dir} is not a directory`);
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return reportCliError(BIN, error, io.stderr);
  }

  if (options.once || !io.stdout.isTTY || options.format === "json") {
    try {
      const snapshot = await onceSnapshot(options, token, io.env);
      io.stdout.write(
        options.format === "json"
          ? `${JSON.stringify(snapshot, null, 2)}\n`
          : // Ages in a past fleet are as they were then.
            plainTable(
              snapshot,
              io.stdout.columns || 100,
              snapshot.at ? Date.parse(snapshot.at) : Date.now(),
            ),
      );
      return 0;
    } catch (error) {
      return reportCliError(BIN, error, io.stderr);
    }
  }

  const past = historyTarget(options, token);
  const source: FleetSource =
    past !== null
      ? historicalSource(past, io.env)
      : options.mode === "url"
        ? remoteSource({ url: options.url, token })
        : await embedded(options, io.env);
  const view = createLiveView(source.store);
  const color = !("NO_COLOR" in io.env) || io.env.NO_COLOR === "";
  io.stdout.write(ENTER_ALT);
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    io.stdout.write(LEAVE_ALT);
  };
  process.on("exit", restore);
  const app = render(
    createElement(TopApp, {
      view,
      source,
      color,
      // A past fleet: ages as they were then.
      ...(past !== null ? { now: () => past.at.getTime() } : {}),
    }),
    {
      stdout: io.stdout,
      stdin: io.stdin,
      exitOnCtrlC: true,
      patchConsole: false,
      maxFps: 10,
    },
  );
  // SIGTERM, or SIGHUP when the terminal goes away: quit as on `q`, and resolve anyway after 3 s
  // (the bin then exits, whatever is still stopping).
  let forceQuit: (code: number) => void = () => {};
  const forced = new Promise<number>((resolve) => {
    forceQuit = resolve;
  });
  for (const signal of ["SIGTERM", "SIGHUP"] as const)
    process.once(signal, () => {
      setTimeout(() => {
        restore();
        forceQuit(0);
      }, 3000).unref();
      app.unmount();
    });
  return Promise.race([forced, runUntilQuit(app, source, restore, view, io)]);
}

/** Starts the source under the drawn app and resolves with the exit code once the user quits. */
async function runUntilQuit(
  app: ReturnType<typeof render>,
  source: FleetSource,
  restore: () => void,
  view: { stop(): void },
  io: TopIo,
): Promise<number> {
  const stopAll = async (): Promise<void> => {
    view.stop();
    await source.stop().catch(() => {});
  };
  const exited = app.waitUntilExit().catch(() => {});
  // Quitting while the fleet is still starting (a large first scan) must not wait for it.
  const started = source.start().then(
    () => null,
    (error: unknown) => error,
  );
  const first = await Promise.race([started, exited.then(() => "quit" as const)]);
  if (first !== null && first !== "quit") {
    app.unmount();
    restore();
    await stopAll();
    return reportCliError(BIN, first, io.stderr);
  }
  await exited;
  restore();
  await Promise.race([started, new Promise((r) => setTimeout(r, 2000).unref())]);
  restore();
  await stopAll();
  return 0;
}
