// The raw baselines: a minimal node:http SSE server with no framework, no fuse, no queues.
//   watch <dir>      recursive fs.watch → one `change` frame per *.json rename (P1)
//   tail <file>      fs.watch on the log file → one `line` frame per appended line (P2)
//   fanout <rate> <bytes> <total>   on "go" (stdin), <total> `tick` frames of ~<bytes> with sentAt, <rate>/s (P3)
import { watch } from "node:fs";
import { open } from "node:fs/promises";
import { createServer, type ServerResponse } from "node:http";
import { basename, dirname } from "node:path";

const [mode, arg1, arg2, arg3] = process.argv.slice(2);
const clients = new Set<ServerResponse>();
let seq = 0;

function broadcast(event: string, data: string): void {
  seq += 1;
  const frame = `id: ${seq}\nevent: ${event}\ndata: ${data}\n\n`;
  for (const res of clients) res.write(frame);
}

const server = createServer((req, res) => {
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
  res.write("retry: 2000\n\n");
  clients.add(res);
  req.on("close", () => clients.delete(res));
});
server.requestTimeout = 0;

if (mode === "watch") {
  watch(arg1!, { recursive: true }, (_type, file) => {
    if (file === null || !file.endsWith(".json")) return;
    broadcast("change", JSON.stringify({ file }));
  });
} else if (mode === "tail") {
  const path = arg1!;
  let offset = 0;
  let pending = "";
  let reading = false;
  const readMore = async (): Promise<void> => {
    if (reading) return;
    reading = true;
    try {
      const handle = await open(path, "r");
      try {
        for (;;) {
          const buf = Buffer.alloc(1 << 16);
          const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
          if (bytesRead === 0) break;
          offset += bytesRead;
          pending += buf.subarray(0, bytesRead).toString("utf8");
          const lines = pending.split("\n");
          pending = lines.pop() ?? "";
          for (const line of lines) if (line !== "") broadcast("line", line);
        }
      } finally {
        await handle.close();
      }
    } catch {
      // not there yet
    } finally {
      reading = false;
    }
  };
  watch(dirname(path), (_type, file) => {
    if (file === basename(path)) void readMore();
  });
} else if (mode === "fanout") {
  const rate = Number(arg1);
  const pad = "x".repeat(Math.max(0, Number(arg2) - 60));
  const total = Number(arg3 ?? 400);
  let sent = 0;
  // Stamped with the scheduled time, as in bench/fanout-monitor.ts.
  process.stdin.once("data", () => {
    const start = Date.now();
    const next = (): void => {
      const due = start + (sent * 1000) / rate;
      if (Date.now() < due) {
        setTimeout(next, due - Date.now());
        return;
      }
      broadcast("tick", JSON.stringify({ sentAt: due, pad }));
      sent += 1;
      if (sent < total) setImmediate(next);
    };
    next();
  });
} else {
  throw new Error(`unknown mode ${mode}`);
}

server.listen(0, "127.0.0.1", () => {
  const address = server.address() as { port: number };
  process.stdout.write(`baseline listening on http://127.0.0.1:${address.port}/\n`);
});
process.on("SIGTERM", () => process.exit(0));
