// The public door of @catalyst/sources: the only package that touches the filesystem.
export {
  DURATION_EXAMPLES,
  DURATION_UNIT_MS,
  parseDuration,
  resolveCatalystDir,
  resolveJobsDir,
} from "./command-line.js";
export { discoverOrchestrators, EXECUTION_CORE_DIR } from "./discover-orchestrators.js";
export { EventLogReadError } from "./errors.js";
export type { ListEventLogOptions } from "./event-log-files.js";
export { LEGACY_LOG, LEGACY_MONTH_FILE, listEventLogFiles, MONTH_FILE } from "./event-log-files.js";
export type { EventsPageQuery } from "./events-page.js";
export { readEventsPage } from "./events-page.js";
export type { JobLiveness } from "./job-state.js";
export { MAX_JOB_STATE_BYTES, readJobLiveness } from "./job-state.js";
export type { IndexProgress } from "./log-index.js";
export { INDEX_SUBDIR, resolveCacheDir } from "./log-index.js";
export { readEventBytes, readEvents, readLogLayout } from "./log-readers.js";
export type { LogLineResult } from "./parse-log-line.js";
export { parseLogLine } from "./parse-log-line.js";
export type { BriefingRead, BriefingTextResult } from "./read-briefings.js";
export {
  briefingWaveOf,
  DASHBOARD_FILE,
  MAX_BRIEFING_BYTES,
  readBriefings,
  readBriefingText,
  statBriefings,
} from "./read-briefings.js";
export type {
  EventReadStats,
  LogLayout,
  ReadEventBytes,
  ReadEvents,
  ReadEventsOptions,
  ReadLogLayout,
} from "./read-events.js";
export { DEFAULT_MAX_LINE_BYTES } from "./read-events.js";
export { isTicketDirName, phaseOfFileName, readPhaseDirs, readTicketDir } from "./read-phase-files.js";
export { isSignalFileName, readSignalDir, readSignalFile } from "./read-signals.js";
export { readGlobalState, readLocalState } from "./read-state.js";
export { scanCatalystDir } from "./scan-catalyst-dir.js";
export type { LogTailer, LogTailerOptions } from "./tail-event-log.js";
export { createLogTailer } from "./tail-event-log.js";
export type { TextFiles } from "./text-files.js";
export { nodeFiles } from "./text-files.js";
export type { SourceWatcher, SourceWatcherOptions } from "./watch-sources.js";
export { createSourceWatcher, signalFilesOf } from "./watch-sources.js";
