import type { BriefingResponse, Snapshot } from "@catalyst/schema";
import type { readBriefingText } from "@catalyst/sources";
import type { Context } from "hono";
import { jsonError } from "./json-error.js";

/** Reads one briefing's text: `wave` null for `DASHBOARD.md`. */
export type ReadBriefing = typeof readBriefingText;

const WAVE = /^(0|[1-9]\d{0,5})$/;

/**
 * `GET /api/briefing?orchestrator=<id>&wave=<n>`: the markdown of `wave-<n>-briefing.md`, or of
 * `DASHBOARD.md` when `wave` is absent. Only files the snapshot lists are served, from the
 * orchestrator directory the snapshot names, so no request can name a path.
 */
export async function serveBriefing(
  c: Context,
  snapshot: () => Snapshot,
  read: ReadBriefing,
): Promise<Response> {
  const id = c.req.query("orchestrator") ?? "";
  const waveText = c.req.query("wave");
  if (id === "") return jsonError(c, 400, "bad_request", "orchestrator is required");
  if (waveText !== undefined && waveText !== "" && !WAVE.test(waveText))
    return jsonError(c, 400, "bad_request", "wave must be a whole number");
  const wave = waveText === undefined || waveText === "" ? null : Number(waveText);
  const orch = snapshot().orchestrators.find((o) => o.id === id);
  const listed = orch?.briefings.find((b) => b.wave === wave);
  if (!orch || orch.path === null || !listed) {
    const what = wave === null ? "DASHBOARD.md" : `a wave ${wave} briefing`;
    return jsonError(c, 404, "not_found", `orchestrator ${JSON.stringify(id.slice(0, 100))} has no ${what}`);
  }
  const got = await read(orch.path, wave);
  if (!got.ok)
    return jsonError(
      c,
      got.reason === "missing" ? 404 : 500,
      got.reason === "missing" ? "not_found" : "unreadable",
      `${listed.name} could not be read`,
    );
  const body: BriefingResponse = {
    orchestrator: id,
    wave,
    name: listed.name,
    markdown: got.text,
    truncated: got.truncated,
  };
  return c.json(body, 200, { "Cache-Control": "no-cache" });
}
