// P12's SSE clients, many to a process so the measured server, not the clients, is the bottleneck:
// `node p12-clients.mjs <url> <count> <minSeq> <writes>` opens <count> plain sockets on GET <url>, reads
// every byte into one shared buffer (no allocation per read), and times each write at each client:
// a write carries `"error":"seq-<N>@<epoch ms>"`, so the latency is the arrival time (same clock)
// minus the stamp. Prints "ready" once every client has its snapshot. On "report" on stdin it
// prints one JSON line: a latency histogram, frames received, clients closed by the server.
// Exits when stdin closes.
import { connect } from "node:net";

const url = new URL(process.argv[2]);
const count = Number(process.argv[3]);
const minSeq = Number(process.argv[4] ?? 0);
const writes = Number(process.argv[5] ?? 100_000);
const MARK = Buffer.from('"error":"seq-');
const SHARED = Buffer.alloc(256 * 1024);

// 0.1 ms buckets below 100 ms, 1 ms buckets to 10 s, then one overflow bucket (and the max).
const hist = new Uint32Array(1000 + 9900 + 1);
let maxMs = 0;
let received = 0;
let closed = 0;
let ready = 0;
let connected = 0;
const record = (ms) => {
  if (ms < 0) ms = 0;
  if (ms > maxMs) maxMs = ms;
  hist[ms < 100 ? Math.floor(ms * 10) : ms < 10_000 ? 1000 + Math.floor(ms - 100) : hist.length - 1] += 1;
};

// The getter is not free (7 % of the clients' JavaScript when read per frame).
const ORIGIN = performance.timeOrigin;
const now = () => ORIGIN + performance.now();

// A read (the first `len` bytes of `b`) that ends a frame: a blank line, plus the chunk's CRLF
// under chunked transfer-encoding.
const endsFrame = (b, len) =>
  len >= 2 &&
  ((b[len - 1] === 10 && b[len - 2] === 10) ||
    (len >= 4 && b[len - 1] === 10 && b[len - 2] === 13 && b[len - 3] === 10));

// One read of `n` bytes into `buf` (the shared buffer). Usually scanned in place: the mark is
// written just past the read as a sentinel, so a search never runs into the stale bytes of
// earlier reads, and no Buffer view is made per read (a view per read was 15 % of the clients'
// JavaScript). A read that continues a cut mark, or a client still reading its snapshot, takes
// a copy.
function onBytes(client, buf, n) {
  let b = buf;
  let len = n;
  if (client.tail !== null) {
    b = Buffer.concat([client.tail, buf.subarray(0, n)]);
    len = b.length;
    client.tail = null;
  }
  if (!client.ready) {
    client.bytes += len;
    // The snapshot is one data line: the read that ends in a blank line after it completes it.
    if (client.bytes > 200 && endsFrame(b, len)) {
      client.ready = true;
      ready += 1;
      if (ready === count) process.stdout.write("ready\n");
    }
    return;
  }
  // The stamp is read from the bytes (digits, "@", digits and a fraction, then the quote): no
  // string is made per frame, so the clients' own JavaScript stays small beside the kernel's reads
  // (they share the cores with the server they measure).
  if (b === buf) {
    if (len + MARK.length <= b.length) MARK.copy(b, len);
    else b = b.subarray(0, len);
  }
  let at = b.indexOf(MARK);
  let scanned = 0;
  while (at >= 0 && at < len) {
    let p = at + MARK.length;
    let seq = 0;
    for (; p < len; p += 1) {
      const c = b[p];
      if (c < 48 || c > 57) break;
      seq = seq * 10 + (c - 48);
    }
    let stamp = 0;
    let scale = 0;
    if (p < len && b[p] === 64) {
      for (p += 1; p < len; p += 1) {
        const c = b[p];
        if (c === 34) break;
        if (c === 46) scale = 1;
        else {
          stamp = stamp * 10 + (c - 48);
          if (scale > 0) scale *= 10;
        }
      }
    }
    if (p >= len) {
      // The mark is cut by the end of this read: keep it for the next one.
      client.tail = Buffer.from(b.subarray(at, len));
      return;
    }
    if (scale > 0) stamp /= scale;
    // Frames of different workers may arrive in any order: count each write once per client.
    if (seq >= minSeq && seq < minSeq + writes && client.seen[seq - minSeq] === 0) {
      client.seen[seq - minSeq] = 1;
      received += 1;
      record(now() - stamp);
    }
    scanned = p;
    at = b.indexOf(MARK, p);
  }
  // A mark cut by the end of this read: keep the last bytes for the next one.
  if (!endsFrame(b, len))
    client.tail = Buffer.from(b.subarray(Math.max(scanned, len - MARK.length - 40), len));
}

const sockets = new Set();
const errors = {};
let reconnects = 0;
let stopping = false;
// A client is an EventSource: when its connection fails or ends, it connects again after the
// server's `retry:` (2 s), and a fresh snapshot then carries what it missed.
function open(client) {
  const socket = connect({
    port: Number(url.port),
    host: url.hostname,
    onread: { buffer: SHARED, callback: (n, buf) => onBytes(client, buf, n) },
  });
  sockets.add(socket);
  socket.on("connect", () => {
    connected += 1;
    socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
  });
  socket.on("close", () => {
    sockets.delete(socket);
    if (stopping) return;
    closed += 1;
    client.tail = null;
    setTimeout(() => {
      reconnects += 1;
      open(client);
    }, 2000);
  });
  socket.on("error", (error) => {
    errors[error.code ?? "other"] = (errors[error.code ?? "other"] ?? 0) + 1;
  });
}
for (let i = 0; i < count; i++) {
  open({ tail: null, seen: new Uint8Array(writes), ready: false, bytes: 0 });
  // Connect in steps (2,000 a second per process), as browsers coming back would, not as one SYN flood.
  if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 50));
}
let buffered = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => {
  buffered += d;
  let nl = buffered.indexOf("\n");
  while (nl >= 0) {
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    if (line === "report") {
      const buckets = [];
      for (let i = 0; i < hist.length; i++) if (hist[i] > 0) buckets.push([i, hist[i]]);
      process.stdout.write(
        `${JSON.stringify({ received, closed, connected, ready, reconnects, errors, maxMs, buckets })}\n`,
      );
    } else if (line === "reset") {
      hist.fill(0);
      maxMs = 0;
      received = 0;
    }
    nl = buffered.indexOf("\n");
  }
});
process.stdin.on("end", () => {
  stopping = true;
  for (const socket of sockets) socket.destroy();
  process.exit(0);
});
