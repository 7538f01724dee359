/**
 * `calibloop report resources [--bucket B] [--runs N]` and `GET /api/v1/reports/resources`: what every job attempt
 * used (wall and CPU time, peak memory, input and output bytes, as the executor measured them), summarised per step
 * and per calibration — median, 95th percentile and total — with the projection for a bucket of N runs
 * (src/domain/resource-projection.ts). Aggregated in the database: one row per group whatever the number of attempts.
 */
import { z } from 'zod';
import { Prisma } from '../../db/generated/client.ts';
import type { Deps } from '../../deps.ts';
import { unknownName } from '../../domain/errors.ts';
import { CALIBRATION_STEP } from '../calibration/submit-iteration.ts';
import {
  RESOURCE_METRICS,
  projectGroup,
  projectTotal,
  type MetricStats,
  type ResourceGroupStats,
  type ResourceMetric,
} from '../../domain/resource-projection.ts';

export const ResourceReportQuery = z.strictObject({
  bucket: z.string().min(1).max(200).optional().describe('only the jobs of this bucket'),
  runs: z
    .string()
    .regex(/^[1-9]\d{0,6}$/, 'a whole number of runs')
    .optional()
    .describe('project the cost of a bucket of this many runs (default: the runs observed, or 359 as in Belle II bucket 7)'),
});
export type ResourceReportInput = z.infer<typeof ResourceReportQuery>;

const DEFAULT_PROJECTION_RUNS = 359;

const COLUMN: Record<ResourceMetric, string> = { wallS: 'wallS', cpuS: 'cpuS', peakRssMb: 'peakRssMb', inputBytes: 'inputBytes', outputBytes: 'outputBytes' };

function metricSql(m: ResourceMetric): Prisma.Sql {
  const c = Prisma.raw(`a."${COLUMN[m]}"`);
  return Prisma.sql`count(${c})::int AS "${Prisma.raw(m)}_n",
    percentile_cont(0.5) WITHIN GROUP (ORDER BY ${c}::float8) AS "${Prisma.raw(m)}_median",
    percentile_cont(0.95) WITHIN GROUP (ORDER BY ${c}::float8) AS "${Prisma.raw(m)}_p95",
    COALESCE(sum(${c}::float8), 0) AS "${Prisma.raw(m)}_total"`;
}

type Row = Record<string, unknown> & { step: string; calibration: string | null; jobs: number; attempts: number; succeeded: number; runs: number; buckets: number[] };

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const r3 = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);

export async function resourceReport(deps: Pick<Deps, 'prisma'>, input: ResourceReportInput) {
  let bucketId: number | undefined;
  if (input.bucket) {
    const b = await deps.prisma.bucket.findUnique({ where: { name: input.bucket }, select: { id: true } });
    if (!b) throw unknownName('bucket', input.bucket);
    bucketId = b.id;
  }
  const where = bucketId === undefined ? Prisma.sql`TRUE` : Prisma.sql`j."bucketId" = ${bucketId}`;
  const rows = await deps.prisma.$queryRaw<Row[]>`
    SELECT j.step, CASE WHEN j.step = ${CALIBRATION_STEP} THEN j.variant END AS calibration,
      count(DISTINCT j.id)::int AS jobs, count(*)::int AS attempts,
      count(*) FILTER (WHERE a.outcome = 'succeeded')::int AS succeeded,
      count(DISTINCT (j.exp, j.run)) FILTER (WHERE j.run IS NOT NULL)::int AS runs,
      COALESCE(array_agg(DISTINCT j."bucketId") FILTER (WHERE j."bucketId" IS NOT NULL), ARRAY[]::int[]) AS buckets,
      ${Prisma.join(RESOURCE_METRICS.map(metricSql), ', ')}
    FROM "JobAttempt" a JOIN "Job" j ON j.id = a."jobId"
    WHERE ${where}
    GROUP BY 1, 2
    ORDER BY 1, 2`;
  const allBuckets = [...new Set(rows.flatMap((r) => r.buckets))];
  const runCounts = new Map(
    (await deps.prisma.run.groupBy({ by: ['bucketId'], where: { bucketId: { in: allBuckets } }, _count: { _all: true } })).map((g) => [g.bucketId!, g._count._all]),
  );
  const groups: ResourceGroupStats[] = rows.map((r) => ({
    step: r.step,
    calibration: r.calibration,
    jobs: r.jobs,
    attempts: r.attempts,
    succeeded: r.succeeded,
    runs: r.runs,
    buckets: r.buckets.length,
    bucketRuns: r.buckets.reduce((s, b) => s + (runCounts.get(b) ?? 0), 0),
    metrics: Object.fromEntries(
      RESOURCE_METRICS.map((m): [ResourceMetric, MetricStats] => [
        m,
        { n: Number(r[`${m}_n`]), median: r3(num(r[`${m}_median`])), p95: r3(num(r[`${m}_p95`])), total: r3(num(r[`${m}_total`])) ?? 0 },
      ]),
    ) as Record<ResourceMetric, MetricStats>,
  }));
  const observedRuns = Math.max(0, ...groups.map((g) => g.runs), ...groups.map((g) => g.bucketRuns));
  const runs = input.runs !== undefined ? Number(input.runs) : (input.bucket && observedRuns > 0 ? observedRuns : DEFAULT_PROJECTION_RUNS);
  const projected = groups.map((g) => ({ step: g.step, calibration: g.calibration, ...projectGroup(g, runs) }));
  return {
    bucket: input.bucket ?? null,
    attempts: groups.reduce((s, g) => s + g.attempts, 0),
    groups,
    projection: { runs, groups: projected, total: projectTotal(projected, runs) },
  };
}
