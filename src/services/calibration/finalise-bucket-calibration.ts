/**
 * From approved payloads to the bucket's snapshot, one compare-and-set step per tick call, each surviving a restart:
 *
 *   awaiting_approval ──(every required payload approved; staging tag = exactly the approved IoVs)──▶ updating
 *   updating: ① staging tag → VALIDATED            (recorded as data.calibration.validatedAt)
 *             ② running update at the bucket's first run, in ONE transaction with recording its summary
 *                (data.calibration.runningUpdate), so it lands exactly once; the conditions store refuses a first
 *                valid run below the running tag's first condition-safe run → bucket `failed`, visible, never moved
 *             ③ snapshot of the running tag named by `snapshot_pattern`, in one transaction with updating → snapshotted
 *
 * Each step locks the bucket row first (a no-op compare-and-set on its stage), so two instances or a decision racing
 * the tick serialise on it, and re-reads the recorded progress before acting.
 */
import type { Deps } from '../../deps.ts';
import { inTransaction } from '../../db/transaction.ts';
import { judgeReadiness } from '../../domain/calibration-plan.ts';
import { DomainError, coerceError } from '../../domain/errors.ts';
import { SYSTEM_ACTOR } from '../../domain/roles.ts';
import type { Tx } from '../../db/transaction.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { calibrationSetup, loopTags } from './calibration-config.ts';
import { currentRunsOfBucket } from './calibration-runs.ts';
import { conditionsPort } from '../conditions/store-conditions.ts';
import { calibrationData, recordBucketProgress } from '../buckets/bucket-data.ts';
import { transitionBucket } from '../buckets/transition-bucket.ts';
import { queueLoopNotification } from './loop-notifications.ts';
import { syncStagingTag } from './staging-tag.ts';

export type FinaliseStep = 'start-update' | 'validate' | 'running-update' | 'snapshot';

/** Test hook for injected failures: called after a step committed. */
export const finaliseHooks: { afterStep?: (step: FinaliseStep, bucket: string) => void | Promise<void> } = {};

export interface FinaliseSummary {
  started: string[];
  updated: string[];
  snapshotted: string[];
  failed: Array<{ bucket: string; error: string }>;
}

export async function finaliseBucketCalibrations(deps: Deps): Promise<FinaliseSummary> {
  const out: FinaliseSummary = { started: [], updated: [], snapshotted: [], failed: [] };
  const buckets = await deps.prisma.bucket.findMany({ where: { stage: { in: ['awaiting_approval', 'updating'] } }, orderBy: { id: 'asc' } });
  for (const b of buckets) {
    try {
      await finaliseBucket(deps, b.name, out);
    } catch (e) {
      const err = coerceError(e);
      if (err instanceof DomainError && err.code === 'CONFLICT') continue;
      out.failed.push({ bucket: b.name, error: err.message });
      deps.logger.error('finalising calibration failed', { bucket: b.name, error: err.message, stack: err.stack });
    }
  }
  return out;
}

/** Runs every step that is due for one bucket, in order. */
export async function finaliseBucket(deps: Deps, bucketName: string, out?: FinaliseSummary): Promise<string> {
  let bucket = await deps.prisma.bucket.findUniqueOrThrow({ where: { name: bucketName } });
  if (bucket.stage === 'awaiting_approval') {
    if (!(await startUpdate(deps, bucket))) return bucket.stage;
    out?.started.push(bucket.name);
    await finaliseHooks.afterStep?.('start-update', bucket.name);
    bucket = await deps.prisma.bucket.findUniqueOrThrow({ where: { name: bucketName } });
  }
  if (bucket.stage !== 'updating' || !calibrationData(bucket.data).approvedCandidates) return bucket.stage;
  if (!calibrationData(bucket.data).validatedAt) {
    await validateStaging(deps, bucket.id);
    await finaliseHooks.afterStep?.('validate', bucket.name);
  }
  bucket = await deps.prisma.bucket.findUniqueOrThrow({ where: { name: bucketName } });
  if (bucket.stage === 'updating' && !calibrationData(bucket.data).runningUpdate) {
    const landed = await applyRunningUpdate(deps, bucket.id);
    if (!landed) return (await deps.prisma.bucket.findUniqueOrThrow({ where: { name: bucketName } })).stage;
    out?.updated.push(bucket.name);
    await finaliseHooks.afterStep?.('running-update', bucket.name);
  }
  if (await takeSnapshot(deps, bucket.id)) {
    out?.snapshotted.push(bucket.name);
    await finaliseHooks.afterStep?.('snapshot', bucket.name);
  }
  return (await deps.prisma.bucket.findUniqueOrThrow({ where: { name: bucketName } })).stage;
}

