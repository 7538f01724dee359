/**
 * At the close of a fix window, the bucket's final tag is assembled per `globaltags/prompt.yaml` (`final_tag.assembly:
 * fixes_over_snapshot`): the approved fixes of the bucket's runs take priority over the bucket's snapshot. The tag is
 * frozen (VALIDATED) and offered for blessing: the bucket moves to `awaiting_blessing` and the calibration manager is
 * notified. The fixing tag itself is left alone: it stays first in the calibration chain, so the next bucket's
 * recalibration starts from the corrected constants.
 *
 * Idempotent: a final tag left over by an interrupted attempt is reused when it is already frozen, and rebuilt when
 * it is still OPEN.
 */
import type { Deps } from '../../deps.ts';
import { bucketTagNames } from '../../config/globaltags-schema.ts';
import { SYSTEM_ACTOR } from '../../domain/roles.ts';
import { loopConfig } from './loop-config.ts';
import { findBucket, loopData } from '../buckets/bucket-data.ts';
import { transitionBucket } from '../buckets/transition-bucket.ts';
import { enqueueNotification } from './notify.ts';
import { conditionsPort } from '../conditions/store-conditions.ts';
import { inTransaction } from '../../db/transaction.ts';

export interface AssembleResult {
  bucket: string;
  assembled: boolean;
  finalTag?: string;
  /** why not (yet) */
  waiting?: string;
}

export async function assembleFinalTag(deps: Deps, bucketRef: string): Promise<AssembleResult> {
  const bucket = await findBucket(deps.prisma, bucketRef);
  if (bucket.stage !== 'fix_window') return { bucket: bucket.name, assembled: false, waiting: `stage is ${bucket.stage}` };
  const window = await deps.prisma.fixWindow.findUnique({ where: { bucketId: bucket.id } });
  if (!window || window.state !== 'closed') return { bucket: bucket.name, assembled: false, waiting: 'the fix window is open' };
  const pending = await deps.prisma.fix.count({ where: { windowId: window.id, state: 'pending' } });
  if (pending > 0) return { bucket: bucket.name, assembled: false, waiting: `${pending} fix(es) wait for a decision` };

  const cfg = loopConfig(deps).globalTags;
  const names = bucketTagNames(cfg, bucket.name);
  const snapshot = loopData(bucket).promptTag ?? names.snapshot;
  const fixes = await deps.prisma.fix.findMany({ where: { windowId: window.id, state: 'approved' }, orderBy: { id: 'asc' } });
  const summary = await conditionsPort(deps).buildFinalTag({
    actor: SYSTEM_ACTOR,
    finalTag: names.final,
    snapshotTag: snapshot,
    fixingTag: names.fixing,
    bucket: { exp: bucket.exp, firstRun: bucket.firstRun, lastRun: bucket.lastRun ?? bucket.firstRun },
    reason: `final tag of ${bucket.name}: ${fixes.length} approved fix(es) over ${snapshot}`,
  });

  const now = deps.clock.now();
  await inTransaction(deps, async (tx) => {
    const fresh = await tx.bucket.findUniqueOrThrow({ where: { id: bucket.id } });
    await transitionBucket(deps, fresh, 'awaiting_blessing', SYSTEM_ACTOR, { reason: `final tag ${names.final} assembled (${fixes.length} fix(es) over ${snapshot})`, tx, required: true, progress: { area: 'loop', values: { finalTag: names.final, finalAssembledAt: now.toISOString(), problem: undefined } } });
    await tx.fixWindow.update({ where: { id: window.id }, data: { finalTag: names.final } });
    await enqueueNotification(tx, {
      key: `awaiting-blessing:${bucket.name}`,
      kind: 'awaiting_blessing',
      message: `Final tag ${names.final} of ${bucket.name} is ready for blessing (${fixes.length} fix(es) over ${snapshot}): calibloop bless --bucket ${bucket.name}`,
      payload: { bucket: bucket.name, fixes: fixes.map((f) => f.id), ...summary },
      at: now,
    });
  });
  return { bucket: bucket.name, assembled: true, finalTag: names.final };
}
