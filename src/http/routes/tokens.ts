import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { defineRoute, type RouteTools } from '../route.ts';
import { createToken, revokeToken, CreateTokenSchema } from '../../services/identity/tokens.ts';

export function registerTokenRoutes(tools: RouteTools, deps: Deps): void {
  defineRoute(
    tools,
    {
      method: 'post',
      path: '/tokens',
      tag: 'identity',
      summary: 'Create a user (if needed) and a token acting in one role',
      auth: ['admin'],
      body: CreateTokenSchema,
      status: 201,
      response: z.object({ token: z.string(), id: z.number(), user: z.string(), role: z.string(), detectors: z.array(z.string()) }),
    },
    async ({ body, actor }) => createToken(deps.prisma, deps.clock, actor!, body),
  );
  defineRoute(
    tools,
    {
      method: 'delete',
      path: '/tokens/:id',
      tag: 'identity',
      summary: 'Revoke a token',
      auth: ['admin'],
      params: z.object({ id: z.coerce.number().int().positive() }),
      response: z.object({ id: z.number(), revoked: z.boolean() }),
    },
    async ({ params, actor }) => revokeToken(deps.prisma, deps.clock, actor!, params.id),
  );
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/whoami',
      tag: 'identity',
      summary: 'Who the presented token acts as',
      auth: 'authenticated',
      response: z.object({ user: z.string(), role: z.string(), detectors: z.array(z.string()) }),
    },
    async ({ actor }) => actor,
  );
}
