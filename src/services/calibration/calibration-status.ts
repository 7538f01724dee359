/**
 * Reading the loop: calibration runs (filtered), and one bucket's whole calibration status — stage, progress of the
 * finalising steps, what blocks the running update, each calibration with its iterations (outcome, job, tag chain,
 * dependency payloads) and candidates. The CLI's `calibration list` and `calibration status --bucket B`.
 */
import { z } from 'zod';
import { textInt } from '../../domain/strict-input.ts';
import type { Deps } from '../../deps.ts';
import { judgeReadiness } from '../../domain/calibration-plan.ts';
import { calibrationSetup } from './calibration-config.ts';
import { calibrationData } from '../buckets/bucket-data.ts';
import { toCandidateView } from './candidate-view.ts';
import { findBucket } from '../buckets/bucket-data.ts';

export const ListCalibrationsQuerySchema = z.object({
  bucket: z.string().optional(),
  state: z.string().optional().describe('waiting | running | converged | stopped | not_enough_data | failed | blocked | rejected'),
  calibration: z.string().optional(),
  detector: z.string().optional(),
  limit: textInt(1, 5000).default(500),
});
export type ListCalibrationsQuery = z.input<typeof ListCalibrationsQuerySchema>;

type RunRow = Awaited<ReturnType<Deps['prisma']['calibrationRun']['findMany']>>[number];

function runView(r: RunRow, bucket: string, current: boolean) {
  return {
    id: r.id,
    bucket,
    calibration: r.calibration,
    detector: r.detector,
    requestId: r.requestId,
    state: r.state,
    current,
    iteration: r.iteration,
    maxIterations: r.maxIterations,
    scope: { exp: r.exp, firstRun: r.firstRun, lastRun: r.lastRun },
    expertConfig: r.expertConfig,
    tagChain: r.tagChain,
    stagingTag: r.stagingTag,
    inputs: r.inputs,
    message: r.message,
    stateChangedAt: r.stateChangedAt.toISOString(),
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
  };
}

export async function listCalibrationRuns(deps: Deps, raw: ListCalibrationsQuery = {}) {
  const q = ListCalibrationsQuerySchema.parse(raw);
  let bucketId: number | undefined;
  if (q.bucket) {
    const b = await deps.prisma.bucket.findUnique({ where: { name: q.bucket } });
    if (!b) return [];
    bucketId = b.id;
  }
  const rows = await deps.prisma.calibrationRun.findMany({
    where: {
      ...(bucketId !== undefined ? { bucketId } : {}),
      ...(q.state ? { state: q.state } : {}),
      ...(q.calibration ? { calibration: q.calibration } : {}),
      ...(q.detector ? { detector: q.detector } : {}),
    },
    orderBy: [{ bucketId: 'asc' }, { id: 'asc' }],
    take: q.limit,
  });
  const bucketIds = [...new Set(rows.map((r) => r.bucketId))];
  const names = new Map((await deps.prisma.bucket.findMany({ where: { id: { in: bucketIds } }, select: { id: true, name: true } })).map((b) => [b.id, b.name]));
  // "current" needs every run of those buckets, not only the filtered ones.
  const newest = await deps.prisma.calibrationRun.groupBy({ by: ['bucketId', 'calibration'], where: { bucketId: { in: bucketIds } }, _max: { id: true } });
  const currentIds = new Set(newest.map((n) => n._max.id));
  return rows.map((r) => runView(r, names.get(r.bucketId) ?? String(r.bucketId), currentIds.has(r.id)));
}

export async function bucketCalibrationStatus(deps: Deps, bucketName: string) {
  const bucket = await findBucket(deps.prisma, bucketName);
  const setup = calibrationSetup(deps.config);
  const runs = await deps.prisma.calibrationRun.findMany({ where: { bucketId: bucket.id }, orderBy: { id: 'asc' } });
  const iterations = await deps.prisma.calibrationIteration.findMany({ where: { calibrationRunId: { in: runs.map((r) => r.id) } }, orderBy: [{ calibrationRunId: 'asc' }, { iteration: 'asc' }] });
  const jobIds = iterations.map((i) => i.jobId).filter((id): id is number => id !== null);
  const jobs = new Map((await deps.prisma.job.findMany({ where: { id: { in: jobIds } }, select: { id: true, state: true, attempts: true, exitCode: true, errorClass: true, logPath: true } })).map((j) => [j.id, j]));
  const candidates = await deps.prisma.payloadCandidate.findMany({ where: { bucketId: bucket.id }, orderBy: { id: 'asc' } });
  const newest = new Map<string, number>();
  for (const r of runs) newest.set(r.calibration, r.id);
  const order = new Map(setup.graph.order.map((n, i) => [n, i]));
  const readiness = judgeReadiness(runs.map((r) => ({ id: r.id, calibration: r.calibration, stage: r.state })), candidates);
  return {
    bucket: bucket.name,
    stage: bucket.stage,
    exp: bucket.exp,
    firstRun: bucket.firstRun,
    lastRun: bucket.lastRun,
    progress: calibrationData(bucket.data),
    failure: (bucket.data as { failure?: string } | null)?.failure ?? null,
    readyForRunningUpdate: readiness,
    calibrations: [...runs]
      .sort((a, b) => (order.get(a.calibration) ?? 999) - (order.get(b.calibration) ?? 999) || a.id - b.id)
      .map((r) => ({
        ...runView(r, bucket.name, newest.get(r.calibration) === r.id),
        dependsOn: setup.graph.has(r.calibration) ? [...setup.graph.directDependencies(r.calibration)] : [],
        iterations: iterations
          .filter((i) => i.calibrationRunId === r.id)
          .map((i) => ({
            iteration: i.iteration,
            outcome: i.outcome,
            jobId: i.jobId,
            job: i.jobId !== null ? (jobs.get(i.jobId) ?? null) : null,
            tagChain: i.tagChain,
            dependencyPayloads: i.dependencyPayloads,
            metrics: i.metrics,
            message: i.message,
            startedAt: i.startedAt.toISOString(),
            finishedAt: i.finishedAt?.toISOString() ?? null,
          })),
        candidates: candidates.filter((c) => c.calibrationRunId === r.id).map((c) => toCandidateView(c, bucket.name)),
      })),
  };
}
