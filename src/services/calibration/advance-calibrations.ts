/**
 * The calibration tick. For every bucket in calibration it:
 * 1. blocks waiting calibrations whose dependency ended without payloads, and unblocks those whose dependency was
 *    re-run (by an approved request) and produced payloads;
 * 2. starts every waiting calibration whose dependencies all produced payloads — independent ones together — or ends
 *    it as not_enough_data when its inputs are missing or too small;
 * 3. follows each running calibration: when its iteration's job is final, records the iteration (outcome, metrics,
 *    tag chain used) and submits the next one, or finishes (collecting payloads into candidates);
 * 4. moves the bucket calibrating → awaiting_approval when every calibration has finished (→ failed when none
 *    produced anything).
 *
 * Every step reads stored state and is safe to repeat after a crash at any point.
 */
import type { Deps } from '../../deps.ts';
import { inTransaction } from '../../db/transaction.ts';
import { decideTick, judgeInputs, selectInputs } from '../../domain/calibration-plan.ts';
import { decideAfterIteration, isIterationOutcome, isProducing, type IterationOutcome } from '../../domain/calibration-states.ts';
import { DomainError, coerceError } from '../../domain/errors.ts';
import { bucketCdstFiles, bucketRuns } from './bucket-inputs.ts';
import { calibrationSetup, type CalibrationSetup } from './calibration-config.ts';
import { currentRunsOfBucket } from './calibration-runs.ts';
import { collectOutputs, type IterationResult } from './collect-outputs.ts';
import { transitionBucket } from '../buckets/transition-bucket.ts';
import { queueLoopNotification } from './loop-notifications.ts';
import { readIterationResult, settleStaleRetry } from './iteration-result.ts';
import { submitIteration } from './submit-iteration.ts';
import { transitionCalibration } from './transition-calibration.ts';
import { SYSTEM_ACTOR } from '../../domain/roles.ts';

type BucketRow = { id: number; name: string; exp: number; firstRun: number; lastRun: number | null; stage: string; data: unknown };
type RunRow = Awaited<ReturnType<typeof currentRunsOfBucket>>['all'][number];

export interface AdvanceSummary {
  buckets: number;
  started: number;
  iterations: number;
  finished: number;
  errors: Array<{ bucket: string; error: string }>;
}

export async function advanceCalibrations(deps: Deps): Promise<AdvanceSummary> {
  const setup = calibrationSetup(deps.config);
  const buckets = await deps.prisma.bucket.findMany({ where: { stage: { in: ['calibrating', 'awaiting_approval'] } }, orderBy: { id: 'asc' } });
  const summary: AdvanceSummary = { buckets: buckets.length, started: 0, iterations: 0, finished: 0, errors: [] };
  for (const b of buckets) {
    try {
      await advanceBucket(deps, setup, b, summary);
    } catch (e) {
      const err = coerceError(e);
      summary.errors.push({ bucket: b.name, error: err.message });
      deps.logger.error('advancing calibrations failed', { bucket: b.name, error: err.message, stack: err.stack });
    }
  }
  return summary;
}

export async function advanceBucket(deps: Deps, setup: CalibrationSetup, bucket: BucketRow, summary: AdvanceSummary): Promise<void> {
  // A few passes, so a calibration that converges lets its dependents start within the same tick.
  for (let pass = 0; pass < 4; pass++) {
    const changed = await onePass(deps, setup, bucket, summary);
    if (!changed) break;
  }
  await finishBucketIfDone(deps, bucket);
}

