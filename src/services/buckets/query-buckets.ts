/** Reading buckets: the list with run and job counts, one bucket with its stage history. */
import type { Deps } from '../../deps.ts';
import type { Bucket } from '../../db/generated/client.ts';
import { findBucket } from './bucket-data.ts';

export async function listBuckets(deps: Deps, f: { exp?: number; stage?: string[] } = {}) {
  const buckets = await deps.prisma.bucket.findMany({
    where: { ...(f.exp !== undefined ? { exp: f.exp } : {}), ...(f.stage ? { stage: { in: f.stage } } : {}) },
    orderBy: [{ exp: 'asc' }, { firstRun: 'asc' }],
  });
  const ids = buckets.map((b) => b.id);
  const runs = ids.length ? await deps.prisma.run.groupBy({ by: ['bucketId'], where: { bucketId: { in: ids } }, _count: { _all: true }, _sum: { luminosity: true } }) : [];
  const jobs = ids.length ? await deps.prisma.job.groupBy({ by: ['bucketId', 'state'], where: { bucketId: { in: ids } }, _count: { _all: true } }) : [];
  return buckets.map((b) => {
    const r = runs.find((x) => x.bucketId === b.id);
    const js = jobs.filter((x) => x.bucketId === b.id);
    const total = js.reduce((a, x) => a + x._count._all, 0);
    const succeeded = js.find((x) => x.state === 'succeeded')?._count._all ?? 0;
    const failed = js.find((x) => x.state === 'failed')?._count._all ?? 0;
    return {
      ...bucketFields(b),
      runs: r?._count._all ?? 0,
      luminosity: Math.round((r?._sum.luminosity ?? 0) * 1000) / 1000,
      jobs: { total, succeeded, failed },
    };
  });
}

export async function showBucket(deps: Deps, name: string) {
  const b = await findBucket(deps.prisma, name);
  const [agg, flagged, history] = await Promise.all([
    deps.prisma.run.aggregate({ where: { bucketId: b.id }, _count: { _all: true }, _sum: { luminosity: true }, _min: { startTime: true }, _max: { endTime: true } }),
    deps.prisma.run.findMany({ where: { bucketId: b.id, flag: { not: null } }, select: { exp: true, run: true, flag: true, flagReason: true }, orderBy: { run: 'asc' } }),
    deps.prisma.auditEvent.findMany({ where: { targetType: 'bucket', targetId: name }, orderBy: { id: 'asc' }, take: 500 }),
  ]);
  return {
    ...bucketFields(b),
    closedBy: b.closedBy,
    data: b.data,
    runs: agg._count._all,
    luminosity: agg._sum.luminosity ?? 0,
    firstStart: agg._min.startTime?.toISOString() ?? null,
    lastEnd: agg._max.endTime?.toISOString() ?? null,
    flaggedRuns: flagged,
    history: history.map((h) => ({ at: h.at.toISOString(), actor: h.actor, action: h.action, summary: h.summary })),
  };
}

/** The bucket's own fields, shared by the list and the single-bucket view. */
function bucketFields(b: Bucket) {
  return {
    name: b.name,
    exp: b.exp,
    firstRun: b.firstRun,
    lastRun: b.lastRun,
    stage: b.stage,
    stageChangedAt: b.stageChangedAt.toISOString(),
    openedAt: b.openedAt.toISOString(),
    closedAt: b.closedAt?.toISOString() ?? null,
    closeReason: b.closeReason,
  };
}
