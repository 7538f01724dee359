import { z } from 'zod';
import { IdText } from '../../domain/strict-input.ts';
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
      response: z.object({ token: z.string(), id: z.number(), user: z.string(), role: z.string(), detectors: z.array(z.string()), expiresAt: z.string().nullable() }),
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
      params: z.object({ id: IdText }),
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
      summary: "Who the presented token acts as: the token's own scope (role, detectors), fixed when it was issued",
      auth: 'authenticated',
      response: z.object({ user: z.string(), role: z.string(), detectors: z.array(z.string()), tokenId: z.number(), expiresAt: z.string().nullable() }),
    },
    async ({ actor }) => ({ user: actor!.user, role: actor!.role, detectors: actor!.detectors, tokenId: actor!.tokenId, expiresAt: actor!.expiresAt ?? null }),
  );
}