async function onePass(deps: Deps, setup: CalibrationSetup, bucket: BucketRow, summary: AdvanceSummary): Promise<boolean> {
  const { all, current } = await currentRunsOfBucket(deps.prisma, bucket.id);
  const dependsOn = (name: string) => (setup.graph.has(name) ? setup.graph.directDependencies(name) : []);
  const actions = decideTick(dependsOn, all.map((r) => ({ id: r.id, calibration: r.calibration, stage: r.state })));
  const byId = new Map(all.map((r) => [r.id, r]));
  const now = deps.clock.now();
  let changed = false;
  for (const b of actions.block) {
    await inTransaction(deps, (tx) =>
      transitionCalibration(tx, deps.logger, { run: byId.get(b.id)!, to: 'blocked', reason: `dependency ${b.because.join(', ')} ended without payloads`, at: now }),
    );
    changed = true;
  }
  for (const id of actions.unblock) {
    await inTransaction(deps, (tx) =>
      transitionCalibration(tx, deps.logger, { run: byId.get(id)!, to: 'waiting', reason: 'dependencies produced payloads again', at: now }),
    );
    changed = true;
  }
  for (const id of actions.start) {
    await startCalibration(deps, setup, bucket, byId.get(id)!);
    summary.started++;
    changed = true;
  }
  for (const run of current.values()) {
    if (run.state !== 'running' || actions.start.includes(run.id)) continue;
    const moved = await stepCalibration(deps, setup, bucket, run);
    if (moved === 'next') summary.iterations++;
    if (moved === 'finished') summary.finished++;
    if (moved !== 'waiting') changed = true;
  }
  return changed;
}

async function startCalibration(deps: Deps, setup: CalibrationSetup, bucket: BucketRow, run: RunRow): Promise<void> {
  const now = deps.clock.now();
  const definition = setup.byName.get(run.calibration);
  if (!definition) {
    await inTransaction(deps, (tx) =>
      transitionCalibration(tx, deps.logger, { run, to: 'not_enough_data', reason: `calibration ${run.calibration} is no longer configured`, at: now }),
    );
    return;
  }
  const [runs, files] = await Promise.all([bucketRuns(deps.prisma, bucket.id), bucketCdstFiles(deps.prisma, bucket.id)]);
  const inputs = selectInputs(definition, { exp: run.exp, firstRun: run.firstRun, lastRun: run.lastRun }, runs, files);
  const judged = judgeInputs(definition, inputs);
  const summaryOfInputs = { files: inputs.files.length, events: inputs.events, bytes: inputs.bytes, runs: inputs.runs, perInput: inputs.perInput, excluded: inputs.excluded };
  await inTransaction(deps, async (tx) => {
    await tx.calibrationRun.update({ where: { id: run.id }, data: { inputs: JSON.parse(JSON.stringify(summaryOfInputs)) } });
    if (!judged.ok) {
      await transitionCalibration(tx, deps.logger, { run, to: 'not_enough_data', reason: judged.reason, at: now });
    } else {
      await transitionCalibration(tx, deps.logger, {
        run,
        to: 'running',
        reason: `${inputs.files.length} files, ${inputs.events} events from ${inputs.runs.length} runs`,
        at: now,
        data: { iteration: 0, startedAt: now },
      });
    }
  });
  if (judged.ok) {
    await submitIteration(deps, setup, bucket, { ...run, iteration: 0 }, definition, 0);
  }
}

type StepOutcome = 'waiting' | 'next' | 'finished';

