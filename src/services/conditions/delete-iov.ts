/** Remove an IoV from an OPEN tag. The row stays (removedAt is set) so as-of reads and the history keep it. */
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import type { Actor } from '../../domain/roles.ts';
import { formatIov } from '../../domain/iov.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { ReasonSchema, TagNameSchema } from './support/schemas.ts';
import { inTransaction, type TxOption } from '../../db/transaction.ts';
import { bumpVersion, lockLiveIov } from './support/tags.ts';
import { iovView, removeIovs, type IovView } from './support/iovs.ts';
import { appendEvents } from './support/events.ts';

export const DeleteIovSchema = z.object({ tag: TagNameSchema, id: z.number().int().positive(), reason: ReasonSchema });
export type DeleteIovInput = z.input<typeof DeleteIovSchema>;

export async function deleteIov(deps: Deps, actor: Actor, raw: DeleteIovInput, opts: TxOption = {}): Promise<IovView> {
  const input = DeleteIovSchema.parse(raw);
  const now = deps.clock.now();
  return inTransaction(
    deps,
    async (tx) => {
      const { tag, iov: old } = await lockLiveIov(tx, input.tag, input.id);
      await removeIovs(tx, tag.id, [old.id], now, actor.user);
      const details = { iovId: old.id, name: old.name, revision: old.revision, iov: formatIov(old) };
      await appendEvents(tx, tag.id, [{ kind: 'iov.delete', details }], now, actor, input.reason);
      await bumpVersion(tx, tag.id, now);
      await recordAudit(tx, actor, {
        action: 'iov.delete',
        targetType: 'tag',
        targetId: tag.name,
        summary: `${tag.name}: removed ${old.name} r${old.revision} [${formatIov(old)}]`,
        details: { ...details, reason: input.reason },
        at: now,
      });
      return iovView({ ...old, removedAt: now, removedBy: actor.user }, true);
    },
    opts,
  );
}
