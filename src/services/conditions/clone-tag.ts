/**
 * Clone a tag: a new OPEN tag holding a copy of the source's IoVs (as they are now, or as of a time). The copy is one
 * INSERT … SELECT; the history of the new tag records one clone event naming the source and the time copied.
 */
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import type { Actor } from '../../domain/roles.ts';
import { conflict } from '../../domain/errors.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { AsOfSchema, ReasonSchema, TagNameSchema, TagTypeSchema } from './support/schemas.ts';
import { inTransaction, type Tx, type TxOption } from '../../db/transaction.ts';
import { lockTag, tagView, type TagRow, type TagView } from './support/tags.ts';
import { aliveAt } from './support/iovs.ts';
import { appendEvents } from './support/events.ts';

export const CloneTagSchema = z.object({
  source: TagNameSchema,
  name: TagNameSchema,
  type: TagTypeSchema.optional().describe("type of the new tag (default: the source's)"),
  description: z.string().max(10_000).optional(),
  asOf: AsOfSchema,
  reason: ReasonSchema,
});
export type CloneTagInput = z.input<typeof CloneTagSchema>;

/** Creates `name` in `state` and copies the source's live (or as-of) IoVs into it; returns the new row and the count. */
export async function copyTag(
  tx: Tx,
  actor: Actor,
  source: TagRow,
  target: { name: string; type: string; state: string; description: string },
  now: Date,
  asOf?: Date,
): Promise<{ tag: TagRow; copied: number }> {
  const rows = await tx.$queryRaw<TagRow[]>`INSERT INTO "GlobalTag" (name, description, type, state, version, "createdAt", "createdBy", "updatedAt")
    VALUES (${target.name}, ${target.description}, ${target.type}, ${target.state}, 0, ${now}, ${actor.user}, ${now})
    ON CONFLICT (name) DO NOTHING
    RETURNING id, name, type, state, description, "fcsrExp", "fcsrRun", version, "createdAt", "createdBy", "updatedAt"`;
  if (!rows.length) throw conflict(`global tag ${target.name} already exists`);
  const tag = rows[0];
  const copied = await tx.$executeRaw`INSERT INTO "Iov" ("tagId", "payloadId", name, revision, "firstExp", "firstRun", "finalExp", "finalRun", "insertedAt", "insertedBy")
    SELECT ${tag.id}, "payloadId", name, revision, "firstExp", "firstRun", "finalExp", "finalRun", ${now}, ${actor.user}
    FROM "Iov" WHERE "tagId" = ${source.id} AND ${aliveAt(asOf)}`;
  return { tag, copied };
}

export async function cloneTag(deps: Deps, actor: Actor, raw: CloneTagInput, opts: TxOption = {}): Promise<TagView & { copied: number }> {
  const input = CloneTagSchema.parse(raw);
  const now = deps.clock.now();
  return inTransaction(
    deps,
    async (tx) => {
      const source = await lockTag(tx, input.source, 'share');
      const { tag, copied } = await copyTag(
        tx,
        actor,
        source,
        { name: input.name, type: input.type ?? source.type, state: 'OPEN', description: input.description ?? source.description },
        now,
        input.asOf,
      );
      const details = { source: source.name, sourceState: source.state, asOf: input.asOf ?? now, copied };
      await appendEvents(tx, tag.id, [{ kind: 'clone', details }], now, actor, input.reason);
      await recordAudit(tx, actor, {
        action: 'tag.clone',
        targetType: 'tag',
        targetId: tag.name,
        summary: `cloned ${source.name} into ${tag.name} (${copied} IoVs)`,
        details,
        at: now,
      });
      return { ...tagView(tag), iovCount: copied, copied };
    },
    { ...opts, timeoutMs: 120_000 },
  );
}