async function stepCalibration(deps: Deps, setup: CalibrationSetup, bucket: BucketRow, run: RunRow): Promise<StepOutcome> {
  const definition = setup.byName.get(run.calibration);
  const now = deps.clock.now();
  let it = await deps.prisma.calibrationIteration.findUnique({ where: { calibrationRunId_iteration: { calibrationRunId: run.id, iteration: run.iteration } } });
  if (!it) {
    if (!definition) return finishWithout(deps, bucket, run, 'failed', `calibration ${run.calibration} is no longer configured`);
    await submitIteration(deps, setup, bucket, run, definition, run.iteration);
    return 'waiting';
  }
  if (it.outcome === null) {
    const job = it.jobId !== null ? await deps.prisma.job.findUnique({ where: { id: it.jobId } }) : null;
    const observed = await observeIteration(deps, job, it.outputDir);
    if (!observed) return 'waiting';
    const claimed = await deps.prisma.calibrationIteration.updateMany({
      where: { id: it.id, outcome: null },
      data: {
        outcome: observed.outcome,
        metrics: JSON.parse(JSON.stringify(observed.metrics)),
        payloads: JSON.parse(JSON.stringify(observed.payloads)),
        message: observed.message ?? null,
        finishedAt: now,
      },
    });
    if (claimed.count === 0) return 'waiting';
    it = await deps.prisma.calibrationIteration.findUniqueOrThrow({ where: { id: it.id } });
    deps.logger.info('calibration iteration finished', { bucket: bucket.name, calibration: run.calibration, iteration: it.iteration, outcome: it.outcome, jobId: it.jobId });
  }
  const outcome = it.outcome as IterationOutcome;
  const decision = decideAfterIteration({ outcome, iteration: it.iteration, maxIterations: run.maxIterations });
  if (decision.kind === 'next') {
    if (!definition) return finishWithout(deps, bucket, run, 'failed', `calibration ${run.calibration} is no longer configured`);
    const moved = await deps.prisma.calibrationRun.updateMany({
      where: { id: run.id, state: 'running', iteration: it.iteration },
      data: { iteration: decision.iteration, message: `iteration ${it.iteration} asked to iterate; iteration ${decision.iteration} submitted` },
    });
    if (moved.count === 0) return 'waiting';
    deps.logger.info('calibration iterates', { bucket: bucket.name, calibration: run.calibration, iteration: decision.iteration, maxIterations: run.maxIterations });
    await submitIteration(deps, setup, bucket, { ...run, iteration: decision.iteration }, definition, decision.iteration);
    return 'next';
  }
  if (decision.stage === 'converged' || decision.stage === 'stopped') {
    if (!definition) return finishWithout(deps, bucket, run, 'failed', `calibration ${run.calibration} is no longer configured`);
    const result: IterationResult = { outcome, payloads: asPayloads(it.payloads), metrics: asRecord(it.metrics) };
    try {
      await collectOutputs(deps, { bucket, run, definition, iteration: it.iteration, result, outcome: decision.stage, outputDir: it.outputDir });
    } catch (e) {
      if (e instanceof DomainError && e.code === 'RULE_VIOLATION') return finishWithout(deps, bucket, run, 'failed', e.message);
      throw e;
    }
    await inTransaction(deps, (tx) =>
      transitionCalibration(tx, deps.logger, { run, to: decision.stage, reason: decision.reason, at: now, details: { iteration: it.iteration } }),
    );
    return 'finished';
  }
  const why = it.message ? `${decision.reason}: ${it.message}` : decision.reason;
  return finishWithout(deps, bucket, run, decision.stage, why);
}

async function finishWithout(deps: Deps, bucket: BucketRow, run: RunRow, to: 'failed' | 'not_enough_data', reason: string): Promise<StepOutcome> {
  const now = deps.clock.now();
  await inTransaction(deps, async (tx) => {
    await transitionCalibration(tx, deps.logger, { run, to, reason, at: now });
    if (to === 'failed') {
      await queueLoopNotification(tx, {
        key: `calibration-failed:${bucket.name}:${run.calibration}:run${run.id}`,
        kind: 'calibration_failed',
        message: `${run.calibration} failed for ${bucket.name}: ${reason}. Its dependents are blocked; resubmit with \`calibloop request submit ${run.calibration} --bucket ${bucket.name}\`.`,
        payload: { bucket: bucket.name, calibration: run.calibration, calibrationRunId: run.id, detector: run.detector, reason },
        at: now,
      });
    }
  });
  return 'finished';
}

