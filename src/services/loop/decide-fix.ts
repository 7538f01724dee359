/**
 * The calibration manager approves or rejects a fix. An approved fix is added to the auxiliary fixing tag with its
 * IoV (the fixing tag is first in the calibration chain, so the next recalibration reads it) in the same transaction
 * as the decision; a rejected fix stays on
 * record with the comment. Decisions are possible until the bucket's final tag is assembled: fixes still pending at
 * the close hold the assembly, so no fix is silently dropped.
 */
import type { Deps } from '../../deps.ts';
import { fixLifecycle } from '../../domain/fix-window.ts';
import { conflict, notFound, ruleViolation } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { enqueueNotification } from './notify.ts';
import { loopConfig } from './loop-config.ts';
import { fixView } from './windows.ts';
import { conditionsPort } from '../conditions/store-conditions.ts';
import { inTransaction } from '../../db/transaction.ts';

export async function decideFix(deps: Deps, actor: Actor, fixId: number, input: { decision: 'approve' | 'reject'; comment?: string }) {
  const now = deps.clock.now();
  const fix = await deps.prisma.fix.findUnique({ where: { id: fixId }, include: { window: true } });
  if (!fix) throw notFound(`fix ${fixId}`);
  const bucket = await deps.prisma.bucket.findUniqueOrThrow({ where: { id: fix.window.bucketId } });
  const to = input.decision === 'approve' ? 'approved' : 'rejected';
  fixLifecycle.assert(fix.state, to);
  if (bucket.stage !== 'fix_window') {
    throw ruleViolation(`the final tag of ${bucket.name} is already assembled (stage ${bucket.stage}); fixes can no longer be decided`);
  }
  const fixingTag = loopConfig(deps).globalTags.fixingTag;
  // One transaction: the compare-and-set on the fix first, then its IoV in the fixing tag. A decision that loses the
  // race adds nothing, and an IoV the tag refuses (overlap) leaves the fix pending.
  const updated = await inTransaction(deps, async (tx) => {
    const r = await tx.fix.updateMany({
      where: { id: fix.id, state: 'pending' },
      data: { state: to, decidedBy: actor.user, decidedAt: now, comment: input.comment ?? null },
    });
    if (r.count === 0) throw conflict(`fix ${fix.id} was decided meanwhile`);
    const iovId =
      to === 'approved' ? await conditionsPort(deps).addFix({ tag: fixingTag, fix, actor, reason: `fix ${fix.id} for ${bucket.name}: ${fix.reason}` }, tx) : null;
    if (iovId !== null) await tx.fix.update({ where: { id: fix.id }, data: { iovId } });
    await recordAudit(tx, actor, {
      action: `fix.${input.decision}`,
      targetType: 'fix',
      targetId: fix.id,
      summary: `fix ${fix.id} (${fix.name} rev ${fix.revision}) for ${bucket.name} ${to}${to === 'approved' ? ` into ${fixingTag}` : ''}${input.comment ? `: ${input.comment}` : ''}`,
      details: { bucket: bucket.name, payload: fix.name, revision: fix.revision, tag: to === 'approved' ? fixingTag : undefined, iovId, comment: input.comment },
      at: now,
    });
    await enqueueNotification(tx, {
      key: `fix_decided:${fix.id}`,
      kind: 'fix_decided',
      message: `Fix ${fix.id} for ${bucket.name} (${fix.name} rev ${fix.revision}, by ${fix.submittedBy}) ${to} by ${actor.user}${input.comment ? `: ${input.comment}` : ''}`,
      payload: { bucket: bucket.name, fix: fix.id, decision: to, by: actor.user, submittedBy: fix.submittedBy },
      at: now,
    });
    return tx.fix.findUniqueOrThrow({ where: { id: fix.id } });
  });
  deps.logger.info(`fix ${to}`, { bucket: bucket.name, fix: fix.id, by: actor.user });
  return { bucket: bucket.name, ...fixView(updated) };
}
