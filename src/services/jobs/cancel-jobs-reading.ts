/**
 * A job proved a raw file corrupt: the jobs that would read it and have not started (created, or submitted and still
 * queued) are cancelled with that reason instead of each failing on the same file (39 wasted jobs in the bucket-7
 * replay). Runs inside the failing job's outcome transaction, so the flag and the cancels commit together; the
 * executor is asked to drop the queued ones afterwards (a job the executor already started is killed, which is what
 * would have happened to it anyway on this file).
 */
import type { Deps } from '../../deps.ts';
import { coerceError } from '../../domain/errors.ts';
import type { Db } from '../../db/transaction.ts';
import { Prisma } from '../../db/generated/client.ts';
import { emitBulkTransition } from './job-transition.ts';
import { cancelledReaderMessage } from '../../domain/input-blame.ts';

export interface CancelledSiblings {
  moved: Array<{ id: number; step: string; old: string; executorJobId: string | null; executor: string | null }>;
}

export async function cancelJobsReading(db: Db, f: { jobId: number; bucketId: number | null; step: string; files: readonly string[]; at: Date }): Promise<CancelledSiblings> {
  if (f.files.length === 0) return { moved: [] };
  // a raw file is one run's, and every job of a run carries its bucket: the bucket's waiting jobs (Job_pending_idx),
  // not every waiting job there is
  const inBucket = f.bucketId === null ? Prisma.empty : Prisma.sql`AND "bucketId" = ${f.bucketId}`;
  const reason = cancelledReaderMessage(f.files, f.step, f.jobId);
  const moved = await db.$queryRaw<CancelledSiblings['moved']>`
    UPDATE "Job" j SET state = 'cancelled', "errorClass" = 'input', "errorMessage" = ${reason}, "finishedAt" = ${f.at}::timestamp(3),
      "notBefore" = NULL, "updatedAt" = ${f.at}::timestamp(3)
    FROM (SELECT id, state AS old FROM "Job"
          WHERE state IN ('created', 'submitted') AND "startedAt" IS NULL AND id <> ${f.jobId}
            ${inBucket}
            AND inputs ?| ${[...f.files]}::text[]
          FOR UPDATE) o
    WHERE j.id = o.id AND j.state = o.old
    RETURNING j.id, j.step, o.old, j."executorJobId", j.executor`;
  return { moved };
}

/** After the transaction: metrics and log, and the executor drops the queued ones. */
export async function settleCancelledSiblings(deps: Deps, c: CancelledSiblings, cause: { jobId: number }): Promise<void> {
  if (c.moved.length === 0) return;
  emitBulkTransition(deps, { operation: 'cancel-readers-of-corrupt-input', to: 'cancelled', actor: 'system', filter: { flaggedBy: cause.jobId }, moved: c.moved.map((m) => ({ step: m.step, from: m.old })) });
  const atExecutor = c.moved.filter((m) => m.old === 'submitted' && m.executorJobId && m.executor === deps.executor.name).map((m) => m.executorJobId!);
  if (atExecutor.length > 0) {
    await deps.executor.cancel(atExecutor).catch((e) => deps.logger.warn('executor cancel failed (jobs are cancelled in calibloop)', { error: coerceError(e).message }));
  }
}
