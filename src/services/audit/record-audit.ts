/**
 * Every mutation writes one audit event in the same transaction as the change itself: either both are stored or
 * neither is.
 */
import type { Db } from '../../db/transaction.ts';
import type { Actor } from '../../domain/roles.ts';
import { Prisma } from '../../db/generated/client.ts';


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

/**
 * The same event as one `INSERT … SELECT` to put in a set-based statement as a data-modifying CTE, for a change that is
 * one statement: the change and its event then commit together without a transaction around them (bulk abort).
 * `summary` and `details` (jsonb) are SQL expressions, so they can count what the statement's other CTEs changed.
 */
export function auditInsertSql(actor: Actor, entry: { action: string; targetType: string; targetId: string | number; summary: Prisma.Sql; details: Prisma.Sql; at: Date }): Prisma.Sql {
  return Prisma.sql`INSERT INTO "AuditEvent" (actor, role, action, "targetType", "targetId", summary, details, at)
    SELECT ${actor.user}, ${actor.role}, ${entry.action}, ${entry.targetType}, ${String(entry.targetId)}, ${entry.summary}, ${entry.details}, ${entry.at}::timestamp(3)`;
}
