/**
 * The calibration manager closes a fix window before its deadline (all fixes are in, or the bucket is urgent), with a
 * reason. The final tag is assembled right away when no fix waits for a decision; otherwise by the next tick after
 * the decisions.
 */
import type { Deps } from '../../deps.ts';
import { planEarlyClose } from '../../domain/fix-window.ts';
import { conflict, coerceError } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { recordWindowClose } from './close-expired-windows.ts';
import { assembleFinalTag } from './assemble-final-tag.ts';
import { findWindow, showWindow } from './windows.ts';
import { inTransaction } from '../../db/transaction.ts';

export async function closeWindowEarly(deps: Deps, actor: Actor, bucketRef: string, input: { reason: string }) {
  const now = deps.clock.now();
  const bucketName = await inTransaction(deps, async (tx) => {
    const { bucket, window } = await findWindow(tx, bucketRef);
    const plan = planEarlyClose(window, now, input.reason);
    const closed = await recordWindowClose(tx, window, bucket.name, actor, `closed early: ${plan.reason}`, now);
    if (!closed) throw conflict(`the fix window of ${bucket.name} changed meanwhile; look again`);
    return bucket.name;
  });
  deps.logger.info('fix window closed early', { bucket: bucketName, by: actor.user, reason: input.reason });
  try {
    await assembleFinalTag(deps, bucketName);
  } catch (e) {
    deps.logger.warn('final tag not assembled yet; the fix-window tick retries', { bucket: bucketName, error: coerceError(e).message });
  }
  return showWindow(deps, bucketName);
}
