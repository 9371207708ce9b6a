/**
 * A today-shaped tombstone line (FORMATS-TODAY: an event over the append cap is replaced by one
 * `catalyst.event.oversized` line naming it), as a parsed log record. `host` adds the
 * `resource` block a relayed or execution-core line carries.
 */
export function tombstoneLine(ts: string, droppedName: string, host?: string): Record<string, unknown> {
  return {
    ts,
    severityText: "ERROR",
    severityNumber: 17,
    body: { message: "event dropped" },
    attributes: {
      "event.name": "catalyst.event.oversized",
      "event.entity": "event",
      "event.action": "dropped",
      "catalyst.event.oversized.name": droppedName,
      "catalyst.event.oversized.bytes": 300_000,
      "catalyst.event.oversized.cap": 262_144,
    },
    ...(host === undefined
      ? {}
      : { resource: { "service.name": "catalyst.event-append", "host.name": host } }),
  };
}
