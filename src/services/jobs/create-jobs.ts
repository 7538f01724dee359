/**
 * Registers jobs in bulk: `INSERT … SELECT FROM unnest(…) ON CONFLICT ("idempotencyKey") DO NOTHING`, a few
 * thousand rows per statement. Repeated ticks, restarts and two server instances planning the same work all end with
 * one row per key (sPHENIX's 1,135 duplicate submissions came from a lagging read replica answering "not yet there").
 *
 * This is the entry point for every part that runs jobs (production steps, calibration, prompt mDST, reprocessing):
 * build `NewJob`s with your own `step` and keys, call `createJobs`, then watch states with `job-queries.ts`.
 */
import type { Deps } from '../../deps.ts';
import { invalid } from '../../domain/errors.ts';
import type { NewJob } from '../../domain/new-job.ts';

export const CREATE_BATCH = 5000;
const SEP = String.fromCharCode(31);

export interface CreateJobsResult {
  requested: number;
  /** rows actually inserted (keys already present are skipped) */
  created: number;
}

function validate(j: NewJob): void {
  if (!j.idempotencyKey || j.idempotencyKey.length > 512) throw invalid(`job key must be 1-512 characters: ${j.idempotencyKey}`);
  if (!j.step) throw invalid(`job ${j.idempotencyKey} has no step`);
  if (!Array.isArray(j.command) || j.command.length === 0) throw invalid(`job ${j.idempotencyKey} has no command`);
  if ((j.tagChain ?? []).some((t) => t.includes(SEP))) throw invalid(`job ${j.idempotencyKey}: tag names may not contain control characters`);
}

export async function createJobs(deps: Pick<Deps, 'prisma' | 'clock' | 'logger'>, jobs: readonly NewJob[]): Promise<CreateJobsResult> {
  jobs.forEach(validate);
  // one row per key within the call, so two concurrent batches never wait on each other's keys
  const seen = new Set<string>();
  const unique = jobs.filter((j) => !seen.has(j.idempotencyKey) && seen.add(j.idempotencyKey));
  const now = deps.clock.now();
  const batches: NewJob[][] = [];
  for (let i = 0; i < unique.length; i += CREATE_BATCH) batches.push(unique.slice(i, i + CREATE_BATCH));
  let created = 0;
  let next = 0;
  // two statements in flight: the database works on one batch while the next is serialised
  const worker = async () => {
    for (let b = next++; b < batches.length; b = next++) {
      const n = await insertBatch(deps, batches[b], now); // not `created += await …`: that reads `created` before the await
      created += n;
    }
  };
  await Promise.all([worker(), worker()]);
  if (created > 0) deps.logger.info('jobs created', { requested: jobs.length, created, steps: [...new Set(jobs.map((j) => j.step))] });
  return { requested: jobs.length, created };
}

async function insertBatch(deps: Pick<Deps, 'prisma'>, batch: NewJob[], now: Date): Promise<number> {
  const col = <T>(f: (j: NewJob) => T) => batch.map(f);
  return deps.prisma.$executeRaw`
    INSERT INTO "Job" ("bucketId", "step", "variant", "exp", "run", "chunk", "idempotencyKey", "state", "priority",
      "maxAttempts", "command", "inputs", "outputs", "memoryMb", "timeLimitS", "tagChain", "campaignId",
      "calibrationRunId", "notBefore", "createdAt", "updatedAt")
    SELECT u.bucket, u.step, u.variant, u.exp, u.run, u.chunk, u.key, 'created', u.priority, u.max_attempts,
      u.command::jsonb, u.inputs::jsonb, u.outputs::jsonb, u.memory, u.time_limit,
      CASE WHEN u.chain = '' THEN ARRAY[]::text[] ELSE string_to_array(u.chain, ${SEP}) END,
      u.campaign, u.calibration_run, u.not_before, ${now}::timestamp(3), ${now}::timestamp(3)
    FROM unnest(
      ${col((j) => j.bucketId ?? null)}::int[],
      ${col((j) => j.step)}::text[],
      ${col((j) => j.variant ?? '')}::text[],
      ${col((j) => j.exp ?? null)}::int[],
      ${col((j) => j.run ?? null)}::int[],
      ${col((j) => j.chunk ?? 0)}::int[],
      ${col((j) => j.idempotencyKey)}::text[],
      ${col((j) => j.priority ?? 0)}::int[],
      ${col((j) => j.maxAttempts ?? 3)}::int[],
      ${col((j) => JSON.stringify(j.command))}::text[],
      ${col((j) => JSON.stringify(j.inputs ?? []))}::text[],
      ${col((j) => JSON.stringify(j.outputs ?? []))}::text[],
      ${col((j) => j.memoryMb ?? 1024)}::int[],
      ${col((j) => j.timeLimitS ?? 3600)}::int[],
      ${col((j) => (j.tagChain ?? []).join(SEP))}::text[],
      ${col((j) => j.campaignId ?? null)}::int[],
      ${col((j) => j.calibrationRunId ?? null)}::int[],
      ${col((j) => j.notBefore ?? null)}::timestamp(3)[]
    ) AS u(bucket, step, variant, exp, run, chunk, key, priority, max_attempts, command, inputs, outputs, memory,
           time_limit, chain, campaign, calibration_run, not_before)
    ON CONFLICT ("idempotencyKey") DO NOTHING`;
}
