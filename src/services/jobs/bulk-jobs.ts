/**
 * Bulk operations of the data-production manager, each one set-based statement whatever the number of jobs (ATLAS:
 * "bulk abort of 1000s of tasks got stuck"): abort, resubmit, change priority, selected by bucket, step, run range,
 * state or error class. Each is compare-and-set per row (`WHERE state = <the state it was read in>`), writes one audit
 * event and one summary log line.
 */
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { Prisma } from '../../db/generated/client.ts';
import { mayMoveTo } from './sql/state-guard.ts';
import type { Actor } from '../../domain/roles.ts';
import { coerceError } from '../../domain/errors.ts';
import { ABORTABLE_JOB_STATES, RESUBMITTABLE_JOB_STATES, type JobState } from '../../domain/job-states.ts';
import { auditInsertSql, recordAudit } from '../audit/record-audit.ts';
import { transitionBucket } from '../buckets/transition-bucket.ts';
import { assertNarrowed, jobFilterSql, JobFilterSchema, type JobFilter } from './job-filter.ts';
import { emitBulkTransition } from './job-transition.ts';
import { inTransaction, retryingConflicts } from '../../db/transaction.ts';

export const BulkAbortSchema = z.strictObject({ filter: JobFilterSchema, reason: z.string().max(500).optional() });
export const BulkResubmitSchema = z.strictObject({
  filter: JobFilterSchema,
  extraAttempts: z.number().int().min(1).max(20).default(1).describe('attempts granted on top of those made'),
  memoryMb: z.number().int().min(64).max(1_048_576).optional().describe('new memory request (held out-of-memory jobs)'),
  priority: z.number().int().min(-1000).max(1000).optional(),
  includeInputErrors: z.boolean().default(false).describe('also resubmit jobs that failed on corrupt input (after the file was replaced)'),
  reason: z.string().max(500).optional(),
});
export const BulkPrioritySchema = z.strictObject({ filter: JobFilterSchema, priority: z.number().int().min(-1000).max(1000), reason: z.string().max(500).optional() });

export interface BulkResult {
  operation: string;
  matched: number;
  changed: number;
  byState: Record<string, number>;
}

const sumOf = (groups: Array<{ n: number }>) => groups.reduce((a, g) => a + g.n, 0);

/** Moved jobs by their old state; a row stands for `n` jobs when it is a group (bulk abort), else for one. */
function countBy(rows: Array<{ old: string; n?: number }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[r.old] = (out[r.old] ?? 0) + (r.n ?? 1);
  return out;
}

/**
 * One statement moves every selected job to cancelled and writes the audit event, atomically: a statement is a
 * transaction by itself, so there is no BEGIN/COMMIT round trip and no separate audit write (together about 4 ms of
 * the ~110 ms of 10,000 jobs in `npm run bench -- jobs`). No row lock is taken first: `j.state = o.old` is the
 * compare-and-set (a job that moved meanwhile is re-checked by PostgreSQL and left alone), and locking 10,000 rows
 * before updating them writes each row twice. The rows are joined again by id, not by ctid (which would save a
 * primary-key lookup per row, about 4 ms of 10,000): a row another transaction updated meanwhile is followed to its
 * newest version and re-checked, and a ctid join would skip it even when only its heartbeat moved, leaving a running
 * job running. The executor is asked to cancel the submitted and running ones after the commit.
 */
export async function bulkAbort(deps: Deps, actor: Actor, input: { filter: JobFilter; reason?: string }): Promise<BulkResult> {
  assertNarrowed(input.filter);
  const where = await jobFilterSql(deps, input.filter);
  const now = deps.clock.now();
  const reason = input.reason ? `: ${input.reason}` : '';
  const audit = auditInsertSql(actor, {
    action: 'job.abort',
    targetType: 'jobs',
    targetId: input.filter.bucket ?? input.filter.step?.join(',') ?? 'selection',
    summary: Prisma.sql`'aborted ' || (SELECT coalesce(sum(n), 0) FROM g) || ${` job(s)${reason}`}`,
    details: Prisma.sql`jsonb_build_object('filter', ${JSON.stringify(input.filter)}::jsonb,
      'byState', (SELECT coalesce(jsonb_object_agg(old, n), '{}'::jsonb) FROM (SELECT old, sum(n)::int AS n FROM g GROUP BY old) s))`,
    at: now,
  });
  // the moved rows come back grouped by (step, old state), with only the executor ids to cancel: 10,000 single rows
  // through the driver cost more than the UPDATE itself
  const groups = await retryingConflicts(deps, () => deps.prisma.$queryRaw<Array<{ step: string; old: string; n: number; atExecutor: string[] }>>`
    WITH o AS MATERIALIZED (SELECT id, state AS old FROM "Job" WHERE ${where} AND ${mayMoveTo('cancelled', { among: ABORTABLE_JOB_STATES })}),
    m AS (
      UPDATE "Job" j SET state = 'cancelled', "finishedAt" = ${now}::timestamp(3), "notBefore" = NULL, "updatedAt" = ${now}::timestamp(3),
        "errorMessage" = ${`aborted by ${actor.user}${reason}`}
      FROM o
      WHERE j.id = o.id AND j.state = o.old
      RETURNING j.step, o.old, j."executorJobId", j.executor),
    g AS (
      SELECT step, old, count(*)::int AS n,
        coalesce(array_agg("executorJobId") FILTER (WHERE old IN ('submitted', 'running') AND "executorJobId" IS NOT NULL
          AND executor = ${deps.executor.name}), '{}') AS "atExecutor"
      FROM m GROUP BY step, old),
    a AS (${audit})
    SELECT step, old, n, "atExecutor" FROM g`);
  const changed = sumOf(groups);
  emitBulkTransition(deps, { operation: 'abort', to: 'cancelled', actor: actor.user, filter: input.filter, moved: groups.map((g) => ({ step: g.step, from: g.old, n: g.n })) });
  const atExecutor = groups.flatMap((g) => g.atExecutor);
  for (let i = 0; i < atExecutor.length; i += 1000) {
    await deps.executor.cancel(atExecutor.slice(i, i + 1000)).catch((e) => deps.logger.warn('executor cancel failed (jobs are cancelled in calibloop)', { error: coerceError(e).message }));
  }
  return { operation: 'abort', matched: changed, changed, byState: countBy(groups) };
}