/** Locks the bucket row while it is in `stage`; returns the fresh row, or null when it moved on. */
async function lockBucket(tx: Tx, id: number, stage: string, at: Date) {
  const r = await tx.bucket.updateMany({ where: { id, stage }, data: { updatedAt: at } });
  if (r.count === 0) return null;
  return tx.bucket.findUniqueOrThrow({ where: { id } });
}

async function startUpdate(deps: Deps, bucket: { id: number; name: string }): Promise<boolean> {
  const setup = calibrationSetup(deps.config);
  const tags = loopTags(setup, bucket.name);
  const conditions = conditionsPort(deps);
  await syncStagingTag(deps, bucket.id);
  const now = deps.clock.now();
  return inTransaction(deps, async (tx) => {
    const locked = await lockBucket(tx, bucket.id, 'awaiting_approval', now);
    if (!locked) return false;
    const { all } = await currentRunsOfBucket(tx, bucket.id);
    const candidates = await tx.payloadCandidate.findMany({ where: { bucketId: bucket.id }, select: { id: true, calibrationRunId: true, state: true, name: true, stagingIovId: true } });
    const readiness = judgeReadiness(all.map((r) => ({ id: r.id, calibration: r.calibration, stage: r.state })), candidates);
    if (!readiness.ready) return false;
    // The staging tag must hold exactly the approved payloads (the sync above made it so; check inside the lock).
    const live = await conditions.liveIovs(tags.staging, tx);
    const expected = new Set(candidates.filter((c) => readiness.approved.includes(c.id)).map((c) => c.stagingIovId));
    if (live.length !== expected.size || live.some((i) => !expected.has(i.id))) {
      deps.logger.warn('staging tag not in sync with the approved payloads; retrying next tick', { bucket: bucket.name, tag: tags.staging });
      return false;
    }
    await transitionBucket(deps, locked, 'updating', SYSTEM_ACTOR, { reason: `${readiness.approved.length} approved payload(s) go into ${tags.running} from run ${locked.exp}/${locked.firstRun}`, tx, required: true, progress: { area: 'calibration', values: { approvedCandidates: readiness.approved, stagingTag: tags.staging, runningTag: tags.running, snapshotTag: tags.snapshot } } });
    return true;
  });
}

async function validateStaging(deps: Deps, bucketId: number): Promise<void> {
  const conditions = conditionsPort(deps);
  const now = deps.clock.now();
  await inTransaction(deps, async (tx) => {
    const bucket = await lockBucket(tx, bucketId, 'updating', now);
    if (!bucket || calibrationData(bucket.data).validatedAt) return;
    const tag = calibrationData(bucket.data).stagingTag!;
    if ((await conditions.tagState(tag, tx)) !== 'VALIDATED') {
      await conditions.walkTagTo({ tag, state: 'VALIDATED', actor: SYSTEM_ACTOR, reason: `${bucket.name}: every payload approved` }, tx);
    }
    await recordBucketProgress(tx, bucket, { area: 'calibration', values: { validatedAt: now.toISOString() } });
  });
}

