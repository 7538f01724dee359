/**
 * A produced bucket enters calibration: the calibrations of `calibrations/` are planned in dependency order on the
 * bucket's cDST files (filters per input), one CalibrationRun each — `waiting`, or already `not_enough_data` /
 * `blocked` when inputs are missing — and the bucket moves produced → calibrating, all in one transaction.
 * Idempotent: runs are keyed, and the stage move is compare-and-set (a second instance gets CONFLICT and skips).
 */
import type { Deps } from '../../deps.ts';
import { inTransaction } from '../../db/transaction.ts';
import { planBucket } from '../../domain/calibration-plan.ts';
import { DomainError, coerceError, unknownName } from '../../domain/errors.ts';
import { SYSTEM_ACTOR, type Actor } from '../../domain/roles.ts';
import { calibrationSetup, loopTags } from './calibration-config.ts';
import { bucketCdstFiles, bucketRuns } from './bucket-inputs.ts';
import { ensureCalibrationRun } from './calibration-runs.ts';
import { transitionBucket } from '../buckets/transition-bucket.ts';

export interface PlannedBucket {
  bucket: string;
  calibrations: Array<{ calibration: string; state: string; reason?: string; files: number; events: number }>;
}

export async function planBucketCalibrations(deps: Deps, bucketName: string, actor: Actor = SYSTEM_ACTOR): Promise<PlannedBucket> {
  const setup = calibrationSetup(deps.config);
  const now = deps.clock.now();
  return inTransaction(deps, async (tx) => {
    const bucket = await tx.bucket.findUnique({ where: { name: bucketName } });
    if (!bucket) throw unknownName('bucket', bucketName);
    const [runs, files] = await Promise.all([bucketRuns(tx, bucket.id), bucketCdstFiles(tx, bucket.id)]);
    const scope = { exp: bucket.exp, firstRun: bucket.firstRun, lastRun: bucket.lastRun };
    const plan = planBucket(setup.calibrations, scope, runs, files);
    const tags = loopTags(setup, bucket.name);
    // Runs created before planning (requests approved early) count as planned: their calibration gets no second run.
    const existing = new Set((await tx.calibrationRun.findMany({ where: { bucketId: bucket.id }, select: { calibration: true } })).map((r) => r.calibration));
    const out: PlannedBucket = { bucket: bucket.name, calibrations: [] };
    for (const e of plan.entries) {
      const { inputs } = e;
      const summary = { files: inputs.files.length, events: inputs.events, bytes: inputs.bytes, runs: inputs.runs, perInput: inputs.perInput, excluded: inputs.excluded };
      if (!existing.has(e.calibration)) {
        await ensureCalibrationRun(tx, {
          bucket,
          definition: setup.byName.get(e.calibration)!,
          requestId: null,
          scope,
          state: e.stage,
          tagChain: tags.calibrationChain,
          stagingTag: tags.staging,
          inputs: summary,
          ...(e.reason ? { message: e.reason } : {}),
          createdBy: actor.user,
          at: now,
        });
      }
      out.calibrations.push({ calibration: e.calibration, state: e.stage, ...(e.reason ? { reason: e.reason } : {}), files: inputs.files.length, events: inputs.events });
    }
    await transitionBucket(deps, bucket, 'calibrating', actor, { reason: `${plan.entries.filter((e) => e.stage === 'waiting').length} of ${plan.entries.length} calibrations have inputs`, tx, required: true, progress: { area: 'calibration', values: { plannedAt: now.toISOString(), stagingTag: tags.staging, snapshotTag: tags.snapshot, runningTag: tags.running } } });
    return out;
  });
}

/** The tick: plans every bucket that is `produced`. A bucket another instance planned first is skipped. */
export async function planProducedBuckets(deps: Deps): Promise<PlannedBucket[]> {
  const buckets = await deps.prisma.bucket.findMany({ where: { stage: 'produced' }, orderBy: { id: 'asc' }, select: { name: true } });
  const out: PlannedBucket[] = [];
  for (const b of buckets) {
    try {
      out.push(await planBucketCalibrations(deps, b.name));
    } catch (e) {
      const err = coerceError(e);
      if (err instanceof DomainError && err.code === 'CONFLICT') continue;
      deps.logger.error('planning calibrations failed', { bucket: b.name, error: err.message });
    }
  }
  return out;
}
