/**
 * Job failures reach people as one message per bucket, not one per job: the notifications tick calls this first. Each
 * summary covers the failures of a bucket since its previous summary (the previous one's `until`), at most one per
 * bucket every SUMMARY_INTERVAL_MS, grouped by step and error class. The key carries the period end, so a repeated
 * tick or a second instance queues it once.
 */
import type { Deps } from '../../deps.ts';
import { enqueueNotification } from './notify.ts';

export const SUMMARY_INTERVAL_MS = 15 * 60_000;

export async function summariseJobFailures(deps: Pick<Deps, 'prisma' | 'clock'>): Promise<number> {
  const { prisma, clock } = deps;
  const now = clock.now();
  const latest = await prisma.job.groupBy({ by: ['bucketId'], where: { state: 'failed', bucketId: { not: null }, finishedAt: { not: null } }, _max: { finishedAt: true } });
  if (latest.length === 0) return 0;
  const names = new Map((await prisma.bucket.findMany({ where: { id: { in: latest.map((l) => l.bucketId!) } }, select: { id: true, name: true } })).map((b) => [b.id, b.name]));
  let queued = 0;
  for (const l of latest) {
    const bucket = names.get(l.bucketId!);
    if (!bucket) continue;
    const previous = await prisma.notification.findFirst({ where: { kind: 'job_failures', key: { startsWith: `job_failures:${bucket}:` } }, orderBy: { id: 'desc' }, select: { payload: true } });
    const since = previous ? new Date(String((previous.payload as { until?: string }).until)) : new Date(0);
    if (l._max.finishedAt! <= since) continue;
    if (previous && now.getTime() - since.getTime() < SUMMARY_INTERVAL_MS) continue;
    const groups = await prisma.job.groupBy({
      by: ['step', 'errorClass'],
      where: { bucketId: l.bucketId, state: 'failed', finishedAt: { gt: since, lte: now } },
      _count: { _all: true },
      _min: { id: true },
    });
    const total = groups.reduce((a, g) => a + g._count._all, 0);
    if (total === 0) continue;
    const parts = groups
      .sort((a, b) => b._count._all - a._count._all)
      .map((g) => `${g.step} ×${g._count._all} (${g.errorClass ?? 'unclassified'})`);
    const ok = await enqueueNotification(prisma, {
      key: `job_failures:${bucket}:${now.toISOString()}`,
      kind: 'job_failures',
      message: `${total} job(s) of ${bucket} failed${previous ? ' since the last summary' : ''}: ${parts.join(', ')}. See: calibloop job list --bucket ${bucket} --state failed`,
      payload: { bucket, failed: total, byStep: Object.fromEntries(groups.map((g) => [`${g.step}/${g.errorClass ?? 'unclassified'}`, g._count._all])), since: since.toISOString(), until: now.toISOString() },
      at: now,
    });
    if (ok) queued++;
  }
  return queued;
}
