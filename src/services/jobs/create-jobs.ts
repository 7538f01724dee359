/**
 * Registers jobs in bulk: `INSERT … SELECT FROM json_to_recordset(…) ON CONFLICT ("idempotencyKey") DO NOTHING`, a few
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

export interface CreateJobsResult {
  requested: number;
  /** rows actually inserted (keys already present are skipped) */
  created: number;
}

function validate(j: NewJob): void {
  if (!j.idempotencyKey || j.idempotencyKey.length > 512) throw invalid(`job key must be 1-512 characters: ${j.idempotencyKey}`);
  if (!j.step) throw invalid(`job ${j.idempotencyKey} has no step`);
  if (!Array.isArray(j.command) || j.command.length === 0) throw invalid(`job ${j.idempotencyKey} has no command`);
}

export async function createJobs(deps: Pick<Deps, 'prisma' | 'clock' | 'logger'> & Partial<Pick<Deps, 'db'>>, jobs: readonly NewJob[]): Promise<CreateJobsResult> {
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

/** One row of the batch document, in short keys (the document is the statement's only parameter besides the time). */
function row(j: NewJob) {
  return {
    b: j.bucketId ?? null,
    s: j.step,
    v: j.variant ?? '',
    e: j.exp ?? null,
    r: j.run ?? null,
    c: j.chunk ?? 0,
    k: j.idempotencyKey,
    p: j.priority ?? 0,
    a: j.maxAttempts ?? 3,
    cmd: j.command,
    i: j.inputs ?? [],
    o: j.outputs ?? [],
    m: j.memoryMb ?? 1024,
    t: j.timeLimitS ?? 3600,
    tc: j.tagChain ?? [],
    cp: j.campaignId ?? null,
    cr: j.calibrationRunId ?? null,
    nb: j.notBefore ?? null,
  };
}

/** The batch document of `insertJobsSql` ($1). */
export function batchDocument(batch: readonly NewJob[]): string {
  return JSON.stringify(batch.map(row));
}

/**
 * The registration statement ($1 the batch document, $2 the time). The batch travels as one JSON document read by
 * `json_to_recordset`: one JSON.stringify on our side instead of eighteen array literals (a third of the client CPU),
 * and the jsonb columns arrive already structured. `table` exists for the benchmark's ceiling (bench/jobs.ts), which
 * runs this very statement with the bare driver.
 */
export function insertJobsSql(table = '"Job"'): string {
  return `INSERT INTO ${table} ("bucketId", "step", "variant", "exp", "run", "chunk", "idempotencyKey", "state", "priority",
      "maxAttempts", "command", "inputs", "outputs", "memoryMb", "timeLimitS", "tagChain", "campaignId",
      "calibrationRunId", "notBefore", "createdAt", "updatedAt")
    SELECT u.b, u.s, u.v, u.e, u.r, u.c, u.k, 'created', u.p, u.a, u.cmd, u.i, u.o, u.m, u.t, u.tc, u.cp, u.cr, u.nb,
      $2::timestamp(3), $2::timestamp(3)
    FROM json_to_recordset($1::json) AS u(b int, s text, v text, e int, r int, c int,
      k text, p int, a int, cmd jsonb, i jsonb, o jsonb, m int, t int, tc text[], cp int, cr int, nb timestamp(3))
    ON CONFLICT ("idempotencyKey") DO NOTHING`;
}

const INSERT_JOBS = insertJobsSql();

/**
 * On PostgreSQL the batch goes through the bare pool (`executeBulk`): the statement is one self-contained autocommit
 * statement, never part of a caller's transaction (createJobs takes no transaction), so bypassing Prisma loses nothing.
 * The time travels as ISO text: `::timestamp(3)` reads it as the UTC wall time Prisma stores, whatever the process TZ.
 */
async function insertBatch(deps: Pick<Deps, 'prisma'> & Partial<Pick<Deps, 'db'>>, batch: NewJob[], now: Date): Promise<number> {
  const doc = batchDocument(batch);
  if (deps.db?.executeBulk) return deps.db.executeBulk(INSERT_JOBS, [doc, now.toISOString()]);
  return deps.prisma.$executeRawUnsafe(INSERT_JOBS, doc, now);
}
