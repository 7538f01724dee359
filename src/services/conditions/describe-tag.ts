/** Change a tag's description (metadata only: allowed in every state, the IoVs are untouched). */
import { Prisma as P } from '../../db/generated/client.ts';
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import type { Actor } from '../../domain/roles.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { TagNameSchema } from './support/schemas.ts';
import { inTransaction, type TxOption } from '../../db/transaction.ts';
import { lockTag, tagView, updateTag, type TagView } from './support/tags.ts';
import { appendEvents } from './support/events.ts';

export const DescribeTagSchema = z.object({ name: TagNameSchema, description: z.string().max(10_000) });
export type DescribeTagInput = z.input<typeof DescribeTagSchema>;

export async function setTagDescription(deps: Deps, actor: Actor, raw: DescribeTagInput, opts: TxOption = {}): Promise<TagView> {
  const input = DescribeTagSchema.parse(raw);
  const now = deps.clock.now();
  return inTransaction(
    deps,
    async (tx) => {
      const tag = await lockTag(tx, input.name);
      const row = await updateTag(tx, tag.id, P.sql`description = ${input.description}`, now);
      await appendEvents(tx, tag.id, [{ kind: 'describe', details: { from: tag.description, to: input.description } }], now, actor);
      await recordAudit(tx, actor, { action: 'tag.describe', targetType: 'tag', targetId: tag.name, summary: `description of ${tag.name} changed`, at: now });
      return tagView(row);
    },
    opts,
  );
}
