/**
 * Rename a tag. Only before the tag is used for processing (OPEN, TESTING, VALIDATED): a published or running tag's
 * name is written into job configurations. The tag keeps its id, so its history follows it.
 */
import { Prisma as P } from '../../db/generated/client.ts';
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import type { Actor } from '../../domain/roles.ts';
import { conflict } from '../../domain/errors.ts';
import { assertRenamable } from '../../domain/tag-states.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { ReasonSchema, TagNameSchema } from './support/schemas.ts';
import { inTransaction, type TxOption } from '../../db/transaction.ts';
import { findTagOrNull, lockTag, tagView, updateTag, type TagView } from './support/tags.ts';
import { appendEvents } from './support/events.ts';
import { forgetTag } from './support/resolution-cache.ts';

export const RenameTagSchema = z.object({ name: TagNameSchema, newName: TagNameSchema, reason: ReasonSchema });
export type RenameTagInput = z.input<typeof RenameTagSchema>;

export async function renameTag(deps: Deps, actor: Actor, raw: RenameTagInput, opts: TxOption = {}): Promise<TagView> {
  const input = RenameTagSchema.parse(raw);
  const now = deps.clock.now();
  const row = await inTransaction(
    deps,
    async (tx) => {
      const tag = await lockTag(tx, input.name);
      assertRenamable(tag.name, tag.state);
      if (input.newName === tag.name) return tag;
      if (await findTagOrNull(tx, input.newName)) throw conflict(`global tag ${input.newName} already exists`);
      const row = await updateTag(tx, tag.id, P.sql`name = ${input.newName}, version = version + 1`, now);
      await appendEvents(tx, tag.id, [{ kind: 'rename', details: { from: tag.name, to: input.newName } }], now, actor, input.reason);
      await recordAudit(tx, actor, { action: 'tag.rename', targetType: 'tag', targetId: input.newName, summary: `renamed ${tag.name} to ${input.newName}`, details: { from: tag.name }, at: now });
      return row;
    },
    opts,
  );
  forgetTag(deps, input.name);
  return tagView(row);
}