/** What an iteration's job says, once it is final (or once the algorithm itself declared failure). */
async function observeIteration(
  deps: Deps,
  job: { id: number; state: string; attempts: number; step: string; errorClass: string | null; errorMessage: string | null; exitCode: number | null } | null,
  outputDir: string | null,
): Promise<{ outcome: IterationOutcome; metrics: Record<string, unknown>; payloads: Array<{ name: string; file: string }>; message?: string } | null> {
  if (!job) return { outcome: 'failed', metrics: {}, payloads: [], message: 'the iteration has no job' };
  const result = outputDir ? readIterationResult(outputDir) : null;
  if (job.state === 'succeeded') {
    if (!result) return { outcome: 'failed', metrics: {}, payloads: [], message: `job ${job.id} succeeded but result.json is missing or unreadable` };
    if (!isIterationOutcome(result.outcome)) return { outcome: 'failed', metrics: result.metrics, payloads: [], message: `unknown outcome "${String(result.outcome)}" in result.json` };
    return { outcome: result.outcome, metrics: result.metrics, payloads: result.payloads };
  }
  if (job.state === 'failed' || job.state === 'cancelled') {
    const why = `job ${job.id} ${job.state}${job.errorClass ? ` (${job.errorClass} error${job.exitCode !== null ? `, exit ${job.exitCode}` : ''})` : ''}${job.errorMessage ? `: ${job.errorMessage}` : ''}`;
    return { outcome: 'failed', metrics: result?.metrics ?? {}, payloads: [], message: why };
  }
  // The algorithm wrote `failed` itself and the engine only waits to retry: a retry cannot change its mind.
  if (result?.outcome === 'failed' && (await settleStaleRetry(deps, job))) {
    return { outcome: 'failed', metrics: result.metrics, payloads: [], message: `algorithm reported failure (job ${job.id} not retried)` };
  }
  return null;
}

function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function asPayloads(v: unknown): Array<{ name: string; file: string }> {
  return Array.isArray(v) ? v.filter((p): p is { name: string; file: string } => !!p && typeof p.name === 'string' && typeof p.file === 'string') : [];
}

/** calibrating → awaiting_approval once nothing waits or runs (→ failed when no calibration produced payloads). */
async function finishBucketIfDone(deps: Deps, bucketRow: BucketRow): Promise<void> {
  if (bucketRow.stage !== 'calibrating') return;
  const now = deps.clock.now();
  await inTransaction(deps, async (tx) => {
    const bucket = await tx.bucket.findUnique({ where: { id: bucketRow.id } });
    if (!bucket || bucket.stage !== 'calibrating') return;
    const { current } = await currentRunsOfBucket(tx, bucket.id);
    const runs = [...current.values()];
    if (runs.length === 0 || runs.some((r) => r.state === 'waiting' || r.state === 'running')) return;
    const producing = runs.filter((r) => isProducing(r.state));
    const tally = runs.map((r) => `${r.calibration}=${r.state}`).join(', ');
    if (producing.length === 0 && !runs.some((r) => r.state === 'rejected')) {
      await transitionBucket(deps, bucket, 'failed', SYSTEM_ACTOR, { reason: `no calibration produced payloads (${tally})`, tx, required: true, data: { failure: `no calibration produced payloads (${tally})`, failedFrom: 'calibrating' } });
      return;
    }
    await transitionBucket(deps, bucket, 'awaiting_approval', SYSTEM_ACTOR, { reason: `calibrations finished: ${tally}`, tx, required: true });
    const pending = await tx.payloadCandidate.count({ where: { bucketId: bucket.id, state: 'pending' } });
    await queueLoopNotification(tx, {
      key: `awaiting-approval:${bucket.name}:run${Math.max(...runs.map((r) => r.id))}`,
      kind: 'awaiting_approval',
      message: `${bucket.name}: calibrations finished (${tally}); ${pending} payload candidate(s) await the calibration manager (\`calibloop payload pending --bucket ${bucket.name}\`).`,
      payload: { bucket: bucket.name, pending, calibrations: Object.fromEntries(runs.map((r) => [r.calibration, r.state])) },
      at: now,
    });
  });
}
