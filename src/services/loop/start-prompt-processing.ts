/**
 * Prompt processing of a snapshotted bucket: one mDST job per run × raw-file chunk (the `phase: prompt` step of
 * config/production.yaml) through the job engine, reading conditions from the bucket's snapshot (the `prompt` chain
 * of globaltags/prompt.yaml) through a local database exported from it, so the processing is exactly reproducible.
 * Jobs are created with idempotency keys before the bucket moves to prompt_processing, so an interrupted start is
 * simply repeated by the next tick without duplicates.
 */
import type { Deps } from '../../deps.ts';
import { resolveTagChain } from '../../config/globaltags-schema.ts';
import { coerceError } from '../../domain/errors.ts';
import { SYSTEM_ACTOR } from '../../domain/roles.ts';
import { recordBucketProgress } from '../buckets/bucket-data.ts';
import { transitionBucket } from '../buckets/transition-bucket.ts';
import { loopConfig } from './loop-config.ts';
import { createPhaseJobs } from './jobs-port.ts';
import { inTransaction } from '../../db/transaction.ts';

export interface StartPromptResult {
  started: { bucket: string; jobs: number; tagChain: string[] }[];
  problems: { bucket: string; error: string }[];
}

export async function startPromptProcessing(deps: Deps): Promise<StartPromptResult> {
  const out: StartPromptResult = { started: [], problems: [] };
  const buckets = await deps.prisma.bucket.findMany({ where: { stage: 'snapshotted' }, orderBy: { id: 'asc' } });
  for (const bucket of buckets) {
    try {
      const tagChain = resolveTagChain(loopConfig(deps).globalTags, 'prompt', bucket.name);
      const runs = await deps.prisma.run.findMany({ where: { bucketId: bucket.id }, select: { exp: true, run: true }, orderBy: { run: 'asc' } });
      const jobs = await createPhaseJobs(deps, { phase: 'prompt', bucket, runs, tagChain });
      const now = deps.clock.now();
      await inTransaction(deps, (tx) =>
        transitionBucket(deps, bucket, 'prompt_processing', SYSTEM_ACTOR, { reason: `prompt processing with ${tagChain.join(' > ')}: ${jobs.total} mDST job(s) for ${runs.length} run(s)`, tx, required: true, progress: { area: 'loop', values: { promptTag: tagChain[0], promptLocalDb: jobs.localdb, promptPlannedAt: now.toISOString(), problem: undefined } } }),
      );
      out.started.push({ bucket: bucket.name, jobs: jobs.total, tagChain });
    } catch (e) {
      const err = coerceError(e);
      out.problems.push({ bucket: bucket.name, error: err.message });
      deps.logger.warn('prompt processing not started', { bucket: bucket.name, error: err.message });
      await recordBucketProgress(deps.prisma, bucket, { area: 'loop', values: { problem: `prompt processing: ${err.message}` } }).catch(() => {});
    }
  }
  return out;
}
