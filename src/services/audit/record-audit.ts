/**
 * Every mutation writes one audit event in the same transaction as the change itself: either both are stored or
 * neither is.
 */
import type { Db } from '../../db/transaction.ts';
import type { Actor } from '../../domain/roles.ts';


export interface AuditEntry {
  action: string;
  targetType: string;
  targetId: string | number;
  summary: string;
  details?: unknown;
  at?: Date;
}

export async function recordAudit(db: Db, actor: Actor, entry: AuditEntry): Promise<void> {
  await db.auditEvent.create({
    data: {
      actor: actor.user,
      role: actor.role,
      action: entry.action,
      targetType: entry.targetType,
      targetId: String(entry.targetId),
      summary: entry.summary,
      details: entry.details === undefined ? undefined : JSON.parse(JSON.stringify(entry.details)),
      ...(entry.at ? { at: entry.at } : {}),
    },
  });
}
