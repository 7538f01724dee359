/**
 * Planning proportional to change: a bucket is planned again only when something planning reads has changed since its
 * last plan — its runs or raw files (count, last update) or its production jobs (count per state; outputs are
 * registered in the same transaction as their job's move to succeeded, so they need no count of their own) — or when
 * the last plan left work for the next tick (planRunsPerTick) or a minute has passed (readiness also depends on time:
 * files waited for past their deadline). The mark is one query (index-only over the jobs), so an idle tick on a
 * 100k-job bucket costs tens of milliseconds instead of re-reading every job (1.5–4.7 s before).
 *
 * The memory is per process (keyed by the database client): another instance plans the same bucket at most once more,
 * which idempotency keys make harmless.
 */
import type { Deps } from '../../deps.ts';
import type { StepConfig } from '../../config/production-schema.ts';

/** Longest time a bucket goes without a full plan, whatever the mark says. */
export const FULL_PLAN_EVERY_MS = 60_000;

export interface PlanMemo<S> {
  mark: string;
  at: number;
  summary: S;
}

const memos = new WeakMap<object, Map<number, PlanMemo<unknown>>>();

export async function planChangeMark(deps: Pick<Deps, 'prisma'>, bucketId: number, steps: readonly StepConfig[]): Promise<string> {
  const names = steps.map((s) => s.name);
  const [r] = await deps.prisma.$queryRaw<Array<{ runs: string; jobs: string | null }>>`
    SELECT
      (SELECT count(*) || ':' || count(f.id) || ':' || coalesce(max(f."updatedAt")::text, '') || ':' || coalesce(max(r."updatedAt")::text, '')
         FROM "Run" r LEFT JOIN "RawFile" f ON f."runId" = r.id WHERE r."bucketId" = ${bucketId}) AS runs,
      (SELECT string_agg(state || '=' || n, ',' ORDER BY state) FROM
         (SELECT state, count(*) AS n FROM "Job" WHERE "bucketId" = ${bucketId} AND step = ANY(${names}::text[]) GROUP BY state) s) AS jobs`;
  return `${r.runs}|${r.jobs ?? ''}`;
}

/** The memo of the bucket's last plan when it still holds (same mark, nothing left for later, not too old). */
export function unchangedSince<S extends { toPlan: number }>(deps: Pick<Deps, 'prisma' | 'clock'>, bucketId: number, mark: string): PlanMemo<S> | undefined {
  const m = memos.get(deps.prisma)?.get(bucketId) as PlanMemo<S> | undefined;
  if (!m || m.mark !== mark || m.summary.toPlan > 0) return undefined;
  if (deps.clock.now().getTime() - m.at >= FULL_PLAN_EVERY_MS) return undefined;
  return m;
}

export function rememberPlan<S>(deps: Pick<Deps, 'prisma' | 'clock'>, bucketId: number, mark: string, summary: S): void {
  let m = memos.get(deps.prisma);
  if (!m) memos.set(deps.prisma, (m = new Map()));
  m.set(bucketId, { mark, at: deps.clock.now().getTime(), summary });
}

export function forgetPlan(deps: Pick<Deps, 'prisma'>, bucketId: number): void {
  memos.get(deps.prisma)?.delete(bucketId);
}
