// One simulated host's writer in its own process, so a test can freeze it (SIGSTOP) and read a
// quiet catalyst dir. Prints `started` once the first files exist; on SIGTERM stops the fleet
// (its worker processes too, and removes the dir) and exits.
// Usage: node --conditions=@catalyst/source --import tsx fleet-child.test-helper.ts <catalyst-dir> <seed> <tick-ms>
import { createDemoFleet } from "@catalyst/fleet-sim";

const [dir, seed, tickMs] = process.argv.slice(2) as [string, string, string];
const fleet = createDemoFleet({
  dir,
  orchestrators: 2,
  workersPerOrchestrator: 3,
  tickMs: Number(tickMs),
  seed: Number(seed),
  loop: true,
});
process.once("SIGTERM", () => {
  void fleet.stop().then(() => process.exit(0));
});
await fleet.start();
process.stdout.write("started\n");
