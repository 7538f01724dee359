/**
 * Submission without duplicates, even across crashes and server instances:
 *
 * 1. claim (`sql/submission.ts`): one `WITH c AS MATERIALIZED (SELECT … LIMIT n FOR UPDATE SKIP LOCKED) UPDATE …`
 *    moves due `created` jobs to `submitted`, counts the attempt and names the executor. Only one instance can claim a
 *    row.
 * 2. `executor.submit(batch)`: one call per batch (job arrays on Slurm), spec key = `<job key>#a<attempt>`, work
 *    directory derived from the key and attempt.
 * 3. record the executor ids, CAS on (state submitted, same attempt).
 *
 * A crash between 1 and 3 leaves `submitted` jobs without an executor id; after `submit_grace_s` they are submitted
 * again with the *same* attempt key and directory (`recoverSubmissions`), which the executor recognises (the local
 * executor keeps the key in the work directory), so the program still starts once. If `submit` throws, the claim is
 * undone and the jobs are due again after a short delay.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Deps } from '../../deps.ts';
import type { JobSpec } from '../../executors/executor.ts';
import { attemptDir, attemptKey, jobDir } from '../../domain/job-paths.ts';
import { coerceError } from '../../domain/errors.ts';
import { emitJobTransitions, type JobTransition } from './job-transition.ts';
import { claimDueJobs, reclaimInterruptedSubmissions, recordSubmissions, undoClaims } from './sql/submission.ts';

interface ClaimedJob {
  id: number;
  step: string;
  key: string;
  attempts: number;
  command: string[];
  inputs: string[];
  outputs: string[];
  memoryMb: number;
  timeLimitS: number;
  priority: number;
}

const SUBMIT_FAILURE_DELAY_MS = 30_000;

export function specFor(deps: Pick<Deps, 'config'>, j: ClaimedJob): JobSpec {
  const dir = attemptDir(deps.config.workDir, j.key, j.attempts);
  return {
    key: attemptKey(j.key, j.attempts),
    command: j.command,
    workDir: dir,
    env: { CALIBLOOP_JOB_ID: String(j.id), CALIBLOOP_JOB_KEY: j.key, CALIBLOOP_ATTEMPT: String(j.attempts) },
    memoryMb: j.memoryMb,
    timeLimitS: j.timeLimitS,
    logPath: join(dir, 'job.log'),
    priority: j.priority,
    inputs: j.inputs,
    outputs: j.outputs,
  };
}

async function prepare(deps: Pick<Deps, 'config'>, j: ClaimedJob, spec: JobSpec): Promise<void> {
  await mkdir(spec.workDir, { recursive: true });
  const list = join(jobDir(deps.config.workDir, j.key), 'inputs.txt');
  if (j.command.some((a) => a.includes(list))) await writeFile(list, j.inputs.join('\n') + '\n');
}

/** Creates the work directories (the executor contract wants them before submission), 64 at a time on the thread pool. */
async function prepareAll(deps: Pick<Deps, 'config'>, claimed: ClaimedJob[], specs: JobSpec[]): Promise<void> {
  for (let i = 0; i < claimed.length; i += 64) {
    await Promise.all(claimed.slice(i, i + 64).map((j, k) => prepare(deps, j, specs[i + k])));
  }
}

