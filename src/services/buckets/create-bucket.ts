/**
 * The data-production manager opens a bucket by hand (`bucket create`): a run range of one experiment that must not
 * overlap another bucket. With `lastRun` it is closed at once (through the stage table, so both moves are audited).
 * Unassigned runs inside the range join it.
 */
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { bucketName } from '../../domain/bucket-stages.ts';
import { conflict, invalid } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { transitionBucket } from './transition-bucket.ts';
import { inTransaction } from '../../db/transaction.ts';

export const CreateBucketSchema = z.strictObject({
  exp: z.number().int().min(0).max(9999),
  firstRun: z.number().int().min(0),
  lastRun: z.number().int().min(0).optional().describe('close the bucket at once with this last run'),
  reason: z.string().max(500).optional(),
});
export type CreateBucketInput = z.infer<typeof CreateBucketSchema>;

export async function createBucket(deps: Deps, actor: Actor, input: CreateBucketInput) {
  const { prisma, clock } = deps;
  if (input.lastRun !== undefined && input.lastRun < input.firstRun) throw invalid('lastRun is before firstRun', [{ path: 'body.lastRun', message: 'before firstRun' }]);
  const existing = await prisma.bucket.findMany({ where: { exp: input.exp } });
  const hi = input.lastRun ?? Number.MAX_SAFE_INTEGER;
  for (const b of existing) {
    const bHi = b.lastRun ?? Number.MAX_SAFE_INTEGER;
    if (input.firstRun <= bHi && b.firstRun <= hi) {
      throw conflict(`runs ${input.firstRun}-${input.lastRun ?? '…'} overlap ${b.name} (${b.firstRun}-${b.lastRun ?? 'open'}, ${b.stage})`, { bucket: b.name });
    }
  }
  if (input.lastRun === undefined && existing.some((b) => b.stage === 'open')) {
    throw conflict(`experiment ${input.exp} already has an open bucket; close it first`);
  }
  const seq = Math.max(0, ...existing.map((b) => b.seq)) + 1;
  const name = bucketName(input.exp, seq);
  const now = clock.now();
  const bucket = await inTransaction(deps, async (tx) => {
    // with its last run when it has one: the database allows one open-ended open bucket per experiment, and this one
    // is closed right below
    const b = await tx.bucket.create({ data: { name, exp: input.exp, seq, firstRun: input.firstRun, lastRun: input.lastRun ?? null, stage: 'open', openedAt: now, stageChangedAt: now } });
    await tx.run.updateMany({ where: { exp: input.exp, bucketId: null, run: { gte: input.firstRun, ...(input.lastRun !== undefined ? { lte: input.lastRun } : {}) } }, data: { bucketId: b.id } });
    await recordAudit(tx, actor, { action: 'bucket.create', targetType: 'bucket', targetId: name, summary: `${name} created for runs ${input.firstRun}-${input.lastRun ?? '…'}${input.reason ? `: ${input.reason}` : ''}`, details: input, at: now });
    return b;
  });
  deps.logger.info('bucket stage', { bucket: name, from: null, to: 'open', reason: 'created by the data-production manager', actor: actor.user });
  if (input.lastRun !== undefined) {
    await transitionBucket(deps, bucket, 'closed', actor, {
      reason: `manual: created with last run ${input.lastRun}`,
      set: { lastRun: input.lastRun, closedAt: now, closedBy: actor.user, closeReason: 'manual' },
    });
  }
  return { name, exp: bucket.exp, firstRun: bucket.firstRun, lastRun: input.lastRun ?? null, stage: bucket.stage };
}
