// P3's idle clients, in their own process so the measured server, not the bench process, is the
// bottleneck: `node drain-clients.mjs <url> <count>` opens <count> plain sockets on GET /events,
// reads and discards every byte, prints "ready" once each has received its first bytes, and on
// any line on stdin prints "bytes <total>". Exits when stdin closes.
import { connect } from "node:net";

const url = new URL(process.argv[2]);
const count = Number(process.argv[3]);
let bytes = 0;
let ready = 0;
const sockets = [];
for (let i = 0; i < count; i++) {
  let first = true;
  const socket = connect(Number(url.port), url.hostname, () => {
    socket.write(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
  });
  socket.on("data", (chunk) => {
    bytes += chunk.length;
    if (first) {
      first = false;
      ready += 1;
      if (ready === count) process.stdout.write("ready\n");
    }
  });
  socket.on("error", () => {});
  sockets.push(socket);
  // Connect in small steps, as browsers coming back would, not as one SYN flood.
  if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 10));
}
process.stdin.on("data", () => process.stdout.write(`bytes ${bytes}\n`));
process.stdin.on("end", () => {
  for (const socket of sockets) socket.destroy();
  process.exit(0);
});
