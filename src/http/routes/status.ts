/** "What needs me now": the overview behind `calibloop status` and the dashboard's first page. */
import type { Deps } from '../../deps.ts';
import { defineRoute, type RouteTools } from '../route.ts';
import { StatusQuerySchema, StatusViewSchema, buildStatus } from '../../services/status/build-status.ts';

export function registerStatusRoutes(tools: RouteTools, deps: Deps): void {
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/status',
      tag: 'status',
      summary: 'Per bucket its stage, what it waits for and on whom, deadlines, failed jobs by class, pending work; actions narrowed by role',
      auth: 'authenticated',
      query: StatusQuerySchema,
      response: StatusViewSchema,
    },
    async ({ query, actor }) => buildStatus(deps, actor, query),
  );
}
