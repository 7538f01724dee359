/**
 * The append-only history of a tag (TagEvent): every IoV insert, close, extend, modify, delete and every state change,
 * with who, when and why. Written in the same transaction as the change; never updated or deleted.
 */
import type { Actor } from '../../../domain/roles.ts';
import type { TagEventKind } from '../../../domain/tag-states.ts';
import type { Tx } from '../../../db/transaction.ts';

export interface NewTagEvent {
  kind: TagEventKind;
  details?: unknown;
}

export async function appendEvents(tx: Tx, tagId: number, events: readonly NewTagEvent[], at: Date, actor: Actor, reason = ''): Promise<void> {
  if (events.length === 0) return;
  const kinds = events.map((e) => e.kind);
  const details = events.map((e) => JSON.stringify(e.details ?? null));
  await tx.$executeRaw`INSERT INTO "TagEvent" ("tagId", at, actor, kind, reason, details)
    SELECT ${tagId}, ${at}, ${actor.user}, u.kind, ${reason}, u.details
    FROM unnest(${kinds}::text[], ${details}::jsonb[]) AS u(kind, details)`;
}
