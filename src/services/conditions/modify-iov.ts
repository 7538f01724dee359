/**
 * Change the interval of an IoV of an OPEN tag. The row is not updated: it is removed and a new row with the new
 * interval inserted, so reads as of an earlier time still see the old interval. The answer carries the new id.
 */
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import type { Actor } from '../../domain/roles.ts';
import { formatIov, overlaps } from '../../domain/iov.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { IovSchema, ReasonSchema, TagNameSchema } from './support/schemas.ts';
import { inTransaction, type TxOption } from '../../db/transaction.ts';
import { bumpVersion, lockLiveIov } from './support/tags.ts';
import { insertIovs, iovView, listIovs, pickIov, removeIovs, type IovView } from './support/iovs.ts';
import { appendEvents } from './support/events.ts';
import { overlapError } from './add-iov.ts';

export const ModifyIovSchema = z.object({
  tag: TagNameSchema,
  id: z.number().int().positive(),
  iov: IovSchema,
  allowOverlap: z.boolean().default(false),
  reason: ReasonSchema,
});
export type ModifyIovInput = z.input<typeof ModifyIovSchema>;

export async function modifyIov(deps: Deps, actor: Actor, raw: ModifyIovInput, opts: TxOption = {}): Promise<IovView & { replaces: number }> {
  const input = ModifyIovSchema.parse(raw);
  const now = deps.clock.now();
  return inTransaction(
    deps,
    async (tx) => {
      const { tag, iov: old } = await lockLiveIov(tx, input.tag, input.id);
      const next = { ...pickIov(input.iov), name: old.name, revision: old.revision, payloadId: old.payloadId };
      if (!input.allowOverlap) {
        const others = (await listIovs(tx, tag.id, { name: old.name })).filter((r) => r.id !== old.id && overlaps(r, next));
        if (others.length) {
          throw overlapError(
            tag.name,
            others.map((o) => ({ name: old.name, revision: old.revision, iov: formatIov(next), with: { id: o.id, revision: o.revision, iov: formatIov(o) } })),
          );
        }
      }
      await removeIovs(tx, tag.id, [old.id], now, actor.user);
      const [id] = await insertIovs(tx, tag.id, [next], now, actor.user);
      const details = { oldIovId: old.id, newIovId: id, name: old.name, revision: old.revision, from: formatIov(old), to: formatIov(next) };
      await appendEvents(tx, tag.id, [{ kind: 'iov.modify', details }], now, actor, input.reason);
      await bumpVersion(tx, tag.id, now);
      await recordAudit(tx, actor, {
        action: 'iov.modify',
        targetType: 'tag',
        targetId: tag.name,
        summary: `${tag.name}: ${old.name} r${old.revision} [${formatIov(old)}] -> [${formatIov(next)}]`,
        details: { ...details, reason: input.reason },
        at: now,
      });
      return { ...iovView({ ...next, id, tagId: tag.id, insertedAt: now, insertedBy: actor.user, removedAt: null, removedBy: null }), replaces: old.id };
    },
    opts,
  );
}
