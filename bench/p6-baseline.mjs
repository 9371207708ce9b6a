// P6 baseline: the least a cold start can do. Plain Node (no tsx, no framework): read every
// runs/<orch>/workers/*.json with JSON.parse, listen, and send them as one SSE frame per client.
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";

const dir = process.argv[2];
const fleet = {};
for (const orch of readdirSync(join(dir, "runs"))) {
  const workers = {};
  const wdir = join(dir, "runs", orch, "workers");
  for (const name of readdirSync(wdir)) {
    if (!name.endsWith(".json")) continue;
    try {
      workers[name.slice(0, -5)] = JSON.parse(readFileSync(join(wdir, name), "utf8"));
    } catch {
      // torn: skipped
    }
  }
  fleet[orch] = workers;
}
const frame = `event: snapshot\ndata: ${JSON.stringify({ orchestrators: fleet })}\n\n`;
const server = createServer((_req, res) => {
  res.writeHead(200, { "Content-Type": "text/event-stream" });
  res.write(frame);
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`baseline listening on http://127.0.0.1:${server.address().port}/\n`);
});
process.on("SIGTERM", () => process.exit(0));
