/**
 * Change a tag's state along the tag lifecycle (src/domain/tag-states.ts). The change is a
 * compare-and-set on the locked row, recorded in the tag history and the audit log in the same transaction, and logged
 * once.
 */
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import type { Actor } from '../../domain/roles.ts';
import { conflict } from '../../domain/errors.ts';
import { tagLifecycle, type TagState } from '../../domain/tag-states.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { ReasonSchema, TagNameSchema, TagStateSchema } from './support/schemas.ts';
import { inTransaction, type Tx, type TxOption } from '../../db/transaction.ts';
import { lockTag, tagView, type TagRow, type TagView } from './support/tags.ts';
import { appendEvents } from './support/events.ts';
import { forgetTag } from './support/resolution-cache.ts';

export const SetTagStateSchema = z.object({
  name: TagNameSchema,
  state: TagStateSchema,
  reason: ReasonSchema,
  /** compare-and-set: refuse unless the tag is in this state now */
  expectedState: TagStateSchema.optional(),
});
export type SetTagStateInput = z.input<typeof SetTagStateSchema>;

/** The transition itself, on an already locked row (shared with ensureTag). */
export async function changeState(deps: Deps, tx: Tx, actor: Actor, tag: TagRow, to: TagState, reason: string, now: Date): Promise<TagRow> {
  tagLifecycle.assert(tag.state, to, tag.name);
  const rows = await tx.$queryRaw<TagRow[]>`UPDATE "GlobalTag" SET state = ${to}, version = version + 1, "updatedAt" = ${now}
    WHERE id = ${tag.id} AND state = ${tag.state}
    RETURNING id, name, type, state, description, "fcsrExp", "fcsrRun", version, "createdAt", "createdBy", "updatedAt"`;
  if (!rows.length) throw conflict(`tag ${tag.name} changed state meanwhile; try again`);
  await appendEvents(tx, tag.id, [{ kind: 'state', details: { from: tag.state, to } }], now, actor, reason);
  await recordAudit(tx, actor, {
    action: 'tag.state',
    targetType: 'tag',
    targetId: tag.name,
    summary: `${tag.name}: ${tag.state} -> ${to}${reason ? ` (${reason})` : ''}`,
    details: { from: tag.state, to, reason },
    at: now,
  });
  deps.logger.info('tag state changed', { tag: tag.name, from: tag.state, to, user: actor.user });
  return rows[0];
}

export async function setTagState(deps: Deps, actor: Actor, raw: SetTagStateInput, opts: TxOption = {}): Promise<TagView> {
  const input = SetTagStateSchema.parse(raw);
  const now = deps.clock.now();
  const row = await inTransaction(
    deps,
    async (tx) => {
      const tag = await lockTag(tx, input.name);
      if (input.expectedState && tag.state !== input.expectedState) {
        throw conflict(`tag ${tag.name} is ${tag.state}, not ${input.expectedState}`, { tag: tag.name, state: tag.state });
      }
      return changeState(deps, tx, actor, tag, input.state, input.reason, now);
    },
    opts,
  );
  forgetTag(deps, row.name);
  return tagView(row);
}
