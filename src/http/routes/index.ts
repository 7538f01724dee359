/**
 * Every route module registers itself here. One line per area; each area's file owns its endpoints.
 */
import type { Deps } from '../../deps.ts';
import type { RouteTools } from '../route.ts';
import { registerAuditRoutes } from './audit.ts';
import { registerTokenRoutes } from './tokens.ts';
// ROUTE-MODULES (keep this marker: areas add their import above and their call below)

export function registerAllRoutes(tools: RouteTools, deps: Deps): void {
  registerTokenRoutes(tools, deps);
  registerAuditRoutes(tools, deps);
  // ROUTE-CALLS (keep this marker)
}
