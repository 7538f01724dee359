/**
 * Reports over the job records: what jobs used, per step and calibration, and the projection for a bucket.
 */
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { defineRoute, type RouteTools } from '../route.ts';
import { ResourceReportQuery, resourceReport } from '../../services/reports/resource-report.ts';

export function registerReportRoutes(tools: RouteTools, deps: Deps): void {
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/reports/resources',
      tag: 'reports',
      summary: 'Wall, CPU, peak memory, input and output bytes per step and calibration (median, p95, total), projected to a bucket of N runs',
      auth: 'authenticated',
      query: ResourceReportQuery,
      response: z.object({}).passthrough(),
    },
    async ({ query }) => resourceReport(deps, query),
  );
}
