import type { ApiError } from "@catalyst/schema";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Sends the one JSON error shape of the API (`ApiError`). */
export function jsonError(c: Context, status: ContentfulStatusCode, code: string, message: string): Response {
  const body: ApiError = { error: { code, message } };
  return c.json(body, status);
}