export async function bulkResubmit(deps: Deps, actor: Actor, input: z.infer<typeof BulkResubmitSchema>): Promise<BulkResult> {
  assertNarrowed(input.filter);
  const where = await jobFilterSql(deps, input.filter);
  const states = (input.filter.state ?? ['failed']).filter((s) => (RESUBMITTABLE_JOB_STATES as string[]).includes(s));
  const inputOk = input.includeInputErrors ? Prisma.sql`TRUE` : Prisma.sql`"errorClass" IS DISTINCT FROM 'input'`;
  const now = deps.clock.now();
  const rows = await inTransaction(deps, async (tx) => {
    const moved = await tx.$queryRaw<Array<{ id: number; step: string; old: string; bucketId: number | null }>>`
      WITH o AS MATERIALIZED (SELECT id, state AS old FROM "Job" WHERE ${where} AND ${mayMoveTo('created', { among: states as JobState[] })} AND ${inputOk} FOR UPDATE)
      UPDATE "Job" j SET state = 'created', "notBefore" = NULL, "maxAttempts" = j.attempts + ${input.extraAttempts},
        "memoryMb" = COALESCE(${input.memoryMb ?? null}::int, j."memoryMb"), priority = COALESCE(${input.priority ?? null}::int, j.priority),
        "finishedAt" = NULL, "updatedAt" = ${now}::timestamp(3)
      FROM o
      WHERE j.id = o.id AND j.state = o.old
      RETURNING j.id, j.step, o.old, j."bucketId"`;
    await recordAudit(tx, actor, {
      action: 'job.resubmit',
      targetType: 'jobs',
      targetId: input.filter.bucket ?? input.filter.step?.join(',') ?? 'selection',
      summary: `resubmitted ${moved.length} job(s) with ${input.extraAttempts} more attempt(s)${input.memoryMb ? ` and ${input.memoryMb} MiB` : ''}${input.reason ? `: ${input.reason}` : ''}`,
      details: { filter: input.filter, byState: countBy(moved), extraAttempts: input.extraAttempts, memoryMb: input.memoryMb ?? null },
      at: now,
    });
    return moved;
  }, { timeoutMs: 120_000 });
  emitBulkTransition(deps, { operation: 'resubmit', to: 'created', actor: actor.user, filter: input.filter, moved: rows.map((r) => ({ step: r.step, from: r.old })) });
  // a produced bucket whose production jobs run again is producing again
  const productionSteps = new Set(deps.production.steps.filter((s) => s.phase === 'production').map((s) => s.name));
  const bucketIds = [...new Set(rows.filter((r) => r.bucketId !== null && productionSteps.has(r.step)).map((r) => r.bucketId!))];
  for (const b of await deps.prisma.bucket.findMany({ where: { id: { in: bucketIds }, stage: 'produced' } })) {
    await transitionBucket(deps, b, 'producing', actor, { reason: `production jobs resubmitted by ${actor.user}` });
  }
  return { operation: 'resubmit', matched: rows.length, changed: rows.length, byState: countBy(rows) };
}

export async function bulkPriority(deps: Deps, actor: Actor, input: z.infer<typeof BulkPrioritySchema>): Promise<BulkResult & { alreadySubmitted: number }> {
  assertNarrowed(input.filter);
  const where = await jobFilterSql(deps, input.filter);
  const now = deps.clock.now();
  const { rows, alreadySubmitted } = await inTransaction(deps, async (tx) => {
    const moved = await tx.$queryRaw<Array<{ id: number; old: string }>>`
      WITH o AS MATERIALIZED (SELECT id, state AS old FROM "Job" WHERE ${where} AND state IN ('created', 'held') FOR UPDATE)
      UPDATE "Job" j SET priority = ${input.priority}, "updatedAt" = ${now}::timestamp(3)
      FROM o
      WHERE j.id = o.id AND j.state = o.old
      RETURNING j.id, o.old`;
    const [{ n }] = await tx.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM "Job" WHERE ${where} AND state IN ('submitted', 'running')`;
    await recordAudit(tx, actor, {
      action: 'job.priority',
      targetType: 'jobs',
      targetId: input.filter.bucket ?? input.filter.step?.join(',') ?? 'selection',
      summary: `priority ${input.priority} for ${moved.length} waiting job(s)${input.reason ? `: ${input.reason}` : ''}`,
      details: { filter: input.filter, priority: input.priority, alreadySubmitted: n },
      at: now,
    });
    return { rows: moved, alreadySubmitted: n };
  });
  deps.logger.info('job priority (bulk)', { actor: actor.user, priority: input.priority, count: rows.length, filter: input.filter });
  return { operation: 'priority', matched: rows.length + alreadySubmitted, changed: rows.length, byState: countBy(rows), alreadySubmitted };
}
