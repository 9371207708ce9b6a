// @catalyst/service-files: the monitor as a systemd user unit or a launchd LaunchAgent. Pure text
// and paths: this package writes nothing and runs nothing (catalyst-monitor's `service` does).
export type { ServiceKind, ServicePaths, ServiceSpec } from "./service-files.js";
export {
  LAUNCHD_LABEL,
  readServiceArgs,
  renderLaunchdPlist,
  renderSystemdUnit,
  ServiceFileError,
  SYSTEMD_UNIT,
  servicePaths,
} from "./service-files.js";
export type { ServiceFlagOptions } from "./service-flags.js";
export { serviceFlags } from "./service-flags.js";