/** Hands claimed jobs to the executor and records its ids; undoes the claim if the executor refuses. */
async function handOver(deps: Deps, claimed: ClaimedJob[], recovery: boolean): Promise<number> {
  if (claimed.length === 0) return 0;
  const { prisma, executor, clock, logger } = deps;
  const specs = claimed.map((j) => specFor(deps, j));
  let ids: string[];
  try {
    await prepareAll(deps, claimed, specs);
    ids = await executor.submit(specs);
    if (ids.length !== specs.length) throw new Error(`executor returned ${ids.length} ids for ${specs.length} jobs`);
  } catch (e) {
    const err = coerceError(e);
    logger.error('executor refused a batch; the jobs are due again shortly', { executor: executor.name, jobs: claimed.length, error: err.message });
    if (!recovery) {
      const later = new Date(clock.now().getTime() + SUBMIT_FAILURE_DELAY_MS);
      await undoClaims(prisma, { ids: claimed.map((j) => j.id), notBefore: later, now: clock.now() });
    }
    return 0;
  }
  const now = clock.now();
  const recorded = await recordSubmissions(prisma, {
    now,
    rows: claimed.map((j, i) => ({ id: j.id, attempt: j.attempts, executorJobId: ids[i], workDir: specs[i].workDir, logPath: specs[i].logPath })),
  });
  const ok = new Set(recorded);
  const gone = claimed.map((j, i) => (ok.has(j.id) ? null : ids[i])).filter((x): x is string => x !== null);
  if (gone.length > 0) {
    // aborted by a manager between the claim and now: the executor must not keep it
    await executor.cancel(gone).catch((e) => logger.warn('cancel after abort failed', { error: coerceError(e).message }));
  }
  if (recovery) {
    logger.warn('interrupted submissions handed over again with the same keys', { jobs: claimed.filter((j) => ok.has(j.id)).map((j) => j.id) });
  } else {
    const transitions: JobTransition[] = claimed.flatMap((j, i) =>
      ok.has(j.id) ? [{ jobId: j.id, step: j.step, from: 'created', to: 'submitted' as const, attempt: j.attempts, details: { executorJobId: ids[i] } }] : [],
    );
    emitJobTransitions(deps, transitions);
  }
  return ok.size;
}

function toClaimed(rows: Array<Record<string, unknown>>): ClaimedJob[] {
  return rows.map((r) => ({
    id: Number(r.id),
    step: String(r.step),
    key: String(r.key),
    attempts: Number(r.attempts),
    command: r.command as string[],
    inputs: (r.inputs as string[]) ?? [],
    outputs: (r.outputs as string[]) ?? [],
    memoryMb: Number(r.memoryMb),
    timeLimitS: Number(r.timeLimitS),
    priority: Number(r.priority),
  }));
}

/** Claims and submits due jobs, highest priority first, within the in-flight limit. */
export async function submitDueJobs(deps: Deps): Promise<{ submitted: number }> {
  const { prisma, executor, production, clock } = deps;
  const inFlight = await prisma.job.count({ where: { state: { in: ['submitted', 'running'] }, executor: executor.name } });
  let budget = production.jobs.maxInFlight - inFlight;
  // keep only a short queue inside an executor that queues in memory, so priorities and aborts act in the database
  const cap = executor.capabilities.maxConcurrent;
  if (cap !== undefined) budget = Math.min(budget, cap * 2 - inFlight);
  let submitted = 0;
  while (budget > 0) {
    const n = Math.min(budget, production.jobs.submitBatch);
    const now = clock.now();
    const rows = await claimDueJobs(prisma, { n, now, executor: executor.name });
    if (rows.length === 0) break;
    budget -= rows.length;
    const claimed = toClaimed(rows).sort((a, b) => b.priority - a.priority || a.id - b.id);
    submitted += await handOver(deps, claimed, false);
  }
  return { submitted };
}

/** Submissions interrupted between claim and record (a crash): hand them over again with the same attempt keys. */
export async function recoverSubmissions(deps: Deps): Promise<{ recovered: number }> {
  const { prisma, executor, production, clock } = deps;
  const now = clock.now();
  const cutoff = new Date(now.getTime() - production.jobs.submitGraceS * 1000);
  const rows = await reclaimInterruptedSubmissions(prisma, { cutoff, now, executor: executor.name, limit: production.jobs.submitBatch });
  if (rows.length === 0) return { recovered: 0 };
  return { recovered: await handOver(deps, toClaimed(rows), true) };
}
