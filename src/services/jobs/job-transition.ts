/**
 * The one place job states change. Every move is compare-and-set on (id, state, attempts): `updateMany` with the
 * expected state and attempt, 0 rows = another instance (or a manager's bulk operation) moved it first, and the
 * caller drops its result. Moves inside a transaction are logged only after the transaction committed
 * (`emitJobTransitions`), so the log never shows a move that was rolled back.
 */
import type { Deps } from '../../deps.ts';
import type { Prisma as PrismaTypes } from '../../db/generated/client.ts';
import { jobLifecycle, type JobState } from '../../domain/job-states.ts';
import type { Db } from '../../db/transaction.ts';

export interface JobRef {
  id: number;
  state: string;
  attempts: number;
  step: string;
}

export interface JobTransition {
  jobId: number;
  step: string;
  from: string;
  to: JobState;
  attempt: number;
  why?: string;
  details?: Record<string, unknown>;
}

/** CAS move of one job. Returns the transition to emit, or null when someone else moved the job first. */
export async function moveJob(
  db: Db,
  job: JobRef,
  to: JobState,
  data: PrismaTypes.JobUpdateManyMutationInput = {},
  note: { why?: string; details?: Record<string, unknown> } = {},
): Promise<JobTransition | null> {
  jobLifecycle.assert(job.state, to, job.id);
  const r = await db.job.updateMany({ where: { id: job.id, state: job.state, attempts: job.attempts }, data: { ...data, state: to } });
  if (r.count === 0) return null;
  return { jobId: job.id, step: job.step, from: job.state, to, attempt: job.attempts, ...note };
}

/** One structured log line and one metric per transition. */
export function emitJobTransitions(deps: Pick<Deps, 'logger' | 'metrics'>, transitions: ReadonlyArray<JobTransition | null>): void {
  for (const t of transitions) {
    if (!t) continue;
    deps.logger.info('job state', { jobId: t.jobId, step: t.step, from: t.from, to: t.to, attempt: t.attempt, ...(t.why ? { why: t.why } : {}), ...(t.details ?? {}) });
    deps.metrics.jobTransitions.inc({ step: t.step, state: t.to });
  }
}

/** For set-based moves of many jobs (bulk operations): one summary line, metrics per step. */
export function emitBulkTransition(
  deps: Pick<Deps, 'logger' | 'metrics'>,
  what: { operation: string; to: JobState; actor: string; filter: unknown; moved: Array<{ step: string; from: string; n?: number }> },
): void {
  const byFrom: Record<string, number> = {};
  let count = 0;
  for (const m of what.moved) {
    const n = m.n ?? 1; // a group of n rows moved alike, or one row
    count += n;
    byFrom[m.from] = (byFrom[m.from] ?? 0) + n;
    deps.metrics.jobTransitions.inc({ step: m.step, state: what.to }, n);
  }
  deps.logger.info('job state (bulk)', { operation: what.operation, to: what.to, count, from: byFrom, actor: what.actor, filter: what.filter });
}
