import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { defineRoute, type RouteTools } from '../route.ts';
import { AuditQuerySchema, AuditEventSchema, listAudit } from '../../services/audit/list-audit.ts';

export function registerAuditRoutes(tools: RouteTools, deps: Deps): void {
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/audit',
      tag: 'audit',
      summary: 'List audit events, newest first',
      auth: 'authenticated',
      query: AuditQuerySchema,
      response: z.array(AuditEventSchema),
    },
    async ({ query }) => listAudit(deps.prisma, query),
  );
}
