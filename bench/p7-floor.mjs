// P7's floor: the least a server can do for the same job. It reads every signal file once,
// fs.watch()es each workers/ dir, and on a change reads the file and sends it as one SSE frame
// to every client. No fusion, no history, no validation. `node p7-floor.mjs <catalyst dir>`.
import { watch } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";

const dir = process.argv[2];
const workers = new Map();
const clients = new Set();
const runs = join(dir, "runs");

const read = async (path) => {
  try {
    workers.set(path, JSON.parse(await readFile(path, "utf8")));
    return true;
  } catch {
    return false; // torn mid-write: the next event reads it again
  }
};

// `runs/<orch>/workers/`, or a busy operator's `wt/<project>/<orch>/workers/`.
const list = async (path) => {
  try {
    return await readdir(path);
  } catch {
    return [];
  }
};
const workerDirs = (await list(runs)).map((orch) => join(runs, orch, "workers"));
for (const project of await list(join(dir, "wt")))
  for (const orch of await list(join(dir, "wt", project)))
    workerDirs.push(join(dir, "wt", project, orch, "workers"));

for (const workersDir of workerDirs) {
  const names = (await readdir(workersDir)).filter((n) => n.endsWith(".json"));
  await Promise.all(names.map((n) => read(join(workersDir, n))));
  watch(workersDir, (_event, name) => {
    if (!name?.endsWith(".json")) return;
    const path = join(workersDir, name);
    void read(path).then((ok) => {
      if (!ok) return;
      const frame = `event: worker-update\ndata: ${JSON.stringify(workers.get(path))}\n\n`;
      for (const res of clients) res.write(frame);
    });
  });
}

const snapshot = () => JSON.stringify({ workers: [...workers.values()] });
const server = createServer((req, res) => {
  if (req.url === "/api/snapshot") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(snapshot());
  } else if (req.url?.startsWith("/events")) {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.write(`event: snapshot\ndata: ${snapshot()}\n\n`);
    clients.add(res);
    req.on("close", () => clients.delete(res));
  } else {
    res.end("ok\n");
  }
});
server.listen(0, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}/`);
});
process.on("SIGTERM", () => process.exit(0));
