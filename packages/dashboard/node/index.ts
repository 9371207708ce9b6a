// The dashboard's Node side, for the server that serves it: where the built files are, which of
// them may be served and as what, and the headers the page needs (its CSP). No HTTP framework.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Absolute path of the built files (index.html, app.js, styles.css, favicon.svg):
 * `dist/public/` of this package, run from source or from dist.
 */
export const publicDir = fileURLToPath(new URL("../dist/public/", import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

// Only plain names directly in the dir: no separators, no dot-files, so no traversal is possible.
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** A file to send: its bytes and Content-Type. */
export interface DashboardFile {
  body: Uint8Array<ArrayBuffer>;
  type: string;
}

async function readIfFile(path: string): Promise<Uint8Array<ArrayBuffer> | null> {
  try {
    return new Uint8Array(await readFile(path));
  } catch {
    return null;
  }
}

/** The page (`index.html` in `dir`), or null when the dashboard is not built there. */
export async function readDashboardPage(dir: string = publicDir): Promise<DashboardFile | null> {
  const body = await readIfFile(join(dir, "index.html"));
  return body === null ? null : { body, type: "text/html; charset=utf-8" };
}

/**
 * An asset for `GET /assets/<name>`: only a plain name directly in `dir` with a known type
 * (`.js .css .map .svg .png .ico`); null for anything else or a missing file.
 */
export async function readDashboardAsset(
  name: string,
  dir: string = publicDir,
): Promise<DashboardFile | null> {
  const dot = name.lastIndexOf(".");
  const type = dot > 0 ? CONTENT_TYPES[name.slice(dot).toLowerCase()] : undefined;
  if (!ASSET_NAME.test(name) || type === undefined) return null;
  const body = await readIfFile(join(dir, name));
  return body === null ? null : { body, type };
}

/** Files served at the root, not under /assets: the service worker (its scope is its path) and the manifest. */
const ROOT_FILES: Record<string, string> = {
  "sw.js": "text/javascript; charset=utf-8",
  "manifest.webmanifest": "application/manifest+json",
};

/** `GET /sw.js` or `GET /manifest.webmanifest`: the built file, or null for another name or when not built. */
export async function readDashboardRootFile(
  name: string,
  dir: string = publicDir,
): Promise<DashboardFile | null> {
  const type = Object.hasOwn(ROOT_FILES, name) ? ROOT_FILES[name] : undefined;
  if (type === undefined) return null;
  const body = await readIfFile(join(dir, name));
  return body === null ? null : { body, type };
}

/** The `'sha256-…'` sources of the inline scripts of a page, for its CSP. */
export function inlineScriptHashes(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/<script>([\s\S]*?)<\/script>/g))
    out.push(`'sha256-${createHash("sha256").update(m[1]!).digest("base64")}'`);
  return out;
}

/**
 * The headers every response of a server of the page carries: a strict CSP (scripts, styles and
 * connections only from this origin, plus the hash of the page's one inline loader, read from
 * `dir`'s index.html when it is built), no framing, no referrer, no sniffing.
 */
export function securityHeaders(dir: string = publicDir): Record<string, string> {
  let hashes: string[] = [];
  try {
    hashes = inlineScriptHashes(readFileSync(join(dir, "index.html"), "utf8"));
  } catch {
    // not built: nothing inline to allow
  }
  return {
    "Content-Security-Policy": [
      "default-src 'none'",
      `script-src 'self'${hashes.map((h) => ` ${h}`).join("")}`,
      "style-src 'self'",
      "img-src 'self'",
      "connect-src 'self'",
      // The installable app: its manifest and its service worker (push, offline shell).
      "manifest-src 'self'",
      "worker-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
  };
}
