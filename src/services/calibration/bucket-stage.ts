/**
 * Moves a bucket through the calibration stages it owns (produced → calibrating → awaiting_approval → updating →
 * snapshotted, and calibrating/updating → failed) with the shared `transitionBucket` (compare-and-set on the stage,
 * one audit event, one log line), writing the bucket's calibration progress (`Bucket.data.calibration`) with the move.
 */
import type { Deps } from '../../deps.ts';
import type { BucketStage } from '../../domain/bucket-stages.ts';
import { conflict } from '../../domain/errors.ts';
import { SYSTEM_ACTOR, type Actor } from '../../domain/roles.ts';
import type { Db, Tx } from '../../db/transaction.ts';
import { transitionBucket } from '../buckets/transition-bucket.ts';

/** What the loop keeps in Bucket.data.calibration so every step survives a restart. */
export interface BucketCalibrationData {
  plannedAt?: string;
  stagingTag?: string;
  snapshotTag?: string;
  runningTag?: string;
  /** candidate ids going into the running update, fixed when the bucket moved to `updating` */
  approvedCandidates?: number[];
  validatedAt?: string;
  /** the running update's summary, recorded once it landed */
  runningUpdate?: Record<string, unknown> & { at: string };
  snapshotAt?: string;
  /** the last problem a step ran into (stays until the step succeeds) */
  problem?: string;
}

export type BucketData = Record<string, unknown> & { calibration?: BucketCalibrationData; failure?: string; failedFrom?: string };

export function bucketData(data: unknown): BucketData {
  return data && typeof data === 'object' && !Array.isArray(data) ? (data as BucketData) : {};
}

export function calibrationData(data: unknown): BucketCalibrationData {
  return bucketData(data).calibration ?? {};
}

export interface MoveBucketInput {
  bucket: { id: number; name: string; stage: string; data: unknown };
  to: BucketStage;
  reason: string;
  actor?: Actor;
  /** merged into Bucket.data.calibration */
  calibration?: Partial<BucketCalibrationData>;
  /** other top-level Bucket.data keys (failure, failedFrom) */
  extra?: Record<string, unknown>;
}

/** CAS move through the shared `transitionBucket`; throws CONFLICT (rolling the caller's transaction back) when it lost. */
export async function moveBucket(deps: Deps, tx: Tx, input: MoveBucketInput): Promise<void> {
  const { bucket, to, reason } = input;
  const data = bucketData(bucket.data);
  const moved = await transitionBucket(deps, bucket, to, input.actor ?? SYSTEM_ACTOR, {
    reason,
    tx,
    data: { ...(input.extra ?? {}), calibration: { ...(data.calibration ?? {}), ...(input.calibration ?? {}) } },
  });
  if (!moved) throw conflict(`bucket ${bucket.name} is no longer ${bucket.stage}; someone else moved it first`);
}

/**
 * Updates Bucket.data.calibration without a stage move, only while the bucket is still in `stage` (a step's progress
 * inside `updating`). Returns false when the bucket moved on meanwhile.
 */
export async function recordBucketProgress(
  tx: Db,
  bucket: { id: number; stage: string; data: unknown },
  calibration: Partial<BucketCalibrationData>,
): Promise<boolean> {
  const data = bucketData(bucket.data);
  const next = { ...data, calibration: { ...(data.calibration ?? {}), ...calibration } };
  const r = await tx.bucket.updateMany({ where: { id: bucket.id, stage: bucket.stage }, data: { data: JSON.parse(JSON.stringify(next)) } });
  return r.count === 1;
}
