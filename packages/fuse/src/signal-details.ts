import type { SignalDetails, WorkerSignal } from "@catalyst/schema";
import { timestampOrNull } from "./time.js";

function textOrNull(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

/**
 * The signal fields added since the seed (FORMATS-TODAY §2.2, R2.4) as the view's `details`, or
 * nothing when the file has none of them (so views of seed-era files are unchanged).
 */
export function signalDetailsOf(s: WorkerSignal | null): { details?: SignalDetails } {
  if (!s) return {};
  const pmv = s.postMergeVerification;
  const deploy = s.deploy;
  const details: SignalDetails = {
    blockedSince: timestampOrNull(s.blockedSince),
    continuationCount: typeof s.continuationCount === "number" ? s.continuationCount : null,
    handoffPath: textOrNull(s.handoffPath),
    postMergeVerification: pmv
      ? {
          result: textOrNull(pmv.result),
          verifiedAt: timestampOrNull(pmv.verifiedAt),
          remediationTicket: textOrNull(pmv.remediationTicket),
        }
      : null,
    fixupAttempts: typeof s.fixupAttempts === "number" ? s.fixupAttempts : null,
    lastReviveReason: textOrNull(s.lastReviveReason),
    stalledReason: textOrNull(s.stalledReason),
    deploy: deploy
      ? {
          environment: textOrNull(deploy.environment),
          result: textOrNull(deploy.result),
          completedAt: timestampOrNull(deploy.completedAt),
        }
      : null,
  };
  return Object.values(details).some((v) => v !== null) ? { details } : {};
}
