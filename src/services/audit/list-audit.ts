import { z } from 'zod';
import { Instant, textInt } from '../../domain/strict-input.ts';
import type { Prisma } from '../../db/database.ts';

export const AuditQuerySchema = z.object({
  actor: z.string().optional(),
  action: z.string().optional().describe('exact action, or a prefix ending in * (e.g. tag.*)'),
  targetType: z.string().optional(),
  targetId: z.string().optional(),
  since: Instant.optional(),
  until: Instant.optional(),
  limit: textInt(1, 1000).default(100),
});
export type AuditQuery = z.infer<typeof AuditQuerySchema>;

export const AuditEventSchema = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.string(),
  role: z.string(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string(),
  summary: z.string(),
  details: z.unknown().optional(),
});

export async function listAudit(prisma: Prisma, q: AuditQuery) {
  const action = q.action?.endsWith('*') ? { startsWith: q.action.slice(0, -1) } : q.action;
  const rows = await prisma.auditEvent.findMany({
    where: {
      actor: q.actor,
      action,
      targetType: q.targetType,
      targetId: q.targetId,
      at: { gte: q.since, lte: q.until },
    },
    orderBy: { id: 'desc' },
    take: q.limit,
  });
  return rows.map((r) => ({ ...r, id: r.id.toString(), at: r.at.toISOString(), details: r.details ?? undefined }));
}
