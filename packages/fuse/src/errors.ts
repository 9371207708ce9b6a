import { trimForMessage } from "@catalyst/schema";

/** An option passed to fuse is out of range (for example `ringSize: 0`). */
export class FuseOptionsError extends Error {
  override name = "FuseOptionsError";
  readonly option: string;
  readonly value: unknown;
  constructor(option: string, expected: string, value: unknown) {
    super(`fuse option ${option}: expected ${expected}, received ${trimForMessage(value)}`);
    this.option = option;
    this.value = value;
  }
}

/** The `now` handed to fuse is not a valid Date; fuse never reads the clock, so it cannot guess one. */
export class InvalidTimeError extends Error {
  override name = "InvalidTimeError";
  readonly received: string;
  constructor(value: unknown) {
    const received = value instanceof Date ? "Invalid Date" : trimForMessage(value);
    super(`fuse expected a valid Date for now, received ${received}`);
    this.received = received;
  }
}

/** `importState` was given something other than an `exportState` result of this version. */
export class StateImportError extends Error {
  override name = "StateImportError";
}
