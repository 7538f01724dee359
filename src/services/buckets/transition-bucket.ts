/**
 * The one place a bucket changes stage (every part uses it: production, calibration, running update, fix window,
 * blessing, reprocessing). Compare-and-set on the stage inside a transaction with one audit event
 * (`bucket.stage.<to>`) and the merge of the area's progress into Bucket.data (in SQL, see bucket-data.ts); one log
 * line per move ('bucket stage'). Returns false when another instance moved the bucket first — the caller then does
 * nothing, which is what makes ticks safe on several instances — or, with `required`, throws CONFLICT.
 */
import type { Deps } from '../../deps.ts';
import type { Prisma as PrismaTypes } from '../../db/generated/client.ts';
import { bucketLifecycle, type BucketStage } from '../../domain/bucket-stages.ts';
import type { Actor } from '../../domain/roles.ts';
import { recordAudit } from '../audit/record-audit.ts';
import type { Tx } from '../../db/transaction.ts';
import { inTransaction } from '../../db/transaction.ts';
import { conflict } from '../../domain/errors.ts';
import { mergedData, type AreaProgress } from './bucket-data.ts';

export interface BucketRef {
  id: number;
  name: string;
  stage: string;
}

export interface TransitionOptions {
  /** why, in words: becomes the audit summary and the log line */
  reason: string;
  /** top-level keys merged into `Bucket.data` in SQL (failure, failedFrom) */
  data?: Record<string, unknown>;
  /** an area's progress merged into `Bucket.data.<area>` in SQL with the move */
  progress?: AreaProgress;
  /** other columns to set with the move (closedAt, lastRun, …) */
  set?: Omit<PrismaTypes.BucketUpdateManyMutationInput, 'stage' | 'stageChangedAt' | 'data'>;
  details?: Record<string, unknown>;
  /** run inside this transaction (the log line is then written when the move is made, before the caller commits) */
  tx?: Tx;
  /** throw CONFLICT instead of returning false when another instance moved the bucket first (rolls `tx` back) */
  required?: boolean;
}

export async function transitionBucket(deps: Deps, bucket: BucketRef, to: BucketStage, actor: Actor, opts: TransitionOptions): Promise<boolean> {
  bucketLifecycle.assert(bucket.stage, to, bucket.name);
  const from = bucket.stage;
  const now = deps.clock.now();
  const work = async (tx: Tx) => {
    const r = await tx.bucket.updateMany({
      where: { id: bucket.id, stage: from },
      data: { ...(opts.set ?? {}), stage: to, stageChangedAt: now },
    });
    if (r.count === 0) return false;
    if (opts.data || opts.progress) {
      // the row is locked by the move above: the merge sees the latest data and nobody writes in between
      await tx.$executeRaw`UPDATE "Bucket" SET data = ${mergedData(opts.data, opts.progress)} WHERE id = ${bucket.id}`;
    }
    await recordAudit(tx, actor, {
      action: `bucket.stage.${to}`,
      targetType: 'bucket',
      targetId: bucket.name,
      summary: `${bucket.name}: ${from} → ${to}: ${opts.reason}`,
      details: { from, to, reason: opts.reason, ...(opts.details ?? {}) },
      at: now,
    });
    return true;
  };
  const moved = await inTransaction(deps, work, { tx: opts.tx });
  if (!moved) {
    if (opts.required) throw conflict(`bucket ${bucket.name} is no longer ${from}; someone else moved it first`);
    return false;
  }
  bucket.stage = to;
  deps.logger.info('bucket stage', { bucket: bucket.name, from, to, reason: opts.reason, actor: actor.user });
  return true;
}

/** A working stage gives up: `failed`, remembering where from (the manager brings it back with `recoverBucket`). */
export function failBucket(deps: Deps, bucket: BucketRef, actor: Actor, reason: string, details?: Record<string, unknown>): Promise<boolean> {
  return transitionBucket(deps, bucket, 'failed', actor, { reason, data: { failedFrom: bucket.stage, failure: reason }, details });
}
