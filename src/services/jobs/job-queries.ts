/**
 * For the parts that run jobs through the engine (calibration, prompt processing, reprocessing): how far a set of
 * jobs got, by idempotency keys or by step within a bucket / campaign / calibration run.
 */
import type { Deps } from '../../deps.ts';
import { jobLifecycle, FINAL_JOB_STATES } from '../../domain/job-states.ts';

export interface JobSetStatus {
  total: number;
  states: Record<string, number>;
  /** every job is succeeded, failed or cancelled */
  final: boolean;
  /** every job succeeded */
  succeeded: boolean;
  failed: Array<{ id: number; key: string; errorClass: string | null; errorMessage: string | null }>;
}

export interface JobSetSelector {
  keys?: string[];
  bucketId?: number;
  step?: string;
  campaignId?: number;
  calibrationRunId?: number;
}

export async function jobSetStatus(deps: Pick<Deps, 'prisma'>, sel: JobSetSelector): Promise<JobSetStatus> {
  const where = {
    ...(sel.keys ? { idempotencyKey: { in: sel.keys } } : {}),
    ...(sel.bucketId !== undefined ? { bucketId: sel.bucketId } : {}),
    ...(sel.step ? { step: sel.step } : {}),
    ...(sel.campaignId !== undefined ? { campaignId: sel.campaignId } : {}),
    ...(sel.calibrationRunId !== undefined ? { calibrationRunId: sel.calibrationRunId } : {}),
  };
  const groups = await deps.prisma.job.groupBy({ by: ['state'], where, _count: { _all: true } });
  const states: Record<string, number> = Object.fromEntries(jobLifecycle.list.map((s) => [s, 0]));
  let total = 0;
  for (const g of groups) {
    states[g.state] = g._count._all;
    total += g._count._all;
  }
  const failed = states.failed
    ? (await deps.prisma.job.findMany({ where: { ...where, state: 'failed' }, select: { id: true, idempotencyKey: true, errorClass: true, errorMessage: true }, take: 1000, orderBy: { id: 'asc' } })).map((j) => ({
        id: j.id,
        key: j.idempotencyKey,
        errorClass: j.errorClass,
        errorMessage: j.errorMessage,
      }))
    : [];
  const finalCount = FINAL_JOB_STATES.reduce((a, s) => a + states[s], 0);
  return { total, states, final: total > 0 && finalCount === total, succeeded: total > 0 && states.succeeded === total, failed };
}

/** Jobs by key with their state and registered outputs (for consumers of one job's results). */
export async function jobsByKeys(deps: Pick<Deps, 'prisma'>, keys: string[]) {
  const rows = await deps.prisma.job.findMany({
    where: { idempotencyKey: { in: keys } },
    select: { id: true, idempotencyKey: true, state: true, attempts: true, errorClass: true, errorMessage: true, exitCode: true, logPath: true, workDir: true, outputFiles: { select: { path: true, size: true, sha256: true, events: true } } },
  });
  return new Map(rows.map((r) => [r.idempotencyKey, { ...r, outputFiles: r.outputFiles.map((o) => ({ ...o, size: Number(o.size) })) }]));
}
