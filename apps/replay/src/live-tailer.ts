// Loaded only for --follow (a dynamic import), so that a history run does not load the tailer and,
// through it, the schema and zod before its first line.
export { createLogTailer } from "@catalyst/sources";
