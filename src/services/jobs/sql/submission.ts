/**
 * The job engine's submission statements (see submit-jobs.ts for the protocol: claim → executor.submit → record).
 * Every state move is guarded by `mayMoveTo`, built from the job stage table.
 */
import type { Prisma as Db } from '../../../db/database.ts';
import { mayMoveTo } from './state-guard.ts';

/** Columns every claim returns (the job engine's `ClaimedJob`). */
type ClaimedRow = Record<string, unknown>;

/**
 * Claims up to `n` due `created` jobs for `executor` (→ submitted, attempts + 1), highest priority first. MATERIALIZED
 * matters: as a plain subquery PostgreSQL may re-run the `LIMIT … SKIP LOCKED` scan per joined row and claim far more.
 */
export function claimDueJobs(prisma: Db, a: { n: number; now: Date; executor: string }): Promise<ClaimedRow[]> {
  return prisma.$queryRaw<ClaimedRow[]>`
    WITH c AS MATERIALIZED (
      SELECT id FROM "Job" WHERE ${mayMoveTo('submitted', { among: ['created'] })} AND ("notBefore" IS NULL OR "notBefore" <= ${a.now}::timestamp(3))
      ORDER BY priority DESC, id LIMIT ${a.n} FOR UPDATE SKIP LOCKED)
    UPDATE "Job" j SET state = 'submitted', attempts = j.attempts + 1, "submittedAt" = ${a.now}::timestamp(3),
      executor = ${a.executor}, "executorJobId" = NULL, "startedAt" = NULL, "finishedAt" = NULL, "heartbeatAt" = NULL,
      "exitCode" = NULL, "endReason" = NULL, "updatedAt" = ${a.now}::timestamp(3)
    FROM c
    WHERE j.id = c.id AND ${mayMoveTo('submitted', { among: ['created'], alias: 'j' })}
    RETURNING j.id, j.step, j."idempotencyKey" AS key, j.attempts, j.command, j.inputs, j.outputs, j."memoryMb", j."timeLimitS", j.priority`;
}

/** Submitted jobs without an executor id older than `cutoff` (a crash between claim and record): take them again. */
export function reclaimInterruptedSubmissions(prisma: Db, a: { cutoff: Date; now: Date; executor: string; limit: number }): Promise<ClaimedRow[]> {
  return prisma.$queryRaw<ClaimedRow[]>`
    WITH c AS MATERIALIZED (
      SELECT id FROM "Job" WHERE state = 'submitted' AND "executorJobId" IS NULL AND executor = ${a.executor}
        AND "submittedAt" < ${a.cutoff}::timestamp(3)
      ORDER BY id LIMIT ${a.limit} FOR UPDATE SKIP LOCKED)
    UPDATE "Job" j SET "submittedAt" = ${a.now}::timestamp(3), "updatedAt" = ${a.now}::timestamp(3)
    FROM c
    WHERE j.id = c.id AND j.state = 'submitted' AND j."executorJobId" IS NULL
    RETURNING j.id, j.step, j."idempotencyKey" AS key, j.attempts, j.command, j.inputs, j.outputs, j."memoryMb", j."timeLimitS", j.priority`;
}

/** The executor refused a batch: undo the claims (→ created, the attempt not counted), due again at `notBefore`. */
export function undoClaims(prisma: Db, a: { ids: number[]; notBefore: Date; now: Date }): Promise<number> {
  return prisma.$executeRaw`
    UPDATE "Job" SET state = 'created', attempts = attempts - 1, "notBefore" = ${a.notBefore}::timestamp(3), "submittedAt" = NULL,
      "updatedAt" = ${a.now}::timestamp(3)
    WHERE id = ANY(${a.ids}::int[]) AND ${mayMoveTo('created', { among: ['submitted'] })} AND "executorJobId" IS NULL`;
}

/** Records what the executor answered, compare-and-set on (submitted, same attempt). Returns the ids recorded. */
export async function recordSubmissions(
  prisma: Db,
  a: { now: Date; rows: Array<{ id: number; attempt: number; executorJobId: string; workDir: string; logPath: string }> },
): Promise<number[]> {
  const r = await prisma.$queryRaw<Array<{ id: number }>>`
    UPDATE "Job" j SET "executorJobId" = u.eid, "workDir" = u.wd, "logPath" = u.lp, "heartbeatAt" = ${a.now}::timestamp(3),
      "logSize" = NULL, "updatedAt" = ${a.now}::timestamp(3)
    FROM unnest(${a.rows.map((x) => x.id)}::int[], ${a.rows.map((x) => x.attempt)}::int[], ${a.rows.map((x) => x.executorJobId)}::text[],
                ${a.rows.map((x) => x.workDir)}::text[], ${a.rows.map((x) => x.logPath)}::text[]) AS u(id, att, eid, wd, lp)
    WHERE j.id = u.id AND j.state = 'submitted' AND j.attempts = u.att
    RETURNING j.id`;
  return r.map((x) => x.id);
}

/** The executor reports them running: submitted → running with the start time it gave. */
export function markStarted(prisma: Db, a: { now: Date; started: Array<{ id: number; at: Date }> }): Promise<Array<{ id: number; step: string; attempts: number }>> {
  return prisma.$queryRaw<Array<{ id: number; step: string; attempts: number }>>`
    UPDATE "Job" j SET state = 'running', "startedAt" = u.at, "heartbeatAt" = ${a.now}::timestamp(3), "updatedAt" = ${a.now}::timestamp(3)
    FROM unnest(${a.started.map((s) => s.id)}::int[], ${a.started.map((s) => s.at)}::timestamp(3)[]) AS u(id, at)
    WHERE j.id = u.id AND ${mayMoveTo('running', { among: ['submitted'], alias: 'j' })}
    RETURNING j.id, j.step, j.attempts`;
}
