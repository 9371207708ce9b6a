// SSE wire framing (WHATWG "server-sent events"): one `field: value` per line, a blank line ends
// the message. Payloads are single-line JSON, so no data field ever needs splitting. Frames are
// Node Buffers: a socket write takes a Buffer as it is, where a plain Uint8Array gets a new Buffer
// view on every write, per client (BENCHMARKS.md, P12).
import { Buffer } from "node:buffer";
import { SSE_KEEP_ALIVE_EVENT } from "@catalyst/schema/constants";

const encode = (text: string): Uint8Array => Buffer.from(text, "utf8");

/** A message's lines up to its `data:` payload (ASCII: its length is its byte length). */
export function sseFrameHead(id: number, event: string): string {
  return `id: ${id}\nevent: ${event}\ndata: `;
}

/** The end of a message, after its one-line payload. */
export const SSE_FRAME_END = "\n\n";

/** Frames one SSE message: `id:`, `event:` and a one-line JSON `data:`, as bytes. */
export function encodeSseFrame(id: number, event: string, data: unknown): Uint8Array {
  return encode(`${sseFrameHead(id, event)}${JSON.stringify(data)}${SSE_FRAME_END}`);
}

/** Frames the reconnect-delay hint the client should use (`retry:` in milliseconds). */
export function encodeSseRetry(ms: number): Uint8Array {
  return encode(`retry: ${Math.max(0, Math.floor(ms))}\n\n`);
}

/** Frames the keep-alive event (`event: ka`, data `{}`, no id: the resume point does not move). */
export function encodeSseKeepAlive(): Uint8Array {
  return encode(`event: ${SSE_KEEP_ALIVE_EVENT}\ndata: {}\n\n`);
}