/** True when the running update is recorded (now or before); false when it was refused (bucket → failed). */
async function applyRunningUpdate(deps: Deps, bucketId: number): Promise<boolean> {
  const conditions = conditionsPort(deps);
  const now = deps.clock.now();
  const pre = await deps.prisma.bucket.findUniqueOrThrow({ where: { id: bucketId } });
  const running = calibrationData(pre.data).runningTag!;
  if ((await conditions.tagState(running)) === null) {
    await conditions.ensureTag({ name: running, type: 'running', description: 'running tag of the prompt calibration loop', actor: SYSTEM_ACTOR });
    await conditions.walkTagTo({ tag: running, state: 'RUNNING', actor: SYSTEM_ACTOR, reason: 'first bucket of the prompt loop' });
  }
  try {
    return await inTransaction(deps, async (tx) => {
      const bucket = await lockBucket(tx, bucketId, 'updating', now);
      if (!bucket) return false;
      const data = calibrationData(bucket.data);
      if (data.runningUpdate) return true;
      const summary = await conditions.runningUpdate({
        staging: data.stagingTag!,
        running: data.runningTag!,
        exp: bucket.exp,
        run: bucket.firstRun,
        actor: SYSTEM_ACTOR,
        reason: `${bucket.name}: approved calibration payloads`,
      }, tx);
      await recordBucketProgress(tx, bucket, { area: 'calibration', values: { runningUpdate: { ...summary, at: now.toISOString() }, problem: undefined } });
      await recordAudit(tx, SYSTEM_ACTOR, {
        action: 'calibration.running_update',
        targetType: 'bucket',
        targetId: bucket.name,
        summary: `${data.stagingTag} applied to ${data.runningTag} from ${bucket.exp}/${bucket.firstRun}`,
        details: summary,
        at: now,
      });
      return true;
    }, { timeoutMs: 120_000 });
  } catch (e) {
    if (!(e instanceof DomainError) || e.code !== 'RULE_VIOLATION') throw e;
    // Refused by a rule (e.g. below the first condition-safe run): never moved silently; the manager sees it.
    await inTransaction(deps, async (tx) => {
      const bucket = await lockBucket(tx, bucketId, 'updating', now);
      if (!bucket) return;
      await transitionBucket(deps, bucket, 'failed', SYSTEM_ACTOR, { reason: `running update refused: ${e.message}`, tx, required: true, progress: { area: 'calibration', values: { problem: e.message } }, data: { failure: `running update refused: ${e.message}`, failedFrom: 'updating' } });
    });
    return false;
  }
}

async function takeSnapshot(deps: Deps, bucketId: number): Promise<boolean> {
  const conditions = conditionsPort(deps);
  const now = deps.clock.now();
  return inTransaction(deps, async (tx) => {
    const bucket = await lockBucket(tx, bucketId, 'updating', now);
    if (!bucket) return false;
    const data = calibrationData(bucket.data);
    if (!data.runningUpdate) return false;
    let summary: Record<string, unknown> = { existing: true };
    if ((await conditions.tagState(data.snapshotTag!, tx)) === null) {
      summary = await conditions.snapshot({ source: data.runningTag!, name: data.snapshotTag!, actor: SYSTEM_ACTOR, reason: `${bucket.name}: prompt processing` }, tx);
    }
    await transitionBucket(deps, bucket, 'snapshotted', SYSTEM_ACTOR, { reason: `${data.runningTag} frozen as ${data.snapshotTag}`, tx, required: true, progress: { area: 'calibration', values: { snapshotAt: now.toISOString() } } });
    await queueLoopNotification(tx, {
      key: `snapshotted:${bucket.name}`,
      kind: 'snapshotted',
      message: `${bucket.name}: approved payloads are in ${data.runningTag} from run ${bucket.exp}/${bucket.firstRun}; snapshot ${data.snapshotTag} is ready for prompt processing.`,
      payload: { bucket: bucket.name, snapshot: data.snapshotTag, running: data.runningTag, snapshotSummary: summary },
      at: now,
    });
    return true;
  }, { timeoutMs: 120_000 });
}
