import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Context, Hono } from "hono";
import { jsonError } from "./json-error.js";

const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

// Only plain names directly in publicDir: no separators, no dot-files, so no traversal is possible.
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

async function readIfFile(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch {
    return null;
  }
}

/** Serves the dashboard: `GET /` and `GET /index.html` → index.html, `GET /assets/<name>` → a file directly in publicDir. */
export function mountStaticAssets(app: Hono, publicDir: string): void {
  const index = async (c: Context) => {
    const body = await readIfFile(join(publicDir, "index.html"));
    if (body === null)
      return jsonError(
        c,
        404,
        "dashboard_missing",
        "dashboard not built: run `pnpm --filter catalyst-monitor build` (the API and /events work without it)",
      );
    return c.body(new Uint8Array(body), 200, {
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "no-cache",
    });
  };
  app.get("/", index);
  app.get("/index.html", index);
  app.get("/assets/:name", async (c) => {
    const name = c.req.param("name");
    const dot = name.lastIndexOf(".");
    const type = dot > 0 ? CONTENT_TYPES[name.slice(dot).toLowerCase()] : undefined;
    if (!ASSET_NAME.test(name) || type === undefined)
      return jsonError(c, 404, "not_found", `no asset ${JSON.stringify(name.slice(0, 100))}`);
    const body = await readIfFile(join(publicDir, name));
    if (body === null) return jsonError(c, 404, "not_found", `no asset ${JSON.stringify(name)}`);
    return c.body(new Uint8Array(body), 200, { "Content-Type": type, "Cache-Control": "no-cache" });
  });
}
