/**
 * Loads what planning and completeness need for a bucket — its runs with their files, the jobs of its runs for the
 * given steps, and the outputs the next step will read — and computes the units of every run with the pure planner
 * (src/domain/production-plan.ts).
 */
import type { Deps } from '../../deps.ts';
import type { StepConfig } from '../../config/production-schema.ts';
import { runKey, unitsForRun, type KnownJob, type KnownOutput, type Unit } from '../../domain/production-plan.ts';
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
  opts: { runs?: readonly number[] } = {},
): Promise<RunUnits[]> {
  const { prisma, production, clock } = deps;
  const runs = await prisma.run.findMany({
    where: { bucketId: bucket.id, ...(opts.runs ? { run: { in: [...opts.runs] } } : {}) },
    select: { id: true, exp: true, run: true, endTime: true, files: { select: { id: true, path: true, status: true, flagReason: true } } },
    orderBy: { run: 'asc' },
  });
  if (runs.length === 0) return [];
  const stepNames = steps.map((s) => s.name);
  const runNos = runs.map((r) => r.run);
  const jobs = await prisma.job.findMany({
    where: { exp: bucket.exp, run: { gte: runNos[0], lte: runNos[runNos.length - 1] }, step: { in: stepNames } },
    select: { id: true, idempotencyKey: true, state: true, attempts: true, errorClass: true, errorMessage: true, run: true },
  });
  const jobsByRun = new Map<number, Map<string, KnownJob>>();
  for (const j of jobs) {
    let m = jobsByRun.get(j.run!);
    if (!m) jobsByRun.set(j.run!, (m = new Map()));
    m.set(j.idempotencyKey, { id: j.id, key: j.idempotencyKey, state: j.state, attempts: j.attempts, errorClass: j.errorClass, errorMessage: j.errorMessage });
  }
  // outputs are only needed where a derived step has a unit not planned yet
  const derived = steps.filter((s) => s.input !== 'raw');
  const needOutputs = runs
    .filter((r) => {
      const m = jobsByRun.get(r.run);
      return derived.some((s) => (s.perSkim ? production.skims : ['']).some((v) => !m?.has(runKey(s.name, v, r.exp, r.run))));
    })
    .map((r) => r.run);
  const outputs = new Map<number, KnownOutput[]>();
  if (needOutputs.length > 0 && derived.length > 0) {
    const rows = await prisma.outputFile.findMany({
      where: { exp: bucket.exp, run: { in: needOutputs }, step: { in: derived.map((s) => s.input) } },
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
    });
    return { run, units };
  });
}
