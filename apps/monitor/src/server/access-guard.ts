import { type AccessOptions, createAccessCheck } from "@catalyst/sse-server";
import type { MiddlewareHandler } from "hono";
import { jsonError } from "./json-error.js";

export type { AccessOptions };

/** The Host/Origin/token check of @catalyst/sse-server as Hono middleware; no CORS header is ever added. */
export function createAccessGuard(options: AccessOptions): MiddlewareHandler {
  const check = createAccessCheck(options);
  return async (c, next) => {
    const refusal = check({
      host: c.req.header("host"),
      origin: c.req.header("origin"),
      authorization: c.req.header("authorization"),
      queryToken: c.req.query("token"),
    });
    if (refusal !== null) return jsonError(c, refusal.status, refusal.code, refusal.message);
    await next();
  };
}
