import { trimForMessage } from "@catalyst/schema";

/** An option passed to the notifier is out of range (a negative hold-down, an unknown kind). */
export class NotifyOptionsError extends Error {
  override name = "NotifyOptionsError";
  readonly option: string;
  readonly value: unknown;
  constructor(option: string, expected: string, value: unknown) {
    super(`notify option ${option}: expected ${expected}, received ${trimForMessage(value)}`);
    this.option = option;
    this.value = value;
  }
}
