/**
 * Bucket.data: small scratch state of the bucket's stage machine, one key per area (`calibration`, `loop`) plus the
 * failure of a working stage (`failure`, `failedFrom`). Every write merges into the stored value in SQL
 * (`data || …`, one level deep per area), never writes back a whole copy that may be stale: two areas (or two
 * instances) recording progress at once both keep their keys.
 */
import { Prisma as P } from '../../db/generated/client.ts';
import type { Db } from '../../db/transaction.ts';
import { notFound, unknownName } from '../../domain/errors.ts';

/** What the calibration part keeps in Bucket.data.calibration so every step survives a restart. */
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

/** What the loop keeps in Bucket.data.loop so every step survives a restart. */
export interface BucketLoopData {
  /** prompt processing: the snapshot used, the local db exported from it, when jobs were planned */
  promptTag?: string;
  promptLocalDb?: string;
  promptPlannedAt?: string;
  promptFinishedAt?: string;
  /** runs prompt processing locked, and the FCSR it set on the running tag */
  lockedRuns?: number;
  fcsr?: { exp: number; run: number };
  finalTag?: string;
  finalAssembledAt?: string;
  blessedAt?: string;
  blessedBy?: string;
  campaignId?: number;
  /** last problem a loop step ran into (stays until the step succeeds) */
  problem?: string;
}

export interface BucketAreas {
  calibration: BucketCalibrationData;
  loop: BucketLoopData;
}
export type BucketArea = keyof BucketAreas;

export type BucketData = Record<string, unknown> & Partial<BucketAreas> & { failure?: string; failedFrom?: string };

/** An area's progress to merge: `{ area: 'loop', values: { finalTag } }`. */
export type AreaProgress = { [A in BucketArea]: { area: A; values: Partial<BucketAreas[A]> } }[BucketArea];

export function bucketData(data: unknown): BucketData {
  return data && typeof data === 'object' && !Array.isArray(data) ? (data as BucketData) : {};
}

export function calibrationData(data: unknown): BucketCalibrationData {
  return bucketData(data).calibration ?? {};
}

export function loopData(b: { data: unknown }): BucketLoopData {
  return bucketData(b.data).loop ?? {};
}

/** The keys to set (as JSON) and the keys to remove (given as undefined: "this problem is gone"). */
function split(values: Record<string, unknown> | undefined): { set: string; remove: string[] } {
  const entries = Object.entries(values ?? {});
  return {
    set: JSON.stringify(Object.fromEntries(entries.filter(([, v]) => v !== undefined))),
    remove: entries.filter(([, v]) => v === undefined).map(([k]) => k),
  };
}

/**
 * The SQL expression of the merged value: top-level keys replace, the area's keys merge into what the area holds;
 * a key given as undefined is removed. Used by the stage mover (with the move) and by `recordBucketProgress`.
 */
export function mergedData(top: Record<string, unknown> | undefined, progress: AreaProgress | undefined): P.Sql {
  const t = split(top);
  const withTop = P.sql`((COALESCE(data, '{}'::jsonb) - ${t.remove}::text[]) || ${t.set}::jsonb)`;
  if (!progress) return withTop;
  const a = split(progress.values as Record<string, unknown>);
  const area = P.sql`${progress.area}::text`;
  return P.sql`${withTop} || jsonb_build_object(${area}, (COALESCE(data -> ${area}, '{}'::jsonb) - ${a.remove}::text[]) || ${a.set}::jsonb)`;
}

/**
 * Merges an area's progress into Bucket.data while the bucket is still in `stage` (a step's progress inside a stage).
 * Returns false when the bucket moved on meanwhile.
 */
export async function recordBucketProgress(db: Db, bucket: { id: number; stage: string }, progress: AreaProgress): Promise<boolean> {
  const n = await db.$executeRaw`UPDATE "Bucket" SET data = ${mergedData(undefined, progress)}, "updatedAt" = now()
    WHERE id = ${bucket.id} AND stage = ${bucket.stage}`;
  return n === 1;
}

/** A number is an id (from our own rows), a string is always a name: "12" is the bucket named 12, never id 12. */
export async function findBucket(db: Db, ref: string | number) {
  const b = await db.bucket.findFirst({ where: typeof ref === 'number' ? { id: ref } : { name: ref } });
  if (!b) throw typeof ref === 'number' ? notFound(`bucket ${ref}`) : unknownName('bucket', ref);
  return b;
}
