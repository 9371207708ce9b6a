// What both starts of the bin (bin.ts, fast-bin.ts) do with the process's streams: the only place
// besides them that touches the process.

/** `catalyst-replay ... | head` closes stdout early: that is a normal end, not a crash. */
export function guardStdio(): void {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    process.stderr.write(`catalyst-replay: cannot write output: ${error.message}\n`);
    process.exit(1);
  });
  process.stderr.on("error", () => {});
}

/** stdout may be a pipe written asynchronously: exit once what was written is out. */
export function exitWhenFlushed(code: number): void {
  process.stdout.write("", () => process.exit(code));
}
