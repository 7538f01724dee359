/**
 * Every route module registers itself here. One line per area; each area's file owns its endpoints.
 */
import type { Deps } from '../../deps.ts';
import type { RouteTools } from '../route.ts';
import { registerAuditRoutes } from './audit.ts';
import { registerTokenRoutes } from './tokens.ts';
import { registerLoopWindowRoutes } from './loop-windows.ts';
import { registerLoopReprocessingRoutes } from './loop-reprocessing.ts';
import { registerCalibrationRequestRoutes } from './calibration-requests.ts';
import { registerCalibrationRunRoutes } from './calibration-runs.ts';
import { registerCalibrationPayloadRoutes } from './calibration-payloads.ts';
import { registerConditionsPayloadRoutes } from './conditions-payloads.ts';
import { registerConditionsTagRoutes } from './conditions-tags.ts';
import { registerConditionsIovRoutes } from './conditions-iovs.ts';
import { registerConditionsResolveRoutes } from './conditions-resolve.ts';
import { registerProductionRunRoutes } from './production-runs.ts';
import { registerProductionBucketRoutes } from './production-buckets.ts';
import { registerProductionJobRoutes } from './production-jobs.ts';
import { registerStatusRoutes } from './status.ts';
import { registerReportRoutes } from './reports.ts';
// ROUTE-MODULES (keep this marker: areas add their import above and their call below)

export function registerAllRoutes(tools: RouteTools, deps: Deps): void {
  // First: the anonymous read thousands of jobs hit at once; Express matches routes in order.
  registerConditionsResolveRoutes(tools, deps);
  registerTokenRoutes(tools, deps);
  registerAuditRoutes(tools, deps);
  registerLoopWindowRoutes(tools, deps);
  registerLoopReprocessingRoutes(tools, deps);
  registerCalibrationRequestRoutes(tools, deps);
  registerCalibrationRunRoutes(tools, deps);
  registerCalibrationPayloadRoutes(tools, deps);
  registerConditionsPayloadRoutes(tools, deps);
  registerConditionsTagRoutes(tools, deps);
  registerConditionsIovRoutes(tools, deps);
  registerProductionRunRoutes(tools, deps);
  registerProductionBucketRoutes(tools, deps);
  registerProductionJobRoutes(tools, deps);
  registerStatusRoutes(tools, deps);
  registerReportRoutes(tools, deps);
  // ROUTE-CALLS (keep this marker)
}
