import type { OutputBuffer } from "./output-buffer.js";

/**
 * Write `JSON.stringify(value, null, indent)` (then a newline) through `out`, byte for byte, but
 * with the elements of the array under `streamKey` stringified and flushed one at a time: a fleet
 * of thousands of workers is never one string (nor its copy as bytes) in memory. `value` is plain
 * JSON data (no `toJSON`).
 */
export async function writeJson(
  value: object,
  indent: 0 | 2,
  streamKey: string,
  out: OutputBuffer,
): Promise<void> {
  const nl = indent > 0 ? "\n" : "";
  const pad1 = " ".repeat(indent);
  const pad2 = " ".repeat(indent * 2);
  const colon = indent > 0 ? ": " : ":";
  // A value at depth d: its own line breaks indented by d levels.
  const at = (v: unknown, pad: string): string => {
    const text = JSON.stringify(v, null, indent) as string;
    return indent > 0 && text.includes("\n") ? text.replaceAll("\n", `\n${pad}`) : text;
  };
  const entries = Object.entries(value).filter(
    ([, v]) => v !== undefined && typeof v !== "function" && typeof v !== "symbol",
  );
  if (entries.length === 0) {
    out.push("{}\n");
    return out.flush();
  }
  out.push(`{${nl}`);
  for (const [i, [key, v]] of entries.entries()) {
    out.push(`${pad1}${JSON.stringify(key)}${colon}`);
    if (key === streamKey && Array.isArray(v) && v.length > 0) {
      out.push(`[${nl}`);
      for (const [j, item] of v.entries()) {
        const text = item === undefined || typeof item === "function" ? "null" : at(item, pad2);
        if (out.push(`${pad2}${text}${j < v.length - 1 ? "," : ""}${nl}`)) await out.flush();
      }
      out.push(`${pad1}]`);
    } else out.push(at(v, pad1));
    out.push(`${i < entries.length - 1 ? "," : ""}${nl}`);
  }
  out.push("}\n");
  await out.flush();
}
