/**
 * The one place a bucket changes stage (every part uses it: production, calibration, running update, fix window,
 * blessing, reprocessing). Compare-and-set on the stage inside a transaction with the audit event; the log line is
 * written after the commit. Returns false when another instance moved the bucket first — the caller then does
 * nothing, which is what makes ticks safe on several instances.
 */
import type { Deps } from '../../deps.ts';
import type { Prisma as PrismaTypes } from '../../db/generated/client.ts';
import { bucketLifecycle, type BucketStage } from '../../domain/bucket-stages.ts';
import type { Actor } from '../../domain/roles.ts';
import { recordAudit } from '../audit/record-audit.ts';
import type { Tx } from '../../db/transaction.ts';
import { inTransaction } from '../../db/transaction.ts';

export interface BucketRef {
  id: number;
  name: string;
  stage: string;
}

export interface TransitionOptions {
  /** why, in words: becomes the audit summary and the log line */
  reason: string;
  /** merged into `bucket.data` (small scratch state of the stage machine) */
  data?: Record<string, unknown>;
  /** other columns to set with the move (closedAt, lastRun, …) */
  set?: Omit<PrismaTypes.BucketUpdateManyMutationInput, 'stage' | 'stageChangedAt' | 'data'>;
  details?: Record<string, unknown>;
  /** run inside this transaction (the caller then emits nothing itself; the log line is written when it returns) */
  tx?: Tx;
}

export async function transitionBucket(deps: Deps, bucket: BucketRef, to: BucketStage, actor: Actor, opts: TransitionOptions): Promise<boolean> {
  bucketLifecycle.assert(bucket.stage, to, bucket.name);
  const from = bucket.stage;
  const now = deps.clock.now();
  const work = async (tx: Tx) => {
    let data: PrismaTypes.InputJsonValue | undefined;
    if (opts.data) {
      const cur = await tx.bucket.findUnique({ where: { id: bucket.id }, select: { data: true } });
      data = { ...((cur?.data as Record<string, unknown>) ?? {}), ...opts.data } as PrismaTypes.InputJsonValue;
    }
    const r = await tx.bucket.updateMany({
      where: { id: bucket.id, stage: from },
      data: { ...(opts.set ?? {}), stage: to, stageChangedAt: now, ...(data !== undefined ? { data } : {}) },
    });
    if (r.count === 0) return false;
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
  if (moved) {
    bucket.stage = to;
    deps.logger.info('bucket stage', { bucket: bucket.name, from, to, reason: opts.reason, actor: actor.user });
  }
  return moved;
}

/** A working stage gives up: `failed`, remembering where from (the manager brings it back with `recoverBucket`). */
export function failBucket(deps: Deps, bucket: BucketRef, actor: Actor, reason: string, details?: Record<string, unknown>): Promise<boolean> {
  return transitionBucket(deps, bucket, 'failed', actor, { reason, data: { failedFrom: bucket.stage, failure: reason }, details });
}
