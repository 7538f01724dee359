/**
 * A detector expert uploads a corrected payload during a bucket's fix window. Every rule is checked before anything
 * is stored (own detector only, IoV inside the bucket's runs, window open at the clock's now), so a refused upload
 * changes nothing. The payload is stored (deduplicated by content) and the fix waits for the calibration manager;
 * only an approved fix enters the auxiliary fixing tag.
 */
import type { Deps } from '../../deps.ts';
import { validateFix, type FixIov } from '../../domain/fix-window.ts';
import { conflict, invalid, ruleViolation } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { enqueueNotification } from './notify.ts';
import { loopConfig } from './loop-config.ts';
import { findWindow, fixView } from './windows.ts';
import { conditionsPort } from '../conditions/store-conditions.ts';
import { inTransaction } from '../../db/transaction.ts';

export interface UploadFixInput {
  bucket: string;
  /** payload name, e.g. ECLCrystalEnergyScale */
  name: string;
  iov: FixIov;
  reason: string;
  content: Buffer;
  /** needed only for a payload no configured calibration produces */
  detector?: string;
}

export async function uploadFix(deps: Deps, actor: Actor, input: UploadFixInput) {
  const now = deps.clock.now();
  const { bucket, window } = await findWindow(deps.prisma, input.bucket);
  const known = loopConfig(deps).payloadDetectors.get(input.name);
  if (known && input.detector && input.detector !== known) {
    throw invalid(`payload ${input.name} belongs to ${known}, not ${input.detector}`, [{ path: 'body.detector', message: `must be ${known}` }]);
  }
  const detector = known ?? input.detector;
  if (!detector) {
    throw invalid(`no configured calibration produces ${input.name}; name its detector`, [{ path: 'body.detector', message: 'required for this payload' }]);
  }
  const reason = input.reason?.trim() ?? '';
  if (!reason) throw invalid('a fix needs a reason', [{ path: 'body.reason', message: 'required' }]);
  if (input.content.length === 0) throw invalid('the payload file is empty', [{ path: 'body.content', message: 'empty' }]);
  validateFix({
    window,
    bucket: { exp: bucket.exp, firstRun: bucket.firstRun, lastRun: bucket.lastRun ?? bucket.firstRun },
    iov: input.iov,
    detector,
    actor,
    now,
  });

  const payload = await conditionsPort(deps).storePayload({ name: input.name, content: input.content, actor, reason });
  const fix = await inTransaction(deps, async (tx) => {
    // Re-check the window under a row lock: a close that committed after our read must win.
    const still = await tx.fixWindow.updateMany({ where: { id: window.id, state: 'open', deadline: { gt: now } }, data: { state: 'open' } });
    if (still.count === 0) throw ruleViolation(`the fix window of ${bucket.name} closed meanwhile; fixes are no longer accepted`);
    const duplicate = await tx.fix.findFirst({
      where: { windowId: window.id, payloadId: payload.id, ...input.iov, state: { in: ['pending', 'approved'] } },
    });
    if (duplicate) throw conflict(`the same payload with the same IoV is already fix ${duplicate.id} (${duplicate.state})`);
    const created = await tx.fix.create({
      data: {
        windowId: window.id,
        payloadId: payload.id,
        name: payload.name,
        revision: payload.revision,
        detector,
        ...input.iov,
        reason,
        state: 'pending',
        submittedBy: actor.user,
        submittedAt: now,
      },
    });
    await recordAudit(tx, actor, {
      action: 'fix.upload',
      targetType: 'fix',
      targetId: created.id,
      summary: `fix ${created.id} for ${bucket.name}: ${payload.name} rev ${payload.revision} IoV ${input.iov.firstExp},${input.iov.firstRun}-${input.iov.finalExp},${input.iov.finalRun} (${detector}): ${reason}`,
      details: { bucket: bucket.name, payload: payload.name, revision: payload.revision, iov: input.iov, detector, reason },
      at: now,
    });
    await enqueueNotification(tx, {
      key: `fix_uploaded:${created.id}`,
      kind: 'fix_uploaded',
      message: `${actor.user} uploaded fix ${created.id} for ${bucket.name}: ${payload.name} rev ${payload.revision} (${detector}): ${reason}. The calibration manager decides: calibloop fix approve ${created.id}`,
      payload: { bucket: bucket.name, fix: created.id, payload: `${payload.name} rev ${payload.revision}`, detector, by: actor.user },
      at: now,
    });
    return created;
  });
  deps.logger.info('fix uploaded', { bucket: bucket.name, fix: fix.id, payload: fix.name, revision: fix.revision, by: actor.user });
  return { bucket: bucket.name, ...fixView(fix) };
}
