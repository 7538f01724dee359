/**
 * The calibration manager gives experts more time: the stored deadline moves later (compare-and-set on the deadline
 * it read, so a concurrent close or extension wins cleanly), with a reason in the audit trail. A new closing-soon
 * warning is due for the new deadline.
 */
import type { Deps } from '../../deps.ts';
import { planExtension } from '../../domain/fix-window.ts';
import { conflict } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { findWindow, windowView } from './windows.ts';
import { inTransaction } from '../../db/transaction.ts';

export interface ExtendWindowInput {
  hours?: number;
  until?: string;
  reason: string;
}

export async function extendWindow(deps: Deps, actor: Actor, bucketRef: string, input: ExtendWindowInput) {
  const now = deps.clock.now();
  return inTransaction(deps, async (tx) => {
    const { bucket, window } = await findWindow(tx, bucketRef);
    const plan = planExtension(window, now, {
      hours: input.hours,
      until: input.until !== undefined ? new Date(input.until) : undefined,
      reason: input.reason,
    });
    const r = await tx.fixWindow.updateMany({
      where: { id: window.id, state: 'open', deadline: window.deadline },
      data: { deadline: plan.deadline, extensions: { increment: 1 }, warnedAt: null },
    });
    if (r.count === 0) throw conflict(`the fix window of ${bucket.name} changed meanwhile; look again`);
    await recordAudit(tx, actor, {
      action: 'window.extend',
      targetType: 'bucket',
      targetId: bucket.name,
      summary: `fix window of ${bucket.name} extended to ${plan.deadline.toISOString()}: ${plan.reason}`,
      details: { from: window.deadline.toISOString(), to: plan.deadline.toISOString(), reason: plan.reason },
      at: now,
    });
    deps.logger.info('fix window extended', { bucket: bucket.name, from: window.deadline.toISOString(), to: plan.deadline.toISOString(), by: actor.user });
    const updated = await tx.fixWindow.findUniqueOrThrow({ where: { id: window.id } });
    return windowView(updated, bucket, now);
  });
}
