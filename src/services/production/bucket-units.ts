/**
 * Loads what planning and completeness need for a bucket — its runs with their files, the jobs of its runs for the
 * given steps, and the outputs the next step will read — and computes the units of every run with the pure planner
 * (src/domain/production-plan.ts).
 */
import type { Deps } from '../../deps.ts';
import type { StepConfig } from '../../config/production-schema.ts';
import { unitsForRun, type KnownJob, type KnownOutput, type Unit } from '../../domain/production-plan.ts';
import type { ReadinessRun } from '../../domain/run-readiness.ts';

export interface RunUnits {
  run: ReadinessRun & { id: number };
  units: Unit[];
}

export function productionSteps(deps: Pick<Deps, 'production'>): StepConfig[] {
  return deps.production.steps.filter((s) => s.phase === 'production');
}

export async function loadBucketUnits(
  deps: Deps,
  bucket: { id: number; exp: number },
  steps: readonly StepConfig[],
  opts: { runs?: readonly number[]; keyPrefix?: string } = {},
): Promise<RunUnits[]> {
  const { prisma, production, clock } = deps;
  const runs = await prisma.run.findMany({
    where: { bucketId: bucket.id, ...(opts.runs ? { run: { in: [...opts.runs] } } : {}) },
    select: { id: true, exp: true, run: true, endTime: true, files: { select: { id: true, path: true, status: true, flagReason: true } } },
    orderBy: { run: 'asc' },
  });
  if (runs.length === 0) return [];
  const runNos = runs.map((r) => r.run);
  const inRuns = { exp: bucket.exp, run: { gte: runNos[0], lte: runNos[runNos.length - 1] } };
  const derived = steps.filter((s) => s.input !== 'raw');
  const select = { id: true, idempotencyKey: true, state: true, attempts: true, errorClass: true, errorMessage: true, run: true } as const;
  // a derived job's planned inputs tell whether its output is stale; raw-step jobs do not need them
  // every job of a bucket's run carries the bucket's id (campaign jobs too): (bucket, exp, run, step) is the index
  const jobsInRuns = { bucketId: bucket.id, ...inRuns };
  const [rawJobs, derivedJobs] = await Promise.all([
    prisma.job.findMany({ where: { ...jobsInRuns, step: { in: steps.filter((s) => s.input === 'raw').map((s) => s.name) } }, select }),
    derived.length ? prisma.job.findMany({ where: { ...jobsInRuns, step: { in: derived.map((s) => s.name) } }, select: { ...select, inputs: true } }) : [],
  ]);
  const jobsByRun = new Map<number, Map<string, KnownJob>>();
  const add = (j: (typeof rawJobs)[number], inputs?: unknown) => {
    let m = jobsByRun.get(j.run!);
    if (!m) jobsByRun.set(j.run!, (m = new Map()));
    m.set(j.idempotencyKey, { id: j.id, key: j.idempotencyKey, state: j.state, attempts: j.attempts, errorClass: j.errorClass, errorMessage: j.errorMessage, ...(Array.isArray(inputs) ? { inputs: inputs as string[] } : {}) });
  };
  for (const j of rawJobs) add(j);
  for (const j of derivedJobs) add(j, j.inputs);
  // outputs of the input steps: what a derived unit reads, or would read now (staleness)
  const outputs = new Map<number, KnownOutput[]>();
  if (derived.length > 0) {
    const rows = await prisma.outputFile.findMany({
      where: { ...inRuns, step: { in: derived.map((s) => s.input) } },
      select: { jobId: true, path: true, events: true },
      orderBy: { path: 'asc' },
    });
    for (const o of rows) {
      const list = outputs.get(o.jobId) ?? [];
      list.push({ path: o.path, events: o.events });
      outputs.set(o.jobId, list);
    }
  }
  const now = clock.now();
  return runs.map((r) => {
    const run = { id: r.id, exp: r.exp, run: r.run, endTime: r.endTime, files: r.files };
    const units = unitsForRun(steps, run, {
      now,
      fileWaitHours: production.readiness.fileWaitHours,
      skims: production.skims,
      jobs: jobsByRun.get(r.run) ?? new Map(),
      outputs,
      ...(opts.keyPrefix ? { keyPrefix: opts.keyPrefix } : {}),
    });
    return { run, units };
  });
}
