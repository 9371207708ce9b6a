// @catalyst/service-files: the monitor as a systemd user unit or a launchd LaunchAgent: the file's
// text, where it goes, writing/removing/reading it, and the commands to start it (as text; this
// package runs nothing).

export {
  installHints,
  MAX_SERVICE_FILE_BYTES,
  readServiceFile,
  removeServiceFile,
  uninstallHints,
  writeServiceFile,
} from "./install.js";
export type { ServiceKind, ServicePaths, ServiceSpec } from "./service-files.js";
export {
  LAUNCHD_LABEL,
  MONITOR_NODE_ARGS,
  readServiceArgs,
  renderLaunchdPlist,
  renderSystemdUnit,
  ServiceFileError,
  SYSTEMD_UNIT,
  servicePaths,
} from "./service-files.js";
export type { ServiceFlagOptions } from "./service-flags.js";
export { serviceFlags } from "./service-flags.js";
