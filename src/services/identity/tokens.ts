/**
 * Opaque bearer tokens, stored hashed (sha256). Chosen over JWT because an operator must be able to revoke a token at
 * once (a leaked token on a shared cluster), there is no key to rotate or distribute, and every request already talks
 * to the database. The secret is shown once, at creation.
 *
 * The scope is the token's: its role and (for a detector expert) its detectors are fixed when it is issued. The user row
 * only collects what the user has ever been given; issuing a CDC token never widens an existing ECL-only token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Prisma } from '../../db/database.ts';
import { ROLES, DETECTORS, type Actor, type Role } from '../../domain/roles.ts';
import { DomainError } from '../../domain/errors.ts';
import { nameSchema } from '../../domain/names.ts';
import { recordAudit } from '../audit/record-audit.ts';
import type { Clock } from '../../domain/clock.ts';
import { inTransaction } from '../../db/transaction.ts';

export const TOKEN_PREFIX = 'clb_';

export const CreateTokenSchema = z
  .object({
    user: nameSchema('user name', 64),
    role: z.enum(ROLES),
    detectors: z.array(z.enum(DETECTORS)).max(DETECTORS.length).default([]),
    label: z.string().max(200).optional(),
    expiresInDays: z.number().int().positive().max(3650).optional(),
  })
  .refine((v) => v.role !== 'detector_expert' || v.detectors.length > 0, {
    message: 'a detector_expert token needs at least one detector',
    path: ['detectors'],
  })
  .refine((v) => v.role === 'detector_expert' || v.detectors.length === 0, {
    message: 'only a detector_expert token is scoped to detectors',
    path: ['detectors'],
  });
export type CreateTokenInput = z.input<typeof CreateTokenSchema>;

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Creates the user if needed, records the role (and detectors) on it, and returns a new token with exactly that scope. */
export async function createToken(prisma: Prisma, clock: Clock, by: Actor, raw: CreateTokenInput) {
  const input = CreateTokenSchema.parse(raw);
  const secret = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const now = clock.now();
  const scope = Array.from(new Set(input.detectors)).sort();
  return inTransaction({ prisma }, async (tx) => {
    const existing = await tx.user.findUnique({ where: { name: input.user } });
    const roles = Array.from(new Set([...(existing?.roles ?? []), input.role]));
    const detectors = Array.from(new Set([...(existing?.detectors ?? []), ...input.detectors]));
    const user = existing
      ? await tx.user.update({ where: { id: existing.id }, data: { roles, detectors } })
      : await tx.user.create({ data: { name: input.user, roles, detectors } });
    const token = await tx.apiToken.create({
      data: {
        userId: user.id,
        tokenHash: hashToken(secret),
        role: input.role,
        detectors: scope,
        label: input.label,
        createdAt: now,
        expiresAt: input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * 86400_000) : null,
      },
    });
    await recordAudit(tx, by, {
      action: 'token.create',
      targetType: 'user',
      targetId: user.name,
      summary: `token ${token.id} for ${user.name} as ${input.role}${scope.length ? ` (${scope.join(', ')})` : ''}`,
      details: { tokenId: token.id, role: input.role, detectors: scope, label: input.label ?? null, expiresAt: token.expiresAt?.toISOString() ?? null },
      at: now,
    });
    return { token: secret, id: token.id, user: user.name, role: input.role as Role, detectors: scope, expiresAt: token.expiresAt?.toISOString() ?? null };
  });
}

/** Resolves a bearer token to the actor it acts as; throws UNAUTHENTICATED for unknown, revoked or expired tokens. */
export async function authenticate(prisma: Prisma, clock: Clock, secret: string): Promise<Actor> {
  const token = await prisma.apiToken.findUnique({ where: { tokenHash: hashToken(secret) }, include: { user: { select: { name: true } } } });
  const now = clock.now();
  if (!token || token.revokedAt || (token.expiresAt && token.expiresAt <= now)) {
    throw new DomainError('UNAUTHENTICATED', 'unknown, revoked or expired token');
  }
  const role = token.role as Role;
  return { user: token.user.name, role, detectors: role === 'detector_expert' ? [...token.detectors] : [], tokenId: token.id, expiresAt: token.expiresAt?.toISOString() ?? null };
}

export async function revokeToken(prisma: Prisma, clock: Clock, by: Actor, id: number) {
  return inTransaction({ prisma }, async (tx) => {
    const n = await tx.apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: clock.now() } });
    if (n.count === 0) throw new DomainError('NOT_FOUND', `active token ${id} not found`);
    await recordAudit(tx, by, { action: 'token.revoke', targetType: 'token', targetId: id, summary: `token ${id} revoked` });
    return { id, revoked: true };
  });
}
