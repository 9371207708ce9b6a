// The monitor's flags as a service gets them: refused flags, absolute paths, and the values a
// service cannot take from the shell's environment written out.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { ServiceFileError } from "./service-files.js";

/** Flags whose value is a path: written out absolute, since the service starts in the home dir. */
const PATH_FLAGS = new Set(["dir", "pid-file", "token-file", "notify-ntfy-token-file"]);

/** Flags that make no sense in a unit file. */
const REFUSED: Record<string, string> = {
  token:
    "--token would be written into the service file and shown by ps; give the service a --token-file instead",
  demo: "--demo runs a throw-away simulated fleet; a service watches a real catalyst dir",
  version: "--version does not go into a service (catalyst-monitor --version prints it)",
};
REFUSED["version-v"] = REFUSED.version!;

/** What {@link serviceFlags} needs besides the flags. */
export interface ServiceFlagOptions {
  /** `status` only reads /healthz, so it may be given `--token`. */
  allowToken: boolean;
  /** Written as `--dir` when the flags name none (the monitor's default, after CATALYST_DIR). */
  dir: string;
  /** Written as `--port` when the flags name none. */
  port: number;
}

/**
 * Rewrites monitor flags, already accepted by the monitor's own parser, for a service file: kept as
 * given, path values made absolute, `--dir`, `--port` and `--log-format json` added when missing.
 * Throws {@link ServiceFileError} for `--token` (unless allowed), `--demo` and `--version`.
 */
export function serviceFlags(
  argv: readonly string[],
  options: ServiceFlagOptions,
): { args: string[]; given: ReadonlySet<string> } {
  const { tokens } = parseArgs({
    args: [...argv],
    strict: false,
    allowPositionals: true,
    tokens: true,
    options: {
      demo: { type: "boolean" },
      version: { type: "boolean", short: "V" },
      "version-v": { type: "boolean", short: "v" },
    },
  });
  const given = new Set<string>();
  const args: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind !== "option") continue;
    const refusal = REFUSED[token.name];
    if (refusal !== undefined && !(options.allowToken && token.name === "token"))
      throw new ServiceFileError(refusal);
    let value = token.value;
    if (value === undefined && token.name !== "demo" && !token.name.startsWith("version")) {
      // The monitor's parser accepted these flags strictly and rejects positionals, so a
      // positional right after a flag is that flag's value.
      const next = tokens[i + 1];
      if (next?.kind === "positional") {
        value = next.value;
        i++;
      }
    }
    given.add(token.name);
    if (value === undefined) args.push(`--${token.name}`);
    else args.push(`--${token.name}`, PATH_FLAGS.has(token.name) ? resolve(value) : value);
  }
  if (!given.has("dir")) args.push("--dir", options.dir);
  if (!given.has("port")) args.push("--port", String(options.port));
  if (!given.has("log-format")) args.push("--log-format", "json");
  return { args, given };
}
