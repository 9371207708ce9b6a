// The name under which the run's shared dir is provided (shared-dir.global-setup.ts) and injected
// (browser.ts). The augmentation lives here, imported by both, so every program that compiles
// browser.ts sees it (a bin's typecheck through its tests does not compile the global setup).

declare module "vitest" {
  export interface ProvidedContext {
    /** A temp dir that lives as long as the test run (see shared-dir.global-setup.ts). */
    catalystSharedDir: string;
  }
}

export const SHARED_DIR_KEY = "catalystSharedDir";
