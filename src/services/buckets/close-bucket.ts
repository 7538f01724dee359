/**
 * The data-production manager closes an open bucket (`bucket close`), optionally at a given last run: runs above it
 * leave the bucket and go to the next one. Compare-and-set like every stage move: closing a bucket the policy closed a
 * moment ago is a CONFLICT, never a second close.
 */
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { conflict, invalid } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { transitionBucket } from './transition-bucket.ts';
import { inTransaction } from '../../db/transaction.ts';
import { findBucket } from './bucket-data.ts';

export const CloseBucketSchema = z.strictObject({
  lastRun: z.number().int().min(0).optional().describe('last run of the bucket (default: its highest run)'),
  reason: z.string().max(500).optional(),
});
export type CloseBucketInput = z.infer<typeof CloseBucketSchema>;

export async function closeBucket(deps: Deps, actor: Actor, name: string, input: CloseBucketInput) {
  const { prisma, clock } = deps;
  const b = await findBucket(prisma, name);
  if (b.stage !== 'open') throw conflict(`bucket ${name} is ${b.stage}, not open`);
  const maxRun = (await prisma.run.aggregate({ where: { bucketId: b.id }, _max: { run: true } }))._max.run;
  const lastRun = input.lastRun ?? maxRun;
  if (lastRun === null || lastRun === undefined) throw invalid(`bucket ${name} has no runs; give lastRun to close it`);
  if (lastRun < b.firstRun) throw invalid(`lastRun ${lastRun} is before the bucket's first run ${b.firstRun}`, [{ path: 'body.lastRun', message: 'before firstRun' }]);
  const moved = await inTransaction(deps, async (tx) => {
    const ok = await transitionBucket(deps, b, 'closed', actor, {
      tx,
      reason: `manual${input.reason ? `: ${input.reason}` : ''}`,
      set: { lastRun, closedAt: clock.now(), closedBy: actor.user, closeReason: 'manual' },
      details: { lastRun },
    });
    if (ok) await tx.run.updateMany({ where: { bucketId: b.id, run: { gt: lastRun } }, data: { bucketId: null } });
    return ok;
  });
  if (!moved) throw conflict(`bucket ${name} changed stage meanwhile`);
  return { name, stage: 'closed', lastRun };
}
