import { readdir, readFile } from "node:fs/promises";

/** The two file operations the readers need; inject a fake only to stage a race. */
export interface TextFiles {
  /** Names (not paths) of the entries in `dir`. */
  list(dir: string): Promise<string[]>;
  /** The whole file as UTF-8. */
  read(path: string): Promise<string>;
}

/** Thin wrappers over `node:fs/promises`. */
export const nodeFiles: TextFiles = {
  list: (dir) => readdir(dir),
  read: (path) => readFile(path, "utf8"),
};

/** The errno code of a Node fs error, if any. */
export function errorCode(error: unknown): string | undefined {
  if (error && typeof error === "object" && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return undefined;
}
