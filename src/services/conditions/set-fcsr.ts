/**
 * Record a tag's first condition-safe run (CMS Tier-0): the smallest run not yet locked by processing with the running
 * tag. Running updates below it are refused. It only moves forward unless `force` is given (an operator correcting a
 * mistake), so a lagging caller can never reopen runs that were already processed.
 */
import { Prisma as P } from '../../db/generated/client.ts';
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import type { Actor } from '../../domain/roles.ts';
import { ruleViolation } from '../../domain/errors.ts';
import { formatPoint, pointKey } from '../../domain/iov.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { ReasonSchema, RunPointSchema, TagNameSchema } from './support/schemas.ts';
import { inTransaction, type TxOption } from '../../db/transaction.ts';
import { fcsrOf, lockTag, tagView, updateTag, type TagView } from './support/tags.ts';
import { appendEvents } from './support/events.ts';

export const SetFcsrSchema = RunPointSchema.extend({
  tag: TagNameSchema,
  force: z.boolean().default(false).describe('allow moving it backwards'),
  reason: ReasonSchema,
});
export type SetFcsrInput = z.input<typeof SetFcsrSchema>;

export async function setFirstConditionSafeRun(deps: Deps, actor: Actor, raw: SetFcsrInput, opts: TxOption = {}): Promise<TagView> {
  const input = SetFcsrSchema.parse(raw);
  const now = deps.clock.now();
  return inTransaction(
    deps,
    async (tx) => {
      const tag = await lockTag(tx, input.tag);
      if (tag.state === 'INVALID' || tag.state === 'PUBLISHED') {
        throw ruleViolation(`tag ${tag.name} is ${tag.state}; its first condition-safe run no longer matters`, { rule: 'tag-state' });
      }
      const before = fcsrOf(tag);
      const to = { exp: input.exp, run: input.run };
      if (before && pointKey(to.exp, to.run) === pointKey(before.exp, before.run)) return tagView(tag);
      if (before && pointKey(to.exp, to.run) < pointKey(before.exp, before.run) && !input.force) {
        throw ruleViolation(`the first condition-safe run of ${tag.name} is ${formatPoint(before)}; it only moves forward (use force to correct it)`, {
          rule: 'fcsr-backwards',
          current: before,
        });
      }
      const row = await updateTag(tx, tag.id, P.sql`"fcsrExp" = ${to.exp}, "fcsrRun" = ${to.run}`, now);
      await appendEvents(tx, tag.id, [{ kind: 'fcsr', details: { from: before, to, force: input.force } }], now, actor, input.reason);
      await recordAudit(tx, actor, {
        action: 'tag.fcsr',
        targetType: 'tag',
        targetId: tag.name,
        summary: `first condition-safe run of ${tag.name}: ${before ? formatPoint(before) : 'none'} -> ${formatPoint(to)}`,
        at: now,
      });
      return tagView(row);
    },
    opts,
  );
}
