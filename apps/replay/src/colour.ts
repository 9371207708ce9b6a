/** Whether to colour output: never with NO_COLOR (https://no-color.org), else FORCE_COLOR, else only on a TTY. */
export function shouldUseColour(env: Record<string, string | undefined>, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "") return env.FORCE_COLOR !== "0";
  return isTTY;
}

/** SGR codes used by the pretty view. */
export const SGR = {
  dim: 2,
  bold: 1,
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
} as const;
export type SgrName = keyof typeof SGR;

/** A painter: wraps text in an SGR code when colour is on, else returns it unchanged. */
export type Paint = (name: SgrName, text: string) => string;

/** Build the painter for a colour decision. */
export function createPaint(colour: boolean): Paint {
  if (!colour) return (_name, text) => text;
  return (name, text) => (text === "" ? text : `\x1b[${SGR[name]}m${text}\x1b[0m`);
}
