/**
 * Planning proportional to change: a bucket is planned again only when something planning reads has changed since its
 * last plan, or when the last plan left work for the next tick (planRunsPerTick), or a minute has passed (readiness
 * also depends on time: files waited for past their deadline).
 *
 * "Changed" is the bucket's counter (`BucketChange.seq`), bumped by triggers in the same transaction as the change
 * (migration bucket_change_mark): a run or raw file of the bucket added, changed or removed, a job of the bucket
 * entering or leaving a final state (its outputs are registered with its move to succeeded). Reading it is one
 * primary-key lookup for all producing buckets, whatever their size — the aggregate over the bucket's jobs it replaces
 * cost 36 ms on a 104k-job bucket. A change committed while a plan runs moves the counter past the mark read before
 * that plan, so the next tick plans again rather than miss it.
 *
 * The memory is per process (keyed by the database client): another instance plans the same bucket at most once more,
 * which idempotency keys make harmless.
 */
import type { Deps } from '../../deps.ts';

/** Longest time a bucket goes without a full plan, whatever the mark says. */
export const FULL_PLAN_EVERY_MS = 60_000;

export interface PlanMemo<S> {
  mark: string;
  at: number;
  summary: S;
}

const memos = new WeakMap<object, Map<number, PlanMemo<unknown>>>();

/** The change marks of the given buckets (one query): a bucket nothing was ever recorded for reads "0". */
export async function planChangeMarks(deps: Pick<Deps, 'prisma'>, bucketIds: readonly number[]): Promise<Map<number, string>> {
  const rows = bucketIds.length ? await deps.prisma.bucketChange.findMany({ where: { bucketId: { in: [...bucketIds] } }, select: { bucketId: true, seq: true } }) : [];
  const marks = new Map(bucketIds.map((id) => [id, '0']));
  for (const r of rows) marks.set(r.bucketId, String(r.seq));
  return marks;
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
